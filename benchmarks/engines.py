"""The full refresh on each dbt engine, on the same generated feeds: DuckDB (the default) and local Spark.

    python -m benchmarks.engines --scale S [--scale M] [--results-dir DIR] [--workdir var/bench]

For each scale, ``tw run`` runs once with ``TW_DBT_TARGET=duckdb`` and once with ``TW_DBT_TARGET=spark``
(dbt-spark's session method: PySpark and its JVM in the dbt process, ``local[2]``, driver memory
``TW_SPARK_DRIVER_MEMORY``), each in a fresh TW_HOME from the same inbox (the inbox benchmarks/run.py
generates and caches). Measured: wall time and peak RSS of the whole process tree (the JVM included), the
dbt build step on its own, and whether the two published releases are equal (tests/e2e/test_spark_parity.py
compares them the same way). Prints the table and writes it to a results file of its own,
``benchmarks/results/<date>T<time>Z-<scales>-engines.md`` and ``.json`` (benchmarks/results.py); the generated
section of docs/scale-out.md is rewritten from that folder (nothing is appended to a doc).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from benchmarks import results as results_files
from benchmarks.measure import Measured, differing_rows, run_measured
from benchmarks.run import SCALES, _env, _rows_read, _stages, _step_times, _tw
from devtools.sample import generate

ENGINES = ("duckdb", "spark")
DBT_STAGE = "dbt build (models + dbt tests)"


def _differences(duck_db: Path, spark_db: Path) -> int:
    """Rows of the published marts that are in one release and not in the other (doubles to 9 places)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"attach '{duck_db}' as d (read_only)")
    con.execute(f"attach '{spark_db}' as s (read_only)")
    total = 0
    for (table,) in con.execute(
        "select table_name from duckdb_tables() where database_name = 'd' and table_name <> 'release_info'"
    ).fetchall():
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'd' "
            "and table_name = ?",
            [table],
        ).fetchall()
        cols = ", ".join(f'round("{c}", 9)' if t == "DOUBLE" else f'"{c}"' for c, t in columns)
        total += differing_rows(con, f"d.{table}", f"s.{table}", cols)
    con.close()
    return total


def run_scale(name: str, workdir: Path) -> tuple[int, dict[str, tuple[Measured, dict]], int]:
    base = workdir / name
    inbox = base / "inbox"
    if not (base / ".generated").exists():
        shutil.rmtree(inbox, ignore_errors=True)
        generate(inbox, SCALES[name])
        (base / ".generated").touch()
    runs: dict[str, tuple[Measured, dict]] = {}
    for engine in ENGINES:
        home = base / f"engine-{engine}"
        shutil.rmtree(home, ignore_errors=True)
        measured = run_measured([*_tw(), "run"], env={**_env(home, inbox), "TW_DBT_TARGET": engine})
        if measured.returncode != 0:
            raise RuntimeError(
                f"tw run on {engine} failed at scale {name}:\n{measured.stdout[-3000:]}\n"
                f"{measured.stderr[-3000:]}"
            )
        runs[engine] = (measured, _stages(measured, _step_times(home)))
    rows = _rows_read(base / "engine-duckdb")
    differences = _differences(
        *(base / f"engine-{e}" / "releases" / "current" / "warehouse.duckdb" for e in ENGINES)
    )
    return rows, runs, differences


def table(results: dict[str, tuple[int, dict[str, tuple[Measured, dict]], int]]) -> str:
    lines = [
        (
            "| scale | input rows | engine | full refresh s | dbt build s | peak RSS GiB | "
            "× DuckDB (refresh) | × DuckDB (dbt build) | published rows differing |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scale, (rows, runs, differences) in results.items():
        duck, duck_stages = runs["duckdb"]
        for engine, (m, stages) in runs.items():
            build = stages[DBT_STAGE][0]
            lines.append(
                f"| {scale} | {rows:,} | {engine} | {m.wall_s:.1f} | {build:.1f} | "
                f"{m.peak_rss_bytes / 2**30:.2f} | {m.wall_s / duck.wall_s:.1f} | "
                f"{build / duck_stages[DBT_STAGE][0]:.1f} | {differences if engine != 'duckdb' else ''} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = results_files.harness_parser(__doc__.split("\n\n")[0], SCALES)
    args = parser.parse_args(argv)
    taken_at, before = results_files.now(), results_files.machine()
    results = {s: run_scale(s, args.workdir) for s in (args.scale or ["S"])}
    text = table(results)
    print(text)
    details = {
        scale: {
            "rows_in": rows,
            "published_rows_differing": differences,
            "engines": {
                e: {"wall_s": m.wall_s, "peak_rss_bytes": m.peak_rss_bytes, "stages": stages}
                for e, (m, stages) in runs.items()
            },
        }
        for scale, (rows, runs, differences) in results.items()
    }
    results_files.write(
        results_files.ENGINES, results, text, details, taken_at, before, args.results_dir, args.note
    )
    return 1 if any(d for _, _, d in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
