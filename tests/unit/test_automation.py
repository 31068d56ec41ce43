"""The inbox sensor starts a run for new or changed files, and only then; the schedule is valid."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from core.settings import load_settings
from orchestration.automation import inbox_fingerprint, inbox_sensor, nightly_schedule


def test_sensor_fires_on_new_and_changed_files_only(tmp_path: Path) -> None:
    sensor = inbox_sensor(load_settings({"TW_INBOX_DIR": str(tmp_path), "TW_SENSOR_INTERVAL_SECONDS": "30"}))
    assert sensor.minimum_interval_seconds == 30

    def _evaluate(cursor: str | None) -> dg.SensorResult | dg.SkipReason:
        with dg.instance_for_test() as instance:
            return sensor(dg.build_sensor_context(instance=instance, cursor=cursor))

    empty = _evaluate(None)
    assert isinstance(empty, dg.SensorResult) and len(empty.run_requests) == 1  # first look: no cursor yet
    again = _evaluate(empty.cursor)
    assert isinstance(again, dg.SkipReason)
    (tmp_path / "vacancies").mkdir()
    f = tmp_path / "vacancies" / "v.csv"
    f.write_text("posting_id\n1\n")
    new = _evaluate(empty.cursor)
    assert isinstance(new, dg.SensorResult) and new.run_requests[0].run_key == new.cursor != empty.cursor
    assert isinstance(_evaluate(new.cursor), dg.SkipReason)
    f.write_text("posting_id\n1\n2\n")
    assert isinstance(_evaluate(new.cursor), dg.SensorResult)
    (tmp_path / "vacancies" / "notes.docx").write_text("not a feed file")
    assert isinstance(_evaluate(_evaluate(new.cursor).cursor), dg.SkipReason)


def test_schedule_targets_the_refresh_job_at_the_configured_time() -> None:
    assert nightly_schedule(load_settings({})).job_name == "refresh"
    assert nightly_schedule(load_settings({})).cron_schedule == "0 2 * * *"
    assert nightly_schedule(load_settings({"TW_SCHEDULE_CRON": "30 4 * * 1"})).cron_schedule == "30 4 * * 1"


def test_nothing_new_compares_inbox_code_and_settings_with_the_current_release(tmp_path: Path) -> None:
    import json
    import os

    from transformation.fingerprint import nothing_new, run_fingerprint

    env = {"TW_HOME": str(tmp_path / "home"), "TW_INBOX_DIR": str(tmp_path / "inbox")}
    (tmp_path / "inbox" / "vacancies").mkdir(parents=True)
    f = tmp_path / "inbox" / "vacancies" / "v.csv"
    f.write_text("posting_id\n1\n")
    settings = load_settings(env)
    schedule = nightly_schedule(settings)
    assert not nothing_new(settings)  # no release yet
    release = settings.releases_dir / "r1"
    release.mkdir(parents=True)
    (release / "release.json").write_text(json.dumps({"fingerprint": run_fingerprint(settings)}))
    os.symlink("r1", settings.releases_dir / "current")
    assert nothing_new(settings)
    with dg.instance_for_test() as instance:
        assert isinstance(schedule(dg.build_schedule_context(instance=instance)), dg.SkipReason)
    assert not nothing_new(load_settings({**env, "TW_SUPPRESSION_K": "10"}))  # a setting that changes it
    f.write_text("posting_id\n1\n2\n")  # a changed file
    assert not nothing_new(load_settings(env))
    with dg.instance_for_test() as instance:
        assert isinstance(schedule(dg.build_schedule_context(instance=instance)), dg.RunRequest)


def test_a_file_the_readers_do_not_take_or_a_profile_is_something_new(tmp_path: Path) -> None:
    """#17: an .xls (or a .doc) added to the inbox was skipped and `tw run` said "nothing new". Every file
    under a feed's folder is in the run's fingerprint, whatever its type: the run ingests it (or rejects it
    with its message)."""
    import json
    import os

    from transformation.fingerprint import nothing_new, run_fingerprint

    env = {"TW_HOME": str(tmp_path / "home"), "TW_INBOX_DIR": str(tmp_path / "inbox")}
    folder = tmp_path / "inbox" / "industry_output"
    folder.mkdir(parents=True)
    (folder / "o.csv").write_text("period\n2024\n")
    settings = load_settings(env)
    release = settings.releases_dir / "r1"
    release.mkdir(parents=True)
    (release / "release.json").write_text(json.dumps({"fingerprint": run_fingerprint(settings)}))
    os.symlink("r1", settings.releases_dir / "current")
    assert nothing_new(settings)
    for name in ("表2-6.xls", "说明.doc"):
        (folder / name).write_bytes(b"\xd0\xcf\x11\xe0")
        assert not nothing_new(load_settings(env)), name
        (folder / name).unlink()
    # so is a source profile saved or edited beside the files (it changes what they load as), for `tw run`
    # and for the inbox sensor alike
    before = inbox_fingerprint(settings.inbox_dir)
    (folder / "o.profile.yml").write_text("files: o.csv\nconstants: {period: '2024'}\n", "utf-8")
    assert not nothing_new(load_settings(env))
    assert inbox_fingerprint(settings.inbox_dir) != before


def test_a_new_version_of_what_runs_the_sql_changes_the_code_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade of dbt or DuckDB builds everything again (and so runs the dbt unit tests on it)."""
    import transformation.fingerprint as fingerprint

    settings = load_settings({"TW_HOME": str(tmp_path / "home")})
    before = fingerprint.code_fingerprint(settings)
    installed = fingerprint.version

    def upgraded(package: str) -> str:
        return "9.9.9" if package == "duckdb" else installed(package)

    monkeypatch.setattr(fingerprint, "version", upgraded)
    assert fingerprint.code_fingerprint(settings) != before
    monkeypatch.setattr(fingerprint, "version", installed)
    assert fingerprint.code_fingerprint(settings) == before
