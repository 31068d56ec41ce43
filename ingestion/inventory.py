"""What the raw zone holds per delivered file, why rows were refused, and taking a delivery back.

- :func:`file_status`: every ingested file version (the latest of each source file first in its feed) with
  its counts, status, warnings and its most frequent quarantine reasons (``tw status``).
- :func:`quarantine_reasons`: the refused rows of one file or all, with their reasons (``tw quarantine``),
  readable whether or not the gate passed.
- :func:`retract`: remove every version of a delivered file from the raw zone (``tw retract FILE``): its
  manifest, its loaded parts and its quarantine. The next refresh rebuilds without it (a withdrawn file
  forces a full build: transformation/build_plan.py). A *rejected* file contributed no rows, so when it is no
  longer in the inbox it is retracted by the next ingestion itself (:func:`retract_missing_rejected`): a
  rejected delivery stops blocking the gate once it is removed or replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestion.raw_zone import FileReport, all_manifests, manifest_path

TOP_REASONS = 3


@dataclass(frozen=True)
class FileStatus:
    report: FileReport
    latest: bool  # the newest version of its source file (the one the gate and the marts use)
    top_reasons: tuple[tuple[str, int], ...]  # (reason without the value, rows)


def _quarantine_files(raw_dir: Path, reports: Iterable[FileReport]) -> list[Path]:
    return [
        p
        for r in reports
        for p in [raw_dir / "_quarantine" / r.feed / f"part-{r.file_sha256[:16]}.parquet"]
        if p.exists()
    ]


def quarantine_reasons(raw_dir: Path, source_file: str | None = None) -> pl.DataFrame:
    """Refused rows (feed, source_file, source_row, reason, raw_record), of one source file or of all."""
    reports = [r for r in all_manifests(raw_dir) if source_file is None or matches(r, source_file)]
    files = _quarantine_files(raw_dir, reports)
    if not files:
        return pl.DataFrame(
            schema={
                "feed": pl.Utf8,
                "source_file": pl.Utf8,
                "source_row": pl.Int64,
                "reason": pl.Utf8,
                "raw_record": pl.Utf8,
            }
        )
    return (
        pl.read_parquet(files)
        .select("feed", "source_file", "source_row", "reason", "raw_record")
        .sort("feed", "source_file", "source_row")
    )


def _reason_kind(reason: pl.Expr) -> pl.Expr:
    """A reason without its value, so rows refused for the same rule count together."""
    return reason.str.split("; ").list.first().str.replace_all(r"'[^']*'", "…")


def file_status(raw_dir: Path) -> list[FileStatus]:
    reports = all_manifests(raw_dir)
    newest: dict[tuple[str, str], str] = {}
    for r in sorted(reports, key=lambda r: r.ingested_at):
        newest[(r.feed, r.source_file)] = r.file_sha256
    tops: dict[str, tuple[tuple[str, int], ...]] = {}
    files = _quarantine_files(raw_dir, [r for r in reports if r.rows_quarantined])
    if files:
        counted = (
            pl.read_parquet(files, columns=["file_sha256", "reason"])
            .group_by("file_sha256", _reason_kind(pl.col("reason")).alias("kind"))
            .len()
            .sort(["file_sha256", "len", "kind"], descending=[False, True, False])
        )
        for (sha,), group in counted.group_by(["file_sha256"], maintain_order=True):
            tops[str(sha)] = tuple(
                (k, n) for k, n in group.head(TOP_REASONS).select("kind", "len").iter_rows()
            )
    out = [
        FileStatus(r, newest[(r.feed, r.source_file)] == r.file_sha256, tops.get(r.file_sha256, ()))
        for r in reports
    ]
    return sorted(
        out, key=lambda s: (s.report.feed, s.report.source_file, not s.latest, s.report.ingested_at)
    )


def matches(report: FileReport, source_file: str) -> bool:
    """Whether ``source_file`` (a path relative to the inbox, a file name, or a SHA-256 prefix) names it."""
    return source_file in (report.source_file, Path(report.source_file).name) or (
        len(source_file) >= 8 and report.file_sha256.startswith(source_file)
    )


def retract(raw_dir: Path, source_file: str) -> list[FileReport]:
    """Remove every version of ``source_file`` from the raw zone; returns the versions removed.

    Only safe while no run ingests (the CLI holds the refresh lock, core/locking.py). The manifest goes
    first: without it a version is not there for any reader, and parts left by a kill are swept later."""
    removed = [r for r in all_manifests(raw_dir) if matches(r, source_file)]
    for r in removed:
        manifest_path(raw_dir, r.feed, r.file_sha256).unlink(missing_ok=True)
        part = f"part-{r.file_sha256[:16]}.parquet"
        for path in (raw_dir / r.feed).glob(f"period=*/{part}"):
            path.unlink()
        (raw_dir / "_quarantine" / r.feed / part).unlink(missing_ok=True)
    return removed


def retract_missing_rejected(raw_dir: Path, feed: str, present: Iterable[str]) -> list[FileReport]:
    """Retract rejected versions of ``feed`` whose source file is not among ``present`` (paths relative to
    the inbox): removed or replaced deliveries that loaded nothing must not block the gate."""
    keep = set(present)
    gone = [
        r
        for r in all_manifests(raw_dir)
        if r.feed == feed and r.status == "rejected" and r.source_file not in keep
    ]
    for r in gone:
        manifest_path(raw_dir, r.feed, r.file_sha256).unlink(missing_ok=True)
    return gone
