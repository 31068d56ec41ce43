"""The Dagster instance a refresh runs in: ``Settings.dagster_home``, with its ``dagster.yaml`` if it has one.

Where that file configures no storage (the default, SQLite under the Dagster home), the event log is
:class:`PooledSqliteEventLogStorage`: the same files and tables as Dagster's ``SqliteEventLogStorage``, so
``dagster dev`` and the webserver read them as before, but written through one SQLAlchemy engine per database
kept open, where Dagster 1.13 creates an engine and opens a new connection for every write (and an asset
check's result takes three). Replaying the 1,221 events of a full refresh at M into an empty event log
(benchmarks' scale M, this machine): 11.1–11.9 s with Dagster's class, 2.2–3.0 s with this one. Durability
does not change: each event is still its own committed transaction, with the journal Dagster sets (WAL) and
SQLite's default ``synchronous=FULL``. A run's database has its write-ahead log checkpointed into the file
(passively: never waiting for a reader) ``CHECKPOINT_DELAY_S`` after a write (a timer, for every run
database written since), and before its engine is closed: ``dagster dev`` follows a running run by watching
that file, and would otherwise see its events only at SQLite's automatic checkpoints, every ~150 events; the
watcher sees each event within that delay. Dagster asks whether the asset checks' table exists before
storing each check's result, through a new connection each time; a table once found is remembered (until a
wipe). Replaying the 1,227 events of a full refresh at M: 3.1–4.0 s with a checkpoint after every write and
the question asked each time, 1.8–2.1 s without (this machine).

Dagster's private members it relies on (re-check them on a Dagster upgrade: the tests in
tests/unit/test_dagster_instance.py replay runs through both classes, watch a run with Dagster's class and
wipe): ``_connect`` (overridden; ``run_connection`` and ``index_connection`` go through it), ``has_table``
(answered from memory once true), ``_db_lock``, ``_initdb``, ``_initialized_dbs``, ``_base_dir``,
``create_db_conn_string``, ``SQLITE_BUSY_TIMEOUT_SECONDS``, ``_event_logs_directory``, and that an
``event_log_storage`` override makes ``InstanceRef.from_dir`` compose it with the default run and schedule
storages (Dagster 1.13.27).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa
import yaml
from dagster._core.instance.ref import InstanceRef, _event_logs_directory
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS, create_db_conn_string
from sqlalchemy.engine import Connection

# the run databases (SQLite files) whose engine stays open, the newest written or read; the index's stays too
OPEN_RUN_SHARDS = 8
# keys of dagster.yaml that configure the instance's storage; when one is set, the file decides
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")
# how long after a write to a run's database its write-ahead log is checkpointed into the file (the latest a
# watcher such as `dagster dev` sees the event)
CHECKPOINT_DELAY_S = 0.2


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, each database's engine created once and its connections pooled."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._tables_found: set[str] = set()
        self._unchecked: set[str] = set()  # run databases written since their last checkpoint
        self._checkpoint_timer: threading.Timer | None = None
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: Any, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _drop_inherited(self) -> None:
        """In a forked child, forget the parent's engines without closing their connections (the parent's)."""
        if self._engines_pid != os.getpid():
            for inherited in self._engines.values():
                inherited.dispose(close=False)
            self._engines.clear()
            self._unchecked.clear()  # the parent's: the parent checkpoints them (its timer is not here)
            self._checkpoint_timer = None
            self._engines_pid = os.getpid()

    def _engine(self, shard: str) -> sa.Engine:
        self._drop_inherited()
        cached = self._engines.get(shard)
        if cached is not None:
            self._engines.move_to_end(shard)
            return cached
        engine = sa.create_engine(
            create_db_conn_string(self._base_dir, shard),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        self._engines[shard] = engine
        runs = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for oldest in runs[: max(0, len(runs) - OPEN_RUN_SHARDS)]:
            self._checkpoint_shard(oldest)
            self._engines.pop(oldest).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn
            if shard != INDEX_SHARD_NAME:  # watched by `dagster dev` (the module's docstring)
                self._unchecked.add(shard)
                if self._checkpoint_timer is None:
                    self._checkpoint_timer = threading.Timer(CHECKPOINT_DELAY_S, self._checkpoint)
                    self._checkpoint_timer.daemon = True  # dispose() checkpoints what is left
                    self._checkpoint_timer.start()

    def _checkpoint_shard(self, shard: str) -> None:
        """Copy the write-ahead log of run database ``shard`` into its file if it was written since its last
        checkpoint (passive: a reader is never waited for). Under ``_db_lock``. Also before its engine is
        closed: closing the last connection checkpoints only when no other process has the file open, and
        `dagster dev` may be reading it."""
        if shard in self._unchecked:
            self._unchecked.discard(shard)
            engine = self._engines.get(shard)
            if engine is not None:
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _checkpoint_written(self) -> None:
        """Every run database written since its last checkpoint, and no timer pending. Under ``_db_lock``."""
        if self._checkpoint_timer is not None:
            self._checkpoint_timer.cancel()  # harmless from the timer's own thread
            self._checkpoint_timer = None
        for shard in sorted(self._unchecked):
            self._checkpoint_shard(shard)

    def _checkpoint(self) -> None:
        """The timer's."""
        with self._db_lock:
            if self._engines_pid == os.getpid():
                self._checkpoint_written()

    def has_table(self, table_name: str) -> bool:
        """Dagster's answer (a new connection to the index), remembered once the table exists: asked before
        every asset check's result is stored."""
        if table_name in self._tables_found:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_found.add(table_name)
        return found

    def _close_engines(self) -> None:
        with self._db_lock:
            self._drop_inherited()
            self._checkpoint_written()
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_engines()  # before the files are removed: an open connection would write to a deleted one
        self._tables_found.clear()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()  # the watchers first: they read through this storage
        self._close_engines()


def _own_config(dagster_home: Path) -> dict[str, Any]:
    path = dagster_home / "dagster.yaml"
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def instance_overrides(dagster_home: Path) -> dict[str, Any]:
    """What the refresh sets over ``dagster_home``'s ``dagster.yaml``: the pooled event log, unless the file
    configures the storage itself (e.g. PostgreSQL), in the folder Dagster's default uses."""
    if any(key in _own_config(dagster_home) for key in STORAGE_KEYS):
        return {}
    return {
        "event_log_storage": {
            "module": PooledSqliteEventLogStorage.__module__,
            "class": PooledSqliteEventLogStorage.__name__,
            "config": {"base_dir": _event_logs_directory(str(dagster_home))},
        }
    }


def refresh_instance(dagster_home: Path) -> dg.DagsterInstance:
    """The persistent Dagster instance in ``dagster_home`` (created if missing), with
    :func:`instance_overrides`."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    ref = InstanceRef.from_dir(str(dagster_home), overrides=instance_overrides(dagster_home))
    return dg.DagsterInstance.from_ref(ref)
