"""The SQL endpoint with real clients: psql, psycopg and SQLAlchemy's PostgreSQL dialect.

A small release is built here (two tables, Chinese text, decimals, dates, booleans) and published with the
project's own release code; a second release is published while a client stays connected.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
import sqlalchemy as sa

from publication.release import publish, stage_candidate
from serving.endpoint import serve

pytestmark = pytest.mark.e2e
PSQL = shutil.which("psql")


def _build(tmp: Path, value: int) -> Path:
    db = tmp / f"build-{value}.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create schema reference")
    con.execute(f"""create table marts.mart_talent_match as select '320500' as region_code,
        '苏州市' as region_name, 2024::integer as year, 1818.5::decimal(18,4) as graduates_supplied,
        {value}::bigint as vacancy_headcount,
        0.75::double as major_fit_rate, date '2024-08-31' as survey_date, true as is_published""")
    con.execute(
        "create table reference.dim_region as select '320500' as region_code, '苏州市' as region_name"
    )
    con.close()
    return db


def _release(tmp: Path, releases: Path, value: int, release_id: str) -> None:
    gate = tmp / "gate.json"
    gate.write_text(json.dumps({"passed": True, "results_dir": str(tmp), "suites": []}))
    cand = stage_candidate(
        _build(tmp, value),
        releases,
        release_id,
        (("marts", "mart_talent_match"), ("reference", "dim_region")),
    )
    publish(cand, releases, [], [gate])


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("endpoint")
    releases = tmp / "releases"
    _release(tmp, releases, 100, "r1")
    server = serve("127.0.0.1", 0, releases, {"analyst": "s3cret"})
    yield {"port": server.server_address[1], "tmp": tmp, "releases": releases, "server": server}
    server.shutdown()
    server.server_close()


def _dsn(endpoint: dict, password: str = "s3cret") -> str:
    return f"host=127.0.0.1 port={endpoint['port']} user=analyst password={password} dbname=warehouse"


def test_psycopg_types_chinese_text_and_parameters(endpoint: dict) -> None:
    with psycopg.connect(_dsn(endpoint)) as con:
        row = con.execute(
            "select region_code, region_name, year, graduates_supplied, vacancy_headcount, "
            "major_fit_rate, survey_date, is_published from mart_talent_match "
            "where region_code = %s",
            ("320500",),
        ).fetchone()
    assert row[:6] == ("320500", "苏州市", 2024, Decimal("1818.5000"), 100, 0.75)
    assert str(row[6]) == "2024-08-31" and row[7] is True


def test_psycopg2_the_driver_superset_uses(endpoint: dict) -> None:
    import psycopg2

    con = psycopg2.connect(_dsn(endpoint))
    try:
        cur = con.cursor()
        cur.execute("select region_name, vacancy_headcount from mart_talent_match where year = %s", (2024,))
        assert cur.fetchall() == [("苏州市", 100)]
    finally:
        con.close()


def test_wrong_password_is_refused(endpoint: dict) -> None:
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(_dsn(endpoint, "wrong"))


def test_catalog_queries_bi_tools_send(endpoint: dict) -> None:
    with psycopg.connect(_dsn(endpoint), autocommit=True) as con:
        con.execute("SET extra_float_digits = 3")
        con.execute("SET application_name = 'Metabase'")
        assert con.execute("SHOW server_version").fetchone()[0] == "9.4"
        assert con.execute("select version()").fetchone()[0].startswith("PostgreSQL 9.4")
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        assert {"mart_talent_match", "dim_region", "release_info"} <= tables
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'mart_talent_match' order by ordinal_position"
        ).fetchall()
        assert columns[0] == ("region_code", "VARCHAR") and len(columns) == 8
        rel = con.execute(
            "select c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n "
            "on n.oid = c.relnamespace where n.nspname = 'main' order by 1"
        ).fetchall()
        assert ("mart_talent_match",) in rel


@pytest.mark.parametrize(
    "sql",
    [
        "create table x (a int)",
        "insert into mart_talent_match select * from mart_talent_match",
        "update mart_talent_match set vacancy_headcount = 0",
        "delete from mart_talent_match",
        "drop table mart_talent_match",
        "alter table mart_talent_match add column y int",
        "copy mart_talent_match to '/tmp/leak.csv'",
        "attach '/tmp/other.duckdb' as other",
        "install httpfs",
        "load httpfs",
        "pragma enable_profiling",
    ],
)
def test_writes_ddl_and_file_access_are_refused(endpoint: dict, sql: str) -> None:
    with psycopg.connect(_dsn(endpoint)) as con, pytest.raises(psycopg.Error, match="read-only"):
        con.execute(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "select * from read_csv('/etc/passwd')",
        "select * from read_parquet('/tmp/*.parquet')",
        "select * from glob('/etc/*')",
    ],
)
def test_file_reading_functions_are_refused_by_the_engine(endpoint: dict, sql: str) -> None:
    with (
        psycopg.connect(_dsn(endpoint)) as con,
        pytest.raises(psycopg.Error, match="disabled by configuration"),
    ):
        con.execute(sql)


def test_sqlalchemy_postgresql_dialect(endpoint: dict) -> None:
    engine = sa.create_engine(f"postgresql+psycopg://analyst:s3cret@127.0.0.1:{endpoint['port']}/warehouse")
    with engine.connect() as con:
        inspector = sa.inspect(con)
        assert "mart_talent_match" in inspector.get_table_names()
        types = {c["name"]: type(c["type"]).__name__ for c in inspector.get_columns("mart_talent_match")}
        assert types == {
            "region_code": "VARCHAR",
            "region_name": "VARCHAR",
            "year": "INTEGER",
            "graduates_supplied": "NUMERIC",
            "vacancy_headcount": "BIGINT",
            "major_fit_rate": "DOUBLE_PRECISION",
            "survey_date": "DATE",
            "is_published": "BOOLEAN",
        }
        value = con.execute(
            sa.text("select sum(vacancy_headcount) from mart_talent_match where year = :y"), {"y": 2024}
        ).scalar()
    engine.dispose()
    assert value == 100


@pytest.mark.skipif(PSQL is None, reason="psql is not installed (.ci/run installs postgresql-client)")
def test_psql_client(endpoint: dict) -> None:
    def psql(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                PSQL,
                "-h",
                "127.0.0.1",
                "-p",
                str(endpoint["port"]),
                "-U",
                "analyst",
                "-d",
                "warehouse",
                "-X",
                "-A",
                "-t",
                "-c",
                command,
            ],
            env={**os.environ, "PGPASSWORD": "s3cret"},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    out = psql("select region_name, vacancy_headcount from mart_talent_match")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "苏州市|100"
    listing = psql("\\dt")
    assert listing.returncode == 0 and "mart_talent_match" in listing.stdout, listing.stderr
    described = psql("\\d mart_talent_match")
    assert described.returncode == 0, described.stderr
    assert (
        "vacancy_headcount|bigint" in described.stdout and "region_name|character varying" in described.stdout
    )
    refused = psql("drop table mart_talent_match")
    assert refused.returncode != 0 and "read-only" in refused.stderr


def test_several_clients_and_a_release_switch_between_queries(endpoint: dict) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def client() -> None:
        try:
            with psycopg.connect(_dsn(endpoint)) as con:
                for _ in range(20):
                    results.append(
                        con.execute("select vacancy_headcount from mart_talent_match").fetchone()[0]
                    )
        except BaseException as exc:
            errors.append(exc)

    with psycopg.connect(_dsn(endpoint)) as held:
        assert held.execute("select vacancy_headcount from mart_talent_match").fetchone()[0] == 100
        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        _release(endpoint["tmp"], endpoint["releases"], 200, "r2")  # published while clients are connected
        for t in threads:
            t.join()
        # the held connection moves to the new release at its next query
        assert held.execute("select vacancy_headcount from mart_talent_match").fetchone()[0] == 200
        assert held.execute("select release_id from release_info").fetchone()[0] == "r2"
    assert not errors and len(results) == 80 and set(results) <= {100, 200}
    # once no session reads the old release any more, the endpoint closes it
    with psycopg.connect(_dsn(endpoint)) as con:
        assert con.execute("select release_id from release_info").fetchone()[0] == "r2"
    assert endpoint["server"].conn.releases.open_releases() == ["r2"]
