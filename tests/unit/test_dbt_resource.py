"""The dbt resource of the refresh (orchestration/resources.py)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from core.settings import load_settings
from orchestration.resources import dbt_resource, retire_invocation_target


def test_the_dbt_version_is_read_without_starting_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    resource = dbt_resource(load_settings({}))
    answer = subprocess.run(
        [resource.dbt_executable, "--version"], capture_output=True, text=True, check=True
    ).stdout
    installed = re.search(r"installed:\s*(\d+\.\d+\.\d+)", answer)
    assert installed is not None, answer

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_process)
    assert str(resource._cli_version) == installed.group(1)  # what `dbt --version` says
    assert resource._initialize_dbt_core_adapter(["build"]) is None  # no adapter opened in this process


def test_another_dbt_executable_is_asked_its_version(monkeypatch: pytest.MonkeyPatch) -> None:
    resource = dbt_resource(load_settings({})).model_copy(update={"dbt_executable": "/opt/other/dbt"})
    asked: list[list[str]] = []

    def answer(args: list[str]) -> bytes:
        asked.append(args)
        return b"Core:\n  - installed: 1.10.3\n"

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", answer)
    assert str(resource._cli_version) == "1.10.3" and asked == [["/opt/other/dbt", "--version"]]


def test_a_finished_invocation_folder_is_removed_and_its_results_kept(tmp_path: Path) -> None:
    folder = tmp_path / "target" / "warehouse_dbt_assets-1234567-89abcde"
    (folder / "compiled" / "models").mkdir(parents=True)
    (folder / "compiled" / "models" / "a.sql").write_text("select 1")
    (folder / "manifest.json").write_text("{}")
    (folder / "run_results.json").write_text(json.dumps({"results": [{"status": "pass"}]}))
    kept = retire_invocation_target(folder, tmp_path / "logs")
    assert kept == tmp_path / "logs" / "warehouse_dbt_assets-1234567-89abcde.run_results.json"
    assert json.loads(kept.read_text()) == {"results": [{"status": "pass"}]}
    assert not folder.exists() and (tmp_path / "target").exists()
    empty = tmp_path / "target" / "warehouse_dbt_assets-7654321-0000000"
    empty.mkdir()
    assert retire_invocation_target(empty, tmp_path / "logs") is None and not empty.exists()


def test_a_folder_is_kept_when_its_results_cannot_be(tmp_path: Path) -> None:
    """The build succeeded: a log folder that cannot be written is no reason to fail it."""
    folder = tmp_path / "target" / "warehouse_dbt_assets-1234567-89abcde"
    folder.mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    (tmp_path / "logs").write_text("a file where the folder should be")
    assert retire_invocation_target(folder, tmp_path / "logs") is None
    assert (folder / "run_results.json").exists()
