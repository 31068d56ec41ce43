"""dbt through ``tw run``'s fork server (transformation/dbt_forkserver.py): real dbt commands by the client
script dagster-dbt runs, against the installed ``dbt``; the client's environment, working directory and
streams; its signals; a client or a server that goes away; the server that does not serve."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from transformation.dbt_forkserver import DbtForkServer, available, installed_dbt

pytestmark = pytest.mark.skipif(not available(), reason="needs fork and file descriptors over Unix sockets")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtForkServer]:
    log = tmp_path_factory.mktemp("forkserver") / "server.log"
    with DbtForkServer(installed_dbt(), output=log) as running:
        yield running
    assert not running.folder.exists()  # the client script and the socket are removed with it


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def _gone(pid: int, within: float = 30.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie: ended, not yet reaped by its parent
        status = Path(f"/proc/{pid}/stat")
        if status.exists() and status.read_text().split()[2] == "Z":
            return True
        time.sleep(0.05)
    return False


def test_a_command_runs_as_the_dbt_executable_does(server: DbtForkServer, tmp_path: Path) -> None:
    direct = subprocess.run([installed_dbt(), "--version"], capture_output=True, text=True)
    forked = subprocess.run([server.executable, "--version"], capture_output=True, text=True)
    assert forked.returncode == direct.returncode == 0
    assert forked.stdout == direct.stdout and "installed:" in forked.stdout
    # an unknown command: click's usage error, exit code 2, on standard error
    wrong = subprocess.run([server.executable, "no-such-command"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "No such command" in wrong.stderr and wrong.stdout == ""


def test_the_command_gets_the_clients_environment_and_folder(server: DbtForkServer, tmp_path: Path) -> None:
    """dbt finds profiles.yml in its working directory, or where DBT_PROFILES_DIR says: the client's."""
    here = tmp_path / "project"
    here.mkdir()
    (here / "profiles.yml").write_text("p: {target: t, outputs: {t: {type: duckdb, path: ':memory:'}}}\n")
    env = {k: v for k, v in os.environ.items() if k != "DBT_PROFILES_DIR"}
    in_folder = subprocess.run(
        [server.executable, "debug", "--config-dir"], cwd=here, env=env, capture_output=True, text=True
    )
    assert in_folder.returncode == 0 and str(here) in in_folder.stdout
    elsewhere = tmp_path / "profiles"
    elsewhere.mkdir()
    told = subprocess.run(
        [server.executable, "debug", "--config-dir"],
        cwd=here,
        env={**env, "DBT_PROFILES_DIR": str(elsewhere)},
        capture_output=True,
        text=True,
    )
    assert told.returncode == 0 and str(elsewhere) in told.stdout and str(here) not in told.stdout


def test_commands_run_side_by_side(server: DbtForkServer) -> None:
    command = [server.executable, "--version"]
    started = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=60)[0] for p in started]
    assert [p.returncode for p in started] == [0, 0, 0] and len(set(outputs)) == 1


def _slow_command(server: DbtForkServer, tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A dbt command that waits (``dbt init`` at its first prompt, on a standard input that never ends), and
    its forked child."""
    reader, writer = os.pipe()  # a standard input that never ends
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    command = subprocess.Popen(
        [server.executable, "init", "a_project"], stdin=reader, stdout=subprocess.DEVNULL, cwd=folder
    )
    os.close(reader)
    deadline = time.monotonic() + 30
    children: list[int] = []
    while not children and time.monotonic() < deadline:
        children = _children(server.pid)
        time.sleep(0.05)
    assert children, "the server forked no child"
    command.writer = writer  # type: ignore[attr-defined]  (kept open until the test ends)
    return command, children[0]


def test_a_signal_to_the_client_reaches_dbt(server: DbtForkServer, tmp_path: Path) -> None:
    """dagster-dbt interrupts dbt with SIGINT and the refresh stops it with SIGTERM: the child ends as the
    dbt executable does (at ``dbt init``'s prompt: click's abort, exit code 2; killed by SIGTERM)."""
    for signum, code in ((signal.SIGINT, 2), (signal.SIGTERM, -signal.SIGTERM)):
        command, child = _slow_command(server, tmp_path)
        time.sleep(1.0)
        assert command.poll() is None, "dbt init did not wait at its prompt"
        command.send_signal(signum)
        assert command.wait(timeout=30) == code
        assert _gone(child)
        os.close(command.writer)  # type: ignore[attr-defined]


def test_a_command_whose_client_was_killed_ends_with_it(server: DbtForkServer, tmp_path: Path) -> None:
    command, child = _slow_command(server, tmp_path)
    time.sleep(1.0)
    assert command.poll() is None, "dbt init did not wait at its prompt"
    command.kill()
    command.wait()
    assert _gone(child, within=5.0), "dbt went on without its client"
    os.close(command.writer)  # type: ignore[attr-defined]


def test_a_command_killed_ends_its_client_by_the_same_signal(server: DbtForkServer, tmp_path: Path) -> None:
    """The out-of-memory killer takes dbt: the client ends killed too, as dbt's own process was."""
    command, child = _slow_command(server, tmp_path)
    time.sleep(1.0)
    os.kill(child, signal.SIGKILL)
    assert command.wait(timeout=30) == -signal.SIGKILL
    os.close(command.writer)  # type: ignore[attr-defined]


def test_without_its_server_the_client_runs_dbt_itself(tmp_path: Path) -> None:
    with DbtForkServer("echo", output=tmp_path / "server.log", import_now=False) as stopped:
        client = Path(stopped.executable).read_text()
    (tmp_path / "client").write_text(client)
    (tmp_path / "client").chmod(0o755)
    ran = subprocess.run([tmp_path / "client", "build", "--select", "x"], capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stdout == "build --select x\n"


def test_a_command_given_while_the_server_starts_waits_for_it(tmp_path: Path) -> None:
    """The socket listens before the server's Python has started: a client that comes before the server
    could have opened a socket (the server held stopped meanwhile) is served once it runs (its fallback,
    ``false``, would fail), where it used to find no socket and run dbt itself."""
    with DbtForkServer("false", output=tmp_path / "server.log", import_now=False, modules=()) as starting:
        os.kill(starting.pid, signal.SIGSTOP)
        early = subprocess.Popen(
            [starting.executable, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            # the client's connection waits in the socket's queue (Linux lists it in /proc/net/unix, under the
            # socket's path beside the listening socket) while the server is stopped
            deadline = time.monotonic() + 60
            while len(_unix_sockets(starting.socket_path)) < 2:
                assert early.poll() is None, "the client ran dbt itself"
                assert time.monotonic() < deadline, "the client never connected"
                time.sleep(0.05)
        except BaseException:
            early.kill()
            raise
        finally:
            os.kill(starting.pid, signal.SIGCONT)
        out, err = early.communicate(timeout=120)
        assert early.returncode == 0 and "Core:" in out, err


def _unix_sockets(path: Path) -> list[str]:
    """The lines of /proc/net/unix of the sockets bound to ``path`` (a listening socket, and each connection
    waiting in its queue)."""
    return [line for line in Path("/proc/net/unix").read_text().splitlines() if line.endswith(f" {path}")]


def test_a_server_told_nothing_leaves_without_importing(tmp_path: Path) -> None:
    """Closed before any command and before it was told to import: it imports nothing (a module that does not
    exist would fail it) and leaves at once."""
    server = DbtForkServer(
        installed_dbt(), output=tmp_path / "server.log", import_now=False, modules=("no_such_module_here",)
    )
    server.close()
    assert server._process.returncode == 0 and not server.folder.exists()


def test_a_server_with_a_thread_does_not_fork_and_its_clients_run_dbt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module that starts a thread at import: a fork would copy the thread's locks without it. The server
    refuses; the command that made it import (connected while it imported) and every later one run the dbt
    executable itself ("echo" here), from the client script the server left in place."""
    (tmp_path / "starts_a_thread.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
    )
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    log = tmp_path / "server.log"
    with DbtForkServer("echo", output=log, import_now=False, modules=("starts_a_thread",)) as refusing:
        first = subprocess.run([refusing.executable, "build"], capture_output=True, text=True, timeout=60)
        assert first.returncode == 0 and first.stdout == "build\n", first.stderr
        assert refusing._process.wait(timeout=60) == 1
        later = subprocess.run([refusing.executable, "run"], capture_output=True, text=True, timeout=60)
        assert later.returncode == 0 and later.stdout == "run\n", later.stderr
    assert "threads after importing starts_a_thread" in log.read_text()
    assert not refusing.folder.exists()


def _parse(executable: str, project: Path, database: Path, memory: str = "1GB", raw: str = "/raw/a") -> str:
    """``dbt parse`` of ``project`` against a DuckDB database at ``database``, its source's files under
    ``raw``; dbt's output."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DBT_")},
        "DBT_PROFILES_DIR": str(project),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PARSE_TEST_DB": str(database),
        "PARSE_TEST_MEMORY": memory,
        "PARSE_TEST_RAW": raw,
    }
    ran = subprocess.run(
        [executable, "parse", "--no-use-colors"], cwd=project, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return ran.stdout


def test_the_saved_parse_serves_a_build_database_at_another_path(
    server: DbtForkServer, tmp_path: Path
) -> None:
    """A new home (another build database) re-parses only what changed, its raw zone's location too;
    another connection setting, or the ``dbt`` executable itself, parses everything as dbt does
    (transformation/dbt_forkserver.py)."""
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: p\nversion: '1.0'\nprofile: p\nmodel-paths: [models]\n")
    (project / "profiles.yml").write_text(
        "p:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n"
        "      path: \"{{ env_var('PARSE_TEST_DB') }}\"\n"
        "      settings: {memory_limit: \"{{ env_var('PARSE_TEST_MEMORY') }}\"}\n"
    )
    # as dbt_project/models/staging/_sources.yml reads the raw zone: a location from the environment
    (project / "models" / "sources.yml").write_text(
        "version: 2\nsources:\n  - name: raw\n    meta:\n      external_location: "
        "\"{{ env_var('PARSE_TEST_RAW') }}/{name}/*.parquet\"\n    tables: [{name: feed}]\n"
    )
    (project / "models" / "m.sql").write_text("select * from {{ source('raw', 'feed') }}\n")

    def location() -> str:
        manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
        (source,) = manifest["sources"].values()
        return str(source["meta"]["external_location"])

    unable, changed = (
        "Unable to do partial parsing",
        "Unable to do partial parsing because profile has changed",
    )
    first = _parse(server.executable, project, tmp_path / "a" / "build.duckdb")
    assert "Unable to do partial parsing because saved manifest not found" in first
    assert location() == "/raw/a/{name}/*.parquet"
    assert unable not in _parse(server.executable, project, tmp_path / "b" / "build.duckdb", raw="/raw/b")
    assert location() == "/raw/b/{name}/*.parquet"  # the file that reads it parsed again
    assert changed in _parse(server.executable, project, tmp_path / "b" / "build.duckdb", memory="2GB")
    assert changed in _parse(installed_dbt(), project, tmp_path / "c" / "build.duckdb", memory="2GB")


def test_no_file_of_the_dbt_project_reads_the_databases_path() -> None:
    """What lets the fork server's dbt keep a parse across build databases: nothing dbt parses reads
    ``target.path`` (a model or macro that did would be parsed with another home's path)."""
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    path_read = re.compile(r"(target|credentials)\s*(\.\s*path|\[\s*['\"]path|\.get\(\s*['\"]path)")
    reading = [
        str(f.relative_to(project))
        for folder in ("models", "macros", "seeds", "tests")
        for f in (project / folder).rglob("*")
        if f.suffix in {".sql", ".yml", ".yaml", ".csv", ".md"}
        and path_read.search(f.read_text(encoding="utf-8"))
    ]
    declared = (project / "dbt_project.yml").read_text(encoding="utf-8")
    reading += ["dbt_project.yml"] if path_read.search(declared) else []
    assert reading == []
