"""The floor: the marts computed by DuckDB alone, from the same raw zone, with nothing else.

The SQL is the project's own models, compiled once by ``dbt compile`` (not timed) and executed in
dependency order in one DuckDB connection: no Dagster, no dbt runtime, no dbt tests, no Great
Expectations, no release. Reference tables (the seeds) are copied from the pipeline's build database.
What the pipeline adds on top of this (orchestration, ingestion with validation, checks, publication)
is the ratio the benchmark reports.

    python -m benchmarks.floor compile RAW_DIR FLOOR_DIR      # writes FLOOR_DIR/target/manifest.json
    python -m benchmarks.floor execute FLOOR_DIR BUILD_DB     # the timed part
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from benchmarks.measure import differing_rows
from devtools.dbt_cli import run_dbt
from transformation.marts import declaration_of


def compile_project(raw_dir: Path, floor_dir: Path) -> Path:
    floor_dir.mkdir(parents=True, exist_ok=True)
    # compiled against an empty database: an existing one would make dbt compile the incremental branch
    (floor_dir / "build.duckdb").unlink(missing_ok=True)
    run_dbt(
        ["compile", "--quiet"],
        raw_dir=raw_dir,
        build_db=floor_dir / "build.duckdb",
        target_dir=floor_dir / "target",
        log_dir=floor_dir / "logs",
    )
    return floor_dir / "target" / "manifest.json"


def ordered_models(manifest: dict) -> list[dict]:
    models = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    graph = {k: [d for d in v["depends_on"]["nodes"] if d in models] for k, v in models.items()}
    return [models[k] for k in TopologicalSorter(graph).static_order()]


def execute(floor_dir: Path, pipeline_build_db: Path) -> dict[str, int]:
    manifest = json.loads((floor_dir / "target" / "manifest.json").read_text(encoding="utf-8"))
    database = floor_dir / "build.duckdb"  # the catalog name "build" matches the compiled relation names
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    con.execute(f"attach '{pipeline_build_db}' as pipeline (read_only)")
    seeds = [n for n in manifest["nodes"].values() if n["resource_type"] == "seed"]
    for schema in {
        n["schema"] for n in manifest["nodes"].values() if n["resource_type"] in ("seed", "model")
    }:
        con.execute(f'create schema if not exists "{schema}"')
    for seed in seeds:
        con.execute(
            f'create table "{seed["schema"]}"."{seed["alias"]}" as '
            f'select * from pipeline."{seed["schema"]}"."{seed["alias"]}"'
        )
    con.execute("detach pipeline")
    rows = {}
    for model in ordered_models(manifest):
        kind = "view" if model["config"].get("materialized") == "view" else "table"  # as the project does
        con.execute(f"create {kind} {model['relation_name']} as {model['compiled_code']}")
        if (declared := declaration_of(model)).published and declared.is_mart:
            rows[model["name"]] = con.execute(f"select count(*) from {model['relation_name']}").fetchall()[0][
                0
            ]
    con.execute("checkpoint")
    con.close()
    return rows


def _comparable(column: str, data_type: str) -> str:
    """A column as both sides are compared: doubles and decimals as doubles rounded to 9 places, integers
    as bigint, the rest as the pipeline's type (a baseline may hold a count as a float, a year as int64)."""
    if data_type in ("DOUBLE", "FLOAT") or data_type.startswith("DECIMAL"):
        return f"round({column}::double, 9) as {column}"
    if data_type in ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT"):
        return f"{column}::bigint as {column}"
    return f"{column}::{data_type} as {column}"


def compare(
    pipeline_build_db: Path,
    marts: list[str],
    other: Callable[[str], str],
    skip: frozenset[str] = frozenset(),
    attach: Mapping[str, Path] | None = None,
) -> dict[str, int]:
    """Rows that differ between the pipeline's marts and another build of them: ``other(mart)`` is the
    relation (SQL) of that build, which must have every column of the pipeline's mart except ``skip``;
    ``attach`` names databases it reads (alias → file), attached read-only."""
    con = duckdb.connect()
    con.execute(f"attach '{pipeline_build_db}' as p (read_only)")
    for alias, database in (attach or {}).items():
        con.execute(f"attach '{database}' as {alias} (read_only)")
    differences = {}
    try:
        for mart in marts:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns where "
                "table_catalog = 'p' and table_schema = 'marts' and table_name = ? "
                "order by ordinal_position",
                [mart],
            ).fetchall()
            theirs = {row[0] for row in con.execute(f"describe select * from {other(mart)}").fetchall()}
            missing = {c for c, _ in columns} - theirs - skip
            if missing:
                raise ValueError(f"{other(mart)} lacks columns of {mart}: {sorted(missing)}")
            select = ", ".join(_comparable(c, t) for c, t in columns if c not in skip)
            differences[mart] = differing_rows(con, other(mart), f"p.marts.{mart}", select)
    finally:
        con.close()
    return differences


def compare_floor(floor_db: Path, pipeline_build_db: Path, marts: list[str]) -> dict[str, int]:
    """Rows that differ between the floor's marts and the pipeline's."""
    return compare(pipeline_build_db, marts, lambda mart: f"f.marts.{mart}", attach={"f": floor_db})


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "compile":
        print(compile_project(Path(args[0]), Path(args[1])))
    elif command == "execute":
        print(json.dumps(execute(Path(args[0]), Path(args[1]))))
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
