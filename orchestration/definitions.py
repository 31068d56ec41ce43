"""The project's Dagster ``Definitions``, built from :class:`Settings`.

``dagster dev`` loads ``defs`` (pyproject [tool.dagster]): the settings of that process's environment.
``tw run`` builds its own with ``build_definitions(settings, full_refresh=..., gates=...)``.
"""

from __future__ import annotations

import dagster as dg

from core.settings import Settings, load_settings
from orchestration.assets.feeds import feed_assets, feed_checks, quarantine
from orchestration.assets.publication import (
    postgres_release,
    published_release,
    release_candidate,
    release_candidate_check,
)
from orchestration.assets.transform import build_dbt_assets
from orchestration.automation import inbox_sensor, nightly_schedule, refresh_job
from orchestration.resources import dbt_resource, ensure_dbt_manifest, warehouse_resource
from quality.worker import Gates


def build_definitions(
    settings: Settings,
    *,
    full_refresh: bool = False,
    loggers: dict[str, dg.LoggerDefinition] | None = None,
    gates: Gates | None = None,
    dbt_forkserver_client: str | None = None,
) -> dg.Definitions:
    """Assets, checks, the ``refresh`` job, schedule, sensor and resources, all on ``settings``.

    ``full_refresh`` is the default of the ``warehouse`` resource's config (a run may still set it);
    ``loggers`` are offered to runs (``tw run`` names its own in the run config: orchestration/run_log.py);
    ``gates``: where the quality gates run (``tw run`` gives its worker, quality/worker.py; default: in the
    run's process); ``dbt_forkserver_client``: the executable dbt commands run (``tw run`` gives its dbt
    fork server's client, transformation/dbt_forkserver.py; default: the installed dbt).
    """
    dbt = dbt_resource(settings, dbt_forkserver_client)
    ensure_dbt_manifest(dbt)
    return dg.Definitions(
        assets=[
            *feed_assets,
            quarantine,
            build_dbt_assets(),
            release_candidate,
            published_release,
            postgres_release,
        ],
        asset_checks=[feed_checks, release_candidate_check],
        jobs=[refresh_job],
        schedules=[nightly_schedule(settings)],
        sensors=[inbox_sensor(settings)],
        resources={
            "warehouse": warehouse_resource(settings, full_refresh=full_refresh, gates=gates),
            "dbt": dbt,
        },
        loggers=loggers,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What ``dagster dev`` loads: the definitions on the settings of this process's environment."""
    return build_definitions(load_settings())
