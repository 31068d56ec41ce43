"""The enterprise list's incremental rule (``values_touched_since_last_build``, ``in_values_touched``,
``delete_rows_touched`` in dbt_project/macros/deliveries.sql; ``posted_years_touched`` in
macros/vacancies.sql) rendered with Jinja as dbt would and run in DuckDB on random rounds of deliveries: new
files, files delivered again with postings dropped, changed, moved to another year or to another file, years
that empty. After each round a model of lines by posting year, updated as an incremental build updates it (the
touched years deleted, then appended recomputed), holds what the same model computed whole holds. The
end-to-end test runs the rule inside ``dbt build`` on the sample (tests/e2e/test_incremental.py)."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable

import duckdb
import jinja2

from tests.conftest import REPO

MACROS = [REPO / "dbt_project" / "macros" / f for f in ("deliveries.sql", "vacancies.sql")]


def _macros(incremental: bool, env: dict[str, str]) -> jinja2.environment.TemplateModule:
    """The macros as dbt renders them in a build (``incremental``) with ``env`` as its environment."""
    jinja = jinja2.Environment()
    jinja.globals.update(
        is_incremental=lambda: incremental,
        this="mart",
        source=lambda _source, _feed: "raw_rows",
        env_var=lambda name, default=None: env.get(name, default),
        fromjson=json.loads,
        **{"return": lambda value: value},
    )
    text = "\n".join(path.read_text(encoding="utf-8") for path in MACROS)
    return jinja.from_string(text).module


def _lines(m: jinja2.environment.TemplateModule) -> str:
    """A model like the enterprise list: lines by posting year (and a group within it) from the latest row of
    each posting (staging, built whole here), only the touched years in an incremental build."""
    latest = _macros(False, {}).default__latest_row_per_key("raw_rows", ["posting_id"])
    return (
        f"select {m.posted_year('posted_date')} as year, headcount % 3 as line, count(*) as postings, "
        f"sum(headcount) as people from ({latest}) as postings "
        f"where {m.in_values_touched(m.posted_year('posted_date'), m.posted_years_touched)} group by all"
    )


def _deliver(con: duckdb.DuckDBPyConnection, rng: random.Random, at: dt.datetime, files: dict) -> list:
    """A round: one to three files, new or delivered again; returns the new versions (name, sha256)."""
    versions = []
    for _ in range(rng.randint(1, 3)):
        name = rng.choice([*files, f"f{len(files)}.csv"]) if files else "f0.csv"
        postings = files.get(name) or [f"P{rng.randint(0, 40)}" for _ in range(rng.randint(1, 6))]
        kept = [p for p in postings if rng.random() > 0.2]  # a correction drops some
        kept += [f"P{rng.randint(0, 40)}" for _ in range(rng.randint(0, 2))]  # and takes over others
        files[name] = kept
        sha = f"{rng.getrandbits(64):016x}"
        rows = [
            (
                p,
                dt.date(rng.choice([2020, 2021, 2022, 2023]), rng.randint(1, 12), 1),
                rng.randint(1, 9),
                name,
                sha,
                i,
                at,
            )
            for i, p in enumerate(kept, 1)
        ]
        if rows:
            con.executemany("insert into raw_rows values (?, ?, ?, ?, ?, ?, ?)", rows)
        versions.append([name, sha])
    return versions


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall())


def _update(con: duckdb.DuckDBPyConnection, env: dict[str, str]) -> None:
    m = _macros(True, env)
    con.execute(str(m.delete_rows_touched("year", m.posted_years_touched)))
    con.execute(f"insert into mart {_lines(m)}")


def _check(seed: int, told: Callable[[list], dict[str, str]]) -> None:
    rng = random.Random(seed)
    con = duckdb.connect()
    con.execute(
        "create table raw_rows (posting_id varchar, posted_date date, headcount bigint, source_file varchar, "
        "file_sha256 varchar, source_row bigint, ingested_at timestamptz)"
    )
    files: dict = {}
    whole = _macros(False, {})
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    _deliver(con, rng, at, files)
    con.execute(f"create table mart as {_lines(whole)}")
    for round_number in range(1, 9):
        new = _deliver(con, rng, at + dt.timedelta(days=round_number), files)
        _update(con, told(new))
        assert _rows(con, "select * from mart") == _rows(con, _lines(whole)), (seed, round_number)


def test_an_incremental_update_equals_the_whole_model() -> None:
    for seed in range(12):
        _check(seed, lambda new: {"TW_NEW_FILE_VERSIONS": json.dumps({"vacancies": new})})


def test_without_the_new_versions_every_year_is_recomputed() -> None:
    for seed in range(2):
        _check(seed, lambda new: {})
    for seed in range(2):  # another feed named only
        _check(seed, lambda new: {"TW_NEW_FILE_VERSIONS": json.dumps({"graduate_destinations": new})})


def test_only_the_years_of_the_touched_postings_are_recomputed() -> None:
    """A new file of 2023 postings, one of which was a 2021 posting: 2021 and 2023 are touched, 2020 and 2022
    are not, whatever their rows; a name with a quote is quoted."""
    con = duckdb.connect()
    con.execute(
        "create table raw_rows (posting_id varchar, posted_date date, headcount bigint, source_file varchar, "
        "file_sha256 varchar, source_row bigint, ingested_at timestamptz)"
    )
    jan, feb = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    rows = [
        ("P1", dt.date(2020, 5, 1), 1, "old.csv", "s1", 1, jan),
        ("P2", dt.date(2021, 5, 1), 1, "old.csv", "s1", 2, jan),
        ("P3", dt.date(2022, 5, 1), 1, "old.csv", "s1", 3, jan),
        ("P2", dt.date(2023, 5, 1), 1, "new's.csv", "s2", 1, feb),
        ("P4", dt.date(2023, 6, 1), 1, "new's.csv", "s2", 2, feb),
    ]
    con.executemany("insert into raw_rows values (?, ?, ?, ?, ?, ?, ?)", rows)
    m = _macros(True, {"TW_NEW_FILE_VERSIONS": json.dumps({"vacancies": [["new's.csv", "s2"]]})})
    assert _rows(con, str(m.posted_years_touched())) == [(2021,), (2023,)]
    assert str(_macros(False, {}).delete_rows_touched("year", m.posted_years_touched)) == ""
