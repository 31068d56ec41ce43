"""Readers: every format and encoding gives the same canonical text frame."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ingestion.contracts import INDUSTRY_OUTPUT, VACANCIES
from ingestion.readers import FeedFileError, detect_encoding, read_feed_file
from tests.conftest import vacancy_rows

CHINESE = {c.name: c.aliases[0] for c in VACANCIES.columns}


def _expected() -> pl.DataFrame:
    return pl.DataFrame(vacancy_rows()).with_columns(pl.col("closed_date").replace("", None))


def _assert_same(frame: pl.DataFrame) -> None:
    expected = _expected()
    got = frame.drop("source_row").with_columns(pl.all().replace("", None))  # '' and null both mean empty
    assert got.columns == VACANCIES.column_names
    for col in expected.columns:
        assert got[col].to_list() == expected[col].to_list(), col


def test_utf8_csv_english_headers(vacancies_csv: Path) -> None:
    raw = read_feed_file(vacancies_csv, VACANCIES)
    assert raw.encoding == "utf-8"
    _assert_same(raw.frame)
    assert raw.frame["source_row"].to_list() == [2, 3, 4]  # header is row 1


def test_utf8_bom_csv(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + pl.DataFrame(vacancy_rows()).write_csv().encode("utf-8"))
    _assert_same(read_feed_file(path, VACANCIES).frame)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gbk_csv_chinese_headers(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "岗位.csv"
    path.write_bytes(pl.DataFrame(vacancy_rows()).rename(CHINESE).write_csv().encode(encoding))
    assert detect_encoding(path) == "gb18030"
    raw = read_feed_file(path, VACANCIES)
    assert raw.encoding == "gb18030"
    _assert_same(raw.frame)


def test_xlsx_with_numbers_and_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "vacancies.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = vacancy_rows()
    ws.append([CHINESE[c] for c in rows[0]])
    for r in rows:
        ws.append([int(v) if k == "headcount" else (v or None) for k, v in r.items()])
    wb.save(path)
    raw = read_feed_file(path, VACANCIES)
    assert raw.frame["headcount"].to_list() == ["3", "3", "3"]
    _assert_same(raw.frame)


def test_parquet_with_typed_and_list_columns(tmp_path: Path) -> None:
    path = tmp_path / "vacancies.parquet"
    df = pl.DataFrame(vacancy_rows()).with_columns(
        pl.col("headcount").cast(pl.Int64),
        pl.col("required_major_codes").str.split(";"),
        pl.col("closed_date").replace("", None),
    )
    df.write_parquet(path)
    _assert_same(read_feed_file(path, VACANCIES).frame)


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "no_region.csv"
    pl.DataFrame(vacancy_rows()).drop("region_code").write_csv(path)
    with pytest.raises(FeedFileError) as err:
        read_feed_file(path, VACANCIES)
    message = str(err.value)
    assert "no_region.csv" in message and "region_code" in message and "工作地区代码" in message


def test_extra_column_is_ignored_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    pl.DataFrame(vacancy_rows()).with_columns(pl.lit("x").alias("备注")).write_csv(path)
    raw = read_feed_file(path, VACANCIES)
    assert any("备注" in w for w in raw.warnings)
    _assert_same(raw.frame)


def test_missing_optional_column_is_loaded_empty(tmp_path: Path) -> None:
    path = tmp_path / "output.csv"
    pl.DataFrame(
        {
            "period": ["2024"],
            "region_code": ["320500"],
            "industry_code": ["36"],
            "output_value_100m_cny": ["12.5"],
        }
    ).write_csv(path)
    raw = read_feed_file(path, INDUSTRY_OUTPUT)
    assert raw.frame["employment_10k"].to_list() == [None]
    assert any("employment_10k" in w for w in raw.warnings)


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(FeedFileError, match=r"empty\.csv: file is empty"):
        read_feed_file(path, VACANCIES)


def test_unsupported_type_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "vacancies.json"
    path.write_text("{}")
    with pytest.raises(FeedFileError, match="unsupported file type"):
        read_feed_file(path, VACANCIES)


def test_a_total_row_is_reconciled_on_counts_only(tmp_path: Path) -> None:
    """A 合计 row sums the counts of the rows above it; a year, whether a column of the file or a constant of
    the profile, and a rate sum nothing: only a count that does not add up is reported."""
    from ingestion.contracts import FEEDS
    from ingestion.profiles import parse_profile

    contract = FEEDS["graduate_destination_counts"]
    path = tmp_path / "counts.csv"
    header = "学校代码,专业代码,层次,毕业去向,统计截止日期,毕业生人数"
    rows = ["S001,460701,higher,further_study,2024-08-31,6", "S001,460701,higher,not_employed,2024-08-31,7"]
    for total, reported in ((13, False), (14, True)):
        path.write_text("\n".join([header, *rows, f"合计,,,,,{total}"]), "utf-8")
        profile = parse_profile(
            tmp_path / "counts.profile.yml",
            "files: counts.csv\nconstants: {grad_year: '2024', school_region_code: '320500'}\n",
            contract,
        )
        warnings = read_feed_file(path, contract, profile).warnings
        assert "rows 4: total rows (合计/总计) were not read as data" in warnings
        assert not [w for w in warnings if "grad_year" in w], warnings
        mismatch = "row 4 (total): column graduates is 14, but the 2 rows it covers add up to 13"
        assert (mismatch in warnings) is reported, warnings
