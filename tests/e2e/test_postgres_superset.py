"""Apache Superset against the SQL endpoint, driven through its REST API as an analyst's BI tool: add the
database (psycopg2, TLS, a read-only analyst), list schemas and tables, preview a table in SQL Lab, create a
dataset and sync its columns, run a chart query with a metric and a group-by. The answers are checked against
the DuckDB release the endpoint serves (tests/e2e/conftest.py).

The Superset test tier: Superset lives in a virtualenv of its own (``make test-superset`` makes
build/superset/venv from tests/superset/requirements.txt). Marked ``superset``, so ``make test`` leaves it
out (tests/conftest.py); ``make test-superset`` runs it, and so does CI, as a step of its own. Without the
virtualenv, or when Superset does not start, the tests fail: they never skip.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import REPO
from tests.e2e.conftest import Warehouse
from tests.postgres_server import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.superset]

SUPERSET = REPO / "build" / "superset" / "venv" / "bin" / "superset"
CONFIG = REPO / "tests" / "superset" / "superset_config.py"
ANALYST, ANALYST_PASSWORD = "superset_reader", "bi-tool-pw-7"
SETUP_TIMEOUT_SECONDS = 900  # each of db upgrade, create-admin, init: 1-2 minutes on a busy 2-core machine
START_TIMEOUT_SECONDS = 300


@dataclass
class Api:
    """Superset's REST API as its web client uses it: a JWT from /security/login, then a CSRF token (with the
    session cookie it belongs to) for every request that changes something."""

    base: str
    headers: dict[str, str] = field(default_factory=dict)
    opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
    )

    def call(self, method: str, path: str, body: object = None, expect: int = 200) -> Any:
        status, answer = self.request(method, path, body)
        assert status == expect, f"{method} {path}: HTTP {status}: {answer}"
        return answer

    def request(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Referer": self.base, **self.headers}
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=300) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return status, raw.decode(errors="replace")[:2000]

    def login(self, user: str, password: str) -> None:
        login = {"username": user, "password": password, "provider": "db", "refresh": False}
        self.headers["Authorization"] = (
            "Bearer " + self.call("POST", "/api/v1/security/login", login)["access_token"]
        )
        self.headers["X-CSRFToken"] = self.call("GET", "/api/v1/security/csrf_token/")["result"]

    def sql(self, database_id: int, query: str, limit: int = 1000) -> tuple[int, Any]:
        """SQL Lab: run a query synchronously, as the editor does (with its row limit, which Superset puts in
        place of the query's own LIMIT)."""
        body = {"database_id": database_id, "sql": query, "schema": "warehouse", "runAsync": False,
                "queryLimit": limit}  # fmt: skip
        return self.request("POST", "/api/v1/sqllab/execute/", body)


def _healthy(api: Api) -> bool:
    try:
        return api.request("GET", "/health") == (200, "OK")
    except urllib.error.URLError:  # not listening yet
        return False


def _run(args: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"\n$ superset {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(
            [str(SUPERSET), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=SETUP_TIMEOUT_SECONDS,
        )
    if done.returncode != 0:
        pytest.fail(f"superset {args[0]} failed ({done.returncode}):\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def superset() -> Iterator[Api]:
    """Superset 6.1 set up from nothing (SQLite metadata database, an admin) and serving on 127.0.0.1. Its
    home is not under pytest's temporary root, which another pytest session may prune meanwhile."""
    if not SUPERSET.exists():
        pytest.fail(f"{SUPERSET} is missing: run `make test-superset` (it makes the virtualenv)")
    with tempfile.TemporaryDirectory(prefix="tw-superset-test-") as home:
        yield from _superset(Path(home))


def _superset(home: Path) -> Iterator[Api]:
    log = home / "superset.log"
    env = {
        "PATH": f"{SUPERSET.parent}:{os.defpath}",
        "HOME": str(home),
        "SUPERSET_HOME": str(home),
        "SUPERSET_CONFIG_PATH": str(CONFIG),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(32),
        "FLASK_APP": "superset",
        "LC_ALL": "C.UTF-8",
    }
    admin_password = secrets.token_urlsafe(16)
    _run(["db", "upgrade"], env, log)
    _run(
        ["fab", "create-admin", "--username", "admin", "--firstname", "Test", "--lastname", "Admin",
         "--email", "admin@example.invalid", "--password", admin_password],
        env,
        log,
    )  # fmt: skip
    _run(["init"], env, log)
    port = free_port()
    with log.open("a") as out:
        server = subprocess.Popen(
            [str(SUPERSET), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        api = Api(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _healthy(api):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Superset did not start on port {port}:\n{log.read_text()[-4000:]}")
            time.sleep(1)
        api.login("admin", admin_password)
        yield api
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _uri(warehouse: Warehouse, sslmode: str = "require") -> str:
    port = warehouse.endpoint.port
    return f"postgresql+psycopg2://{ANALYST}:{ANALYST_PASSWORD}@127.0.0.1:{port}/warehouse?sslmode={sslmode}"


@pytest.fixture(scope="module")
def database_id(superset: Api, warehouse: Warehouse) -> int:
    """The endpoint added to Superset as its UI does it: test the connection, then save it. ``allow_dml`` is
    on, so what keeps Superset from writing is the endpoint, not Superset's own switch."""
    warehouse.endpoint.add_analyst(ANALYST, ANALYST_PASSWORD)
    tested = superset.call("POST", "/api/v1/database/test_connection/", {"sqlalchemy_uri": _uri(warehouse)})
    assert tested == {"message": "OK"}
    body = {"database_name": "talent warehouse", "sqlalchemy_uri": _uri(warehouse), "expose_in_sqllab": True,
            "allow_dml": True}  # fmt: skip
    created = superset.call("POST", "/api/v1/database/", body, expect=201)
    assert created["result"]["parameters"]["encryption"] is True  # sslmode=require, as Superset reads it
    return int(created["id"])


def _release_rows(warehouse: Warehouse, query: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse.releases / "current" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_superset_connects_only_over_tls(superset: Api, warehouse: Warehouse, database_id: int) -> None:
    status, answer = superset.request(
        "POST", "/api/v1/database/test_connection/", {"sqlalchemy_uri": _uri(warehouse, sslmode="disable")}
    )
    assert status != 200, answer  # pg_hba.conf admits analysts over TLS only
    info = superset.call("GET", f"/api/v1/database/{database_id}/connection")["result"]
    assert info["backend"] == "postgresql" and info["driver"] == "psycopg2"


def test_superset_lists_schemas_and_tables(superset: Api, database_id: int) -> None:
    schemas = superset.call("GET", f"/api/v1/database/{database_id}/schemas/")["result"]
    assert "warehouse" in schemas
    q = urllib.parse.quote("(schema_name:warehouse,force:!t)")
    tables = superset.call("GET", f"/api/v1/database/{database_id}/tables/?q={q}")["result"]
    names = {t["value"] for t in tables if t["type"] == "table"}
    assert names == {"dim_region", "mart_talent_match", "mart_talent_outflow", "release_info"}


def test_superset_previews_a_table(superset: Api, warehouse: Warehouse, database_id: int) -> None:
    """The preview of SQL Lab's table browser: Superset writes the SELECT (select_star) and runs it."""
    select = superset.call("GET", f"/api/v1/database/{database_id}/select_star/dim_region/warehouse/")[
        "result"
    ]
    assert "warehouse.dim_region" in select
    status, answer = superset.sql(database_id, select, limit=100)
    assert status == 200 and answer["status"] == "success", answer
    preview = {(r["region_code"], r["region_name"]) for r in answer["data"]}
    release = set(_release_rows(warehouse, "select region_code, region_name from dim_region"))
    assert len(preview) == min(100, len(release)) and preview <= release
    status, answer = superset.sql(
        database_id, "select region_name from dim_region where region_code = '320005'"
    )
    assert status == 200 and answer["data"] == [{"region_name": "苏州市"}]


def test_superset_cannot_write(superset: Api, database_id: int) -> None:
    """Superset may send DML here (allow_dml); the endpoint refuses it."""
    for statement in (
        "create table warehouse.scratch (x int)",
        "delete from warehouse.dim_region",
        "update warehouse.mart_talent_match set vacancy_headcount = 0",
    ):
        status, answer = superset.sql(database_id, statement)
        assert status != 200 or answer.get("status") != "success", (statement, answer)
        assert "read-only transaction" in json.dumps(answer) or "permission denied" in json.dumps(answer)


@pytest.fixture(scope="module")
def dataset_id(superset: Api, database_id: int) -> int:
    body = {"database": database_id, "schema": "warehouse", "table_name": "mart_talent_match"}
    return int(superset.call("POST", "/api/v1/dataset/", body, expect=201)["id"])


def test_superset_syncs_a_datasets_columns(superset: Api, dataset_id: int) -> None:
    assert superset.call("PUT", f"/api/v1/dataset/{dataset_id}/refresh") == {"message": "OK"}
    dataset = superset.call("GET", f"/api/v1/dataset/{dataset_id}")["result"]
    columns = {c["column_name"]: c for c in dataset["columns"]}
    assert {name: c["type"] for name, c in columns.items()} == {
        "region_code": "TEXT",
        "region_name": "TEXT",
        "year": "INTEGER",
        "graduates_supplied": "NUMERIC(18, 4)",
        "vacancy_headcount": "BIGINT",
        "major_fit_rate": "DOUBLE PRECISION",
        "survey_date": "DATE",
        "computed_at": "TIMESTAMP WITHOUT TIME ZONE",
        "is_published": "BOOLEAN",
        "occupation_codes": "TEXT[]",
        "note": "TEXT",
    }
    assert columns["survey_date"]["is_dttm"] and columns["computed_at"]["is_dttm"]
    # the dbt YAML's column descriptions reach Superset through COMMENT ON (publication/postgres.py); the
    # table's comment does not: Superset leaves a new dataset's description empty
    assert columns["region_code"]["description"] == "GB/T 2260 code in force today (地区代码)."
    assert dataset["schema"] == "warehouse" and dataset["table_name"] == "mart_talent_match"


def test_superset_runs_a_chart_query(superset: Api, warehouse: Warehouse, dataset_id: int) -> None:
    """What a bar chart of vacancies by year since 2020 asks: a SUM metric, a group-by, a filter."""
    metric = {"expressionType": "SIMPLE", "column": {"column_name": "vacancy_headcount"}, "aggregate": "SUM",
              "label": "vacancies"}  # fmt: skip
    query = {"columns": ["year"], "metrics": [metric], "filters": [{"col": "year", "op": ">=", "val": 2020}],
             "orderby": [[metric, False]], "row_limit": 100}  # fmt: skip
    body = {"datasource": {"id": dataset_id, "type": "table"}, "queries": [query], "result_format": "json",
            "result_type": "full"}  # fmt: skip
    result = superset.call("POST", "/api/v1/chart/data", body)["result"][0]
    assert result["status"] == "success", result
    assert result["colnames"] == ["year", "vacancies"]
    release = _release_rows(
        warehouse,
        "select year, sum(vacancy_headcount) from mart_talent_match where year >= 2020 group by year "
        "order by 2 desc",
    )
    assert [(r["year"], r["vacancies"]) for r in result["data"]] == [(y, int(v)) for y, v in release]
    assert len(release) == 5
