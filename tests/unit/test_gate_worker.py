"""The quality gates in the worker process `tw run` starts (quality/worker.py): the same outcome as in the
calling process, which does not import GX; the database let go for the caller; its output where it is told;
errors and its death reported to the caller."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from quality.gate import run_gate
from quality.mart_gate import run_mart_gate
from quality.worker import GateWorker, InProcess
from tests.conftest import REPO
from tests.unit.test_mart_gate import SUITES, _candidate, _course, _project

# run in a fresh interpreter (pytest's has imported GX already): the mart gate through a worker; prints its
# gate.json and whether this process imported GX
IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path
import duckdb
from quality.mart_gate import run_mart_gate
from quality.worker import GateWorker

database, home = Path(sys.argv[1]), Path(sys.argv[2])
with GateWorker() as gates:
    result = gates.call(run_mart_gate, database, json.loads(sys.argv[3]), database.parent / "quality",
                        suppression_k=5, release_id="r1", record=home / "marts_validated.json",
                        kept_dir=home / "marts", code="code-1")
    # the worker, still running, let the database go: this process writes it (as the publish step does)
    with duckdb.connect(str(database)) as con:
        con.execute("update mart_training_resources set trainees = trainees + 1")
print(json.dumps({"passed": result.passed, "gx_here": "great_expectations" in sys.modules}))
"""


def _mart_gate_in_process(tmp_path: Path, database: Path) -> dict:
    result = InProcess().call(
        run_mart_gate,
        database,
        SUITES,
        database.parent / "quality",
        suppression_k=5,
        release_id="r1",
        record=tmp_path / "home" / "marts_validated.json",
        kept_dir=tmp_path / "home" / "marts",
        code="code-1",
    )
    assert result.passed
    return _gate_file(database)


def _gate_file(database: Path) -> dict:
    gate = json.loads((database.parent / "quality" / "gate.json").read_text(encoding="utf-8"))
    del gate["results_dir"], gate["data_docs_index"]
    return gate


def test_the_mart_gate_in_the_worker_is_the_gate_here_and_this_process_imports_no_gx(tmp_path: Path) -> None:
    rows = ([_project(1), _project(2, 40.0)], [_course(1), _course(2)])
    for side in ("here", "there"):
        (tmp_path / side).mkdir()
    here, there = (_candidate(tmp_path / side, "candidate", *rows) for side in ("here", "there"))
    expected = _mart_gate_in_process(tmp_path / "here", here)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            IN_A_FRESH_PROCESS,
            str(there),
            str(tmp_path / "there" / "home"),
            json.dumps(SUITES),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"passed": True, "gx_here": False}
    assert _gate_file(there) == expected


def test_output_errors_and_a_dead_worker(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("before\n", encoding="utf-8")
    with GateWorker(output=log) as gates:
        assert gates.pid != os.getpid()
        gates.call(print, "from the worker", flush=True)
        with pytest.raises(KeyError, match="unknown suite"):  # raised there, raised here
            gates.call(run_gate, tmp_path / "none.duckdb", ["no_such_suite"], tmp_path / "results")
        assert gates.call(sum, [1, 2, 3]) == 6  # the worker goes on after an error
        with pytest.raises(RuntimeError, match="worker process ended before _exit returned"):
            gates.call(os._exit, 3)
    assert log.read_text(encoding="utf-8").startswith("before\n")  # appended to
    assert "from the worker\n" in log.read_text(encoding="utf-8")


class _Unpicklable(Exception):
    def __init__(self, code: int, detail: str) -> None:  # not rebuilt from its args: pickling breaks it
        super().__init__(f"code {code}: {detail}")


def _fails_unpicklably() -> None:
    raise _Unpicklable(7, "what went wrong")


def test_an_exception_that_does_not_cross_whole_arrives_as_text_and_an_error_stops_the_worker() -> None:
    with pytest.raises(ZeroDivisionError), GateWorker() as gates:
        with pytest.raises(RuntimeError, match=r"_Unpicklable: code 7: what went wrong") as raised:
            gates.call(_fails_unpicklably)
        assert "(in the gates' worker)" in str(raised.value) and "Traceback" in str(raised.value)
        assert gates.call(sum, [2, 2]) == 4  # the worker is not broken by it
        (process,) = gates._pool._processes.values()  # type: ignore[attr-defined]
        _ = 1 / 0  # an error in the caller: leaving stops the worker, not waiting for it
    process.join(timeout=30)
    assert process.exitcode == -signal.SIGTERM
