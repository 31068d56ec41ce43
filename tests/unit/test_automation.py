"""The inbox sensor starts a run for new or changed files, and only then; the schedule is valid."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.automation import inbox_sensor, nightly_schedule


def _evaluate(cursor: str | None):
    with dg.instance_for_test() as instance:
        return inbox_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_sensor_fires_on_new_and_changed_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TW_INBOX_DIR", str(tmp_path))
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


def test_schedule_targets_the_refresh_job() -> None:
    assert nightly_schedule.job_name == "refresh"
    assert nightly_schedule.cron_schedule == "0 2 * * *"


def test_nothing_new_compares_inbox_code_and_settings_with_the_current_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os

    from core.settings import load_settings
    from transformation.fingerprint import nothing_new, run_fingerprint

    monkeypatch.setenv("TW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TW_INBOX_DIR", str(tmp_path / "inbox"))
    (tmp_path / "inbox" / "vacancies").mkdir(parents=True)
    f = tmp_path / "inbox" / "vacancies" / "v.csv"
    f.write_text("posting_id\n1\n")
    settings = load_settings()
    assert not nothing_new(settings)  # no release yet
    release = settings.releases_dir / "r1"
    release.mkdir(parents=True)
    (release / "release.json").write_text(json.dumps({"fingerprint": run_fingerprint(settings)}))
    os.symlink("r1", settings.releases_dir / "current")
    assert nothing_new(settings)
    with dg.instance_for_test() as instance:
        assert isinstance(nightly_schedule(dg.build_schedule_context(instance=instance)), dg.SkipReason)
    monkeypatch.setenv("TW_SUPPRESSION_K", "10")  # a setting that changes the release
    assert not nothing_new(load_settings())
    monkeypatch.delenv("TW_SUPPRESSION_K")
    f.write_text("posting_id\n1\n2\n")  # a changed file
    assert not nothing_new(load_settings())
    with dg.instance_for_test() as instance:
        assert isinstance(nightly_schedule(dg.build_schedule_context(instance=instance)), dg.RunRequest)
