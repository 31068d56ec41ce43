"""A smoke run of the benchmark harness at scale S: it runs end to end, its baselines (the floor, the minimal
floor and pandas) agree with the pipeline row for row, it prints a full table and writes it to a results file
of its own, not to a doc. (Benchmarks are not tests: no timing is asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_the_harness_runs_at_scale_s(tmp_path: Path) -> None:
    docs = {p: p.read_bytes() for p in (REPO / "docs").glob("*.md")}
    results = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            *("-m", "benchmarks.run", "--scale", "S"),
            *("--workdir", str(tmp_path / "work"), "--results-dir", str(results)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for line in (
        "**full refresh**",
        "ingest",
        "dbt build",
        "quality checks (GX)",
        "publish",
        "refresh with nothing new",
        "**incremental refresh**: one new month of vacancies",
        "incremental ÷ full refresh",
        "full refresh without ingest",
        "floor: compiled SQL in DuckDB, 9 marts (rows differing: 0)",
        "minimal floor: one hand-written query per mart, 9 marts (rows differing: 0)",
        "pandas: 9 marts (rows differing: 0)",
        "example queries via the SQL endpoint",
    ):
        assert line in out, line
    rows = [r for r in out.splitlines() if r.startswith("| S |")]
    assert len(rows) >= 14 and all(r.count("|") == 9 for r in rows)
    # the table went to a results file of its own (and its JSON twin), named by time and scale
    (md,) = results.glob("*-S.md")
    assert md.read_text(encoding="utf-8").strip().endswith(rows[-1])
    data = json.loads(md.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["kind"] == "refresh" and data["scales"] == ["S"]
    assert len(data["rows"]) == len(rows) and data["details"]["S"]["minimal_floor_differences"]
    assert not any(data["details"]["S"]["minimal_floor_differences"].values())
    # a run into another folder leaves every doc alone
    assert {p: p.read_bytes() for p in (REPO / "docs").glob("*.md")} == docs
