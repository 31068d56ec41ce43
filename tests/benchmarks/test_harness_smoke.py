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
from transformation.marts import published_mart_names

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # five pipeline runs at S: the slow tier, `make test-slow`


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
        timeout=1800,  # five pipeline runs at S with the linked disclosure protection (docs/disclosure.md)
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
        "example queries via the SQL endpoint",
    ):
        assert line in out, line
    # the floor and both hand-written baselines compute every published mart, equal to the pipeline's
    marts = len(published_mart_names())
    assert f"floor: compiled SQL in DuckDB, {marts} marts (rows differing: 0)" in out
    for baseline in ("minimal floor: one hand-written query per mart, ", "pandas: "):
        assert f"{baseline}{marts} marts (rows differing: 0)" in out, baseline
    lines = [r for r in out.splitlines() if r.startswith("| S |")]
    rows = [r for r in lines if r.count("|") == 9]  # the table; then the targets (benchmarks/targets.py)
    targets = [r for r in lines if r.count("|") == 7]
    assert len(rows) >= 14 and len(rows) + len(targets) == len(lines)
    assert any("| refresh with nothing new | ≤ 1.0 s |" in r for r in targets)
    # the tables went to a results file of its own (and its JSON twin), named by time and scale
    (md,) = results.glob("*-S.md")
    text = md.read_text(encoding="utf-8")
    assert rows[-1] in text and text.strip().endswith(targets[-1])
    data = json.loads(md.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["kind"] == "refresh" and data["scales"] == ["S"]
    assert len(data["rows"]) == len(rows) and data["details"]["S"]["minimal_floor_differences"]
    assert len(data["details"]["S"]["targets"]) == len(targets)
    assert not any(data["details"]["S"]["minimal_floor_differences"].values())
    # a run into another folder leaves every doc alone
    assert {p: p.read_bytes() for p in (REPO / "docs").glob("*.md")} == docs
