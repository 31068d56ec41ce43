"""Ingest feed files into the raw zone: read, pseudonymise, validate, write, reconcile.

``ingest_file`` handles one file; ``ingest_inbox`` walks ``<inbox>/<feed>/**`` in name order.
``ingest_feed`` can ingest several files of a feed at once (``workers``): each file's ``ingested_at`` is
fixed before any starts, one microsecond apart in name order, so "the most recently ingested row of a key
wins" picks the same row as one file after another would.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from ingestion import raw_zone
from ingestion.contracts import FEEDS, FeedContract
from ingestion.inventory import retract_missing_rejected
from ingestion.major_editions import MAJOR_FEEDS, check_major_codes, correspondence
from ingestion.names import NameLookups, name_lookups, resolve_names
from ingestion.profiles import ProfileError, SourceProfile, is_profile, load_profiles, profile_for
from ingestion.pseudonymise import pseudonymise_columns
from ingestion.raw_zone import FileReport
from ingestion.readers import FeedFileError, file_sha256, read_feed_file
from ingestion.reference import code_lists, region_years
from ingestion.validate import ValidationResult, apply_contract, region_codes_out_of_period

log = logging.getLogger(__name__)
SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "reference"


def ingest_file(
    path: Path,
    contract: FeedContract,
    raw_dir: Path,
    key: bytes,
    source_name: str | None = None,
    now: datetime | None = None,
    references: Mapping[str, frozenset[str]] | None = None,
    on_parts_written: Callable[[], None] | None = None,
    region_code_years: pl.DataFrame | None = None,
    names: NameLookups | None = None,
    profile: SourceProfile | None = None,
    file_sha: str | None = None,
) -> FileReport:
    """Ingest one file. Never raises for bad content: a file-level problem gives a ``rejected`` report.

    ``references`` adds the check that codes exist (else quarantined); ``region_code_years``
    (:func:`ingestion.reference.region_years`) a warning for region codes used outside their years; ``names``
    (:func:`ingestion.names.name_lookups`) reads region, industry and occupation names and Chinese level names
    as codes (:func:`ingestion.names.resolve_names`).

    ``profile`` (:mod:`ingestion.profiles`) says how to read it; the delivery's hash then covers the file and
    the profile, so an edited profile reads the same file again as a new version that replaces the earlier.

    ``on_parts_written`` is called between the data files and the manifest (a failpoint in tests).
    ``file_sha``: the file's SHA-256 when the caller knows it (:func:`ingest_feed`: a file unchanged since it
    was hashed), else it is computed here.
    """
    path = Path(path)
    source_name = source_name or path.name
    sha = file_sha or file_sha256(path)
    if profile is not None:
        sha = hashlib.sha256(f"{sha}|{profile.path.name}|".encode() + profile.path.read_bytes()).hexdigest()
    previous = raw_zone.read_manifest(raw_dir, contract.name, sha)
    if previous is not None:
        return FileReport(**{**previous.__dict__, "status": "unchanged"})
    now = now or raw_zone.utc_now()
    report = FileReport(
        feed=contract.name,
        source_file=source_name,
        file_sha256=sha,
        status="loaded",
        ingested_at=now.isoformat(),
    )
    try:
        raw = read_feed_file(path, contract, profile)
    except FeedFileError as exc:
        report.status, report.error = "rejected", str(exc)
        log.error("rejected %s: %s", source_name, exc)
        raw_zone.write_manifest(raw_dir, report)
        return report
    report.encoding, report.warnings = raw.encoding, raw.warnings
    frame = pseudonymise_columns(raw.frame, contract.pseudonymised, key)
    name_reasons = None
    if names is not None:
        resolution = resolve_names(frame, contract, names, profile.region_province if profile else None)
        frame, name_reasons = resolution.frame, resolution.reasons
        report.warnings = [*report.warnings, *resolution.warnings]
    result = apply_contract(frame, contract, references, name_reasons)
    if references is not None and contract.name in MAJOR_FEEDS:
        # the edition of each major code (ingestion/major_editions.py): a code of no edition is quarantined,
        # an earlier edition's code is loaded with a warning and its mapping path counted
        majors = check_major_codes(result.loaded, contract.name, correspondence(SEEDS_DIR))
        result = ValidationResult(
            loaded=majors.loaded,
            quarantined=pl.concat([result.quarantined, majors.quarantined.cast(result.quarantined.schema)]),
        )
        report.warnings = [*report.warnings, *majors.warnings]
        report.major_mapping_paths = majors.paths
    lineage = [
        pl.lit(source_name).alias("source_file"),
        pl.lit(sha).alias("file_sha256"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    ]
    loaded = result.loaded.with_columns(contract.period_expression().alias("period"), *lineage)
    if region_code_years is not None:
        report.warnings = [
            *report.warnings,
            *region_codes_out_of_period(
                loaded,
                contract,
                region_code_years,
                pl.col("period").str.slice(0, 4).cast(pl.Int32, strict=False),
            ),
        ]
    quarantined = result.quarantined.with_columns(pl.lit(contract.name).alias("feed"), *lineage)
    report.rows_read = raw.frame.height
    report.rows_loaded = loaded.height
    report.rows_quarantined = quarantined.height
    if not report.reconciles:  # an invariant of apply_contract; never publish on a broken count
        raise AssertionError(
            f"{source_name}: rows read {report.rows_read} != loaded {report.rows_loaded} "
            f"+ quarantined {report.rows_quarantined}"
        )
    report.periods = raw_zone.write_loaded(raw_dir, contract, sha, loaded)
    raw_zone.write_quarantine(raw_dir, contract.name, sha, quarantined)
    if on_parts_written is not None:
        on_parts_written()
    raw_zone.write_manifest(raw_dir, report)
    if report.rows_quarantined:
        log.warning("%s: %d of %d rows quarantined", source_name, report.rows_quarantined, report.rows_read)
    return report


def inbox_files(inbox_dir: Path, feed: str, with_profiles: bool = False) -> list[Path]:
    """Every file under a feed's inbox folder but hidden ones: the delivered files, and ``with_profiles``
    the source profiles beside them too (an edited profile changes what a file loads as: a run's
    fingerprint and the inbox sensor count it)."""
    folder = Path(inbox_dir) / feed
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".") and (with_profiles or not is_profile(p))
    )


def ingest_feed(
    inbox_dir: Path,
    feed: str,
    raw_dir: Path,
    key: bytes,
    references: Mapping[str, frozenset[str]] | None = None,
    on_parts_written: Callable[[], None] | None = None,
    workers: int = 1,
    region_code_years: pl.DataFrame | None = None,
    names: NameLookups | None = None,
) -> list[FileReport]:
    """Ingest every file of one feed; codes are checked against ``references`` (default: the project's seeds).

    What a killed run left half-written is removed first, so no row is loaded twice. With ``workers`` > 1,
    that many files are read and written at once (polars and hashing release the GIL; memory grows with
    the number of files in flight). Reports come back in name order either way.
    """
    contract = FEEDS[feed]
    raw_zone.ensure_raw_zone(raw_dir)
    for path in raw_zone.sweep_incomplete(raw_dir, feed):
        log.warning(
            "removed %s: left by an interrupted run (no manifest); its source file is ingested again", path
        )
    files = inbox_files(inbox_dir, feed)
    try:
        profiles = load_profiles(Path(inbox_dir) / feed, contract)
        profile_error = None
    except ProfileError as exc:
        profiles, profile_error = [], exc
    for gone in retract_missing_rejected(raw_dir, feed, [str(p.relative_to(inbox_dir)) for p in files]):
        log.warning(
            "%s: the rejected delivery is no longer in the inbox; its manifest is removed", gone.source_file
        )
    if references is None and files:
        references = code_lists(SEEDS_DIR)
    if region_code_years is None and files:
        region_code_years = region_years(SEEDS_DIR)
    if names is None and files:
        names = name_lookups(SEEDS_DIR)
    start = raw_zone.utc_now()
    # a file hashed before and unchanged since (raw_zone.file_identity) is not read again to learn that its
    # manifest exists: at L the inbox holds 3.3 GB, hashed by every refresh before
    known = raw_zone.known_hashes(raw_dir, feed)
    hashes: dict[str, tuple[list[int], str]] = {}

    def one(item: tuple[int, Path]) -> FileReport:
        n, path = item
        source_name = str(path.relative_to(inbox_dir))
        looked = time.time_ns()
        identity = raw_zone.file_identity(path)
        recorded = known.get(source_name)
        if recorded is not None and recorded[0] == identity:  # unchanged since it was hashed
            sha = recorded[1]
            hashes[source_name] = recorded
        else:
            sha = file_sha256(path)
            if raw_zone.file_identity(path) == identity and raw_zone.settled(identity, looked):
                hashes[source_name] = (identity, sha)  # not changed while it was read, nor just before
        try:
            if profile_error is not None:
                raise profile_error
            profile = profile_for(path, profiles)
        except ProfileError as exc:  # the file cannot be read as its profile says: rejected, never skipped
            report = FileReport(
                contract.name,
                source_name,
                sha,
                "rejected",
                error=f"{source_name}: profile: {exc}",
                ingested_at=raw_zone.utc_now().isoformat(),
            )
            raw_zone.write_manifest(raw_dir, report)
            return report
        return ingest_file(
            path,
            contract,
            raw_dir,
            key,
            source_name=source_name,
            now=start + timedelta(microseconds=n),
            references=references,
            on_parts_written=on_parts_written,
            region_code_years=region_code_years,
            names=names,
            profile=profile,
            file_sha=sha,
        )

    if workers <= 1 or len(files) <= 1:
        reports = [one(item) for item in enumerate(files)]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"ingest-{feed}") as pool:
            reports = list(pool.map(one, enumerate(files)))
    if hashes != known:  # after the files' manifests: a run killed before hashes them again, no more
        raw_zone.record_hashes(raw_dir, feed, hashes)
    return reports


def ingest_inbox(inbox_dir: Path, raw_dir: Path, key: bytes) -> list[FileReport]:
    references, years, names = code_lists(SEEDS_DIR), region_years(SEEDS_DIR), name_lookups(SEEDS_DIR)
    return [
        r
        for feed in FEEDS
        for r in ingest_feed(inbox_dir, feed, raw_dir, key, references, region_code_years=years, names=names)
    ]
