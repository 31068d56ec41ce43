"""The lists workbooks (publication/lists.py): written from a tiny candidate, read back with openpyxl."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
import yaml

from publication import lists
from publication.lists import (
    LISTS_FILE,
    ListColumn,
    ListDeclarationError,
    ListSheet,
    display_width,
    header_of,
    load_workbook_declaration,
    write_lists,
    write_workbook,
)
from tests.databases import SHORTAGE_OCCUPATION_ROWS, candidate_database
from transformation.marts import SUPPRESSED_COLUMNS, declarations

RECORD = {
    "release_id": "20260101T000000000000Z-abcdef12",
    "published_at": "2026-01-01T08:00:00+00:00",
    "disclosure": {"suppression_k": 5, "tables": {}},
}
MASKED_SHORTAGE = "shortage_rank,shortage_level,graduates_supplied,shortage_gap,vacancies_per_graduate"
ROWS = {
    "dim_region": [
        {"region_code": "320500", "region_name": "苏州市"},
        {"region_code": "320200", "region_name": "无锡市"},
    ],
    "mart_enterprise_demand": [
        {
            "enterprise_id": "0012345",
            "enterprise_name": "甲公司",
            "region_code": "320500",
            "region_name": "苏州市",
            "industry_code": "06",
            "industry_name": "煤炭开采和洗选业",
            "occupation_code": "6-22-01-01",
            "required_level": "higher",
            "required_level_name": "高职专科",
            "year": 2024,
            "vacancy_postings": 2,
            "vacancy_headcount": 5,
            "salary_min_cny": 4000.0,
            "salary_max_cny": None,
            "first_posted_date": "2024-03-01",
            "last_posted_date": "2024-05-01",
        },
        {
            "enterprise_id": "0012345",
            "region_code": "320500",
            "year": 2023,
            "vacancy_postings": 1,
            "vacancy_headcount": 1,
        },
        {
            "enterprise_id": "E9",
            "region_code": "320200",
            "year": 2024,
            "vacancy_postings": 1,
            "vacancy_headcount": 3,
        },
    ],
    "mart_shortage_industries": [
        {
            "region_level": "prefecture",
            "region_code": "320500",
            "region_name": "苏州市",
            "year": 2024,
            "industry_code": "06",
            "shortage_rank": None,
            "shortage_level": None,
            "vacancy_headcount": 50,
            "graduates_supplied": None,
            "shortage_gap": None,
            "vacancies_per_graduate": None,
            "suppressed_columns": MASKED_SHORTAGE,
        },
        {
            "region_level": "prefecture",
            "region_code": "320500",
            "year": 2024,
            "industry_code": "38",
            "shortage_rank": 1,
            "shortage_level": "severe",
            "vacancy_headcount": 40,
            "graduates_supplied": 10,
            "shortage_gap": 30,
            "vacancies_per_graduate": None,  # null, not masked: shown blank
        },
        {  # a province row is on no city's list
            "region_level": "province",
            "region_code": "320000",
            "year": 2024,
            "industry_code": "38",
            "shortage_rank": 1,
            "vacancy_headcount": 400,
            "graduates_supplied": 10,
        },
    ],
    "mart_shortage_occupations": list(SHORTAGE_OCCUPATION_ROWS),
    "mart_major_warning": [],
    "mart_technical_services": [
        {
            "project_id": "T1",
            "school_code": "0413200001",
            "region_code": "320500",
            "contract_value_10k_cny": 30.5,
            "start_date": "2024-03-01",
            "status": "completed",
            "status_name": "结题",
        },
    ],
    "mart_training_resources": [
        {
            "school_code": "0413200001",
            "course_id": "C1",
            "region_code": "320500",
            "trainees": None,
            "certificates_awarded": 0,
            "training_hours": 12.5,
            "start_date": "2024-07-01",
            "suppressed_columns": "trainees",
        },
    ],
}

# the sheets of a city's workbook after 说明, in order (publication/lists.yml)
LIST_SHEETS = (
    "企业需求清单",
    "紧缺人才目录（产业）",
    "紧缺人才目录（职业）",
    "技术服务清单",
    "培训资源清单",
    "专业预警名单",
)


def _candidate(folder: Path, rows: dict[str, list[dict]]) -> Path:
    """A candidate folder whose database has each table created from its dbt contract (every documented
    column, typed)."""
    folder.mkdir(parents=True, exist_ok=True)
    candidate_database(folder / "warehouse.duckdb", rows)
    return folder


def _sheet(path: Path, name: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))


def _headers(path: Path, name: str) -> dict[str, int]:
    return {h: i for i, h in enumerate(_sheet(path, name)[0])}


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[dict]]:
    folder = _candidate(tmp_path / "candidate", ROWS)
    return folder, write_lists(folder, RECORD)


def test_one_workbook_per_city_listed_with_its_hash(written: tuple[Path, list[dict]]) -> None:
    folder, documents = written
    assert [d["path"] for d in documents] == ["lists/320200-无锡市.xlsx", "lists/320500-苏州市.xlsx"]
    for d in documents:
        assert d["sha256"] == hashlib.sha256((folder / d["path"]).read_bytes()).hexdigest()
    suzhou = {s["sheet"]: (s["rows"], s["masked_cells"]) for s in documents[1]["sheets"]}
    assert suzhou == {
        "企业需求清单": (2, 0),
        "紧缺人才目录（产业）": (2, 5),
        "紧缺人才目录（职业）": (2, 0),
        "技术服务清单": (1, 0),
        "培训资源清单": (1, 1),
        "专业预警名单": (0, 0),
    }
    wuxi = folder / documents[0]["path"]
    assert [r[1] for r in _sheet(wuxi, "企业需求清单")[1:]] == ["E9"]  # only its own city's rows
    assert len(_sheet(wuxi, "紧缺人才目录（产业）")) == 1  # the header alone


def test_workbooks_written_in_two_processes_are_the_same_files(
    written: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    """TW_PUBLICATION_WORKERS: each city's workbook is written in a spawned process, byte for byte the file
    one process writes (the hashes in release.json do not depend on it)."""
    _, documents = written
    folder = _candidate(tmp_path / "two", ROWS)
    assert write_lists(folder, RECORD, workers=2) == documents


def test_sheets_headers_codes_and_masks_read_back(written: tuple[Path, list[dict]]) -> None:
    folder, _ = written
    path = folder / "lists" / "320500-苏州市.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["说明", *LIST_SHEETS]
    demand = book["企业需求清单"]
    assert demand.freeze_panes == "A2"
    headers = [c.value for c in demand[1]]
    assert headers[:3] == ["发布年度", "企业编号", "企业名称"] and "最低月薪（元）" in headers
    first = dict(zip(headers, demand[2], strict=True))
    assert first["发布年度"].value == 2024  # sorted year desc
    assert first["企业编号"].value == "0012345" and first["企业编号"].data_type == "s"  # text, zeros kept
    assert first["行业代码"].value == "06" and first["行业代码"].number_format == "@"
    assert first["岗位需求人数"].value == 5 and first["最高月薪（元）"].value is None
    assert first["首次发布日期"].is_date and first["首次发布日期"].value.date().isoformat() == "2024-03-01"
    assert demand.column_dimensions["C"].width > demand.column_dimensions["A"].width  # fitted widths

    shortage = _sheet(path, "紧缺人才目录（产业）")
    col = _headers(path, "紧缺人才目录（产业）")
    listed, masked = shortage[1], shortage[2]  # rank 1 first, the withheld rank last
    assert [masked[col[h]] for h in ("供给人数", "缺口数", "岗位供需比", "紧缺排名", "紧缺程度")] == ["*"] * 5
    assert masked[col["行业代码"]] == "06" and masked[col["岗位需求人数"]] == 50
    assert listed[col["紧缺程度"]] == "严重紧缺" and listed[col["紧缺排名"]] == 1
    assert listed[col["岗位供需比"]] is None and listed[col["供给人数"]] == 10  # a null is blank, not masked

    training = _sheet(path, "培训资源清单")
    col = _headers(path, "培训资源清单")
    assert training[1][col["培训人次"]] == "*" and training[1][col["获证人数"]] == 0
    assert training[1][col["学校代码"]] == "0413200001"


def test_the_about_sheet_states_release_date_definitions_and_the_rule(
    written: tuple[Path, list[dict]],
) -> None:
    folder, _ = written
    text = "\n".join(
        str(v)
        for row in _sheet(folder / "lists" / "320500-苏州市.xlsx", "说明")
        for v in row
        if v is not None
    )
    assert RECORD["release_id"] in text and "2026-01-01" in text and "苏州市（320500）" in text
    assert "小于 5" in text and "“*”" in text and "不重新计算" in text
    models = {d.name: d for d in declarations()}
    for sheet in load_workbook_declaration().sheets:
        assert models[sheet.table].description in text  # each list's definition is its dbt description


def test_adding_a_list_is_one_entry_in_the_declaration(tmp_path: Path) -> None:
    declared = yaml.safe_load(LISTS_FILE.read_text(encoding="utf-8"))
    declared["sheets"].append(
        {
            "sheet": "区域产业贡献度",
            "table": "mart_partnership_contribution",
            "city_column": "region_code",
            "sort": ["calendar_year desc", "school_code", "enterprise_id"],
            "columns": [
                "school_code",
                {"column": "enterprise_id", "header": "企业编号"},
                "hires_in_school_city",
                "technical_service_value_10k_cny",
            ],
        }
    )
    path = tmp_path / "lists.yml"
    path.write_text(yaml.safe_dump(declared, allow_unicode=True), encoding="utf-8")
    rows = {
        **ROWS,
        "mart_partnership_contribution": [
            {
                "school_code": "0413200001",
                "enterprise_id": "E1",
                "calendar_year": 2024,
                "region_code": "320500",
                "hires_in_school_city": None,
                "technical_service_value_10k_cny": 30.0,
                "suppressed_columns": "hires_in_school_city",
            }
        ],
    }
    folder = _candidate(tmp_path / "candidate", rows)
    documents = write_lists(folder, RECORD, declaration=path)
    book = folder / documents[1]["path"]
    assert openpyxl.load_workbook(book).sheetnames[-1] == "区域产业贡献度"
    assert _sheet(book, "区域产业贡献度") == [
        ("学校标识码", "企业编号", "本地（本市）就业人数", "技术服务产值（万元）"),
        ("0413200001", "E1", "*", 30),
    ]


def _declare(tmp_path: Path, **sheet: object) -> Path:
    declared = yaml.safe_load(LISTS_FILE.read_text(encoding="utf-8"))
    declared["sheets"][1].update(sheet)
    path = tmp_path / "lists.yml"
    path.write_text(yaml.safe_dump(declared, allow_unicode=True), encoding="utf-8")
    return path


def test_a_declaration_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    assert [s.sheet for s in load_workbook_declaration().sheets] == list(LIST_SHEETS)
    with pytest.raises(
        ListDeclarationError,
        match=r"紧缺人才目录（产业）: mart_shortage_industries documents no column 'rank'",
    ):
        load_workbook_declaration(_declare(tmp_path, columns=["rank"]))
    with pytest.raises(
        ListDeclarationError, match=r"bridge_version's description starts with no Chinese term"
    ):
        load_workbook_declaration(_declare(tmp_path, columns=["bridge_version"]))
    with pytest.raises(ListDeclarationError, match=r"stg_training is not a published table"):
        load_workbook_declaration(_declare(tmp_path, table="stg_training"))
    with pytest.raises(ListDeclarationError, match=r"sort entry 'year down'"):
        load_workbook_declaration(_declare(tmp_path, sort=["year down"]))


def test_a_long_list_holds_its_first_rows_and_says_where_the_rest_is(tmp_path: Path) -> None:
    """``max_rows``: a city's sheet holds the first rows in the declared order; the 说明 sheet and the
    document entry give the city's total and point to the whole table."""
    declared = yaml.safe_load(LISTS_FILE.read_text(encoding="utf-8"))
    demand = next(s for s in declared["sheets"] if s["table"] == "mart_enterprise_demand")
    demand["max_rows"] = 1
    path = tmp_path / "lists.yml"
    path.write_text(yaml.safe_dump(declared, allow_unicode=True), encoding="utf-8")
    folder = _candidate(tmp_path / "candidate", ROWS)
    documents = write_lists(folder, RECORD, declaration=path)
    suzhou = next(s for s in documents[1]["sheets"] if s["sheet"] == demand["sheet"])
    assert (suzhou["rows"], suzhou["rows_total"]) == (1, 2)
    book = folder / documents[1]["path"]
    rows = _sheet(book, demand["sheet"])
    assert len(rows) == 2 and rows[1][0] == 2024  # the header and the first row in order (year desc)
    about = "\n".join(str(v) for row in _sheet(book, "说明") for v in row if v is not None)
    assert "前 1 行（本市共 2 行）" in about and "parquet/mart_enterprise_demand" in about
    for bad in (0, "all", True):
        with pytest.raises(ListDeclarationError, match=r"max_rows .* must be a whole number"):
            load_workbook_declaration(_declare(tmp_path, max_rows=bad))


def test_the_occupation_list_shows_the_rule_each_row_is_ranked_by(written: tuple[Path, list[dict]]) -> None:
    """Ranks run within ranking_basis: the sheet shows the rule, the MOHRSS rule's rows first, and a
    job-seeker row's own figures (求职人数, its gap, 求人倍率) beside the graduate figures it carries."""
    folder, documents = written
    path = folder / documents[1]["path"]
    col = _headers(path, "紧缺人才目录（职业）")
    gap, ratio, seekers = "缺口数（求职人数口径）", "求人倍率", "求职人数"
    assert {"排序依据", "职业代码", seekers, gap, ratio, "岗位供需比"} <= col.keys()
    rows = _sheet(path, "紧缺人才目录（职业）")[1:]
    assert [r[col["职业代码"]] for r in rows] == ["6-22", "2-02"]
    basis = [r[col["排序依据"]] for r in rows]
    assert basis == ["求职人数（人社部最缺工口径）", "毕业生供给（本平台口径）"]
    assert [r[col["紧缺排名"]] for r in rows] == [1, 1]
    assert (rows[0][col[gap]], rows[0][col[ratio]], rows[0][col[seekers]]) == (70, 2.4, 50)
    assert rows[1][col[ratio]] is None


def test_headers_come_from_the_dbt_descriptions() -> None:
    assert header_of("需求人数 People wanted, Σ headcount.") == "需求人数"
    assert header_of("最低月薪（元） Lowest monthly salary") == "最低月薪（元）"
    assert header_of("Region name (地区名称).") == "地区名称"
    assert header_of("Year.") is None
    assert display_width("苏州市 ab") == 9


def test_every_kind_of_value_is_written_as_excel_reads_it(tmp_path: Path) -> None:
    """Each column is written in a loop of its own kind (publication/lists.py ``_write_sheet``): text, whole
    numbers, decimals, dates (Excel's serial numbers; a column with a date before 1900-03-01 through
    xlsxwriter, which knows Excel's 29 February 1900), words for booleans and labels, a timestamp as its
    date; a null is blank and a masked cell shows the mark, in every kind."""
    columns = (
        ListColumn("code", "代码"),
        ListColumn("n", "人数"),
        ListColumn("share", "占比", "0.0000"),
        ListColumn("day", "日期"),
        ListColumn("early", "早期日期"),
        ListColumn("flag", "是否"),
        ListColumn("level", "层次", labels={"higher": "高职专科"}),
        ListColumn("at", "时间"),
    )
    sheet = ListSheet("清单", "t", "city", "定义", columns)
    book = dataclasses.replace(load_workbook_declaration(), sheets=(sheet,))
    rows = pl.DataFrame(
        {
            "city": ["320500"] * 4,
            "code": ["0101", None, "0303", "0404"],
            "n": [3, None, 7, -12],
            "share": [Decimal("0.1250"), None, Decimal("1.5000"), Decimal("0.0001")],
            "day": [dt.date(2024, 3, 5), None, dt.date(1970, 1, 1), dt.date(2024, 12, 31)],
            "early": [dt.date(2024, 3, 5), None, dt.date(1900, 2, 15), dt.date(2024, 12, 31)],
            "flag": [True, None, False, True],
            "level": ["higher", None, "other", "higher"],
            "at": [dt.datetime(2024, 3, 5, 14, 30), None, dt.datetime(2023, 1, 1), dt.datetime(2024, 1, 1)],
            SUPPRESSED_COLUMNS: [None, None, None, "n,share,day,early,flag,level,code,at"],
        },
        schema_overrides={"share": pl.Decimal(10, 4)},
    )
    target = tmp_path / "book.xlsx"
    (written,) = write_workbook(target, book, ("320500", "苏州市"), RECORD, {"清单": rows}, {"清单": 4})
    assert (written.rows, written.masked_cells) == (4, 8)
    values = _sheet(target, "清单")
    assert values[0] == ("代码", "人数", "占比", "日期", "早期日期", "是否", "层次", "时间")
    march = dt.datetime(2024, 3, 5)
    assert values[1] == ("0101", 3, 0.125, march, march, "是", "高职专科", march)
    assert values[2] == (None,) * 8
    assert values[3] == (
        "0303",
        7,
        1.5,
        dt.datetime(1970, 1, 1),
        dt.datetime(1900, 2, 15),
        "否",
        "other",
        dt.datetime(2023, 1, 1),
    )
    assert values[4] == ("*",) * 8
    cells = openpyxl.load_workbook(target)["清单"]
    assert cells["C2"].number_format == "0.0000" and cells["D2"].number_format == "yyyy-mm-dd"
    assert cells["A2"].data_type == "s" and cells["B2"].number_format == "0"
    # a date's ten characters, fitted (D and E alike: xlsxwriter writes them as one range, read as D's)
    assert cells.column_dimensions["D"].width >= 12 > cells.column_dimensions["A"].width


def test_a_column_shown_twice_and_numbers_of_other_widths(tmp_path: Path) -> None:
    """A column may be shown twice (its masks count on each), a single-precision float is written as the
    double it is, and -0.0 as xlsxwriter writes it ("-0")."""
    columns = (ListColumn("n", "人数"), ListColumn("n", "人数（再列）"), ListColumn("x", "比率"))
    sheet = ListSheet("清单", "t", "city", "定义", columns)
    book = dataclasses.replace(load_workbook_declaration(), sheets=(sheet,))
    rows = pl.DataFrame(
        {
            "city": ["320500"] * 3,
            "n": [3, 4, 5],
            "x": [0.1, -0.0, 0.0],
            SUPPRESSED_COLUMNS: [None, "n", None],
        },
        schema_overrides={"x": pl.Float32},
    )
    target = tmp_path / "book.xlsx"
    (written,) = write_workbook(target, book, ("320500", "苏州市"), RECORD, {"清单": rows}, {"清单": 3})
    assert (written.rows, written.masked_cells) == (3, 2)
    values = _sheet(target, "清单")
    assert values[1] == (3, 3, pytest.approx(0.1, abs=1e-7)) and values[1][2] != 0.1  # the float32's double
    assert values[2][:2] == ("*", "*")
    with zipfile.ZipFile(target) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode()
    assert '<c r="C3"><v>-0</v></c>' in xml and '<c r="C4"><v>0</v></c>' in xml


@pytest.mark.parametrize("sorted_row_cost", [0, 10**9])
def test_capped_cities_by_top_n_or_by_one_window_give_the_same_rows(
    monkeypatch: pytest.MonkeyPatch, sorted_row_cost: int
) -> None:
    """The cities over a sheet's max_rows are read by a top-N query each or by one window over their rows,
    whichever reads less: both give each city's first rows in the declared order."""
    con = duckdb.connect()
    con.execute(
        "create table t as select 'C' || (i % 5) as city, i % 7 as n, i as id, '' as suppressed_columns "
        "from range(200) r(i)"
    )
    sheet = ListSheet(
        "清单",
        "t",
        "city",
        "定义",
        (ListColumn("n", "人数"), ListColumn("id", "编号")),
        sort=(("n", True), ("id", False)),
        max_rows=30,
    )
    cities = ["C0", "C1", "C2", "C3", "C4", "C9"]
    expected = {
        code: con.execute(
            "select city, n, id, suppressed_columns from t where city = ? order by n desc, id limit 30",
            [code],
        ).pl()
        for code in cities
    }
    monkeypatch.setattr(lists, "SORTED_ROW_COST", sorted_row_cost)
    rows, totals = lists.sheet_rows(con, sheet, cities)
    assert totals == {f"C{i}": 40 for i in range(5)}
    for code in cities:
        assert rows[code].equals(expected[code]), code
