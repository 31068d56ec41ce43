"""Release candidate (staged marts), its GX checks (blocking), and the publish step."""


import json
import shutil
from pathlib import Path

import dagster as dg

from ingestion.raw_zone import all_manifests
from orchestration.release import Candidate, PublicationBlocked, new_release_id, publish, stage_candidate
from orchestration.resources import WarehouseResource, dbt_resource
from orchestration.settings import Settings
from quality.gate import run_gate
from quality.suites import PUBLISHED_MARTS
from serving.report import write_report

GROUP = "publication"
MART_KEYS = [dg.AssetKey(["marts", m]) for m in PUBLISHED_MARTS]


def _candidate_pointer(settings: Settings) -> Path:
    return settings.releases_dir / "candidates" / "latest.json"


def _inputs(settings: Settings) -> list[dict]:
    return [{"feed": m.feed, "source_file": m.source_file, "file_sha256": m.file_sha256, "status": m.status,
             "rows_read": m.rows_read, "rows_loaded": m.rows_loaded, "rows_quarantined": m.rows_quarantined}
            for m in all_manifests(settings.raw_dir)]


def _load_candidate(settings: Settings) -> Candidate:
    pointer = json.loads(_candidate_pointer(settings).read_text(encoding="utf-8"))
    return Candidate(pointer["release_id"], settings.releases_dir / "candidates" / pointer["release_id"])


def build_dbt_docs(target: Path) -> Path:
    """dbt's documentation site as one static HTML file (``dbt docs generate --static``)."""
    dbt_resource().cli(["docs", "generate", "--static"], target_path=target).wait()
    return target / "static_index.html"


@dg.asset(group_name=GROUP, deps=MART_KEYS, kinds={"duckdb"},
          description="The marts and dimensions copied into a new, unpublished release database, to be checked.")
def release_candidate(warehouse: WarehouseResource) -> dg.MaterializeResult:
    s = warehouse.settings()
    inputs = _inputs(s)
    candidate = stage_candidate(s.build_db, s.releases_dir, new_release_id(inputs))
    docs = build_dbt_docs(s.home / "dbt_docs")
    (candidate.path / "docs").mkdir(exist_ok=True)
    shutil.copy2(docs, candidate.path / "docs" / "dbt.html")
    _candidate_pointer(s).write_text(json.dumps({"release_id": candidate.release_id}), encoding="utf-8")
    return dg.MaterializeResult(metadata={"release_id": candidate.release_id, "path": str(candidate.path),
                                          "dbt_docs": str(candidate.path / "docs" / "dbt.html")})


@dg.asset_check(asset=release_candidate, name="gx_published_marts", blocking=True,
                description="Great Expectations suites of every published mart, run on the candidate database.")
def release_candidate_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    s = warehouse.settings()
    candidate = _load_candidate(s)
    result = run_gate(candidate.database, list(PUBLISHED_MARTS), candidate.quality_dir)
    return dg.AssetCheckResult(passed=result.passed, metadata={
        "release_id": candidate.release_id,
        "summary": dg.MetadataValue.md(f"```\n{result.summary()}\n```"),
        "data_docs": result.data_docs_index or "",
    })


@dg.asset(group_name=GROUP, deps=[release_candidate], kinds={"duckdb"},
          description="The published release: readers see it only after every blocking check passed; "
                      "the switch from one release to the next is atomic.")
def published_release(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    s = warehouse.settings()
    candidate = _load_candidate(s)
    feeds_quality = candidate.quality_dir / "feeds"
    feeds_quality.mkdir(parents=True, exist_ok=True)
    for result_file in (s.home / "quality" / "feeds").glob("*.json"):  # keep this run's feed results too
        shutil.copy2(result_file, feeds_quality / result_file.name)
    gate_files = [candidate.quality_dir / "gate.json", feeds_quality / "gate.json"]
    try:
        record = publish(candidate, s.releases_dir, _inputs(s), gate_files, keep=s.keep_releases,
                         finalize=write_report)
    except PublicationBlocked as exc:
        context.log.error(str(exc))
        raise
    return dg.MaterializeResult(metadata={"release_id": record["release_id"],
                                          "published_at": record["published_at"],
                                          "database": str(s.published_db),
                                          "input_files": len(record["inputs"]),
                                          "report": str(s.releases_dir / record["release_id"] / "report.html")})
