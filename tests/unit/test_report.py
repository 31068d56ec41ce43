"""The release report (publication/report.py) on a tiny candidate: the shortage table shows each row by its
own rule, and the page carries the caveat that 岗位供需比 is not the official 求人倍率."""

from __future__ import annotations

from pathlib import Path

from publication.report import render_report, report_data
from tests.databases import SHORTAGE_OCCUPATION_ROWS, candidate_database

CELL = {"region_level": "prefecture", "region_code": "320500", "region_name": "苏州市", "year": 2024}
ROWS = {
    "mart_talent_match": [],
    "mart_graduate_flows": [],
    "mart_talent_outflow": [],
    "mart_shortage_industries": [],
    "mart_shortage_occupations": [
        {**CELL, **row, "occupation_name": name}
        for row, name in zip(SHORTAGE_OCCUPATION_ROWS, ("工程技术人员", "汽车整车制造人员"), strict=True)
    ],
}


def test_the_shortage_table_shows_each_row_by_the_rule_it_is_ranked_by(tmp_path: Path) -> None:
    database = candidate_database(tmp_path / "warehouse.duckdb", ROWS)
    shown = {r["code"]: r for r in report_data(database)["shortage"]}
    seekers, graduates = shown["6-22"], shown["2-02"]
    assert (seekers["shortage_gap"], seekers["ratio"], seekers["vacancy_headcount"], seekers["supply"]) == (
        70,
        2.4,
        120,
        50,
    )
    assert (graduates["shortage_gap"], graduates["ratio"], graduates["vacancy_headcount"]) == (80, 9.0, 90)
    assert graduates["supply"] == 10

    page = render_report(database, {"release_id": "r1", "published_at": "2026-01-01T08:00:00+00:00"})
    assert "岗位供需比, vacancies per graduate supplied" in " ".join(page.split())
    assert "not the public employment service's 求人倍率" in " ".join(page.split())
