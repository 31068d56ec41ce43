"""What a refresh prints: a line per step on the console, every event in the run's log file."""

from __future__ import annotations

import io
from pathlib import Path

import dagster as dg

from orchestration.run_log import run_logger


@dg.asset
def counted(context) -> int:  # type: ignore[no-untyped-def]  # dagster reads the annotation
    context.log.info("an info line only the log file gets")
    context.log.warning("vacancies/2024-03.csv: 2 of 3 rows quarantined")
    return 1


@dg.asset
def broken(counted: int) -> int:
    raise ValueError("the gate failed")


def _run(tmp_path: Path, verbose: bool) -> tuple[str, str]:
    out, log_file = io.StringIO(), tmp_path / "logs" / f"run-{verbose}.log"
    defs = dg.Definitions(
        assets=[counted, broken],
        jobs=[dg.define_asset_job("refresh")],
        loggers={"progress": run_logger(log_file, out, verbose)},
    )
    with dg.DagsterInstance.ephemeral() as instance:
        defs.resolve_job_def("refresh").execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
    return out.getvalue(), log_file.read_text(encoding="utf-8")


def test_a_line_per_step_and_warnings_on_the_console_everything_in_the_log(tmp_path: Path) -> None:
    console, log = _run(tmp_path, verbose=False)
    lines = console.splitlines()
    assert lines[0] == "  warning vacancies/2024-03.csv: 2 of 3 rows quarantined"
    assert lines[1].startswith("  ok    counted  (") and lines[2].startswith("  FAIL  broken: ")
    assert "the gate failed" in lines[2] and len(lines) == 3
    assert "an info line only the log file gets" in log and "STEP_SUCCESS" in log and "RUN_FAILURE" in log


def test_verbose_prints_every_event(tmp_path: Path) -> None:
    console, _ = _run(tmp_path, verbose=True)
    assert "an info line only the log file gets" in console and len(console.splitlines()) > 10
