"""Tables as offices deliver them: title rows, multi-row merged headers, units, totals and footnotes.

Each case reads a file shaped like a real template through :func:`ingestion.readers.read_feed_file` and
states what comes out: LOADED (with the warnings a person sees), or REJECTED with its message.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlwt

from ingestion.contracts import ENROLMENT, INDUSTRY_OUTPUT, VACANCIES
from ingestion.layout import (
    LayoutError,
    is_column_numbers,
    locate_header,
    row_kind,
    stated_unit,
    unit_factor,
)
from ingestion.readers import FeedFileError, read_feed_file
from tests.conftest import vacancy_rows

# A yearbook-style industry-output table: title, a two-row bilingual header with a merged group heading
# (产出 Output over two columns, amounts in 万元), data, a 合计 row and two footnotes.
YEARBOOK = [
    ["表 3-2 分地区分行业产出（2024年）", None, None, None, None],
    ["统计期", "地区代码", "行业代码", "总产值（万元）", "增加值（万元）"],
    ["Period", "Region code", "Industry code", "Gross output (10k CNY)", "Value added (10k CNY)"],
    ["2024", "320500", "C", "123,456.7", "30000"],
    ["2024", "320200", "C", "100000", "25000"],
    ["合计", None, None, "223456.7", "55000"],
    ["注：本表按当年价格计算。", None, None, None, None],
    ["资料来源：江苏统计年鉴", None, None, None, None],
]


def _xlsx(path: Path, sheets: dict[str, list[list[object]]], merge: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if merge:
            ws.merge_cells(merge)
    wb.save(path)
    return path


def _xls(path: Path, rows: list[list[object]]) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("数据")
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                sheet.write(i, j, value)
    book.save(str(path))
    return path


def _check_yearbook(raw) -> None:
    frame = raw.frame
    assert frame["region_code"].to_list() == ["320500", "320200"]
    # 万元 → 亿元: ÷ 10,000; the thousands separator is read as one
    assert frame["output_value_100m_cny"].to_list() == ["12.34567", "10.0"]
    assert frame["value_added_100m_cny"].to_list() == ["3.0", "2.5"]
    assert frame["source_row"].to_list() == [4, 5]
    text = " | ".join(raw.warnings)
    assert "header found at rows 2-3" in text
    assert "header '总产值(万元) / Gross output (10k CNY)' is in 万元; values multiplied by 0.0001" in text
    assert "rows 6: total rows (合计/总计) were not read as data" in text
    assert "rows 7, 8: footnote rows (注：…) were not read as data" in text
    assert "add up" not in text  # the total reconciles


def test_yearbook_table_xlsx_title_bilingual_header_units_total_and_notes(tmp_path: Path) -> None:
    _check_yearbook(read_feed_file(_xlsx(tmp_path / "yearbook.xlsx", {"3-2": YEARBOOK}), INDUSTRY_OUTPUT))


def test_yearbook_table_as_xls(tmp_path: Path) -> None:
    """.xls (Excel 97-2003) is read, not skipped."""
    _check_yearbook(read_feed_file(_xls(tmp_path / "yearbook.xls", YEARBOOK), INDUSTRY_OUTPUT))


@pytest.mark.parametrize(("encoding", "delimiter"), [("gbk", ","), ("utf-8", ";"), ("utf-16", "\t")])
def test_yearbook_table_as_text(tmp_path: Path, encoding: str, delimiter: str) -> None:
    """CSV in GBK, semicolon-separated UTF-8 and tab-separated UTF-16 (as Excel's 'Unicode text' saves)."""
    lines = [delimiter.join("" if v is None else str(v) for v in row) for row in YEARBOOK]
    path = tmp_path / "yearbook.csv"
    text = "\r\n".join(lines) + "\r\n"
    if delimiter == ",":  # the thousands separator must be quoted in a comma-separated file
        text = text.replace("123,456.7", '"123,456.7"')
    path.write_bytes(text.encode(encoding))
    raw = read_feed_file(path, INDUSTRY_OUTPUT)
    assert raw.encoding == {"gbk": "gb18030", "utf-8": "utf-8", "utf-16": "utf-16"}[encoding]
    _check_yearbook(raw)


def test_merged_group_heading_is_spread_over_its_sub_headings(tmp_path: Path) -> None:
    """产出（亿元） merged over two columns, 总产值 / 增加值 under it: each column is group + its own."""
    rows = [
        ["统计期", "地区代码", "行业代码", "产出（亿元）", None],
        [None, None, None, "总产值", "增加值"],
        ["2024", "320500", "36", "1.5", "0.5"],
    ]
    raw = read_feed_file(_xlsx(tmp_path / "merged.xlsx", {"s": rows}, merge="D1:E1"), INDUSTRY_OUTPUT)
    assert raw.frame.select("output_value_100m_cny", "value_added_100m_cny").row(0) == ("1.5", "0.5")


def test_clerks_workbook_instructions_on_sheet_one_data_on_sheet_two(tmp_path: Path) -> None:
    rows = vacancy_rows(2)
    sheets = {
        "填表说明": [["填表说明：请在第二个工作表填写本月岗位需求。"], ["1. 地区代码填写6位行政区划代码"]],
        "岗位需求": [
            ["2024年3月企业岗位需求表（单位：人）"],
            list(rows[0]),
            *[list(r.values()) for r in rows],
        ],
    }
    raw = read_feed_file(_xlsx(tmp_path / "clerk.xlsx", sheets), VACANCIES)
    assert raw.frame.height == 2 and raw.frame["source_row"].to_list() == [3, 4]
    assert "read sheet '岗位需求' (sheet 2 of 2)" in raw.warnings
    assert any(w.startswith("sheet '填表说明': missing required column(s)") for w in raw.warnings)


def test_no_sheet_holds_the_table_names_every_sheet(tmp_path: Path) -> None:
    sheets = {"说明": [["本表说明"]], "汇总": [["地区", "人数"], ["苏州", "3"]]}
    with pytest.raises(FeedFileError) as err:
        read_feed_file(_xlsx(tmp_path / "wrong.xlsx", sheets), VACANCIES)
    message = str(err.value)
    assert message.startswith("wrong.xlsx: no sheet of the workbook holds a vacancies table")
    assert "sheet '说明'" in message and "sheet '汇总'" in message and "posting_id" in message


def test_semicolon_csv_with_an_unknown_header_names_the_columns_not_the_whole_line(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("岗位编号;企业编号;未知列\nP1;E1;x\n", encoding="utf-8")
    with pytest.raises(FeedFileError) as err:
        read_feed_file(path, VACANCIES)
    message = str(err.value)
    assert "'岗位编号', '企业编号', '未知列'" in message and "(columns split on ';')" in message


def test_unit_of_another_kind_is_rejected(tmp_path: Path) -> None:
    rows = [["统计期", "地区代码", "行业代码", "总产值（万人）"], ["2024", "320500", "C", "3"]]
    with pytest.raises(
        FeedFileError, match=r"总产值|output_value_100m_cny: the header states 万人, expected a unit of money"
    ):
        read_feed_file(_xlsx(tmp_path / "units.xlsx", {"s": rows}), INDUSTRY_OUTPUT)


def test_enrolment_counts_in_wan_ren_are_converted_to_persons(tmp_path: Path) -> None:
    header = ["年份", "学校代码", "学校名称", "学校所在地区代码", "层次", "专业代码", "预计毕业生数"]
    rows = [
        [*header, "在校生数（万人）", "招生数（人）"],
        ["2024", "S100001", "苏州职业技术学院", "320500", "higher", "460702", "300", "0.12", "400"],
    ]
    raw = read_feed_file(_xlsx(tmp_path / "enrolment.xlsx", {"s": rows}), ENROLMENT)
    assert raw.frame.select("enrolled_total", "new_enrolment", "expected_graduates").row(0) == (
        "1200.0",
        "400",
        "300",
    )


def test_five_row_bilingual_header_with_units_and_column_numbers_as_xls(tmp_path: Path) -> None:
    """A yearbook's header: Chinese, English, unit, unit in English, column numbers (甲 乙 丙 1). All five
    rows are header; the unit line converts 万元; the column numbers are in no column's name."""
    rows = [
        ["表 3-2 分地区分行业增加值（2024年）", None, None, None],
        ["统计期", "地区代码", "行业代码", "增加值"],
        ["Period", "Region code", "Industry code", "Value added"],
        [None, None, None, "(万元)"],
        [None, None, None, "(10 000 yuan)"],
        ["甲", "乙", "丙", "1"],
        ["2024", "320500", "C", "30000"],
        ["2024", "320200", "C", "25000"],
    ]
    raw = read_feed_file(_xls(tmp_path / "yearbook.xls", rows), INDUSTRY_OUTPUT)
    assert raw.frame["value_added_100m_cny"].to_list() == ["3.0", "2.5"]
    assert raw.frame["source_row"].to_list() == [7, 8]
    text = " | ".join(raw.warnings)
    assert "header found at rows 2-6" in text
    assert (
        "header '增加值 / Value added / (万元) / (10 000 yuan)' is in 万元; values multiplied by 0.0001"
        in text
    )


# The pure layout functions


def test_locate_header_prefers_the_block_naming_every_required_column() -> None:
    rows = [["岗位需求表"], ["说明：单位为人"], list(vacancy_rows(1)[0]), list(vacancy_rows(1)[0].values())]
    header = locate_header(rows, VACANCIES)
    assert (header.start, header.depth) == (2, 1)
    assert header.columns[: len(VACANCIES.columns)] == tuple(VACANCIES.column_names)


def test_locate_header_error_lists_what_it_found() -> None:
    with pytest.raises(LayoutError, match=r"best candidate \(row 1\) has '地区', '人数'"):
        locate_header([["地区", "人数"], ["苏州", "3"]], VACANCIES)


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        (["合计", None, "12"], "total"),
        ([" 总 计 ", None, "12"], "total"),
        (["全省", "", "12"], "total"),
        (["小计：", None, "5"], "subtotal"),
        (["注：1. 按当年价格计算"], "note"),
        (["资料来源：省统计局", None], "note"),
        ([None, "", "  "], "empty"),
        (["320500", "苏州市", "12"], "data"),
        (["注塑车间", "320500", "12"], "data"),  # starts with 注 but is not a note
    ],
)
def test_row_kind(cells: list[object], kind: str) -> None:
    assert row_kind(cells) == kind


@pytest.mark.parametrize(
    ("cells", "numbers"),
    [
        (["甲", "1", "2", "3", "4"], True),
        (["甲", "乙", "1", "2"], True),
        (["栏次", "(1)", "(2)", "(3)"], True),
        ([None, "1", "2"], True),
        (["杭州市", "1", "2"], False),  # a data row whose figures happen to be 1, 2
        (["2024", "1", "2"], False),
        (["甲", "1", "3"], False),
        (["甲", "1"], True),
        ([None, "1"], False),  # one number alone says nothing
        (["C", "1", "2", "3"], False),  # an industry code, not a label of a text column
    ],
)
def test_is_column_numbers(cells: list[object], numbers: bool) -> None:
    assert is_column_numbers(cells) is numbers


def test_stated_unit_on_a_line_of_its_own() -> None:
    assert stated_unit(["增加值", "Value added", "(万元)", "(10 000 yuan)"]) == "万元"
    assert stated_unit(["产值", "单位：亿元"]) == "亿元"
    assert stated_unit(["增加值（亿元）", "Value added"]) == "亿元"
    assert stated_unit(["增加值", "Value added"]) is None


def test_unit_factor() -> None:
    column = INDUSTRY_OUTPUT.column("output_value_100m_cny")
    assert unit_factor("万元", column) == pytest.approx(1e-4)
    assert unit_factor("亿元", column) == 1.0
    assert unit_factor(None, column) == 1.0
    with pytest.raises(LayoutError):
        unit_factor("人", column)
    assert unit_factor("万人", ENROLMENT.column("enrolled_total")) == 1e4
    assert unit_factor("人", INDUSTRY_OUTPUT.column("employment_10k")) == pytest.approx(1e-4)


def test_utf16_without_bom_is_not_guessed(tmp_path: Path) -> None:
    """UTF-16 is recognised by its byte-order mark (Excel writes one); without it the file is refused."""
    path = tmp_path / "nobom.csv"
    path.write_bytes(codecs.encode("岗位编号\nP1\n", "utf-16-le"))
    with pytest.raises(FeedFileError):
        read_feed_file(path, VACANCIES)


def test_totals_reconcile_per_subtotal_and_grand_total(tmp_path: Path) -> None:
    rows = [
        ["统计期", "地区代码", "行业代码", "增加值（亿元）"],
        ["2024", "320500", "C", "1"],
        ["2024", "320500", "D", "2"],
        ["小计", None, None, "3"],
        ["2024", "320200", "C", "4"],
        ["小计", None, None, "5"],  # wrong: 4
        ["合计", None, None, "7"],  # right: 1 + 2 + 4
    ]
    raw = read_feed_file(_xlsx(tmp_path / "t.xlsx", {"s": rows}), INDUSTRY_OUTPUT)
    mismatches = [w for w in raw.warnings if "add up" in w]
    assert mismatches == [
        "row 6 (subtotal): column value_added_100m_cny is 5, but the 1 rows it covers add up to 4"
    ]
    assert pl.Series(raw.frame["industry_code"]).to_list() == ["C", "D", "C"]


def test_a_profiles_header_mapping_is_not_kept_for_files_without_it() -> None:
    """The header readings are cached per contract and profile mapping: a mapping given for one source
    file must not name columns in the next file read without it (nor a reading without it hide the
    mapping)."""
    names = list(vacancy_rows(1)[0])
    rows = [["岗位编号X", *names[1:]], list(vacancy_rows(1)[0].values())]
    mapped = locate_header(rows, VACANCIES, columns={"岗位编号X": "posting_id"})
    assert mapped.columns[0] == "posting_id"
    with pytest.raises(LayoutError, match="posting_id"):
        locate_header(rows, VACANCIES)
    assert locate_header(rows, VACANCIES, columns={"岗位编号X": "posting_id"}).columns[0] == "posting_id"


def test_the_header_readings_kept_between_files_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The readings of header cells are kept from one file to the next, but the search also reads the data
    rows under the header: a lookup keeps at most READINGS_KEPT of each kind, whatever the files hold."""
    from ingestion import layout

    monkeypatch.setattr(layout, "READINGS_KEPT", 50)
    names = list(vacancy_rows(1)[0])
    for n in range(20):
        rows = [names, *([f"{n}-{i}-{j}" for j in range(len(names))] for i in range(10))]
        assert locate_header(rows, VACANCIES).columns[0] == "posting_id"
    lookup = layout._header_lookup(VACANCIES, ())
    assert 0 < len(lookup._matched) <= 50 and 0 < len(lookup._columns) <= 50
