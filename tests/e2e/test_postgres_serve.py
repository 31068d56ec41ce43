"""``tw serve`` and ``tw users`` as an operator runs them: a release published while no server ran is loaded
at start, users are added and their passwords rotated while it serves, Ctrl-C stops the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from core.settings import load_settings
from publication.release import publish, stage_candidate
from serving.postgres import EmbeddedServer, analyst_dsn
from tests.e2e.conftest import build_database
from tests.postgres_server import free_port, server_home

pytestmark = pytest.mark.e2e


def _tw(*args: str, env: dict, stdin: str | None = None) -> subprocess.CompletedProcess:
    tw = Path(sys.executable).parent / "tw"
    return subprocess.run(
        [str(tw), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def test_tw_serve_loads_the_current_release_and_tw_users_manage_analysts(tmp_path: Path) -> None:
    with server_home() as home:
        _serve_and_manage_users(home, tmp_path)


def _serve_and_manage_users(home: Path, tmp_path: Path) -> None:
    releases = home / "releases"
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"passed": True, "results_dir": str(tmp_path), "suites": []}))
    # tw serve loads with the project's keys (dbt manifest): of this small build, only dim_region has them all
    tables = (("reference", "dim_region"),)
    publish(
        stage_candidate(build_database(tmp_path / "b.duckdb", 1), releases, "r1", tables),
        releases,
        [],
        [gate],
    )
    env = {
        **os.environ,
        "TW_HOME": str(home),
        "TW_SQL_PORT": str(free_port()),
        "TW_SQL_USERS": "alice:alice-pw",
    }
    env.pop("TW_DEMO", None)
    settings = load_settings(env)
    serve = subprocess.Popen(
        [str(Path(sys.executable).parent / "tw"), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = serve.stdout.readline()
        assert "serving release r1" in banner and "analysts: alice" in banner, banner + serve.stderr.read()
        with psycopg.connect(analyst_dsn(settings, "alice", "alice-pw")) as con:
            assert con.execute("select release_id from release_info").fetchone() == ("r1",)
        added = _tw("users", "add", "bob", env=env)
        assert added.returncode == 0, added.stderr
        first = added.stdout.split("password (shown once): ")[1].strip()
        with psycopg.connect(analyst_dsn(settings, "bob", first)) as con:
            assert con.execute("select count(*) from dim_region").fetchone()[0] > 0
        rotated = _tw("users", "password", "bob", env=env)
        second = rotated.stdout.split("password (shown once): ")[1].strip()
        assert second != first
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(analyst_dsn(settings, "bob", first))
        psycopg.connect(analyst_dsn(settings, "bob", second)).close()
        assert _tw("users", "list", env=env).stdout.split() == ["alice", "bob"]
        assert _tw("users", "add", "tw_admin", env=env).returncode != 0  # reserved names
    finally:
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=60) == 0, serve.stderr.read()
    assert not EmbeddedServer(settings).running()
    # with the server stopped, tw users starts it for the moment and stops it again
    assert _tw("users", "remove", "bob", env=env).returncode == 0
    assert _tw("users", "list", env=env).stdout.split() == ["alice"]
    assert not EmbeddedServer(settings).running()
    started = time.monotonic()
    empty = _tw("serve", env={**env, "TW_SQL_HOST": ""})
    assert empty.returncode != 0 and "TW_SQL_HOST is empty" in empty.stderr
    assert time.monotonic() - started < 60
