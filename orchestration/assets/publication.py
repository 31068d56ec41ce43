"""Release candidate (staged marts), its GX checks (blocking), the publish step, and its PostgreSQL copy."""

import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource

from core.failpoints import failpoint
from core.settings import Settings
from ingestion.raw_zone import all_manifests
from orchestration.resources import Warehouse, dbt_project, keep_partial_parse
from publication.documents import release_documents
from publication.postgres import load_release, published_declarations
from publication.release import (
    Candidate,
    PublicationBlocked,
    current_release,
    new_release_id,
    publish,
    stage_candidate,
)
from quality.mart_gate import commit_record, run_mart_gate
from quality.suites import mart_suite_tables, required_suite_names
from transformation.docs_site import DOCS_FILE, catalog_digest, docs_key, record_key, reusable_site
from transformation.fingerprint import code_fingerprint, run_start_fingerprint
from transformation.marts import published_marts

GROUP = "publication"
MART_KEYS = [dg.AssetKey([m.schema, m.name]) for m in published_marts()]


def _mart_gate_record(settings: Settings) -> Path:
    """What the mart gate of the last published release found (quality/mart_gate.py)."""
    return settings.home / "quality" / "marts_validated.json"


def _mart_gate_kept(settings: Settings) -> Path:
    """The mart results files the record names, by release (quality/mart_gate.py)."""
    return settings.home / "quality" / "marts"


def _candidate_pointer(settings: Settings) -> Path:
    return settings.releases_dir / "candidates" / "latest.json"


def _inputs(settings: Settings) -> list[dict]:
    return [
        {
            "feed": m.feed,
            "source_file": m.source_file,
            "file_sha256": m.file_sha256,
            "status": m.status,
            "rows_read": m.rows_read,
            "rows_loaded": m.rows_loaded,
            "rows_quarantined": m.rows_quarantined,
            # rows loaded per mapping path of their major code (docs/reference.md, "Old major codes")
            **({"major_mapping_paths": m.major_mapping_paths} if m.major_mapping_paths else {}),
        }
        for m in all_manifests(settings.raw_dir)
    ]


def _load_candidate(settings: Settings) -> Candidate:
    pointer = json.loads(_candidate_pointer(settings).read_text(encoding="utf-8"))
    return Candidate(pointer["release_id"], settings.releases_dir / "candidates" / pointer["release_id"])


def start_dbt_docs(target: Path, dbt: DbtCliResource) -> DbtCliInvocation:
    """Start dbt's documentation site as one static HTML file (``dbt docs generate --static --no-compile``:
    the models were just built; compiling them again for the docs took half of this step). It reads the
    build database: the release candidate starts it once its tables are copied, and it runs beside the
    disclosure protection; :func:`finish_dbt_docs` waits for it."""
    target.mkdir(parents=True, exist_ok=True)
    # with --no-compile dbt writes no manifest.json, but dagster-dbt reads one from the target path afterwards
    shutil.copy2(dbt_project.manifest_path, target / "manifest.json")
    return dbt.cli(["docs", "generate", "--static", "--no-compile"], target_path=target)


def finish_dbt_docs(invocation: DbtCliInvocation) -> Path:
    """Wait for :func:`start_dbt_docs`'s dbt (raising if it failed); the site's file."""
    invocation.wait()
    keep_partial_parse(invocation.target_path)
    return invocation.target_path / "static_index.html"


def _docs_key(s: Settings) -> str | None:
    """The key of the dbt documentation site this build would get (transformation/docs_site.py); None on
    Spark, whose catalog is not read here (the site is generated each time)."""
    if s.builds_on_spark:
        return None
    return docs_key(code_fingerprint(s), dbt_project.manifest_path, catalog_digest(s.build_db))


def _stop(invocation: DbtCliInvocation) -> None:
    """End a dbt started for a step that failed before it needed dbt's result."""
    if invocation.process.poll() is None:
        invocation.process.terminate()
        invocation.process.wait()


class _ToRunLog(logging.Handler):
    """Python log records of the publication library into the Dagster run log (e.g. the disclosure
    protection's round lines)."""

    def __init__(self, log: dg.DagsterLogManager) -> None:
        super().__init__(logging.INFO)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        self._log.info(record.getMessage())


@contextmanager
def _publication_logs(context: dg.AssetExecutionContext) -> Iterator[None]:
    library = logging.getLogger("publication")
    handler, level = _ToRunLog(context.log), library.level
    library.addHandler(handler)
    library.setLevel(logging.INFO)
    try:
        yield
    finally:
        library.removeHandler(handler)
        library.setLevel(level)


@dg.asset(
    group_name=GROUP,
    deps=MART_KEYS,
    kinds={"duckdb"},
    description="The marts and dimensions copied into a new, unpublished release database, to be checked.",
)
def release_candidate(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse], dbt: DbtCliResource
) -> dg.MaterializeResult:
    s = warehouse.settings
    inputs = _inputs(s)
    docs_run: list[DbtCliInvocation] = []
    site: list[tuple[Path | None, str | None]] = []  # the current release's site if reusable, and the key

    def start_docs() -> None:  # stage_candidate calls it once the tables are in and the build let go
        try:
            key = _docs_key(s)
        except Exception as exc:  # the key is an optimisation: without it the site is generated
            context.log.warning(f"dbt documentation site: no key ({exc!r}); generating it")
            key = None
        # the release the link points to now (a publish may switch it before the copy below)
        current = s.current_release_link.resolve()
        reusable = reusable_site(current, key) if key is not None else None
        site.append((reusable, key))
        if reusable is None:
            docs_run.append(start_dbt_docs(s.home / "dbt_docs", dbt))

    try:
        with _publication_logs(context):
            candidate = stage_candidate(
                s.build_db,
                s.releases_dir,
                new_release_id(inputs),
                suppression_k=s.suppression_k,
                spark_warehouse=s.spark_warehouse if s.builds_on_spark else None,
                workers=s.publication_workers,
                disclosure_memo=s.disclosure_memo,
                copied=start_docs,
            )
        disclosure = json.loads((candidate.path / "disclosure.json").read_text(encoding="utf-8"))
        reused, key = site[0]
        docs = reused or finish_dbt_docs(docs_run[0])
    except BaseException:
        for invocation in docs_run:
            _stop(invocation)
        raise
    (candidate.path / "docs").mkdir(exist_ok=True)
    shutil.copy2(docs, candidate.path / DOCS_FILE)
    if key is not None:
        record_key(candidate.path, key)
    if reused is not None:
        context.log.info(f"dbt documentation site: the current release's ({reused}), same code and schema")
    _candidate_pointer(s).write_text(json.dumps({"release_id": candidate.release_id}), encoding="utf-8")
    masked = {t: v for t, v in disclosure["tables"].items() if v["rows_with_suppression"]}
    return dg.MaterializeResult(
        metadata={
            "release_id": candidate.release_id,
            "path": str(candidate.path),
            "dbt_docs": str(candidate.path / DOCS_FILE),
            "dbt_docs_reused": reused is not None,
            "suppression_k": disclosure["suppression_k"],
            "cells_suppressed": sum(
                v["cells_primary"] + v["cells_secondary"] + v["cells_rate"] + v.get("cells_withheld", 0)
                for v in masked.values()
            ),
            "suppression": dg.MetadataValue.md(
                "| table | primary | secondary | rate | rows |\n|---|---|---|---|---|\n"
                + "\n".join(
                    f"| {t} | {v['cells_primary']} | {v['cells_secondary']} | {v['cells_rate']} | "
                    f"{v['rows_with_suppression']} |"
                    for t, v in masked.items()
                )
            ),
        }
    )


@dg.asset_check(
    asset=release_candidate,
    name="gx_published_marts",
    blocking=True,
    description="Great Expectations suites of every published mart, run on the candidate database (a mart "
    "whose table is as at the last published release's gate keeps its outcome: quality/mart_gate.py).",
)
def release_candidate_check(warehouse: dg.ResourceParam[Warehouse]) -> dg.AssetCheckResult:
    s = warehouse.settings
    candidate = _load_candidate(s)
    disclosure = json.loads((candidate.path / "disclosure.json").read_text(encoding="utf-8"))
    result = warehouse.gates.call(
        run_mart_gate,
        candidate.database,
        mart_suite_tables(),
        candidate.quality_dir,
        suppression_k=disclosure["suppression_k"],
        release_id=candidate.release_id,
        record=_mart_gate_record(s),
        kept_dir=_mart_gate_kept(s),
        code=code_fingerprint(s),
    )
    return dg.AssetCheckResult(
        passed=result.passed,
        metadata={
            "release_id": candidate.release_id,
            "summary": dg.MetadataValue.md(f"```\n{result.summary()}\n```"),
            "suites_run": sum(o.carried_from is None for o in result.suites),
            "suites_carried_over": sum(o.carried_from is not None for o in result.suites),
            "data_docs": result.data_docs_index or "",
        },
    )


@dg.asset(
    group_name=GROUP,
    deps=[release_candidate],
    kinds={"duckdb"},
    description="The published release: readers see it only after every blocking check passed; "
    "the switch from one release to the next is atomic.",
)
def published_release(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.MaterializeResult:
    s = warehouse.settings
    candidate = _load_candidate(s)
    feeds_quality = candidate.quality_dir / "feeds"
    feeds_quality.mkdir(parents=True, exist_ok=True)
    for result_file in (s.home / "quality" / "feeds").glob("*.json"):  # keep this run's feed results too
        shutil.copy2(result_file, feeds_quality / result_file.name)
    gate_files = [candidate.quality_dir / "gate.json", feeds_quality / "gate.json"]
    try:
        record = publish(
            candidate,
            s.releases_dir,
            _inputs(s),
            gate_files,
            keep=s.keep_releases,
            finalize=release_documents(s.whitepaper, s.publication_workers),
            before_switch=lambda: failpoint("publish_before_switch", s.failpoints),
            fingerprint=run_start_fingerprint(s),
            required_suites=required_suite_names(),
        )
    except PublicationBlocked as exc:
        context.log.error(str(exc))
        raise
    try:  # the mart gate's findings hold for the next refresh now that their release is published
        commit_record(
            _mart_gate_record(s),
            _mart_gate_kept(s),
            record["release_id"],
            s.releases_dir / record["release_id"] / "quality",
        )
    except OSError as exc:  # the release does not need it: the next refresh runs every mart suite
        context.log.warning(f"mart gate record not kept ({exc!r}): the next refresh runs every mart suite")
    return dg.MaterializeResult(
        metadata={
            "release_id": record["release_id"],
            "published_at": record["published_at"],
            "database": str(s.published_db),
            "input_files": len(record["inputs"]),
            "report": str(s.releases_dir / record["release_id"] / "report.html"),
            "documents": len(record["documents"]),
        }
    )


@dg.asset(
    group_name=GROUP,
    deps=[published_release],
    kinds={"postgres"},
    description="The published release loaded into the SQL endpoint's PostgreSQL (one schema per release) "
    "and switched in atomically; old release schemas dropped after the grace period. A failure here leaves "
    "the DuckDB release published and PostgreSQL serving the previous one.",
)
def postgres_release(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.MaterializeResult:
    from serving.postgres import loader_dsn

    s = warehouse.settings
    release_id = current_release(s.releases_dir)
    dsn = loader_dsn(s)
    if dsn is None or release_id is None:
        reason = (
            "the embedded PostgreSQL server is not running: `tw serve` loads the current release at its start"
            if release_id
            else "nothing is published"
        )
        context.log.info(f"release not loaded into PostgreSQL: {reason}")
        return dg.MaterializeResult(metadata={"loaded": False, "reason": reason})
    keys, docs = published_declarations(dbt_project.manifest_path)
    report = load_release(
        dsn,
        s.releases_dir / release_id,
        keys,
        docs,
        grace=timedelta(hours=s.postgres.release_grace_hours),
    )
    return dg.MaterializeResult(
        metadata={
            "loaded": True,
            "release_id": report.release_id,
            "previous_release": report.previous_release or "",
            "rows": sum(report.tables.values()),
            "load_seconds": round(report.load_seconds, 3),
            "switch_seconds": round(report.switch_seconds, 3),
            "switch_attempts": report.switch_attempts,
            "foreign_keys": len(report.foreign_keys),
            "foreign_keys_not_holding": ", ".join(report.foreign_keys_not_holding),
            "unique_not_primary_keys": ", ".join(report.unique_keys),
            "dropped_releases": ", ".join(report.dropped),
        }
    )
