"""The dbt unit tests (``unit_tests:`` in dbt_project/models), run here and not in refreshes.

A refresh's build leaves them out (transformation/build_plan.py, ``WITHOUT_UNIT_TESTS``): they check the
models' SQL on fixed, hand-worked inputs, which the data of a refresh does not change. This is where they
run, on every commit (``make test``, CI): the models are built empty first (``--empty``: dbt needs the
relations a unit test's inputs stand for), then ``dbt test --select test_type:unit``, and every unit test
the manifest declares must have passed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.dbt_cli import run_dbt
from ingestion.raw_zone import ensure_raw_zone
from transformation.build_plan import WITHOUT_UNIT_TESTS

pytestmark = pytest.mark.e2e


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    raw, build, target = tmp_path / "raw", tmp_path / "build.duckdb", tmp_path / "target"
    ensure_raw_zone(raw)  # the typed, empty parts the sources read
    run_dbt(
        ["build", "--empty", "--exclude-resource-type", "test", *WITHOUT_UNIT_TESTS],
        raw_dir=raw,
        build_db=build,
        target_dir=target,
    )
    run_dbt(["test", "--select", "test_type:unit"], raw_dir=raw, build_db=build, target_dir=target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    declared = set(manifest.get("unit_tests", {}))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    passed = {r["unique_id"] for r in results if r["status"] == "pass"}
    assert declared, "the project declares dbt unit tests"
    assert passed == declared, sorted(declared ^ passed)
