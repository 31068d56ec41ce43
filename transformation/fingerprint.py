"""What a release was built from, so a refresh with nothing new can stop at once and publish nothing.

The fingerprint covers the inbox (every feed file's and source profile's path, size and modification
time) and the code and settings that shape a release (the dbt project, the Python packages, the versions
of the packages that run the SQL, ``TW_SUPPRESSION_K``, ``TW_DBT_TARGET``). A run takes it when it starts
(so a file arriving mid-run makes the next run go ahead); the published release records it in
``release.json``; ``tw run`` compares it with the current release's before starting Dagster.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from core.settings import DBT_PROJECT_DIR, REPO_ROOT, RUNTIME_PACKAGES, Settings
from ingestion.contracts import FEEDS
from ingestion.ingest import inbox_files

DBT_DIRS = ("models", "macros", "seeds", "tests", "snapshots")
# what runs the SQL and checks it: a new version builds and validates everything again (build_plan.py,
# quality/increments.py; the dbt unit tests run in the project's tests, tests/e2e/test_dbt_unit_tests.py, not
# in refreshes)
ENGINE_PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb", "dbt-spark", "pyspark", "great-expectations")
# the declarations the runtime packages read beside their code (the feed contracts the feed suites are built
# from, the lists, the published-contract changes, the example queries)
DECLARATION_SUFFIXES = (".yml", ".yaml")


def _code_files() -> list[Path]:
    files = [DBT_PROJECT_DIR / "dbt_project.yml"]
    files += [p for p in [DBT_PROJECT_DIR / "profiles.yml"] if p.is_file()]
    files += [p for d in DBT_DIRS for p in (DBT_PROJECT_DIR / d).rglob("*") if p.is_file()]
    files += [
        p
        for d in RUNTIME_PACKAGES
        for p in (REPO_ROOT / d).rglob("*")
        if p.is_file() and (p.suffix == ".py" or p.suffix in DECLARATION_SUFFIXES)
    ]
    return sorted(files)


def code_fingerprint(settings: Settings) -> str:
    """The dbt project (its profiles too), the Python packages and their declarations (YAML), the versions
    of the packages that run the SQL and check it, and the dbt target: what shapes the models built and
    the checks they pass."""
    h = hashlib.sha256()
    for path in _code_files():
        h.update(f"code|{path.relative_to(REPO_ROOT)}|".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    for package in ENGINE_PACKAGES:
        h.update(f"engine|{package}={_installed(package)}\n".encode())
    h.update(f"target={settings.dbt_target}\n".encode())
    return h.hexdigest()


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"


def inbox_entries(inbox_dir: Path) -> list[str]:
    """What of the inbox a run is built from: ``path|size|mtime`` of every feed file and source profile
    (the path relative to the inbox). One list for the run's fingerprint and the inbox sensor's."""
    entries = []
    for feed in FEEDS:
        for path in inbox_files(inbox_dir, feed, with_profiles=True):
            st = path.stat()
            entries.append(f"{path.relative_to(inbox_dir)}|{st.st_size}|{st.st_mtime_ns}")
    return entries


def run_fingerprint(settings: Settings) -> str:
    h = hashlib.sha256()
    for entry in inbox_entries(settings.inbox_dir):
        h.update(f"inbox|{entry}\n".encode())
    h.update(f"code|{code_fingerprint(settings)}\n".encode())
    h.update(f"settings|k={settings.suppression_k}\n".encode())
    return h.hexdigest()


def started_fingerprint_path(settings: Settings) -> Path:
    return settings.home / "warehouse" / "run_fingerprint.json"


def record_run_start(settings: Settings) -> str:
    fingerprint = run_fingerprint(settings)
    path = started_fingerprint_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fingerprint": fingerprint}), encoding="utf-8")
    return fingerprint


def run_start_fingerprint(settings: Settings) -> str | None:
    path = started_fingerprint_path(settings)
    return json.loads(path.read_text(encoding="utf-8"))["fingerprint"] if path.exists() else None


def current_release_fingerprint(settings: Settings) -> str | None:
    record = settings.current_release_link / "release.json"
    if not record.exists():
        return None
    return json.loads(record.read_text(encoding="utf-8")).get("fingerprint")


def nothing_new(settings: Settings) -> bool:
    """True when the current release was built from exactly this inbox, code and settings."""
    published = current_release_fingerprint(settings)
    return published is not None and published == run_fingerprint(settings)
