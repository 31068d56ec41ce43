"""Dagster resources: the warehouse settings (read from the environment once per run) and dbt."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from core.locking import refresh_lock
from core.settings import DBT_PROJECT_DIR, Settings, load_settings
from transformation.marts import ensure_manifest

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's virtual environment), else dbt on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


class WarehouseResource(dg.ConfigurableResource):
    """Gives assets the :class:`Settings`; paths and keys come from the environment (core/settings.py).

    While a run uses it, the run holds the warehouse's refresh lock (core/locking.py).
    """

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseResource]:
        settings = load_settings()
        with refresh_lock(settings.home):
            from transformation.fingerprint import record_run_start

            record_run_start(settings)  # what this run starts from; its release records it
            yield self

    def settings(self) -> Settings:
        settings = load_settings()
        settings.ensure_dirs()
        # dbt runs in a subprocess and reads its paths from the environment (profiles.yml, sources).
        os.environ.update(settings.dbt_env())
        return settings


def keep_partial_parse(invocation_target: Path) -> None:
    """Keep the parse state of a dbt invocation for the next one.

    dagster-dbt runs every invocation in a target folder of its own, seeded with the project's
    ``target/partial_parse.msgpack``; dbt writes the state it parsed there. Copied back, the next invocation
    with the same profile re-parses only what changed (dbt itself re-parses everything when the profile,
    the variables or an env_var() a file uses differ): 2–3 s less for each of the two dbt invocations of a
    refresh. The replace is atomic, so a concurrent invocation reads the old state or the new one.
    """
    source = Path(invocation_target) / "partial_parse.msgpack"
    if not source.is_file():
        return
    project_target = dbt_project.manifest_path.parent
    temporary = project_target / f".partial_parse.{os.getpid()}.{threading.get_ident()}.tmp"
    shutil.copy2(source, temporary)
    os.replace(temporary, project_target / "partial_parse.msgpack")


def ensure_dbt_manifest() -> None:
    """dagster-dbt builds the asset graph from dbt's manifest: parse the project when the manifest is
    missing or older than any project file (transformation/marts.py, the one place that does it)."""
    ensure_manifest(Path(DBT_PROJECT_DIR))
