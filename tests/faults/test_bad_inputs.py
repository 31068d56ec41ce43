"""Bad input, one case per test: what happens to the file and its rows, and the counts reconcile.

Each case states the expected behaviour: the file is REJECTED with an error naming file and column, or the
bad rows are QUARANTINED with reasons naming column and value, or the rows are LOADED (normalised).
The figures of docs/reliability.md come from these cases.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ingestion.contracts import VACANCIES
from ingestion.ingest import ingest_file
from ingestion.raw_zone import FileReport
from ingestion.reference import code_lists, region_years
from tests.conftest import REPO, vacancy_rows
from tests.faults.figures import record_figures

REFERENCES = code_lists(REPO / "dbt_project" / "seeds" / "reference")
REGION_YEARS = region_years(REPO / "dbt_project" / "seeds" / "reference")
CHINESE = {c.name: c.aliases[0] for c in VACANCIES.columns}


def _ingest(tmp_path: Path, path: Path) -> tuple[FileReport, pl.DataFrame]:
    report = ingest_file(
        path, VACANCIES, tmp_path / "raw", b"k", references=REFERENCES, region_code_years=REGION_YEARS
    )
    q_files = list((tmp_path / "raw" / "_quarantine" / "vacancies").glob("part-[0-9a-f]*.parquet"))
    quarantined = pl.read_parquet(q_files) if q_files else pl.DataFrame({"source_row": [], "reason": []})
    assert report.status == "rejected" or report.reconciles  # read = loaded + quarantined, always
    if report.status != "unchanged":
        record_figures(1, report.rows_read, report.rows_loaded, report.rows_quarantined)
    return report, quarantined


def _csv(tmp_path: Path, rows: list[dict], name: str = "v.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(pl.DataFrame(rows).write_csv().encode(encoding))
    return path


def test_gbk_file_is_read_as_gbk_not_as_utf8(tmp_path: Path) -> None:
    """LOADED: a GBK file with Chinese headers and names is detected and decoded."""
    path = _csv(tmp_path, [{CHINESE[k]: v for k, v in r.items()} for r in vacancy_rows()], encoding="gbk")
    report, _ = _ingest(tmp_path, path)
    assert (report.encoding, report.rows_loaded) == ("gb18030", 3)
    assert (
        pl.read_parquet(tmp_path / "raw" / "vacancies" / "*" / "*.parquet")["enterprise_name"][0]
        == "样例企业"
    )


def test_utf8_with_bom(tmp_path: Path) -> None:
    """LOADED: the BOM does not end up in the first header."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + pl.DataFrame(vacancy_rows()).write_csv().encode())
    assert _ingest(tmp_path, path)[0].rows_loaded == 3


def test_missing_column_rejects_the_file(tmp_path: Path) -> None:
    """REJECTED: a required column is missing; the error names the file, the column and its accepted
    headers."""
    path = _csv(tmp_path, [{k: v for k, v in r.items() if k != "headcount"} for r in vacancy_rows()])
    report, _ = _ingest(tmp_path, path)
    assert report.status == "rejected" and report.rows_loaded == 0
    assert "v.csv" in report.error and "headcount" in report.error and "招聘人数" in report.error


def test_renamed_column_known_alias_is_accepted_unknown_is_rejected(tmp_path: Path) -> None:
    """LOADED with a known Chinese alias; REJECTED when the new name is unknown (schema drift)."""
    ok = _csv(
        tmp_path,
        [{("需求人数" if k == "headcount" else k): v for k, v in r.items()} for r in vacancy_rows()],
        "alias.csv",
    )
    assert _ingest(tmp_path, ok)[0].rows_loaded == 3
    bad = _csv(
        tmp_path,
        [{("人数" if k == "headcount" else k): v for k, v in r.items()} for r in vacancy_rows()],
        "drift.csv",
    )
    report, _ = _ingest(tmp_path, bad)
    assert report.status == "rejected" and "headcount" in report.error and "'人数'" in report.error


def test_extra_column_is_ignored_with_a_warning(tmp_path: Path) -> None:
    """LOADED with a warning naming the extra column."""
    report, _ = _ingest(tmp_path, _csv(tmp_path, [{**r, "备注": "x"} for r in vacancy_rows()]))
    assert report.rows_loaded == 3 and any("备注" in w for w in report.warnings)


def test_codes_that_lost_their_leading_zero(tmp_path: Path) -> None:
    """QUARANTINED: 06 (煤炭开采) stored as the number 6 is not guessed back."""
    rows = vacancy_rows(2)
    rows[0]["industry_code"] = "6"
    report, q = _ingest(tmp_path, _csv(tmp_path, rows))
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert q["reason"][0] == "column industry_code: value '6' does not match ^(\\d{2}|\\d{3}|\\d{4})$"


def test_full_width_digits_and_stray_spaces(tmp_path: Path) -> None:
    """LOADED: codes are normalised (NFKC, spaces removed)."""
    rows = vacancy_rows(2)
    rows[0]["region_code"], rows[1]["region_code"] = "３２０５０５", " 3205 05 "
    report, _ = _ingest(tmp_path, _csv(tmp_path, rows))
    assert report.rows_loaded == 2
    assert set(pl.read_parquet(tmp_path / "raw" / "vacancies" / "*" / "*.parquet")["region_code"]) == {
        "320505"
    }


def test_codes_that_do_not_exist(tmp_path: Path) -> None:
    """QUARANTINED: well-formed region, industry and occupation codes that are not in their classification."""
    rows = vacancy_rows(3)
    rows[0]["region_code"], rows[1]["industry_code"], rows[2]["occupation_code"] = (
        "329999",
        "99",
        "6-99-99-99",
    )
    report, q = _ingest(tmp_path, _csv(tmp_path, rows))
    assert report.rows_quarantined == 3
    assert all("is not a code of" in r for r in q["reason"])


def test_region_codes_used_in_a_year_they_were_not_in_force(tmp_path: Path) -> None:
    """LOADED with a warning: 320502 (沧浪区, retired 2012) in a 2024 posting and 320508 (姑苏区, created
    2012) in a 2010 one. Both are real codes; the marts count them under today's region (苏州)."""
    rows = vacancy_rows(3)
    rows[0]["region_code"] = "320502"
    rows[1]["region_code"], rows[1]["posted_date"] = "320508", "2010-05-01"
    report, _ = _ingest(tmp_path, _csv(tmp_path, rows))
    assert (report.rows_loaded, report.rows_quarantined) == (3, 0)
    [warning] = [w for w in report.warnings if "not in force" in w]
    assert warning.startswith("column region_code: 2 row(s) use a region code in a year it was not in force")
    assert "row 2: '320502' in 2024, in force 1983–2012" in warning
    assert "row 3: '320508' in 2010, in force 2012–" in warning


def test_duplicate_keys_within_a_file(tmp_path: Path) -> None:
    """QUARANTINED: the second row with a posting_id already in the file; the first is loaded."""
    rows = vacancy_rows(3)
    rows[2]["posting_id"] = rows[0]["posting_id"]
    report, q = _ingest(tmp_path, _csv(tmp_path, rows))
    assert (report.rows_loaded, report.rows_quarantined) == (2, 1)
    assert q["reason"][0] == "duplicate key (posting_id='P0') already in row 2 of this file"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("-3", "column headcount: value '-3' is below the minimum 1"),
        ("三", "column headcount: value '三' is not an integer >= 1 <= 10000"),
    ],
)
def test_negative_or_non_numeric_counts(tmp_path: Path, value: str, reason: str) -> None:
    """QUARANTINED with the value and the rule."""
    rows = vacancy_rows(1)
    rows[0]["headcount"] = value
    assert _ingest(tmp_path, _csv(tmp_path, rows))[1]["reason"].to_list() == [reason]


@pytest.mark.parametrize(
    ("value", "loaded"),
    [("12,345.5", "12345.5"), ("1,234", "1234.0"), ("12345,6", None), ("1,23", None), ("1.234,5", None)],
)
def test_decimal_comma_is_refused_not_read_ten_times_too_big(
    tmp_path: Path, value: str, loaded: str | None
) -> None:
    """LOADED when the comma groups thousands (12,345.5); QUARANTINED when it cannot be told from a decimal
    comma (12345,6 was read as 123456.0): the reason says so and asks for a decimal point."""
    rows = vacancy_rows(1)
    rows[0]["salary_min_cny"] = value
    rows[0]["salary_max_cny"] = ""
    report, q = _ingest(tmp_path, _csv(tmp_path, rows))
    if loaded is None:
        expected = (
            f"column salary_min_cny: value '{value}' has a comma that is not a thousands separator (groups "
            "of three digits, e.g. 12,345.6); a decimal comma is refused: write the decimal point '.'"
        )
        assert q["reason"].to_list() == [expected]
    else:
        raw = pl.read_parquet(tmp_path / "raw" / "vacancies" / "*" / "*.parquet")
        assert str(raw["salary_min_cny"][0]) == loaded and report.rows_loaded == 1


def test_a_file_type_the_readers_do_not_take_is_rejected_not_skipped(tmp_path: Path) -> None:
    """REJECTED: every file under the inbox is accounted for; a .doc (or a file with no extension) gets a
    manifest with its error naming the types that are read, and `tw status` lists it."""
    from ingestion.ingest import inbox_files

    inbox = tmp_path / "inbox" / "vacancies"
    inbox.mkdir(parents=True)
    (inbox / "说明.doc").write_bytes(b"\xd0\xcf\x11\xe0 not a table")
    (inbox / "README").write_text("see attached", encoding="utf-8")
    (inbox / ".DS_Store").write_bytes(b"\0")
    assert [p.name for p in inbox_files(tmp_path / "inbox", "vacancies")] == ["README", "说明.doc"]
    for path in inbox_files(tmp_path / "inbox", "vacancies"):
        report, _ = _ingest(tmp_path, path)
        assert report.status == "rejected"
        assert f"{path.name}: unsupported file type" in report.error and ".xls" in report.error


def test_impossible_dates(tmp_path: Path) -> None:
    """QUARANTINED: 2024-02-30 and a closing date before the posting date."""
    rows = vacancy_rows(2)
    rows[0]["posted_date"] = "2024-02-30"
    rows[1]["closed_date"] = "2023-01-01"
    reasons = _ingest(tmp_path, _csv(tmp_path, rows))[1]["reason"].to_list()
    assert reasons == [
        "column posted_date: value '2024-02-30' is not a date YYYY-MM-DD",
        "row rule closed_after_posted: closed_date must not be before posted_date",
    ]


def test_salary_outliers(tmp_path: Path) -> None:
    """QUARANTINED: a monthly salary above 200,000 CNY (a yearly figure or a typo)."""
    rows = vacancy_rows(1)
    rows[0]["salary_max_cny"] = "960000"
    assert _ingest(tmp_path, _csv(tmp_path, rows))[1]["reason"].to_list() == [
        "column salary_max_cny: value '960000' is above the maximum 200000"
    ]


def test_empty_file(tmp_path: Path) -> None:
    """REJECTED: no header row."""
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    report, _ = _ingest(tmp_path, path)
    assert report.status == "rejected" and "empty.csv: file is empty" in report.error


def test_truncated_file(tmp_path: Path) -> None:
    """QUARANTINED: the last row, cut in the middle of a value, lacks required values."""
    text = pl.DataFrame(vacancy_rows(3)).write_csv()
    path = tmp_path / "cut.csv"
    path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 30], encoding="utf-8")
    report, q = _ingest(tmp_path, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert q["source_row"].to_list() == [4] and "missing value" in q["reason"][0]


def test_spreadsheet_with_a_title_row_and_a_total_row(tmp_path: Path) -> None:
    """LOADED: a title row above the headers is passed over (a warning says where the header was found);
    a 合计 (total) row is not data: it is set aside with a warning and reconciled with the rows above it,
    and a total that does not add up is reported with its row, column and both figures."""
    titled = tmp_path / "titled.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年3月企业岗位需求表"])
    ws.append(list(vacancy_rows(1)[0]))
    for r in vacancy_rows(2):
        ws.append(list(r.values()))
    wb.save(titled)
    report, _ = _ingest(tmp_path, titled)
    assert report.status == "loaded" and (report.rows_read, report.rows_loaded) == (2, 2)
    assert "header found at row 2" in " ".join(report.warnings)

    for total, mismatch in ((6, False), (7, True)):
        totals = tmp_path / f"totals_{total}.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(vacancy_rows(1)[0]))
        for r in vacancy_rows(2):
            ws.append(list(r.values()))
        ws.append(["合计", None, None, None, None, None, None, None, total])
        wb.save(totals)
        report, _ = _ingest(tmp_path, totals)
        assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 2, 0)
        warnings = " ".join(report.warnings)
        assert "rows 4: total rows (合计/总计) were not read as data" in warnings
        reported = "row 4 (total): column headcount is 7, but the 2 rows it covers add up to 6" in warnings
        assert reported is mismatch


def test_the_same_file_twice(tmp_path: Path) -> None:
    """LOADED once; the second delivery changes nothing (same SHA-256)."""
    path = _csv(tmp_path, vacancy_rows())
    first, _ = _ingest(tmp_path, path)
    second, _ = _ingest(tmp_path, path)
    assert (first.status, second.status) == ("loaded", "unchanged")
    assert pl.read_parquet(tmp_path / "raw" / "vacancies" / "*" / "part-[0-9a-f]*.parquet").height == 3
