"""The minimal floor's statements are whole: every helper a query names is inlined with its arguments, every
placeholder filled (benchmarks/minimal_floor.py: helper, query)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.minimal_floor import helper, marts, query


def test_a_helper_is_inlined_with_its_arguments_and_without_its_comments() -> None:
    sql = helper("latest_delivery", "feed=enrolment; key=year, school_code")
    assert "read_parquet('{raw}/enrolment/*/*.parquet'" in sql
    assert "partition by year, school_code order by ingested_at desc" in sql
    assert "--" not in sql and "{feed}" not in sql and "{key}" not in sql


@pytest.mark.parametrize("mart", marts())
def test_every_statement_is_complete(mart: str) -> None:
    sql = query(mart, Path("/raw"))
    assert "{" not in sql and "}" not in sql, mart
    assert "read_parquet('/raw/" in sql
