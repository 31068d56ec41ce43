"""A statistical-yearbook table, end to end: loaded through a source profile, published in the
province / 三次产业 view of mart_industry_structure with its figures unchanged (issue #17, item 2).

The file is shaped like the yearbooks offices hold (tests/fixtures/delivered/README.md): .xls, a title
row, a five-row bilingual header (Chinese, English, unit in Chinese, unit in English, column numbers),
cities as names padded with spaces, a 全省 total row, 第一/第二/第三产业 columns of 地区生产总值 in
亿元. Only the profile is written by hand: the year, the header rows and the three sector columns
unpivoted into value added.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xlwt
import yaml

from devtools.dbt_cli import run_dbt
from ingestion.ingest import ingest_inbox
from tests.e2e.conftest import released_rows

pytestmark = pytest.mark.e2e

HEADER = [
    ["地  区", "地区生产总值", "第一产业", "第二产业", "第三产业"],
    ["Region", "Gross Regional Product", "Primary Industry", "Secondary Industry", "Tertiary Industry"],
    ["", "(亿元)", "(亿元)", "(亿元)", "(亿元)"],
    ["", "(100 million yuan)", "(100 million yuan)", "(100 million yuan)", "(100 million yuan)"],
    ["甲", "1", "2", "3", "4"],
]
CITIES = [  # zj2021.xlsx's figures for 2021
    ["杭  州  市", 18109.42, 333.49, 5488.62, 12287.31],
    ["宁  波  市", 14594.92, 356.16, 6997.17, 7241.59],
]
TABLE = [
    ["表 2-6  各市地区生产总值（2021年）", "", "", "", ""],
    *HEADER,
    *CITIES,
    ["全  省", 32704.34, 689.65, 12485.79, 19528.90],
    ["注：本表按当年价格计算。", "", "", "", ""],
]
SECTORS = {2: "primary", 3: "secondary", 4: "tertiary"}


def _text(j: int) -> str:
    return " / ".join(dict.fromkeys(row[j] for row in HEADER if row[j]))


def _write(inbox: Path) -> None:
    folder = inbox / "industry_output"
    folder.mkdir(parents=True)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("2-6")
    for i, row in enumerate(TABLE):
        for j, value in enumerate(row):
            if value != "":
                sheet.write(i, j, value)
    book.save(str(folder / "表2-6各市地区生产总值.xls"))
    profile = {
        "files": "表2-6*.xls",
        "header_rows": [2, 3, 4, 5, 6],
        "constants": {"period": "2021"},
        "unpivot": {
            "key": "industry_code",
            "value": "value_added_100m_cny",
            "columns": {_text(j): code for j, code in SECTORS.items()},
        },
        "region_province": "330000",
    }
    (folder / "表2-6.profile.yml").write_text(yaml.safe_dump(profile, allow_unicode=True), "utf-8")


def test_a_yearbook_table_appears_unchanged_in_the_published_province_sector_view(tmp_path: Path) -> None:
    _write(tmp_path / "inbox")
    reports = ingest_inbox(tmp_path / "inbox", tmp_path / "raw", b"k")
    (report,) = [r for r in reports if r.status != "unchanged" and r.rows_read]
    assert (report.status, report.rows_loaded, report.rows_quarantined) == ("loaded", 6, 0), report
    run_dbt(
        ["build", "--select", "+mart_industry_structure", "--indirect-selection", "cautious"],
        raw_dir=tmp_path / "raw",
        build_db=tmp_path / "build.duckdb",
        target_dir=tmp_path / "target",
    )
    (rows,) = released_rows(
        tmp_path / "build.duckdb",
        tmp_path / "releases",
        "20260101T000000Z-yearbook",
        (("marts", "mart_industry_structure"),),  # the mart declares no count of persons: nothing to mask
        (
            (
                "select region_level, region_code, industry_grain, industry_code, output_100m_cny, "
                "output_measure, output_value_100m_cny, value_added_100m_cny, cities_reported "
                "from mart_industry_structure "
                "where year = 2021 order by region_level, region_code, industry_code"
            ),
        ),
    )
    expected = []
    for code, city in (("330100", CITIES[0]), ("330200", CITIES[1])):
        for j, sector in sorted(SECTORS.items(), key=lambda kv: kv[1]):
            expected.append(
                ("prefecture", code, "sector", sector, city[j], "value_added", None, city[j], None)
            )
    for j, sector in sorted(SECTORS.items(), key=lambda kv: kv[1]):
        total = CITIES[0][j] + CITIES[1][j]
        expected.append(("province", "330000", "sector", sector, total, "value_added", None, total, 2))
    assert [r[:4] for r in rows] == [e[:4] for e in expected]
    for got, want in zip(rows, expected, strict=True):
        assert got[4] == pytest.approx(want[4]) and got[7] == pytest.approx(want[7]), got
        assert got[5:7] == want[5:7] and got[8] == want[8], got
