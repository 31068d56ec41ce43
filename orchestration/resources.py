"""Dagster resources, built from the run's :class:`Settings` (given, never read here from the environment).

- ``warehouse``: :class:`Warehouse`, the settings, the run's options and where its quality gates run
  (quality/worker.py); while a run uses it, the run holds the warehouse's refresh lock (core/locking.py).
  ``full_refresh`` is run configuration (``tw run --full-refresh`` sets it; in Dagster's launchpad:
  ``resources: warehouse: config: full_refresh: true``).
- ``dbt``: dagster-dbt's resource with the target and the environment dbt reads (``Settings.dbt_env()``).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from packaging.version import Version
from pydantic import Field

from core.locking import refresh_lock
from core.settings import DBT_PROJECT_DIR, Settings, child_process_environment
from quality.worker import Gates, InProcess
from transformation.dbt_forkserver import dbt_beside_python, installed_dbt
from transformation.marts import ensure_manifest

log = logging.getLogger(__name__)
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class WarehouseDbtResource(DbtCliResource):
    """dagster-dbt's resource; every dbt process it starts gets ``env`` (``Settings.dbt_env()``).

    dagster-dbt 0.29's ``cli`` builds the child's environment from this process's and takes none of its
    own, so the values are put there for the call only (``child_process_environment``).

    Two things dagster-dbt 0.29 does before each dbt process are left out, 4 s of a refresh at M:

    - it runs ``dbt --version`` to learn which dbt the executable is (2.7 s: a Python start that imports
      dbt). The dbt beside this Python, and the client of ``tw run``'s dbt fork server
      (transformation/dbt_forkserver.py; ``installed_dbt_version``), run this environment's dbt-core,
      whose version the package metadata gives; any other executable is still asked.
    - it opens a dbt adapter in this process (1.6 s: the profile, the adapter, dbt's macros), which it uses
      only to fetch row counts or column metadata after the build (``fetch_row_counts()``,
      ``fetch_column_metadata()``); the refresh asks for neither.

    Both are private members of dagster-dbt 0.29 (pinned below 0.30): on an upgrade, check that dagster-dbt
    still calls them (tests/unit/test_dbt_resource.py checks what they return, not that they are called).
    """

    env: dict[str, str] = Field(
        default_factory=dict, description="what dbt reads with env_var(): Settings.dbt_env()"
    )
    installed_dbt_version: bool = Field(
        default=False,
        description="the executable runs this environment's dbt-core (the dbt fork server's client)",
    )

    def cli(
        self, args: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs: Any
    ) -> DbtCliInvocation:
        """``dbt ARGS`` with ``self.env``, and ``env`` for this call (``dbt_build_env`` of a build plan)."""
        with child_process_environment({**self.env, **(env or {})}):
            return super().cli(args, **kwargs)

    @cached_property
    def _cli_version(self) -> Version:
        if self.installed_dbt_version or Path(self.dbt_executable) == dbt_beside_python():
            return Version(installed_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource(settings: Settings, forkserver_client: str | None = None) -> WarehouseDbtResource:
    """dbt on ``settings``: the installed dbt, or ``forkserver_client`` (``tw run``'s dbt fork server,
    transformation/dbt_forkserver.py), which runs the same dbt-core."""
    return WarehouseDbtResource(
        project_dir=str(dbt_project.project_dir),
        profiles_dir=str(dbt_project.profiles_dir),
        dbt_executable=forkserver_client or installed_dbt(),
        installed_dbt_version=forkserver_client is not None,
        target=settings.dbt_target,
        env=settings.dbt_env(),
    )


@dataclass(frozen=True)
class Warehouse:
    """What assets and checks get as the ``warehouse`` resource."""

    settings: Settings
    full_refresh: bool = (
        False  # rebuild every dbt model from the whole raw zone (transformation/build_plan.py)
    )
    # where the feed and mart gates run: here, or in the worker `tw run` started (quality/worker.py)
    gates: Gates = field(default_factory=InProcess)


def warehouse_resource(
    settings: Settings, *, full_refresh: bool = False, gates: Gates | None = None
) -> dg.ResourceDefinition:
    """The ``warehouse`` resource of runs on ``settings``; ``full_refresh`` is the default of its config;
    ``gates``: where the quality gates run (default: in the run's process)."""

    @dg.resource(
        config_schema={
            "full_refresh": dg.Field(
                bool,
                default_value=full_refresh,
                description="rebuild every dbt model from the whole raw zone instead of only what changed",
            )
        },
        description="The warehouse's settings (core/settings.py); a run holds the refresh lock.",
    )
    def _warehouse(context: dg.InitResourceContext) -> Iterator[Warehouse]:
        settings.ensure_dirs()
        with refresh_lock(settings.home):
            from transformation.fingerprint import record_run_start

            record_run_start(settings)  # what this run starts from; its release records it
            yield Warehouse(
                settings,
                full_refresh=bool(context.resource_config["full_refresh"]),
                gates=gates if gates is not None else InProcess(),
            )

    return _warehouse


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


def retire_invocation_target(invocation_target: Path, logs_dir: Path) -> Path | None:
    """Remove a finished dbt invocation's target folder, keeping its ``run_results.json`` (what ran, how
    long, with which status) in ``logs_dir`` as ``<folder>.run_results.json``; returns where it went.

    dagster-dbt gives every invocation a new folder under the project's ``target/`` (24 MB at M: the
    compiled SQL, the manifest, the graph); left there, a daily refresh added 9 GB a year. A folder of an
    invocation that failed is not passed here and stays, to be looked at."""
    folder = Path(invocation_target)
    results = folder / "run_results.json"
    kept = None
    try:
        if results.is_file():
            logs_dir.mkdir(parents=True, exist_ok=True)
            kept = logs_dir / f"{folder.name}.run_results.json"
            shutil.copy2(results, kept)
    except OSError as exc:  # the build succeeded: a full disk or a read-only log folder does not fail it
        log.warning("dbt's run_results.json of %s not kept in %s: %s", folder, logs_dir, exc)
        return None
    shutil.rmtree(folder, ignore_errors=True)
    return kept


def ensure_dbt_manifest(dbt: DbtCliResource | None = None) -> None:
    """dagster-dbt builds the asset graph from dbt's manifest: parse the project when the manifest is
    missing or older than any project file (transformation/marts.py, the one place that does it; ``dbt`` is
    accepted for callers that hold the resource, and not needed)."""
    ensure_manifest(Path(DBT_PROJECT_DIR))
