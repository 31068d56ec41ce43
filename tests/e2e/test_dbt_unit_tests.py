"""The dbt unit tests (``unit_tests:`` in dbt_project/models), run here and not in refreshes.

A refresh's build leaves them out (transformation/build_plan.py, ``WITHOUT_UNIT_TESTS``): they check the
models' SQL on fixed, hand-worked inputs, which the data of a refresh does not change. This is where they
run, on every commit: one ``dbt build --empty`` without the data tests (every model built with no rows, as
dbt needs the relations a unit test's inputs stand for; each unit test runs before the model it tests),
and every unit test the manifest declares must have passed. On DuckDB in ``make test``; on Spark in the
slow tier (``make test-slow``, CI), where the refresh's own build no longer runs them (Spark's catalog lives
in the dbt process, hence one invocation).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from devtools.dbt_cli import run_dbt
from ingestion.raw_zone import ensure_raw_zone

pytestmark = pytest.mark.e2e


def _java_ok() -> bool:
    if shutil.which("java") is None:
        return False
    version = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr
    return any(f'version "{v}' in version for v in range(17, 40))


def _unit_tests_pass(tmp_path: Path) -> None:
    raw, build, target = tmp_path / "raw", tmp_path / "build.duckdb", tmp_path / "target"
    ensure_raw_zone(raw)  # the typed, empty parts the sources read
    run_dbt(
        ["build", "--empty", "--exclude-resource-type", "test"],
        raw_dir=raw,
        build_db=build,
        target_dir=target,
    )
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    declared = set(manifest.get("unit_tests", {}))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    passed = {
        r["unique_id"] for r in results if r["status"] == "pass" and r["unique_id"].startswith("unit_test.")
    }
    assert declared, "the project declares dbt unit tests"
    assert passed == declared, sorted(declared ^ passed)


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    _unit_tests_pass(tmp_path)


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.skipif(not _java_ok(), reason="Spark needs Java 17+")
def test_every_dbt_unit_test_passes_on_spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TW_DBT_TARGET", "spark")
    monkeypatch.setenv("TW_SPARK_WAREHOUSE_DIR", str(tmp_path / "spark-warehouse"))
    _unit_tests_pass(tmp_path)
