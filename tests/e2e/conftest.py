"""One PostgreSQL endpoint per test session (per xdist worker), with releases published through the project's
own code: a build database → ``stage_candidate`` → ``publish`` (DuckDB) → ``load_release`` (PostgreSQL).

The release is small but shaped like the real ones (a mart keyed by region and year, a dimension it
references, a second mart whose region codes are not all in the dimension), with every column type the
clients must read: text with Chinese, integers, decimals, doubles, dates, timestamps, booleans, lists and
nulls. Releases differ only in ``vacancy_headcount`` (``value + i``) and ``release_info``, so a test that
reads other columns does not depend on which release is current.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from publication.postgres import LoadReport, TableDoc, load_release
from publication.release import publish, stage_candidate
from tests.postgres_server import Endpoint, embedded_endpoint, server_home

TABLES = (("marts", "mart_talent_match"), ("marts", "mart_talent_outflow"), ("reference", "dim_region"))
KEYS = {
    "mart_talent_match": ["region_code", "year"],
    "mart_talent_outflow": ["region_code"],
    "dim_region": ["region_code"],
}
DOCS = {
    "mart_talent_match": TableDoc(
        "人才供需匹配 Talent match — region × year.",
        {
            "region_code": "GB/T 2260 code in force today (地区代码).",
            "vacancy_headcount": "岗位需求人数 Vacancy headcount. Caveat: postings of job boards only.",
        },
    ),
    "dim_region": TableDoc("行政区划 Regions in force today.", {"region_name": "Region name (地区名称)."}),
}
REGIONS = 200
YEARS = range(2000, 2025)
MATCH_ROWS = REGIONS * len(YEARS)


def released_rows(
    build: Path,
    releases: Path,
    release_id: str,
    tables: tuple[tuple[str, str], ...],
    queries: tuple[str, ...],
    suppression_k: float = 0,
) -> list[list[tuple]]:
    """Stage ``tables`` of ``build`` as a release candidate (small-cell suppression at ``suppression_k``) and
    return the rows of each query on it: the figures as published."""
    candidate = stage_candidate(build, releases, release_id, tables, suppression_k=suppression_k)
    con = duckdb.connect(str(candidate.database), read_only=True)
    try:
        return [con.sql(query).fetchall() for query in queries]
    finally:
        con.close()


def build_database(path: Path, value: int, extra_column: bool = False) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema reference")
    con.execute(
        f"""create table reference.dim_region as select printf('32%04d', i) as region_code,
            case when i = 5 then '苏州市' else '城市' || i end as region_name
        from range(1, {REGIONS + 1}) t(i)"""
    )
    con.execute(
        f"""create table marts.mart_talent_match as select d.region_code, d.region_name, y::integer as year,
            (1818.5 + y - 2000)::decimal(18,4) as graduates_supplied,
            ({value} + row_number() over (order by d.region_code, y))::bigint as vacancy_headcount,
            0.75::double as major_fit_rate, date '2024-08-31' + (y - 2000)::integer as survey_date,
            timestamp '2024-09-01 08:30:00' as computed_at, y % 2 = 0 as is_published,
            ['6-22-02-01', '2-02-10-08']::varchar[] as occupation_codes,
            case when y % 7 = 0 then null else 'note "quoted", with comma' end as note
            {", 1.5::double as new_indicator" if extra_column else ""}
        from reference.dim_region d cross join range({YEARS.start}, {YEARS.stop}) r(y)"""
    )
    con.execute(
        """create table marts.mart_talent_outflow as select region_code, 10::bigint as graduates
        from reference.dim_region union all select '999999', 1"""
    )
    con.close()
    return path


@dataclass
class Warehouse:
    """A TW_HOME with a running endpoint; ``publish(value)`` makes and switches in a new release."""

    home: Path
    endpoint: Endpoint
    values: dict[str, int] = field(default_factory=dict)  # release id → its value
    reports: list[LoadReport] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def releases(self) -> Path:
        return self.home / "releases"

    def publish(self, value: int, grace: timedelta = timedelta(hours=24), extra_column: bool = False) -> str:
        release_id = f"20260101T000000{next(self._ids):06d}Z-test{value}"
        work = self.home / "work"
        work.mkdir(exist_ok=True)
        gate = work / "gate.json"
        gate.write_text(json.dumps({"passed": True, "results_dir": str(work), "suites": []}))
        build = build_database(work / f"build-{release_id}.duckdb", value, extra_column)
        publish(stage_candidate(build, self.releases, release_id, TABLES), self.releases, [], [gate], keep=10)
        self.values[release_id] = value
        self.reports.append(load_release(self.endpoint.admin, self.releases / release_id, KEYS, DOCS, grace))
        return release_id


@pytest.fixture(scope="session")
def warehouse() -> Iterator[Warehouse]:
    with server_home() as home, embedded_endpoint(home) as endpoint:
        w = Warehouse(home, endpoint)
        w.publish(100)
        yield w
