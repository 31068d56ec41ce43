"""What a refresh rebuilds (transformation/build_plan.py), on a small hand-made dbt manifest."""

from __future__ import annotations

import json
from types import SimpleNamespace

from transformation.build_plan import (
    BuildInputs,
    BuildPlan,
    dbt_build_args,
    dbt_build_env,
    feed_files,
    new_file_versions,
    nodes_downstream,
    plan_build,
    unchanged_nodes,
)

P = "talent_warehouse"


def _node(kind: str, name: str, *parents: str) -> tuple[str, dict]:
    return f"{kind}.{P}.{name}", {
        "name": name,
        "resource_type": kind,
        "package_name": P,
        "depends_on": {"nodes": list(parents)},
    }


NODES = dict(
    [
        ("seed." + P + ".ref_region", {"name": "ref_region", "resource_type": "seed", "package_name": P}),
        _node("model", "dim_region", f"seed.{P}.ref_region"),
        _node("model", "stg_vacancies", f"source.{P}.raw.vacancies"),
        _node("model", "stg_graduate_destinations", f"source.{P}.raw.graduate_destinations"),
        _node("model", "stg_quarantine", f"source.{P}.raw.quarantine"),
        _node("model", "int_graduates", f"model.{P}.stg_graduate_destinations", f"model.{P}.dim_region"),
        _node("model", "int_vacancies", f"model.{P}.stg_vacancies", f"model.{P}.dim_region"),
        _node("model", "mart_talent_outflow", f"model.{P}.int_graduates"),
        _node("model", "mart_talent_match", f"model.{P}.int_graduates", f"model.{P}.int_vacancies"),
        _node(
            "test",
            "relationships_int_vacancies_dim_region",
            f"model.{P}.int_vacancies",
            f"model.{P}.dim_region",
        ),
    ]
)


def _manifest() -> dict:
    children: dict[str, list[str]] = {}
    for uid, node in NODES.items():
        for parent in node.get("depends_on", {}).get("nodes", []):
            children.setdefault(parent, []).append(uid)
    return {"metadata": {"project_name": P}, "nodes": NODES, "child_map": children}


def _inputs(code: str = "c1", **feeds: list[str]) -> BuildInputs:
    return BuildInputs(code=code, feeds={"vacancies": ["v1"], "graduate_destinations": ["g1"], **feeds})


def test_first_build_missing_database_and_code_change_are_full() -> None:
    assert plan_build(None, _inputs(), build_db_exists=False).mode == "full"
    assert plan_build(_inputs(), _inputs(), build_db_exists=False).mode == "full"
    assert plan_build(_inputs("c1"), _inputs("c2"), build_db_exists=True).mode == "full"
    assert plan_build(_inputs(), _inputs(), build_db_exists=True, force_full=True).mode == "full"


def test_a_changed_feed_is_incremental_and_nothing_changed_is_none() -> None:
    plan = plan_build(_inputs(), _inputs(vacancies=["v1", "v2"]), build_db_exists=True)
    assert (plan.mode, plan.changed_feeds) == ("incremental", ("vacancies",))
    assert plan_build(_inputs(), _inputs(), build_db_exists=True).mode == "none"


def test_a_withdrawn_file_means_a_full_build() -> None:
    """Its rows must leave the incremental staging tables, which only ever add keys touched by new files."""
    plan = plan_build(_inputs(vacancies=["v1", "v2"]), _inputs(vacancies=["v2", "v3"]), build_db_exists=True)
    assert (plan.mode, plan.changed_feeds) == ("full", ("vacancies",))


def test_the_rebuild_set_is_everything_downstream_of_the_changed_feed() -> None:
    down = nodes_downstream(_manifest(), ["vacancies"])
    assert {n.split(".")[-1] for n in down} == {
        "stg_vacancies",
        "int_vacancies",
        "mart_talent_match",
        "relationships_int_vacancies_dim_region",
    }


def test_unchanged_nodes_come_parents_first_and_never_depend_on_a_rebuilt_one() -> None:
    manifest = _manifest()
    plan = BuildPlan("incremental", ("vacancies",), "")
    kept = unchanged_nodes(plan, manifest)
    names = [manifest["nodes"][uid]["name"] for uid in kept]
    assert set(names) == {
        "ref_region",
        "dim_region",
        "stg_graduate_destinations",
        "int_graduates",
        "mart_talent_outflow",
    }  # stg_quarantine is rebuilt with any feed
    assert names.index("ref_region") < names.index("dim_region") < names.index("int_graduates")
    assert names.index("int_graduates") < names.index("mart_talent_outflow")
    assert unchanged_nodes(BuildPlan("full", (), ""), manifest) == []
    assert len(unchanged_nodes(BuildPlan("none", (), ""), manifest)) == 9


def test_dbt_arguments_keep_every_test_that_touches_a_rebuilt_model() -> None:
    manifest = _manifest()
    full = ["build", "--full-refresh", "--exclude-resource-type", "unit_test"]  # tests/e2e runs them
    assert dbt_build_args(BuildPlan("full", (), ""), manifest) == full
    assert dbt_build_args(BuildPlan("none", (), ""), manifest) is None
    args = dbt_build_args(BuildPlan("incremental", ("vacancies",), ""), manifest)
    assert args[:5] == ["build", "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test"]
    assert args[5] == "--exclude"
    assert args[6].split() == sorted(
        ["ref_region", "dim_region", "stg_graduate_destinations", "int_graduates", "mart_talent_outflow"]
    )


def test_feed_files_change_with_a_new_file_or_a_new_version_only() -> None:
    def m(feed: str, name: str, sha: str, at: str) -> SimpleNamespace:
        return SimpleNamespace(
            feed=feed,
            source_file=name,
            file_sha256=sha,
            ingested_at=at,
            status="loaded",
            rows_loaded=3,
            rows_quarantined=0,
        )

    base = [m("vacancies", "v1.csv", "a", "t1"), m("graduate_destinations", "g.csv", "b", "t1")]
    before = feed_files(base)
    assert feed_files(list(reversed(base))) == before
    added = feed_files([*base, m("vacancies", "v2.csv", "c", "t2")])
    assert added["vacancies"] != before["vacancies"]
    assert added["graduate_destinations"] == before["graduate_destinations"]
    corrected = feed_files([*base, m("vacancies", "v1.csv", "d", "t3")])
    assert corrected["vacancies"] not in (before["vacancies"], added["vacancies"])


def test_an_incremental_plan_tells_dbt_the_file_versions_the_previous_build_did_not_read() -> None:
    """Per feed, the new file versions (name, SHA-256; a name may hold a '|'); a feed with none, or with a
    line of another layout, is not named (dbt then recomputes all of a model over it); a full build is told
    nothing; a list too long for the environment is left out."""
    line = "{}|{}|2026-01-02T03:04:05.000007+00:00|loaded|3|0".format
    previous = _inputs(vacancies=[line("v1.csv", "a")], training=[line("t.csv", "c")])
    current = _inputs(
        vacancies=[
            line("v1.csv", "a"),
            line("v|2.csv", "b"),
            line("v1.csv", "d"),
        ],  # a new file, a correction
        training=[line("t.csv", "c")],
        enrolment=["not a line"],
    )
    assert new_file_versions(previous, current) == {"vacancies": (("v1.csv", "d"), ("v|2.csv", "b"))}
    plan = plan_build(previous, current, build_db_exists=True)
    assert plan.mode == "incremental"
    told = json.loads(dbt_build_env(plan)["TW_NEW_FILE_VERSIONS"])
    assert told == {"vacancies": [["v1.csv", "d"], ["v|2.csv", "b"]]}
    full = plan_build(previous, current, build_db_exists=True, force_full=True)
    assert dbt_build_env(full) == {"TW_NEW_FILE_VERSIONS": "{}"}
    many = BuildPlan("incremental", ("vacancies",), "t", {"vacancies": (("x" * 70_000, "a"),)})
    assert dbt_build_env(many) == {"TW_NEW_FILE_VERSIONS": "{}"}


def test_on_spark_new_files_mean_a_full_build_and_nothing_new_still_nothing() -> None:
    """Spark's staging tables are plain Parquet tables (no delete), and the session catalog is in memory."""
    plan = plan_build(
        _inputs(), _inputs(vacancies=["v1", "v2"]), build_db_exists=True, incremental_supported=False
    )
    assert (plan.mode, plan.changed_feeds) == ("full", ("vacancies",))
    assert plan_build(_inputs(), _inputs(), build_db_exists=True, incremental_supported=False).mode == "none"


def test_the_code_fingerprint_covers_the_declarations_and_the_checking_engine() -> None:
    """A change to a feed contract (the feed suites are built from it), the lists or the engines that build
    and check the SQL must be "code changed": everything built and validated again."""
    from core.settings import REPO_ROOT
    from transformation.fingerprint import ENGINE_PACKAGES, _code_files

    files = {p.relative_to(REPO_ROOT).as_posix() for p in _code_files()}
    assert {"ingestion/contracts.yml", "publication/lists.yml", "quality/suites.py"} <= files
    assert {"dbt_project/dbt_project.yml", "dbt_project/models/intermediate/_intermediate.yml"} <= files
    assert {"great-expectations", "dbt-core", "duckdb"} <= set(ENGINE_PACKAGES)
