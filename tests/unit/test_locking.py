"""The refresh lock, the failpoints, and the sweep of what a killed ingest left behind."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from core.failpoints import failpoint
from core.locking import RefreshInProgress, refresh_lock
from core.settings import load_settings
from ingestion.contracts import VACANCIES
from ingestion.ingest import ingest_feed
from orchestration.cli import _refresh_running
from tests.conftest import vacancy_rows


def test_a_second_refresh_is_refused_while_one_holds_the_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from core.locking import refresh_lock
        with refresh_lock(Path({str(tmp_path)!r})):
            print("held", flush=True)
            sys.stdin.readline()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with (
        pytest.raises(RefreshInProgress, match=r"another refresh is running \(pid \d+\)"),
        refresh_lock(tmp_path),
    ):
        pass
    # `tw run` starts no gates' worker for a run that will be refused (orchestration/cli.py)
    assert _refresh_running(dataclasses.replace(load_settings(), home=tmp_path))
    holder.kill()  # SIGKILL: the kernel drops the lock with the process
    holder.wait()
    assert not _refresh_running(dataclasses.replace(load_settings(), home=tmp_path))
    with refresh_lock(tmp_path):
        pass


def test_failpoints_do_nothing_unless_named() -> None:
    failpoint("dbt_build", load_settings({}).failpoints)  # returns
    failpoint("dbt_build", load_settings({"TW_FAILPOINTS": "publish_before_switch"}).failpoints)
    with pytest.raises(ValueError, match="unknown failpoint"):
        failpoint("nowhere", frozenset())


def test_a_failpoint_kills_its_process_group(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "from core.failpoints import failpoint; from core.settings import load_settings; "
                "failpoint('dbt_build', load_settings().failpoints); print('survived')"
            ),
        ],
        env={"TW_FAILPOINTS": "dbt_build", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert proc.returncode == -9 and "survived" not in proc.stdout


def test_parts_without_a_manifest_are_swept_and_the_file_ingested_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "vacancies").mkdir(parents=True)
    pl.DataFrame(vacancy_rows(5)).write_csv(inbox / "vacancies" / "v.csv")
    raw = tmp_path / "raw"

    class Killed(Exception):
        pass

    def die() -> None:
        raise Killed

    with pytest.raises(Killed):  # stands in for SIGKILL between the parts and the manifest
        ingest_feed(inbox, "vacancies", raw, b"k", on_parts_written=die)
    parts = [p for p in raw.rglob("part-*.parquet") if "schema" not in p.name]
    assert parts and not list((raw / "_manifest").rglob("*.json"))
    (parts[0].parent / f".{parts[0].name}.tmp-999").write_bytes(b"half")
    reports = ingest_feed(inbox, "vacancies", raw, b"k")
    assert [r.status for r in reports] == ["loaded"]
    assert not list(raw.rglob(".*.tmp-*"))
    rows = pl.read_parquet(raw / VACANCIES.name / "*" / "*.parquet")
    assert rows.height == 5 and rows["source_row"].n_unique() == 5
