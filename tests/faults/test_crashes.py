"""Crashes and concurrent readers, on the real pipeline (``tw run`` in a child process).

One warehouse home goes through this sequence (each step asserts what it expects):

1. a clean run publishes release R1 (one vacancy file is held back);
2. the held-back file arrives; a run is killed (SIGKILL of its process group) just after that file's
   Parquet parts were written and before its manifest: R1 is untouched, the half-ingested parts are there;
3. a run is killed inside the dbt build: R1 is untouched;
4. a run is killed during publish, after the new release folder was moved into place and before
   ``current`` switched: R1 is still current and byte for byte what it was;
5. a run completes while readers query ``current`` continuously (DuckDB and the SQL endpoint, PostgreSQL,
   into which the run's publish step loads the new release): every
   answer comes from one complete release, nothing errors; the raw zone holds every input row exactly
   once (read = loaded + quarantined per file, no duplicate rows), and the published vacancy totals
   equal the inbox's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

import duckdb
import polars as pl
import pytest

from devtools.sample import generate
from tests.faults.figures import record_figures

pytestmark = pytest.mark.e2e

HELD_BACK = "vacancies/2024/vacancies_2024-12.csv"


def _tw(home: Path, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TW_HOME": str(home),
        "TW_INBOX_DIR": str(home / "inbox"),
        "TW_DEMO": "1",
        "DAGSTER_HOME": str(home / "dagster"),
        # atomicity is tested here, not the white papers' PDF (tests/e2e/test_pipeline.py prints and reads
        # it): headless Chromium printing one PDF per city in each of the runs would only add minutes
        "TW_WHITEPAPER_PDF": "off",
    }
    env.pop("TW_FAILPOINTS", None)
    if failpoint:
        env["TW_FAILPOINTS"] = failpoint
    tw = Path(sys.executable).parent / "tw"
    command = [str(tw)] if tw.exists() else [sys.executable, "-m", "orchestration.cli"]
    return subprocess.run(
        [*command, "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        start_new_session=True,
        check=False,
    )  # its own process group: the failpoint kills only it


def _processes_of(home: Path, within: float) -> list[str]:
    """The command lines of the processes still running with ``TW_HOME`` = ``home`` after ``within`` s."""
    marker = f"TW_HOME={home}".encode()
    deadline = time.monotonic() + within
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            try:
                if (
                    proc.name.isdigit()
                    and marker in (proc / "environ").read_bytes().split(b"\0")
                    and (proc / "stat").read_text().split(") ")[-1][0] != "Z"  # a zombie has ended
                ):
                    found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:  # ended meanwhile, or not ours to read
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _killed(proc: subprocess.CompletedProcess[str]) -> bool:
    return proc.returncode == -signal.SIGKILL


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _release_fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


SQL = (
    "select (select release_id from release_info) as release_id, "
    "(select count(*) from mart_talent_match) as match_rows, "
    "(select count(*) from mart_talent_outflow) as outflow_rows"
)

# An analyst's process: opens current/warehouse.duckdb read-only for every query, prints one JSON line per
# answer.
DUCKDB_READER = f"""
import duckdb, json, sys, time, pathlib
current, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
while not stop.exists():
    try:
        con = duckdb.connect(str(current / "warehouse.duckdb"), read_only=True)
        try:
            print(json.dumps({{"row": list(con.execute({SQL!r}).fetchone())}}), flush=True)
        finally:
            con.close()
    except Exception as exc:
        print(json.dumps({{"error": f"{{type(exc).__name__}}: {{exc}}"}}), flush=True)
    time.sleep(0.05)
"""


class Readers:
    """Readers that query ``current`` until stopped: a separate DuckDB process, and a client of the SQL
    endpoint. Each answer must come from one complete release (its row counts are that release's)."""

    def __init__(self, releases: Path, endpoint_dsn: str, tmp: Path) -> None:
        self.releases, self.dsn, self.stop_file = releases, endpoint_dsn, tmp / "stop-readers"
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.seen: dict[str, int] = {}
        self.answers = 0
        self.thread = threading.Thread(target=self._endpoint, daemon=True)
        self.process: subprocess.Popen[str] | None = None

    def _check(self, row: tuple | list) -> None:
        release_id, match_rows, outflow_rows = row
        manifest = json.loads((self.releases / release_id / "manifest.json").read_text(encoding="utf-8"))
        rows = {t["table"]: t["rows"] for t in manifest["tables"]}
        if (rows["mart_talent_match"], rows["mart_talent_outflow"]) != (match_rows, outflow_rows):
            self.errors.append(
                f"{release_id}: counts {match_rows}, {outflow_rows} are not the release's {rows}"
            )
        self.seen[release_id] = self.seen.get(release_id, 0) + 1
        self.answers += 1

    def _endpoint(self) -> None:
        import psycopg

        while not self.stop.is_set():
            try:
                with psycopg.connect(self.dsn) as con:
                    self._check(con.execute(SQL).fetchone())
            except Exception as exc:
                self.errors.append(f"endpoint: {type(exc).__name__}: {exc}")
            time.sleep(0.05)

    def __enter__(self) -> Self:
        self.process = subprocess.Popen(
            [sys.executable, "-c", DUCKDB_READER, str(self.releases / "current"), str(self.stop_file)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.stop_file.touch()
        self.thread.join(timeout=30)
        assert self.process is not None
        out, _ = self.process.communicate(timeout=60)
        for line in out.splitlines():
            answer = json.loads(line)
            if "error" in answer:
                self.errors.append(f"duckdb: {answer['error']}")
            else:
                self._check(answer["row"])


def _inbox_rows(inbox: Path) -> dict[str, int]:
    """Data rows per inbox file, counted here from the files themselves."""
    counts = {}
    for path in sorted(inbox.rglob("*")):
        if path.suffix == ".csv":
            text = path.read_bytes()
            try:
                text.decode("utf-8")
                counts[str(path.relative_to(inbox))] = pl.read_csv(path, infer_schema=False).height
            except UnicodeDecodeError:
                counts[str(path.relative_to(inbox))] = pl.read_csv(
                    text.decode("gb18030").encode(), infer_schema=False
                ).height
        elif path.suffix == ".parquet":
            counts[str(path.relative_to(inbox))] = pl.read_parquet(path).height
        elif path.suffix == ".xlsx":
            counts[str(path.relative_to(inbox))] = -1  # spreadsheets: reconciled by the manifest only
    return counts


def test_kill_during_ingest_dbt_and_publish_then_recover_with_readers(tmp_path: Path) -> None:
    """SIGKILL in ingest, dbt build and publish: the release stays intact; the next run publishes; readers see
    whole releases only; every row once."""
    from core.settings import DBT_PROJECT_DIR
    from publication.postgres import published_declarations
    from serving.postgres import sync_current_release
    from tests.postgres_server import embedded_endpoint

    home = tmp_path / "home"
    inbox = home / "inbox"
    generate(inbox, "small")
    held = tmp_path / "held.csv"
    (inbox / HELD_BACK).rename(held)
    figures: dict[str, object] = {}

    # 1. a clean run publishes R1; its dbt commands ran in children of its dbt fork server
    first = _tw(home)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    run_log = next((home / "logs").glob("run-*.log")).read_text(encoding="utf-8")
    assert re.search(r"Running dbt command: `\S*/tw-dbt-[^/]+/dbt build", run_log), "not by the fork server"
    releases = home / "releases"
    r1 = os.readlink(releases / "current")
    r1_files = _release_fingerprint(releases / r1)

    def r1_intact() -> None:
        assert os.readlink(releases / "current") == r1
        assert _release_fingerprint(releases / r1) == r1_files

    # 2. killed between the new file's parts and its manifest
    held.rename(inbox / HELD_BACK)
    proc = _tw(home, "ingest_after_parts")
    assert _killed(proc), proc.stderr[-3000:]
    r1_intact()
    manifests = {p.stem for p in (home / "raw" / "_manifest").rglob("*.json")}
    orphans = [
        p
        for p in (home / "raw").rglob("part-*.parquet")
        if p.stem.removeprefix("part-") not in manifests | {"schema"}
    ]
    assert orphans, "the kill left a half-ingested file (parts without a manifest)"
    figures["orphan_parts_after_ingest_kill"] = len(orphans)

    # 3. killed inside dbt build: dbt (a child of the run's dbt fork server, in a session of its own) and the
    # fork server end with the run
    proc = _tw(home, "dbt_build")
    assert _killed(proc), proc.stderr[-3000:]
    r1_intact()
    assert _processes_of(home, within=10.0) == [], "a process of the killed run is still running"

    # 4. killed during publish, after the release folder moved into place, before the switch
    proc = _tw(home, "publish_before_switch")
    assert _killed(proc), proc.stderr[-3000:]
    r1_intact()
    unswitched = [
        p.name for p in releases.iterdir() if p.is_dir() and p.name not in (r1, "candidates", "current")
    ]
    assert unswitched, "the killed publish had moved its folder into place"

    # 5. a complete run while readers query: the SQL endpoint starts on R1, the run's publish step loads R2
    with embedded_endpoint(home) as endpoint:
        declarations = published_declarations(DBT_PROJECT_DIR / "target" / "manifest.json")
        assert sync_current_release(endpoint.admin, endpoint.settings, declarations) == r1
        with Readers(releases, endpoint.dsn(), tmp_path) as readers:
            time.sleep(1)
            last = _tw(home)
            time.sleep(1)
    assert last.returncode == 0, last.stdout[-3000:] + last.stderr[-3000:]
    r2 = os.readlink(releases / "current")
    assert r2 != r1
    assert readers.errors == [], readers.errors[:5]
    assert readers.seen.get(r1, 0) > 0 and readers.seen.get(r2, 0) > 0, readers.seen
    figures.update(reader_answers=readers.answers, releases_seen=len(readers.seen))

    # nothing lost, nothing twice
    manifests_data = [json.loads(p.read_text()) for p in (home / "raw" / "_manifest").rglob("*.json")]
    inbox_rows = _inbox_rows(inbox)
    assert {m["source_file"] for m in manifests_data} == set(inbox_rows)
    for m in manifests_data:
        assert m["rows_read"] == m["rows_loaded"] + m["rows_quarantined"], m["source_file"]
        if inbox_rows[m["source_file"]] >= 0:
            assert m["rows_read"] == inbox_rows[m["source_file"]], m["source_file"]
    con = duckdb.connect()
    for feed in ("vacancies", "graduate_destinations", "enrolment", "industry_output"):
        raw = f"read_parquet('{home}/raw/{feed}/*/*.parquet', union_by_name=true)"
        loaded = {m["source_file"]: m["rows_loaded"] for m in manifests_data if m["feed"] == feed}
        got = dict(con.execute(f"select source_file, count(*) from {raw} group by 1").fetchall())
        assert got == {f: n for f, n in loaded.items() if n}, feed
        dups = con.execute(
            f"select count(*) from (select source_file, source_row from {raw} "
            f"group by all having count(*) > 1)"
        ).fetchone()[0]
        assert dups == 0, feed
    published = duckdb.connect(str(releases / "current" / "warehouse.duckdb"), read_only=True)
    demand = dict(
        published.execute(
            "select year, sum(vacancy_headcount) from mart_talent_match where "
            "region_level = 'province' and industry_level = 'section' group by 1"
        ).fetchall()
    )
    inbox_demand = dict(
        con.execute(
            f"select year(posted_date), sum(headcount) from read_parquet('{home}/raw/vacancies/*/*.parquet') "
            "group by 1"
        ).fetchall()
    )
    assert demand == inbox_demand
    figures.update(
        files=len(manifests_data),
        rows_read=sum(m["rows_read"] for m in manifests_data),
        rows_lost=sum(m["rows_read"] - m["rows_loaded"] - m["rows_quarantined"] for m in manifests_data),
    )
    record_figures(
        len(manifests_data),
        sum(m["rows_read"] for m in manifests_data),
        sum(m["rows_loaded"] for m in manifests_data),
        sum(m["rows_quarantined"] for m in manifests_data),
    )
    print("crash figures:", figures)
