"""Job, schedule and inbox sensor; the schedule and the sensor are built from the settings they run on."""

import hashlib
from pathlib import Path

import dagster as dg

from core.settings import Settings
from transformation.fingerprint import inbox_entries

# Steps run one after another in one process: DuckDB allows one writing process per database file.
refresh_job = dg.define_asset_job(
    name="refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest new files of every feed, build the dbt models their changes reach (all of them "
    "after a code change) with their tests, check, and publish a release (transformation/build_plan.py).",
    executor_def=dg.in_process_executor,
)


def nightly_schedule(settings: Settings) -> dg.ScheduleDefinition:
    """The refresh at ``settings.schedule_cron``, skipped when nothing is new."""

    @dg.schedule(
        name="nightly_refresh",
        job=refresh_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone="Asia/Shanghai",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="The refresh, nightly; skipped when the current release was built from this very "
        "inbox, code and settings (transformation/fingerprint.py).",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        from transformation.fingerprint import nothing_new

        if nothing_new(settings):
            return dg.SkipReason("nothing new since the current release")
        return dg.RunRequest()

    return _schedule


def inbox_fingerprint(inbox_dir: Path) -> str:
    """Names, sizes and modification times of every feed file and source profile in the inbox."""
    h = hashlib.sha256()
    for entry in inbox_entries(inbox_dir):
        h.update(f"{entry}\n".encode())
    return h.hexdigest()


def inbox_sensor(settings: Settings) -> dg.SensorDefinition:
    """Looks at ``settings.inbox_dir`` every ``settings.sensor_interval_seconds``."""

    @dg.sensor(
        name="inbox_sensor",
        job=refresh_job,
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts a refresh when files are added to or changed in the inbox.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        fingerprint = inbox_fingerprint(settings.inbox_dir)
        if fingerprint == context.cursor:
            return dg.SkipReason("no new or changed files in the inbox")
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=fingerprint)], cursor=fingerprint)

    return _sensor
