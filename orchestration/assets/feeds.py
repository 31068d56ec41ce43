"""Feed assets: one per feed, ingesting the inbox into the raw zone; a GX suite per feed as a blocking
check."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from core.failpoints import failpoint
from ingestion.contracts import FEEDS
from ingestion.ingest import ingest_feed
from ingestion.raw_zone import all_manifests
from orchestration.resources import Warehouse
from quality.gate import GateResult, prepare_feed_database, run_gate
from quality.increments import (
    feeds_to_validate,
    forget_manifests,
    load_validated,
    load_validated_manifests,
    manifest_digest,
    parts_to_validate,
    save_validated,
)
from quality.suites import feed_suite_name
from transformation.fingerprint import code_fingerprint

FEED_GROUP = "feeds"


def _feed_asset(feed: str) -> dg.AssetsDefinition:
    contract = FEEDS[feed]

    @dg.asset(
        key=["raw", feed],
        group_name=FEED_GROUP,
        kinds={"polars", "parquet"},
        description=f"{contract.title} ({contract.title_zh}): inbox files ingested into the raw zone. "
        f"Grain: {contract.grain}.",
    )
    def _asset(
        context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]
    ) -> dg.MaterializeResult:
        s = warehouse.settings
        reports = ingest_feed(
            s.inbox_dir,
            feed,
            s.raw_dir,
            s.require_key(),
            workers=s.ingest_workers,
            on_parts_written=lambda: failpoint("ingest_after_parts", s.failpoints),
        )
        for r in reports:
            if r.status == "rejected":
                context.log.error(f"{r.source_file}: rejected: {r.error}")
            elif r.rows_quarantined:
                context.log.warning(
                    f"{r.source_file}: {r.rows_quarantined} of {r.rows_read} rows quarantined"
                )
        new = [r for r in reports if r.status != "unchanged"]
        lines = ["| file | status | read | loaded | quarantined |", "|---|---|---|---|---|"]
        lines += [
            f"| {r.source_file} | {r.status} | {r.rows_read} | {r.rows_loaded} | {r.rows_quarantined} |"
            for r in reports
        ]
        return dg.MaterializeResult(
            metadata={
                "files_seen": len(reports),
                "files_new": len(new),
                "files_rejected": sum(r.status == "rejected" for r in new),
                "rows_read": sum(r.rows_read for r in new),
                "rows_loaded": sum(r.rows_loaded for r in new),
                "rows_quarantined": sum(r.rows_quarantined for r in new),
                "files": dg.MetadataValue.md("\n".join(lines)),
            }
        )

    return _asset


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            name=f"gx_feed_{feed}",
            asset=dg.AssetKey(["raw", feed]),
            blocking=True,
            description=f"Great Expectations suite feed_{feed}: contract rules on the raw zone, "
            f"and no rejected, heavily quarantined or unreconciled file.",
        )
        for feed in FEEDS
    ],
    can_subset=True,
)
def feed_checks(
    context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> Iterator[dg.AssetCheckResult]:
    """The feed suites in one validation (one GX context instead of one per feed), on the parts not yet
    validated under this code (quality/increments.py) and on every file manifest; the suite of a feed with
    no new part and the manifests of its last passing gate is not run (its outcome would be the same)."""
    s = warehouse.settings
    selected = [key.asset_key.path[-1] for key in context.selected_asset_check_keys]
    record, code = s.home / "quality" / "feeds_validated.json", code_fingerprint(s)
    validated, validated_manifests = load_validated(record, code), load_validated_manifests(record, code)
    todo = parts_to_validate(s.raw_dir, selected, validated)
    digests = {feed: manifest_digest(s.raw_dir, feed) for feed in selected}
    due = feeds_to_validate(selected, todo, digests, validated_manifests)
    skipped = [feed for feed in selected if feed not in due]
    feed_of = {feed_suite_name(feed): feed for feed in selected}
    db = prepare_feed_database(s.raw_dir, s.home / "quality" / "feeds.duckdb", parts=todo)
    result = warehouse.gates.call(
        run_gate,
        db,
        [feed_suite_name(feed) for feed in due],
        s.home / "quality" / "feeds",
        not_run=[feed_suite_name(feed) for feed in skipped],
    )
    if result.passed:
        save_validated(
            record,
            code,
            validated | {p for parts in todo.values() for p in parts},
            {**validated_manifests, **digests},
        )
    else:  # validated again next time, even if the file that failed is gone by then
        forget_manifests(record, code, [feed_of[o.suite] for o in result.suites if not o.success])
    for outcome in result.suites:
        feed = feed_of[outcome.suite]
        one = GateResult(suites=[outcome], results_dir=result.results_dir)
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["raw", feed]),
            check_name=f"gx_feed_{feed}",
            passed=outcome.success,
            metadata={
                "summary": dg.MetadataValue.md(f"```\n{one.summary()}\n```"),
                "parts_validated": len(todo[feed]),
                "parts_validated_before": sum(p.startswith(f"{feed}/") for p in validated),
                "results_dir": result.results_dir,
                "data_docs": result.data_docs_index or "",
            },
        )
    for feed in skipped:
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["raw", feed]),
            check_name=f"gx_feed_{feed}",
            passed=True,
            metadata={
                "summary": "not run: no new part and the same files as when it last passed under this "
                "code (quality/increments.py); the results of that gate are in results_dir",
                "parts_validated": 0,
                "parts_validated_before": sum(p.startswith(f"{feed}/") for p in validated),
                "results_dir": result.results_dir,
            },
        )


@dg.asset(
    key=["raw", "quarantine"],
    group_name=FEED_GROUP,
    deps=[dg.AssetKey(["raw", f]) for f in FEEDS],
    description="Rows refused at ingestion, per file and reason; the file-level reconciliation.",
)
def quarantine(warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    s = warehouse.settings
    manifests = all_manifests(s.raw_dir)
    summary = pl.DataFrame()
    q_files = list((s.raw_dir / "_quarantine").glob("*/*.parquet"))
    if q_files:
        summary = (
            pl.scan_parquet([str(p) for p in q_files])
            .with_columns(pl.col("reason").str.split("; ").list.first().str.replace(r"'.*'", "'…'"))
            .group_by("feed", "source_file", "reason")
            .len("rows")
            .sort("rows", descending=True)
            .collect()
        )
    return dg.MaterializeResult(
        metadata={
            "files": len(manifests),
            "rows_read": sum(m.rows_read for m in manifests),
            "rows_loaded": sum(m.rows_loaded for m in manifests),
            "rows_quarantined": sum(m.rows_quarantined for m in manifests),
            "files_rejected": sum(m.status == "rejected" for m in manifests),
            "all_files_reconcile": all(m.reconciles for m in manifests),
            "top_reasons": dg.MetadataValue.text(str(summary.head(20))),
        }
    )


feed_assets = [_feed_asset(f) for f in FEEDS]
