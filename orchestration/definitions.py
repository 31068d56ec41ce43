"""The one Dagster ``Definitions`` of the project: ``dagster dev`` loads it (see pyproject [tool.dagster])."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.feeds import feed_assets, feed_checks, quarantine
from orchestration.assets.publication import (
    postgres_release,
    published_release,
    release_candidate,
    release_candidate_check,
)
from orchestration.assets.transform import warehouse_dbt_assets
from orchestration.automation import inbox_sensor, nightly_schedule, refresh_job
from orchestration.resources import WarehouseResource, dbt_resource

defs = dg.Definitions(
    assets=[
        *feed_assets,
        quarantine,
        warehouse_dbt_assets,
        release_candidate,
        published_release,
        postgres_release,
    ],
    asset_checks=[feed_checks, release_candidate_check],
    jobs=[refresh_job],
    schedules=[nightly_schedule],
    sensors=[inbox_sensor],
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
)
