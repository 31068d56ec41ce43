"""What a refresh must rebuild in dbt: only the models downstream of a feed that changed.

After every successful ``dbt build`` the run records what it was built from
(``TW_HOME/warehouse/build_state.json``): a fingerprint of the code (the dbt project and the Python
packages) and, per feed, a fingerprint of the files in the raw zone. The next run compares:

- no record, no build database, or other code: a **full** build (``dbt build --full-refresh``);
- some feeds have new or corrected files: an **incremental** build of the models downstream of those
  feeds (and of the quarantine), with all their tests; the incremental staging models take only the keys
  touched since (dbt_project/macros/deliveries.sql), the enterprise list only the posting years those keys
  are or were in (it is told, per feed, the file versions the previous build did not have:
  :func:`dbt_build_env`), the other models downstream are rebuilt;
- nothing changed: **none** (the models already hold exactly what a rebuild would give).

On Spark (``TW_DBT_TARGET=spark…``) an incremental plan becomes a full one: the staging models are plain
Parquet tables there, and the local session's catalog lives only as long as one dbt invocation.

A run killed after ingestion but before the build finished recorded nothing, so the next run rebuilds
what it left. ``tw run --full-refresh`` (the ``warehouse`` resource's ``full_refresh`` config) forces a
full build.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Literal

from core.settings import Settings
from ingestion.contracts import FEEDS
from ingestion.raw_zone import all_manifests
from transformation.fingerprint import code_fingerprint

QUARANTINE_SOURCE = "quarantine"
# what dbt is told of a build plan, in its environment (values_touched_since_last_build,
# dbt_project/macros/deliveries.sql): per feed, the file versions the previous build did not have, as JSON
NEW_FILE_VERSIONS_ENV = "TW_NEW_FILE_VERSIONS"
# at most this many characters of JSON (Linux takes 128 KiB a variable): a feed whose list would not fit is
# left out, and dbt recomputes all of a model over it
NEW_FILE_VERSIONS_MAX_CHARS = 64_000


@dataclass(frozen=True)
class BuildInputs:
    """What a build is made from: the code, and per feed the file versions in the raw zone."""

    code: str
    feeds: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildPlan:
    mode: Literal["full", "incremental", "none"]
    changed_feeds: tuple[str, ...]
    reason: str
    # an incremental plan: per feed, the file versions (name, SHA-256) the previous build did not have
    # (:func:`new_file_versions`)
    new_file_versions: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def describe(self) -> str:
        feeds = f" ({', '.join(self.changed_feeds)})" if self.changed_feeds else ""
        return f"dbt build: {self.mode}{feeds}: {self.reason}"


def feed_files(manifests: Iterable) -> dict[str, list[str]]:
    """Per feed, every ingested file version (name, content hash, when ingested, counts), sorted."""
    lines: dict[str, list[str]] = {feed: [] for feed in FEEDS}
    for m in manifests:
        lines.setdefault(m.feed, []).append(
            f"{m.source_file}|{m.file_sha256}|{m.ingested_at}|{m.status}|{m.rows_loaded}|{m.rows_quarantined}"
        )
    return {feed: sorted(v) for feed, v in lines.items()}


def new_file_versions(previous: BuildInputs, current: BuildInputs) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per feed, the file versions of ``current`` that ``previous`` did not have: (source file, SHA-256) as
    ingestion wrote them in the file's manifest and on each of its rows, sorted; feeds without one are left
    out, and so is a feed with a line that does not read as :func:`feed_files` writes it (dbt then
    recomputes all of a model over that feed). The rows of the raw zone of these versions are what a build
    after ``previous`` has not read."""
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for feed, lines in current.feeds.items():
        before = set(previous.feeds.get(feed, []))
        # name|sha256|ingested_at|status|rows|quarantined: the name may hold a '|', the rest cannot
        fields = [line.rsplit("|", 5) for line in lines if line not in before]
        if fields and all(len(f) == 6 for f in fields):  # another layout: not named, all is recomputed
            found[feed] = tuple(sorted({(f[0], f[1]) for f in fields}))
    return found


def plan_build(
    previous: BuildInputs | None,
    current: BuildInputs,
    *,
    build_db_exists: bool,
    force_full: bool = False,
    incremental_supported: bool = True,
) -> BuildPlan:
    """``incremental_supported=False`` (the Spark targets) turns an incremental plan into a full one."""
    if force_full:
        return BuildPlan("full", (), "a full refresh was asked for (tw run --full-refresh)")
    if previous is None or not build_db_exists:
        return BuildPlan("full", (), "no earlier build to add to")
    if previous.code != current.code:
        return BuildPlan("full", (), "the code changed since the last build")
    withdrawn = [f for f in current.feeds if set(previous.feeds.get(f, [])) - set(current.feeds[f])]
    if withdrawn:  # rows of a removed file must leave the incremental tables too: start again
        return BuildPlan(
            "full", tuple(withdrawn), "files were removed from the raw zone since the last build"
        )
    changed = tuple(f for f in current.feeds if previous.feeds.get(f) != current.feeds[f])
    if not changed:
        return BuildPlan("none", (), "no feed changed since the last build")
    if not incremental_supported:
        return BuildPlan(
            "full",
            changed,
            "new or corrected files; this engine rebuilds every model "
            "(no incremental tables on Spark, docs/scale-out.md)",
        )
    return BuildPlan(
        "incremental",
        changed,
        "new or corrected files since the last build",
        new_file_versions(previous, current),
    )


def nodes_downstream(manifest: Mapping, sources: Iterable[str]) -> set[str]:
    """unique_ids of every node downstream of the given raw sources (by name), from dbt's manifest."""
    children: Mapping[str, list[str]] = manifest["child_map"]
    project = (
        manifest["metadata"].get("project_name") or next(iter(manifest["nodes"].values()))["package_name"]
    )
    todo = [f"source.{project}.raw.{s}" for s in sources]
    seen: set[str] = set()
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def unchanged_nodes(plan: BuildPlan, manifest: Mapping) -> list[str]:
    """unique_ids of the models and seeds a plan leaves alone, parents before children.

    They never depend on a rebuilt node (whatever is downstream of a changed feed is rebuilt)."""
    if plan.mode == "full":
        return []
    rebuild = (
        nodes_downstream(manifest, [*plan.changed_feeds, QUARANTINE_SOURCE])
        if plan.mode == "incremental"
        else set()
    )
    nodes = manifest["nodes"]
    keep = {
        uid
        for uid, node in nodes.items()
        if node["resource_type"] in ("model", "seed") and uid not in rebuild
    }
    graph = {uid: [d for d in nodes[uid].get("depends_on", {}).get("nodes", []) if d in keep] for uid in keep}
    return list(TopologicalSorter(graph).static_order())


# dbt's unit tests are left out of every refresh's build (:func:`dbt_build_args`)
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def dbt_build_args(plan: BuildPlan, manifest: Mapping) -> list[str] | None:
    """The ``dbt build`` arguments of a plan (None: nothing to build).

    No refresh runs the dbt unit tests (:data:`WITHOUT_UNIT_TESTS`): they test the code on fixed inputs,
    not the data, so they run where the code changes, in the project's tests
    (tests/e2e/test_dbt_unit_tests.py, ``make test``), as dbt recommends for production builds; a refresh
    runs every data test. An incremental build excludes the models and seeds that are not downstream of a
    changed feed; with ``--indirect-selection cautious`` a test is left out only when *all* the models it
    tests are, so every test that touches a rebuilt model runs (including relationships to unchanged
    dimensions)."""
    if plan.mode == "none":
        return None
    if plan.mode == "full":
        return ["build", "--full-refresh", *WITHOUT_UNIT_TESTS]
    keep = sorted(manifest["nodes"][uid]["name"] for uid in unchanged_nodes(plan, manifest))
    args = ["build", "--indirect-selection", "cautious", *WITHOUT_UNIT_TESTS]
    # one argument: dagster-dbt passes the value after --exclude on as a single token
    return [*args, "--exclude", " ".join(keep)] if keep else args


def dbt_build_env(plan: BuildPlan) -> dict[str, str]:
    """What the ``dbt build`` of a plan reads in its environment besides the settings
    (``Settings.dbt_env()``): for an incremental plan, :attr:`BuildPlan.new_file_versions` (a feed whose list
    would be longer than :data:`NEW_FILE_VERSIONS_MAX_CHARS` left out). A full build is told nothing: every
    model is built whole. dbt reads it when it runs an incremental model, not when it parses the project, so
    a new value each refresh costs no parse."""
    told: dict[str, list[list[str]]] = {}
    if plan.mode == "incremental":
        for feed, versions in plan.new_file_versions.items():
            candidate = {**told, feed: [list(v) for v in versions]}
            if len(json.dumps(candidate, ensure_ascii=False)) <= NEW_FILE_VERSIONS_MAX_CHARS:
                told = candidate
    return {NEW_FILE_VERSIONS_ENV: json.dumps(told, ensure_ascii=False)}


def state_path(settings: Settings) -> Path:
    return settings.home / "warehouse" / "build_state.json"


def load_state(settings: Settings) -> BuildInputs | None:
    path = state_path(settings)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not all(isinstance(files, list) for files in data.get("feeds", {}).values()):
        return None  # a record of another layout: build everything once
    return BuildInputs(code=data["code"], feeds=data["feeds"])


def save_state(settings: Settings, inputs: BuildInputs) -> None:
    path = state_path(settings)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(asdict(inputs), indent=1), encoding="utf-8")
    os.replace(tmp, path)


def current_inputs(settings: Settings) -> BuildInputs:
    return BuildInputs(code=code_fingerprint(settings), feeds=feed_files(all_manifests(settings.raw_dir)))
