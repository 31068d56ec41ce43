"""A statistical-yearbook table, end to end: onboarded through the profile `tw inspect` proposes, published in
the province / 三次产业 view of mart_industry_structure with its figures unchanged (issue #17, item 2 and
its "done when").

The file is shaped like the yearbooks offices hold (tests/fixtures/delivered/README.md): .xls, a title
row, a five-row bilingual header (Chinese, English, unit in Chinese, unit in English, column numbers),
cities as names padded with spaces, a 全省 total row, 第一/第二/第三产业 columns of 地区生产总值 in
亿元. Nothing is written by hand but the one key of the proposed profile a person has to decide: which
measure the cells are (地区生产总值 by 产业 is value added; 总产值 would be in 亿元 too).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import xlwt
import yaml

from devtools.dbt_cli import run_dbt
from ingestion.ingest import SEEDS_DIR, ingest_inbox
from ingestion.names import name_lookups
from ingestion.onboarding import propose, render
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


def _write(inbox: Path) -> Path:
    folder = inbox / "industry_output"
    folder.mkdir(parents=True)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("2-6")
    for i, row in enumerate(TABLE):
        for j, value in enumerate(row):
            if value != "":
                sheet.write(i, j, value)
    path = folder / "表2-6各市地区生产总值.xls"
    book.save(str(path))
    return path


def _onboard(path: Path) -> None:
    """What a person does: run `tw inspect`, save its proposal beside the file, fill in each '?'."""
    proposal = propose(path, names=name_lookups(SEEDS_DIR))
    assert (proposal.header.start + 1, proposal.header.depth) == (2, 5)  # rows 2-6, under the title
    assert proposal.unknown == ["unpivot.value"], render(proposal)
    proposed = yaml.safe_load(proposal.profile_yaml)
    # each column's name: its header lines joined, the line of column numbers (甲 1 2 3 4) left out
    sector_texts = [" / ".join(dict.fromkeys(row[j] for row in HEADER[:-1] if row[j])) for j in SECTORS]
    assert sector_texts[0] == "第一产业 / Primary Industry / (亿元) / (100 million yuan)"
    assert proposed == {
        "files": path.name,
        "header_rows": [2, 3, 4, 5, 6],
        "unpivot": {
            "key": "industry_code",
            "value": "?",
            "columns": {text: SECTORS[j] for j, text in zip(SECTORS, sector_texts, strict=True)},
        },
        "constants": {"period": "2021"},  # from the title
    }, proposal.profile_yaml
    # the one edit: which measure the cells are; offered as one of the two in 亿元
    assert "one of output_value_100m_cny, value_added_100m_cny" in proposal.profile_yaml
    edited = {**proposed, "unpivot": {**proposed["unpivot"], "value": "value_added_100m_cny"}}
    saved = path.with_name(path.name + ".profile.yml")
    saved.write_text(yaml.safe_dump(edited, allow_unicode=True, sort_keys=False), "utf-8")
    # run again, `tw inspect` shows the rows as the saved profile reads them
    again = propose(path, names=name_lookups(SEEDS_DIR))
    assert again.saved_profile == saved and again.sample is not None, render(again)
    assert again.sample.filter(pl.col("reason") != "").height == 0, render(again)


def test_a_yearbook_table_appears_unchanged_in_the_published_province_sector_view(tmp_path: Path) -> None:
    _onboard(_write(tmp_path / "inbox"))
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
