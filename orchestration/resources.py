"""Dagster resources: the warehouse settings (read from the environment once per run) and dbt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR, Settings, load_settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's virtual environment), else dbt on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


class WarehouseResource(dg.ConfigurableResource):
    """Gives assets the :class:`Settings`; paths and keys come from the environment (orchestration/settings.py)."""

    def settings(self) -> Settings:
        settings = load_settings()
        settings.ensure_dirs()
        # dbt runs in a subprocess and reads its paths from the environment (profiles.yml, sources).
        os.environ.update(settings.dbt_env())
        return settings


def ensure_dbt_manifest() -> None:
    """dagster-dbt needs dbt's manifest to build the asset graph; parse the project if it is missing."""
    if not dbt_project.manifest_path.exists():
        dbt_resource().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
