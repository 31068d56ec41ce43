"""The raw zone: typed Parquet per feed and period, a quarantine, and a manifest per ingested file.

Layout under ``raw_dir``::

    <feed>/period=<p>/part-<sha16>.parquet      rows loaded from one source file
    _quarantine/<feed>/part-<sha16>.parquet     rows refused, with their reasons
    _manifest/<feed>/<sha16>.json               one per source file: counts, status (written last)
    _file_hashes/<feed>.json                    each inbox file's SHA-256 with the file's identity when
                                                hashed (:func:`known_hashes`): not hashed again unchanged

Every data file is written to a temporary name and renamed into place, and the manifest is
written last: a file whose manifest exists is fully ingested, and ingesting it again is a no-op.
A run killed half-way leaves no manifest: the next run first removes parts without a manifest
(:func:`sweep_incomplete`), then ingests that file again under the same names.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ingestion.contracts import FEEDS, FeedContract
from ingestion.validate import POLARS_TYPES

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "feed": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "file_sha256": pl.Utf8(),
    "reason": pl.Utf8(),
    "raw_record": pl.Utf8(),
    "ingested_at": pl.Datetime("us", "UTC"),
}
EMPTY_PARTITION = "_empty"


@dataclass
class FileReport:
    feed: str
    source_file: str
    file_sha256: str
    status: str  # loaded | unchanged | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    periods: list[str] = field(default_factory=list)
    encoding: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    ingested_at: str = ""
    # rows loaded per mapping path of their major code (ingestion/major_editions.py), for the feeds with one
    major_mapping_paths: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined


def feed_schema(contract: FeedContract) -> dict[str, pl.DataType]:
    schema = {c.name: POLARS_TYPES[c.dtype] for c in contract.columns}
    schema.update(
        {
            "period": pl.Utf8(),
            "source_file": pl.Utf8(),
            "source_row": pl.Int64(),
            "file_sha256": pl.Utf8(),
            "ingested_at": pl.Datetime("us", "UTC"),
        }
    )
    return schema


def _atomic_write_parquet(df: pl.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    df.write_parquet(tmp, compression="zstd", statistics=True)
    os.replace(tmp, target)


def _atomic_write_text(text: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def ensure_raw_zone(raw_dir: Path) -> None:
    """Write an empty, typed file per feed and for the quarantine, so readers work before any data arrives."""
    for name, contract in FEEDS.items():
        target = raw_dir / name / f"period={EMPTY_PARTITION}" / "part-schema.parquet"
        if not target.exists():
            _atomic_write_parquet(pl.DataFrame(schema=feed_schema(contract)), target)
        q = raw_dir / "_quarantine" / name / "part-schema.parquet"
        if not q.exists():
            _atomic_write_parquet(pl.DataFrame(schema=QUARANTINE_SCHEMA), q)


def sweep_incomplete(raw_dir: Path, feed: str) -> list[Path]:
    """Remove what a killed run left: temporary files, and parts whose source file has no manifest.

    Only safe while no other run ingests (the run lock, core/locking.py, guarantees it).
    """
    complete = {p.stem for p in (raw_dir / "_manifest" / feed).glob("*.json")}
    removed = []
    for folder in (raw_dir / feed, raw_dir / "_quarantine" / feed):
        for path in folder.rglob(".*.tmp-*"):
            path.unlink()
            removed.append(path)
        for path in folder.rglob("part-*.parquet"):
            sha16 = path.stem.removeprefix("part-")
            if sha16 != "schema" and sha16 not in complete:
                path.unlink()
                removed.append(path)
    return removed


def manifest_path(raw_dir: Path, feed: str, sha: str) -> Path:
    return raw_dir / "_manifest" / feed / f"{sha[:16]}.json"


def read_manifest(raw_dir: Path, feed: str, sha: str) -> FileReport | None:
    path = manifest_path(raw_dir, feed, sha)
    if not path.exists():
        return None
    return FileReport(**json.loads(path.read_text(encoding="utf-8")))


def all_manifests(raw_dir: Path) -> list[FileReport]:
    return [
        FileReport(**json.loads(p.read_text(encoding="utf-8")))
        for p in sorted((raw_dir / "_manifest").glob("*/*.json"))
    ]


def write_loaded(raw_dir: Path, contract: FeedContract, sha: str, df: pl.DataFrame) -> list[str]:
    """Write loaded rows, one Parquet file per period; returns the periods written."""
    schema = feed_schema(contract)
    df = df.select([pl.col(n).cast(t) for n, t in schema.items()])
    periods: list[str] = []
    for (period,), part in df.sort("source_row").group_by(["period"], maintain_order=True):
        _atomic_write_parquet(part, raw_dir / contract.name / f"period={period}" / f"part-{sha[:16]}.parquet")
        periods.append(str(period))
    return sorted(periods)


def write_quarantine(raw_dir: Path, feed: str, sha: str, df: pl.DataFrame) -> None:
    if df.height == 0:
        return
    df = df.select([pl.col(n).cast(t) for n, t in QUARANTINE_SCHEMA.items()])
    _atomic_write_parquet(df, raw_dir / "_quarantine" / feed / f"part-{sha[:16]}.parquet")


def write_manifest(raw_dir: Path, report: FileReport) -> None:
    _atomic_write_text(
        json.dumps(asdict(report), ensure_ascii=False, indent=2),
        manifest_path(raw_dir, report.feed, report.file_sha256),
    )


def file_identity(path: Path) -> list[int]:
    """What changes whenever a file's content may have: its size, modification and change times (ns), inode
    and device. Writing a file updates its change time, which no tool can set back (git's index trusts the
    same to skip reading a file; rsync's quick check trusts size and modification time alone). On a local
    Linux file system: NFS may show stale times for a while, and elsewhere the change time may mean
    creation."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


# a file changed less than this long ago is hashed again next time: file times advance by clock ticks, so a
# second write within the tick of the first could leave size and times as they were ("racy git")
SETTLED_SECONDS = 2.0


def settled(identity: list[int], looked_ns: int) -> bool:
    """Whether a file of this :func:`file_identity`, taken at ``looked_ns`` (``time.time_ns()`` just before),
    had last changed long enough before to be known by it."""
    return looked_ns - max(identity[1], identity[2]) > SETTLED_SECONDS * 1e9


def _hashes_path(raw_dir: Path, feed: str) -> Path:
    return raw_dir / "_file_hashes" / f"{feed}.json"


def known_hashes(raw_dir: Path, feed: str) -> dict[str, tuple[list[int], str]]:
    """The SHA-256 of each inbox file (by its name under the inbox) as last hashed, with the file's
    :func:`file_identity` then; empty when none were recorded or the record is unreadable (every file is
    hashed again)."""
    try:
        recorded = json.loads(_hashes_path(raw_dir, feed).read_text(encoding="utf-8"))
        return {name: (list(entry["identity"]), str(entry["sha256"])) for name, entry in recorded.items()}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def record_hashes(raw_dir: Path, feed: str, hashes: dict[str, tuple[list[int], str]]) -> None:
    """Record ``hashes`` (as :func:`known_hashes` returns them) for the files in the inbox now."""
    target = _hashes_path(raw_dir, feed)
    target.parent.mkdir(parents=True, exist_ok=True)
    entries = {
        name: {"identity": identity, "sha256": sha} for name, (identity, sha) in sorted(hashes.items())
    }
    _atomic_write_text(json.dumps(entries, indent=1), target)


def utc_now() -> datetime:
    return datetime.now(UTC)
