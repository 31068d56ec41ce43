"""Releases: stage the marts into a candidate database, and publish it only if the gate passed.

Layout under ``releases_dir``::

    candidates/<release_id>/warehouse.duckdb    staged, being checked (never read by users)
    <release_id>/warehouse.duckdb               a published release (read-only for users)
    <release_id>/release.json                   id, time, input files and hashes, check results, suppression
    <release_id>/disclosure.json                cells masked by small-cell suppression, per table and reason
    <release_id>/parquet/<table>/<table>.parquet every published table as Parquet
    <release_id>/manifest.json                  tables, row counts, columns, Parquet files and their SHA-256
    <release_id>/report.html                    the release report (charts, shortage list, checks, inputs)
    <release_id>/whitepaper/<city>-<name>-<year>.html|.pdf  the white paper per city (publication/whitepaper/)
    <release_id>/lists/<city>-<name>.xlsx       the lists offices circulate, per city (publication/lists.py)
    <release_id>/docs/dbt.html                  the dbt documentation site
    current -> <release_id>                     symlink, switched atomically (rename over the old link)
    releases.jsonl                              one line per published release

Readers open ``current/warehouse.duckdb``. Publishing writes nothing into a published folder: a
new release is a new folder, and the switch is a single ``rename``, so a reader sees either the
old release or the new one, never half of one, and a failed run leaves ``current`` untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from core.table_digest import read_digests, table_digest
from publication.availability import coverage
from publication.contract import contract_record
from publication.disclosure import apply_to_database, policies
from publication.documents import Document, document_entries
from quality.gate import plausibility_flags
from transformation.marts import published

log = logging.getLogger(__name__)


def _comment(con: duckdb.DuckDBPyConnection, target: str, text: str) -> None:
    if text:
        con.execute(f"comment on {target} is '{text.replace(chr(39), chr(39) * 2)}'")


def comment_tables(con: duckdb.DuckDBPyConnection, tables: set[str], manifest: Path | None = None) -> None:
    """``COMMENT ON`` every published table and column in ``con`` with its dbt description (English and 中文,
    caveats included), so a BI tool reading the DuckDB file sees what a figure means and is not."""
    present = set(
        con.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'main'"
        ).fetchall()
    )
    for d in published(manifest):
        if d.name not in tables:
            continue
        _comment(con, f"table main.{d.name}", " ".join(d.description.split()))
        for c in d.columns:
            if (d.name, c.name) in present:
                _comment(con, f'column main.{d.name}."{c.name}"', " ".join(c.description.split()))


def published_tables(manifest: Path | None = None) -> tuple[tuple[str, str], ...]:
    """``(schema, table)`` of every published table: the models whose dbt YAML says ``published: true``."""
    return tuple((d.schema, d.name) for d in published(manifest))


class PublicationBlocked(RuntimeError):
    """The gate did not pass: nothing was published."""


@dataclass(frozen=True)
class Candidate:
    release_id: str
    path: Path  # folder

    @property
    def database(self) -> Path:
        return self.path / "warehouse.duckdb"

    @property
    def quality_dir(self) -> Path:
        return self.path / "quality"


def new_release_id(inputs: list[dict], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    digest = hashlib.sha256(json.dumps(sorted(i["file_sha256"] for i in inputs)).encode()).hexdigest()[:8]
    return f"{now:%Y%m%dT%H%M%S%fZ}-{digest}"


def build_table_sql(schema: str, table: str, spark_warehouse: Path | None = None) -> str:
    """A query over one built table: in the DuckDB build database attached as ``build``, or, when dbt built
    on Spark, the Parquet files of Spark's table folder (``<warehouse>/<schema>.db/<table>/``)."""
    if spark_warehouse is None:
        return f"select * from build.{schema}.{table}"
    folder = spark_warehouse / f"{schema}.db" / table
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder}: Spark's table {schema}.{table} is missing; did the Spark build run?"
        )
    return f"select * from read_parquet('{folder}/*.parquet')"


def stage_candidate(
    build_db: Path,
    releases_dir: Path,
    release_id: str,
    tables: tuple[tuple[str, str], ...] | None = None,
    suppression_k: float = 0,
    spark_warehouse: Path | None = None,
    workers: int = 1,
    disclosure_memo: Path | None = None,
    copied: Callable[[], object] | None = None,
) -> Candidate:
    """Copy the published tables from the build database into a fresh candidate database.

    With ``spark_warehouse`` (dbt built on Spark) the tables are read from Spark's Parquet files instead,
    with the column types the enforced contracts gave them. With ``suppression_k > 0`` the copied marts go
    through small-cell suppression (:mod:`publication.disclosure`); what was masked is written to
    ``disclosure.json``. The build keeps the exact figures. ``workers``: processes the disclosure audit may
    use. ``disclosure_memo``: the file of the protector's remembered component audits
    (:mod:`publication.disclosure_memo`), read before and written after. ``copied``: called once the tables
    are copied and the build database is let go (before the protection), to start what reads the build
    beside it (the refresh starts dbt's documentation there).
    """
    if tables is None:
        tables = published_tables()
    folder = releases_dir / "candidates" / release_id
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    candidate = Candidate(release_id, folder)
    con = duckdb.connect(str(candidate.database))
    try:
        if spark_warehouse is None:
            con.execute(f"attach '{build_db}' as build (read_only)")
        for schema, table in tables:
            con.execute(f"create table main.{table} as {build_table_sql(schema, table, spark_warehouse)}")
        if spark_warehouse is None:
            con.execute("detach build")
        if copied is not None:
            copied()
        tables_copied = {table for _, table in tables}
        comment_tables(con, tables_copied)
        masked = {}
        if suppression_k > 0:
            # imported here: the LP audit's libraries (scipy, HiGHS) are not for `tw run` with nothing new,
            # which reads this module for the current release
            from publication.disclosure_memo import load_memo, save_memo

            memo = load_memo(disclosure_memo) if disclosure_memo is not None else None
            masked = apply_to_database(
                con,
                suppression_k,
                tuple(p for p in policies() if p.table in tables_copied),
                workers,
                memo,
            )
            if disclosure_memo is not None and memo is not None:
                try:
                    save_memo(disclosure_memo, memo)
                except OSError as exc:  # the release does not need it; the next refresh audits again
                    log.warning("disclosure memo %s not written: %s", disclosure_memo, exc)
        (folder / "disclosure.json").write_text(
            json.dumps({"suppression_k": suppression_k, "tables": masked}, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
        (folder / "build.json").write_text(
            json.dumps(  # which engine built the tables (release.json: build)
                {"engine": "spark", "tables_from": str(spark_warehouse)}
                if spark_warehouse is not None
                else {"engine": "duckdb", "tables_from": str(build_db)},
                indent=2,
            ),
            encoding="utf-8",
        )
        con.execute("checkpoint")
    finally:
        con.close()
    return candidate


def _exported_before(previous: Path | None) -> dict[str, dict]:
    """The tables of ``previous``'s ``manifest.json`` by name (none when it has no readable manifest)."""
    try:
        manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8")) if previous else {}
        return {t["table"]: t for t in manifest.get("tables", []) if "content_digest" in t}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def export_files(
    candidate: Candidate,
    documents: Sequence[dict] = (),
    previous: Path | None = None,
    digests: Mapping[str, str] | None = None,
) -> dict:
    """Every table of the candidate as Parquet (``parquet/<table>/<table>.parquet``), and
    ``manifest.json`` (the tables with their content's digest, and the ``documents`` the release carries).

    ``previous``: the release this one replaces. A table whose content is the one that release exported
    (the same digest: core/table_digest.py) gets that release's file by a hard link, not written again (the
    files are read-only); where a link cannot be made, the file is written. ``digests``: tables' digests
    computed on this candidate already (by its mart gate); the others are computed here."""
    before = _exported_before(previous)
    con = duckdb.connect(str(candidate.database), read_only=True)
    tables = []
    try:
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1"
        ).fetchall():
            target = candidate.path / "parquet" / table / f"{table}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = (digests or {}).get(table) or table_digest(con, table)
            earlier = before.get(table)
            sha256 = None
            if previous is not None and earlier is not None and earlier["content_digest"] == digest:
                try:
                    os.link(previous / earlier["parquet"], target)
                    sha256 = earlier["sha256"]
                except OSError:  # another file system, or the file is gone: write it
                    target.unlink(missing_ok=True)
            if sha256 is None:
                con.execute(f"copy main.{table} to '{target}' (format parquet, compression zstd)")
                sha256 = hashlib.sha256(target.read_bytes()).hexdigest()
            columns = con.execute(
                "select column_name, data_type, coalesce(comment, '') from duckdb_columns() "
                "where schema_name = 'main' and table_name = ? order by column_index",
                [table],
            ).fetchall()
            tables.append(
                {
                    "table": table,
                    "rows": con.execute(f"select count(*) from main.{table}").fetchall()[0][0],
                    "parquet": str(target.relative_to(candidate.path)),
                    "sha256": sha256,
                    "content_digest": digest,
                    "description": con.execute(
                        "select coalesce(comment, '') from duckdb_tables() "
                        "where schema_name = 'main' and table_name = ?",
                        [table],
                    ).fetchall()[0][0],
                    "columns": [{"name": n, "type": t, "description": d} for n, t, d in columns],
                }
            )
    finally:
        con.close()
    manifest = {
        "release_id": candidate.release_id,
        "duckdb": "warehouse.duckdb",
        "tables": tables,
        "documents": list(documents),
    }
    (candidate.path / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return manifest


def _read_gate(path: Path) -> dict:
    if not path.exists():
        raise PublicationBlocked(f"no check results at {path}: the gate did not run")
    return json.loads(path.read_text(encoding="utf-8"))


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _read_disclosure(folder: Path) -> dict:
    return _read_json(folder / "disclosure.json") or {"suppression_k": 0, "tables": {}}


def major_code_mapping(inputs: Sequence[Mapping]) -> dict[str, dict[str, int]]:
    """Rows loaded per mapping path of their major code (current, mapped_2015_category, …, unmapped), summed
    per feed over the input files that carry them (every delivery, including ones a later file replaced)."""
    out: dict[str, dict[str, int]] = {}
    for item in inputs:
        for path, rows in (item.get("major_mapping_paths") or {}).items():
            feed = out.setdefault(item["feed"], {})
            feed[path] = feed.get(path, 0) + int(rows)
    return {feed: dict(sorted(paths.items())) for feed, paths in sorted(out.items())}


def publish(
    candidate: Candidate,
    releases_dir: Path,
    inputs: list[dict],
    gate_files: list[Path],
    keep: int = 5,
    now: datetime | None = None,
    finalize: Callable[[Path, dict], Sequence[Document]] | None = None,
    before_switch: Callable[[], None] | None = None,
    fingerprint: str | None = None,
    required_suites: Collection[str] = (),
) -> dict:
    """Publish ``candidate`` if every gate file says passed; switch ``current`` atomically.

    ``required_suites``: suites the gate files must account for, as run or as not run because nothing they
    read changed (``not_run``): a gate run for only some of them (a subset chosen in Dagster's UI) publishes
    nothing.

    ``finalize(folder, record)`` adds files to the release (the report, the white papers:
    publication/documents.py) before it becomes visible and returns them; they are listed in ``release.json``
    and ``manifest.json`` as ``documents`` with their SHA-256. When it fails, nothing is published.
    ``before_switch()`` runs just before the switch (a failpoint in tests).
    """
    gates = [_read_gate(p) for p in gate_files]
    failed = [g.get("results_dir") for g in gates if not g.get("passed")]
    if failed:
        raise PublicationBlocked(
            f"quality gate failed ({', '.join(map(str, failed))}); release "
            f"{candidate.release_id} was not published"
        )
    accounted = {s["suite"] for g in gates for s in g.get("suites", [])} | {
        name for g in gates for name in g.get("not_run", [])
    }
    if missing := sorted(set(required_suites) - accounted):
        raise PublicationBlocked(
            f"the gate did not run the suites {missing}; release {candidate.release_id} was not published"
        )
    now = now or datetime.now(UTC)
    record = {
        "release_id": candidate.release_id,
        "published_at": now.isoformat(),
        "inputs": inputs,
        # inbox, code and settings at the start of the run (transformation/fingerprint.py)
        "fingerprint": fingerprint,
        "disclosure": _read_disclosure(candidate.path),
        "build": _read_json(candidate.path / "build.json"),
        # the published tables and columns against the release this one replaces (publication/contract.py)
        "contract": contract_record(candidate.database, releases_dir / "current" / "warehouse.duckdb"),
        # marts that leave out rows of a delivered feed they cannot take (publication/availability.py)
        "coverage": coverage(inputs, published()),
        # records per mapping path of their major code, per feed (docs/reference.md, "Old major codes")
        "major_code_mapping": major_code_mapping(inputs),
        "checks": [
            {
                "results_dir": g["results_dir"],
                "passed": g["passed"],
                "suites": [
                    {
                        "suite": s["suite"],
                        "success": s["success"],
                        # not run: its table was as when that release's gate ran it (quality/mart_gate.py)
                        **({"carried_from": s["carried_from"]} if s.get("carried_from") else {}),
                    }
                    for s in g["suites"]
                ],
                # suites not run: nothing they read changed since they last passed (quality/increments.py)
                "not_run": g.get("not_run", []),
                # figures published but to be questioned (non-blocking checks, quality/suites.py)
                "plausibility_flags": plausibility_flags(g),
            }
            for g in gates
        ],
    }
    written = finalize(candidate.path, record) if finalize is not None else []
    documents = document_entries(candidate.path, written)
    record["documents"] = documents
    con = duckdb.connect(str(candidate.database))
    try:
        con.execute(
            "create or replace table release_info as select ? as release_id, ?::timestamptz as "
            "published_at, ? as record_json",
            [candidate.release_id, now, json.dumps(record, ensure_ascii=False)],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    (candidate.path / "release.json").write_text(
        json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    replaced = current_release(releases_dir)
    export_files(
        candidate,
        documents,
        previous=releases_dir / replaced if replaced else None,
        digests=read_digests(candidate.quality_dir, candidate.release_id),  # the mart gate's, of its marts
    )
    final = releases_dir / candidate.release_id
    os.replace(candidate.path, final)
    for path in (*final.glob("*.duckdb"), *final.glob("parquet/*/*.parquet"), *final.glob("lists/*.xlsx")):
        path.chmod(0o444)
    if before_switch is not None:
        before_switch()
    switch_current(releases_dir, candidate.release_id)
    with open(releases_dir / "releases.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({k: record[k] for k in ("release_id", "published_at")}, ensure_ascii=False) + "\n")
    prune(releases_dir, keep)
    return record


def switch_current(releases_dir: Path, release_id: str) -> None:
    link = releases_dir / "current"
    tmp = releases_dir / f".current-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(release_id)
    os.replace(tmp, link)


def current_release(releases_dir: Path) -> str | None:
    link = releases_dir / "current"
    return os.readlink(link) if link.is_symlink() else None


def published_releases(releases_dir: Path) -> list[str]:
    return (
        sorted(
            p.name
            for p in releases_dir.iterdir()
            if p.is_dir() and not p.is_symlink() and (p / "release.json").exists()
        )
        if releases_dir.exists()
        else []
    )


def prune(releases_dir: Path, keep: int) -> None:
    """Remove old releases (never the current one) and abandoned candidates."""
    current = current_release(releases_dir)
    for name in published_releases(releases_dir)[:-keep] if keep > 0 else []:
        if name != current:
            shutil.rmtree(releases_dir / name, ignore_errors=True)
    candidates = releases_dir / "candidates"
    if candidates.exists():
        for old in sorted(candidates.iterdir())[:-2]:
            shutil.rmtree(old, ignore_errors=True)
