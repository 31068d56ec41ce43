"""The refresh's Dagster instance: its pooled event log writes what Dagster's own SQLite event log reads."""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration import instance as instance_module
from orchestration.instance import (
    CHECKPOINT_DELAY_S,
    OPEN_RUN_SHARDS,
    PooledSqliteEventLogStorage,
    instance_overrides,
    refresh_instance,
)

CHECKS = 5


@dg.asset
def counted() -> int:
    return 3


def _check(i: int) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=counted, name=f"check_{i}")
    def check() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=i != 2, metadata={"i": i})

    return check


JOB = dg.Definitions(
    assets=[counted], asset_checks=[_check(i) for i in range(CHECKS)], jobs=[dg.define_asset_job("refresh")]
).resolve_job_def("refresh")


def _run(instance: dg.DagsterInstance) -> str:
    return JOB.execute_in_process(instance=instance, raise_on_error=False).run_id


def _events(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str | None, str | None]]:
    return [
        (e.dagster_event_type.value if e.dagster_event_type else None, e.step_key)
        for e in instance.all_logs(run_id)
    ]


def test_runs_written_pooled_read_by_dagsters_own_class(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    with refresh_instance(home) as pooled:
        assert type(pooled.event_log_storage) is PooledSqliteEventLogStorage
        runs = [_run(pooled), _run(pooled)]
        written = {run_id: _events(pooled, run_id) for run_id in runs}
    with dg.DagsterInstance.from_config(str(home)) as default:  # what `dagster dev` opens on this home
        assert type(default.event_log_storage) is SqliteEventLogStorage
        for run_id in runs:
            assert _events(default, run_id) == written[run_id]
            types = [t for t, _ in written[run_id]]
            assert types.count("ASSET_CHECK_EVALUATION") == CHECKS
            assert types.count("ASSET_MATERIALIZATION") == 1
        # the cross-run index (asset and check history) holds both runs too
        assert default.get_latest_materialization_event(dg.AssetKey("counted")).run_id == runs[1]
        key = dg.AssetCheckKey(dg.AssetKey("counted"), "check_2")
        executions = default.event_log_storage.get_asset_check_execution_history(key, limit=10)
        assert [e.run_id for e in executions] == runs[::-1]


def test_a_home_whose_dagster_yaml_configures_storage_keeps_it(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    home.mkdir()
    assert instance_overrides(home)["event_log_storage"]["class"] == "PooledSqliteEventLogStorage"
    (home / "dagster.yaml").write_text(
        f"storage:\n  sqlite:\n    base_dir: {tmp_path / 'elsewhere'}\n", encoding="utf-8"
    )
    assert instance_overrides(home) == {}
    with refresh_instance(home) as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage
        _run(instance)
    assert list((tmp_path / "elsewhere").rglob("*.db"))


def test_engines_kept_open_for_the_newest_run_shards_and_the_index(tmp_path: Path) -> None:
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    try:
        with storage.index_connection() as conn:
            conn.exec_driver_sql("select 1")
        for i in range(OPEN_RUN_SHARDS + 3):
            with storage.run_connection(f"run-{i}") as conn:
                conn.exec_driver_sql("select 1")
        runs = [shard for shard in storage._engines if shard != "index"]
        assert "index" in storage._engines and len(runs) == OPEN_RUN_SHARDS
        assert runs[-1] == f"run-{OPEN_RUN_SHARDS + 2}" and "run-0" not in runs
        with storage.run_connection("run-0") as conn:  # an evicted shard opens again
            conn.exec_driver_sql("select 1")
        assert list(storage._engines)[-1] == "run-0"
    finally:
        storage.dispose()
    assert not storage._engines


def test_a_forked_process_does_not_use_its_parents_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    try:
        with storage.run_connection("a") as conn:
            conn.exec_driver_sql("select 1")
        parents = storage._engines["a"]
        monkeypatch.setattr(instance_module.os, "getpid", lambda: -1)
        with storage.run_connection("a") as conn:
            conn.exec_driver_sql("select 1")
        assert storage._engines["a"] is not parents
    finally:
        storage.dispose()


def test_wipe_closes_the_open_databases_before_removing_them(tmp_path: Path) -> None:
    """After a wipe the same run's events go to a new file (a connection kept open to the removed one would
    write them where nobody reads)."""
    base = str(tmp_path / "runs")
    storage = PooledSqliteEventLogStorage(base)
    try:
        storage.store_event(_entry("r1", 0))
        storage.wipe()
        storage.store_event(_entry("r1", 1))
    finally:
        storage.dispose()
    fresh = SqliteEventLogStorage(base)
    assert [e.user_message for e in fresh.get_logs_for_run("r1")] == ["event 1"]


def _entry(run_id: str, i: int) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=logging.INFO,
        user_message=f"event {i}",
        run_id=run_id,
        timestamp=time.time(),
        step_key=None,
        job_name="refresh",
        dagster_event=None,
    )


def test_a_watcher_with_dagsters_class_sees_each_event_as_it_is_written(tmp_path: Path) -> None:
    """`dagster dev` follows a running run by watching its database file: each write must reach it, not only
    the connection's write-ahead log (kept open, its pages would reach the file at SQLite's checkpoints)."""
    base = str(tmp_path / "runs")
    writer, reader = PooledSqliteEventLogStorage(base), SqliteEventLogStorage(base)
    seen: list[str] = []
    try:
        writer.store_event(_entry("r1", 0))
        reader.watch("r1", None, lambda event, cursor: seen.append(event.user_message))
        time.sleep(0.5)  # the observer's start
        for i in range(1, 6):
            writer.store_event(_entry("r1", i))
            deadline = time.monotonic() + 10
            while f"event {i}" not in seen and time.monotonic() < deadline:
                time.sleep(0.05)
            assert f"event {i}" in seen, seen  # before the next write, while the writer stays open
    finally:
        reader.dispose()
        writer.dispose()


def test_a_burst_of_writes_is_checkpointed_once_not_after_each_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's file gets the burst's events at one checkpoint, CHECKPOINT_DELAY_S after the first write
    (the watcher test above: each event reaches a watcher without the next write)."""
    checkpoints: list[float] = []
    checkpoint = PooledSqliteEventLogStorage._checkpoint

    def counted_checkpoint(self: PooledSqliteEventLogStorage) -> None:
        checkpoints.append(time.monotonic())
        checkpoint(self)

    monkeypatch.setattr(PooledSqliteEventLogStorage, "_checkpoint", counted_checkpoint)
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    writes = 40
    try:
        started = time.monotonic()
        for i in range(writes):
            storage.store_event(_entry("r1", i))
        took = time.monotonic() - started
        time.sleep(CHECKPOINT_DELAY_S * 3)
        assert 1 <= len(checkpoints) <= took / CHECKPOINT_DELAY_S + 1, (len(checkpoints), took)
        assert checkpoints[0] - started >= CHECKPOINT_DELAY_S * 0.9
        assert not storage._unchecked and storage._checkpoint_timer is None
        storage.store_event(_entry("r1", writes))  # a later write starts the timer again
        assert storage._checkpoint_timer is not None
    finally:
        storage.dispose()
    assert storage._checkpoint_timer is None  # cancelled: closing the connections checkpointed the file
    assert len(SqliteEventLogStorage(str(tmp_path / "runs")).get_logs_for_run("r1")) == writes + 1


def test_a_table_found_is_remembered_until_a_wipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster asks whether the asset checks' table exists before storing each check's result."""
    asked: list[str] = []
    has_table = SqliteEventLogStorage.has_table

    def counted_has_table(self: SqliteEventLogStorage, name: str) -> bool:
        asked.append(name)
        return has_table(self, name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counted_has_table)
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    try:
        for _ in range(3):
            assert storage.supports_asset_checks
            assert not storage.has_table("no_such_table")
        assert asked == ["asset_check_executions"] + ["no_such_table"] * 3
        storage.wipe()
        assert storage.supports_asset_checks
        assert asked.count("asset_check_executions") == 2
    finally:
        storage.dispose()


def test_events_written_just_before_dispose_reach_the_file_a_reader_holds_open(tmp_path: Path) -> None:
    """`dagster dev` may have the run's database open when the refresh ends: closing the refresh's connection
    then does not checkpoint (SQLite does only for the last connection), so dispose() checkpoints first."""
    base = tmp_path / "runs"
    storage = PooledSqliteEventLogStorage(str(base))
    storage.store_event(_entry("r1", 0))
    reader = sqlite3.connect(base / "r1.db")  # another process's view: held open, reading nothing
    try:
        reader.execute("select count(*) from event_logs").fetchone()
        for i in range(1, 4):
            storage.store_event(_entry("r1", i))
        storage.dispose()  # before the timer's checkpoint
        file_only = tmp_path / "file_only.db"
        shutil.copyfile(base / "r1.db", file_only)  # the file without its write-ahead log
        with contextlib.closing(sqlite3.connect(file_only)) as copy:
            assert copy.execute("select count(*) from event_logs").fetchone() == (4,)
    finally:
        reader.close()
