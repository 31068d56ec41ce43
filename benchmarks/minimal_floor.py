"""The minimal floor: each published mart as one hand-written DuckDB query straight from the raw zone.

The floor (benchmarks/floor.py) runs the project's own compiled SQL, which materialises staging and
intermediate tables of every row and reads them again. The minimal floor is what the transformation costs with
nothing in between: for each mart one statement (``benchmarks/minimal_floor/<mart>.sql``) reads the raw-zone
Parquet, keeps the latest delivery of each key, resolves region codes, applies the bridge weights and
aggregates, in one DuckDB connection; no table is created but the mart itself. The subqueries the marts share
(``_common.sql``: the feeds' latest deliveries, the region-code map, the talent match's roll-up of both
classifications, the annual industry output by 门类 or 三次产业, the graduates by school region) are
inlined into each statement by name; a piece of SQL written once for several places (the latest delivery of a
feed, the 专业类 of a major code) is a helper, ``_<helper>.sql``, inlined where a query names it as
``{helper(name=value; ...)}``. Reference data (the seeds) is read from the pipeline's build database, as the
floor copies it; the dbt variables (bridge version, unmapped code, the thresholds of the shortage lists, the
new-major candidates and the major warning, the contribution weights) from ``dbt_project.yml``.

The harness checks every mart equals the pipeline's build-database mart row for row
(:func:`compare_minimal_floor`, through :func:`benchmarks.floor.compare`). The SQL is written from the
published semantics (docs/indicators.md and the mart contracts), not from the models' structure.

    python -m benchmarks.minimal_floor RAW_DIR PIPELINE_BUILD_DB OUT_DB   # timed; prints seconds per mart
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import duckdb
import yaml

from benchmarks.floor import compare
from core.settings import DBT_PROJECT_DIR

SQL_DIR = Path(__file__).with_name("minimal_floor")
SEEDS = "p.reference_seeds"  # the pipeline's build database, attached read-only as ``p``
VARS = (
    "bridge_version",
    "weighting_rule",
    "unmapped_code",
    "shortage_min_supply",
    "shortage_min_headcount",
    "shortage_min_ratio",
    "shortage_severe_ratio",
    "alignment_min_output_coverage",
    "new_major_min_vacancy_headcount",
    "warning_min_graduates",
    "warning_red_placement_rate_below",
    "warning_yellow_placement_rate_below",
    "warning_yellow_major_fit_rate_below",
    "warning_yellow_vacancies_per_graduate_below",
    "warning_yellow_city_retention_rate_below",
    "warning_red_min_yellow_rules",
    "contribution_weight_hires_in_school_city",
    "contribution_weight_technical_service_value",
    "contribution_weight_job_fit",
)
HELPER_CALL = re.compile(r"\{(\w+)\(([^(){}]*)\)\}")  # {helper(name=value; name=value)}


def dbt_vars() -> dict[str, str]:
    declared = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    return {name: str(declared[name]) for name in VARS}


def marts() -> list[str]:
    return sorted(p.stem for p in SQL_DIR.glob("mart_*.sql"))


def helper(name: str, arguments: str) -> str:
    """The helper ``_<name>.sql`` (its comment lines left out) with ``{argument}`` replaced by the values of
    ``arguments``, written ``argument=value; argument=value``."""
    values = dict(a.split("=", 1) for a in arguments.split(";") if a.strip())
    lines = (SQL_DIR / f"_{name}.sql").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.startswith("--"))
    for argument, value in values.items():
        text = text.replace("{" + argument.strip() + "}", value.strip())
    return text


def query(mart: str, raw_dir: Path) -> str:
    """The one statement that computes ``mart``: the shared subqueries, then the mart's own SQL."""
    values = {"raw": str(raw_dir), "seeds": SEEDS, **dbt_vars()}
    common = (SQL_DIR / "_common.sql").read_text(encoding="utf-8")
    own = (SQL_DIR / f"{mart}.sql").read_text(encoding="utf-8")
    text = HELPER_CALL.sub(lambda call: helper(call[1], call[2]), f"with\n{common}\n{own}")
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def execute(raw_dir: Path, pipeline_build_db: Path, out_db: Path) -> dict[str, float]:
    """Build every mart into ``out_db`` (schema ``marts``); returns seconds per mart."""
    out_db.unlink(missing_ok=True)
    con = duckdb.connect(str(out_db))
    try:
        con.execute(f"attach '{pipeline_build_db}' as p (read_only)")
        con.execute("create schema marts")
        seconds = {}
        for mart in marts():
            started = time.perf_counter()
            con.execute(f"create table marts.{mart} as {query(mart, raw_dir)}")
            seconds[mart] = round(time.perf_counter() - started, 3)
    finally:
        con.close()
    return seconds


def compare_minimal_floor(minimal_db: Path, pipeline_build_db: Path, mart_names: list[str]) -> dict[str, int]:
    """Rows that differ between the minimal floor's marts and the pipeline's build-database marts."""
    return compare(pipeline_build_db, mart_names, lambda mart: f"mf.marts.{mart}", attach={"mf": minimal_db})


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        raise SystemExit(__doc__)
    print(json.dumps(execute(Path(argv[0]), Path(argv[1]), Path(argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
