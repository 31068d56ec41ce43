"""The targets of issue #20 (benchmarks/targets.py): which apply at a scale, and met or missed."""

from __future__ import annotations

import dataclasses

from benchmarks.targets import TARGETS, Figures, assess, table

M = Figures(
    scale="M",
    rows_in=3_000_000,
    full_refresh_s=60.0,
    ingest_s=10.0,
    dbt_build_s=20.0,
    checks_s=4.0,
    publish_s=3.0,
    startup_s=2.0,
    incremental_s=5.0,
    nothing_new_s=0.5,
    minimal_floor_s=12.0,
    minimal_floor_marts="17 of 17",
    pandas_s=30.0,
    pandas_marts="17 of 17",
    peak_rss_gib=2.0,
    endpoint_p95_ms=20.0,
)


def _status(rows: list[dict[str, str]]) -> dict[str, str]:
    return {r["target"]: r["status"] for r in rows}


def test_each_target_is_assessed_at_its_scales_only() -> None:
    rows = assess(M)
    assert len(rows) == sum("M" in t.scales for t in TARGETS)
    assert not any(r["target"].startswith("ingest") or r["target"].startswith("peak") for r in rows)  # L only
    at_l = assess(dataclasses.replace(M, scale="L"))
    assert {r["target"] for r in at_l} >= {"ingest, rows a second", "peak memory of the full refresh"}


def test_met_and_missed_follow_the_limits() -> None:
    status = _status(assess(M))
    assert status["full refresh"] == "**missed**"  # 60 s > 30 s
    assert status["one new month of vacancies, ÷ the full refresh"] == "met"  # 8% ≤ 10%
    assert status["start-up, checks and publication together"] == "met"  # 9 s ≤ 10 s
    assert status["dbt build (models and tests), × the minimal floor"] == "met"  # 1.67×
    assert status["transformation (dbt build) faster than pandas, ×"] == "**missed**"  # 1.5× < 2×
    faster = _status(assess(dataclasses.replace(M, pandas_s=40.0, full_refresh_s=30.0)))
    assert faster["transformation (dbt build) faster than pandas, ×"] == "met"  # at least: 2.0× is met
    assert faster["full refresh"] == "met"  # at most: 30 s is met


def test_the_table_names_the_limit_and_the_figure() -> None:
    text = table(assess(M))
    assert "| M | full refresh | ≤ 30.0 s | 60.0 s | **missed** |" in text
    assert "start-up 2.0 s, checks 4.0 s, publication 3.0 s" in text
