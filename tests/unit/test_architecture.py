"""The package layering of docs/architecture.md, and what importing the packages costs.

- imports run one way along the data path (import-linter's contracts in pyproject.toml, the same check
  as ``lint-imports`` in ``make lint``);
- only core/settings.py reads the process environment; everything else is given its settings;
- the Dagster definitions load: the ``refresh`` job, the schedule and the sensor resolve;
- ``tw``'s module imports neither Dagster, dbt nor Great Expectations (``tw status`` and ``tw --help``
  stay fast), and the quality gate's module imports GX only when it validates.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import REPO_ROOT, RUNTIME_PACKAGES

BIN = Path(sys.executable).parent


def test_imports_follow_the_layering() -> None:
    proc = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in proc.stdout


def test_the_layers_are_the_runtime_packages() -> None:
    """The contract names every runtime package (pyproject's wheel packages), so a new one is placed."""
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    assert sorted(layers) == sorted(RUNTIME_PACKAGES)


ENVIRONMENT_READ = re.compile(r"\benviron\b|\bgetenv\b|\bputenv\b")


def test_only_core_settings_reads_the_environment() -> None:
    readers = []
    for package in RUNTIME_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if path == REPO_ROOT / "core" / "settings.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ENVIRONMENT_READ.search(line):
                    readers.append(f"{path.relative_to(REPO_ROOT)}:{n}: {line.strip()}")
    assert readers == [], "read settings in core/settings.py and pass them on:\n" + "\n".join(readers)


def test_the_dagster_definitions_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``dagster dev`` loads (the module in pyproject [tool.dagster]) on this environment's settings."""
    import dagster as dg

    from orchestration.definitions import defs

    monkeypatch.setenv("TW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TW_INBOX_DIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("TW_SCHEDULE_CRON", "15 3 * * *")
    monkeypatch.setenv("TW_SENSOR_INTERVAL_SECONDS", "45")
    definitions = defs()
    assert isinstance(definitions, dg.Definitions)
    job = definitions.resolve_job_def("refresh")
    assert {"published_release", "release_candidate", "warehouse_dbt_assets"} <= {n.name for n in job.nodes}
    assert definitions.resolve_schedule_def("nightly_refresh").cron_schedule == "15 3 * * *"
    assert definitions.resolve_sensor_def("inbox_sensor").minimum_interval_seconds == 45
    marts = [k for k in definitions.resolve_all_asset_keys() if k.path[0] == "marts"]
    assert len(marts) >= 9


def _modules_after_import(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return {m.split(".")[0] for m in proc.stdout.split()}


def test_the_cli_module_imports_no_orchestrator_engine_or_checker() -> None:
    loaded = _modules_after_import("import orchestration.cli")
    assert not loaded & {"great_expectations", "dagster", "dagster_dbt", "dbt"}


def test_the_quality_gate_imports_gx_only_when_it_validates() -> None:
    loaded = _modules_after_import("import quality.gate, quality.gx_duckdb, quality.increments")
    assert "great_expectations" not in loaded


def test_a_refresh_with_nothing_new_imports_no_lp_solver() -> None:
    """`tw run` with nothing new reads publication.release for the current release (target ≤ 1 s, issue
    #20): the disclosure audit's libraries are imported when a protection runs (importing them there cost
    the check 0.3 s)."""
    loaded = _modules_after_import("import publication.release, transformation.fingerprint")
    assert not loaded & {"numpy", "scipy", "highspy", "great_expectations"}


def test_tw_offers_the_developer_commands_without_importing_devtools() -> None:
    """devtools registers its commands under the tw.commands entry point; tw finds them there."""
    import argparse

    from orchestration.cli import parser

    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"run", "query", "status", "serve"} <= set(commands)
    assert {"demo", "generate", "reference", "contracts", "catalogue", "docs"} <= set(commands)
