"""The targets of issue #20 (benchmarks/targets.py): which apply at a scale, and met or missed."""

from __future__ import annotations

import dataclasses

from benchmarks.targets import TARGETS, Figures, assess, table

M = Figures(  # in the order Figures declares its fields
    *("M", 3_000_000),
    *(60.0, 10.0, 20.0, 4.0, 3.0, 2.0),  # full refresh, ingest, dbt build, checks, publish, start-up (s)
    *(5.0, 0.5),  # incremental, nothing new (s)
    *(12.0, "17 of 17", 30.0, "17 of 17"),  # the minimal floor and pandas: seconds, marts computed
    *(2.0, 20.0),  # peak RSS (GiB), endpoint p95 (ms)
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
