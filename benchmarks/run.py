"""The benchmark: the full refresh at a scale, against the floor and a pandas baseline.

    python -m benchmarks.run --scale S [--scale M ...] [--results-dir DIR] [--note TEXT] [--workdir var/bench]

For each scale: generate the sample feeds (cached in the workdir; not timed), then measure

- ``pipeline``: ``tw run`` (the full refresh: ingest, dbt build with its tests, GX checks, suppression,
  publish) in a child process; wall time and peak RSS of the whole process tree, per Dagster step from the
  run's event log;
- ``no-op``: ``tw run`` again with nothing new in the inbox;
- ``incremental``: ``tw run`` after the newest month of vacancy files (held back from the first run)
  arrives: ingest of that month, the dbt models downstream of vacancies, checks, publish;
- ``floor``: the project's compiled SQL executed by DuckDB alone on the same raw zone (benchmarks/floor.py);
- ``minimal floor``: each mart as one hand-written DuckDB query straight from the raw zone, no intermediate
  tables (benchmarks/minimal_floor.py);
- ``pandas``: every published mart in pandas from the same raw zone (benchmarks/pandas_baseline.py);
- ``queries``: the example analyst queries through the SQL endpoint, p50/p95 (benchmarks/queries.py);

checks that the floor's, the minimal floor's and pandas' marts (full builds) equal the pipeline's after the
incremental refresh, row for row, prints the table and writes it to a results file of its own,
``benchmarks/results/<date>T<time>Z-<scales>.md`` with a ``.json`` beside it (benchmarks/results.py); when the
results go to that folder, the generated "current figures" section of docs/performance.md is rewritten from
it (nothing is appended to a doc).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path

from benchmarks import results as results_files
from benchmarks import targets
from benchmarks.floor import compare, compare_floor, compile_project
from benchmarks.measure import Measured, run_measured
from benchmarks.minimal_floor import compare_minimal_floor
from benchmarks.minimal_floor import marts as minimal_floor_marts
from benchmarks.pandas_baseline import NOT_COMPUTED
from benchmarks.queries import measure as measure_queries
from benchmarks.scale_up import tile
from core.settings import REPO_ROOT
from devtools.sample import Scale, generate

SCALES: dict[str, Scale] = {
    "S": Scale("S", n_cities=3, n_schools=8, graduates_per_year=600, vacancies_total=3_000),
    # a province: about 1M graduate rows over the years held and 2M vacancies
    "M": Scale("M", n_cities=13, n_schools=300, graduates_per_year=333_334, vacancies_total=2_000_000),
}
L_COPIES = (
    10  # national: M's graduate and vacancy files ten times over (benchmarks/scale_up.py): 10M + 20M rows
)
SCALE_NAMES = (*SCALES, "L")
STAGES = {  # Dagster step key → stage
    "ingest": lambda k: k.startswith("raw__"),
    "dbt build (models + dbt tests)": lambda k: k == "warehouse_dbt_assets",
    "quality checks (GX)": lambda k: k in ("feed_checks", "release_candidate_gx_published_marts"),
    "publish (stage, suppress, docs, report, switch)": lambda k: (
        k in ("release_candidate", "published_release")
    ),
}
PYTHON = sys.executable


@dataclass
class Result:
    scale: str
    rows_in: int
    pipeline: Measured
    stages: dict[str, tuple[float, int]]  # stage → (seconds, peak RSS)
    noop: Measured
    noop_published: bool
    incremental: Measured
    incremental_rows: int
    incremental_stages: dict[str, tuple[float, int]]
    floor: Measured
    minimal_floor: Measured
    pandas: Measured
    floor_differences: dict[str, int]
    minimal_floor_differences: dict[str, int]
    pandas_differences: dict[str, int]
    queries: dict
    minimal_floor_seconds: dict[str, float]  # per mart


def _env(home: Path, inbox: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TW_HOME": str(home),
        "TW_INBOX_DIR": str(inbox),
        "TW_DEMO": "1",
        "DAGSTER_HOME": str(home / "dagster"),
        # white papers rendered as HTML, not printed to PDF: Chromium's start-up and printing per city are not
        # the warehouse's cost; the lists workbooks and the disclosure protection are measured
        "TW_WHITEPAPER_PDF": "off",
    }


def _tw() -> list[str]:
    tw = Path(PYTHON).parent / "tw"
    return [str(tw)] if tw.exists() else [PYTHON, "-m", "orchestration.cli"]


def _step_times(home: Path) -> list[tuple[str, float, float]]:
    """(step key, start, end) of the latest run, in seconds since the run started."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        stats = instance.get_run_step_stats(run.run_id)
        record = instance.get_run_record_by_id(run.run_id)
        timed = [(s.step_key, s.start_time, s.end_time) for s in stats if s.start_time and s.end_time]
        start = record.start_time if record and record.start_time else min(begun for _, begun, _ in timed)
        return [(key, begun - start, ended - start) for key, begun, ended in timed]


def _stages(measured: Measured, steps: list[tuple[str, float, float]]) -> dict[str, tuple[float, int]]:
    # the run record starts after the process started (imports, definitions): shift by that offset
    offset = measured.wall_s - max(end for _, _, end in steps) if steps else 0.0
    out: dict[str, tuple[float, int]] = {}
    for stage, match in STAGES.items():
        mine = [(s, e) for k, s, e in steps if match(k)]
        seconds = sum(e - s for s, e in mine)
        peak = max((measured.peak_between(s + offset, e + offset) for s, e in mine), default=0)
        out[stage] = (seconds, peak)
    covered = sum(v[0] for v in out.values())
    out["start-up and the rest"] = (measured.wall_s - covered, 0)
    return out


def _newest_month(inbox: Path) -> list[Path]:
    """The vacancy files of the newest month (one per copy at scale L), relative to the inbox."""
    files = sorted((inbox / "vacancies").rglob("vacancies_*.csv"))
    newest = max(p.name for p in files)
    return [p.relative_to(inbox) for p in files if p.name == newest]


def _hold_back(inbox: Path, held: Path) -> list[Path]:
    _restore(inbox, held)  # an interrupted earlier run may have left files held back
    moved = _newest_month(inbox)
    for rel in moved:
        (held / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(inbox / rel, held / rel)
    return moved


def _restore(inbox: Path, held: Path) -> None:
    for path in sorted(p for p in held.rglob("*") if p.is_file()) if held.exists() else []:
        shutil.move(path, inbox / path.relative_to(held))
    shutil.rmtree(held, ignore_errors=True)


def _rows_read(home: Path) -> int:
    return sum(json.loads(p.read_text())["rows_read"] for p in (home / "raw" / "_manifest").rglob("*.json"))


def run_scale(name: str, workdir: Path) -> Result:
    from transformation.marts import published_mart_names

    published = list(published_mart_names())
    base = workdir / name
    inbox, home, floor_dir = base / "inbox", base / "home", base / "floor"
    if not (base / ".generated").exists():
        shutil.rmtree(inbox, ignore_errors=True)
        if name == "L":
            source = workdir / "M" / "inbox"
            if not (workdir / "M" / ".generated").exists():
                generate(source, SCALES["M"])
                (workdir / "M" / ".generated").touch()
            tile(source, inbox, L_COPIES)
        else:
            generate(inbox, SCALES[name])
        (base / ".generated").touch()
    shutil.rmtree(home, ignore_errors=True)
    _hold_back(inbox, base / "held")
    try:
        pipeline = run_measured([*_tw(), "run"], env=_env(home, inbox))
        if pipeline.returncode != 0:
            raise RuntimeError(
                f"the pipeline failed at scale {name}:\n{pipeline.stdout[-3000:]}\n{pipeline.stderr[-3000:]}"
            )
        stages = _stages(pipeline, _step_times(home))
        first_release = os.readlink(home / "releases" / "current")
        noop = run_measured([*_tw(), "run"], env=_env(home, inbox))
        noop_published = os.readlink(home / "releases" / "current") != first_release
        rows_before = _rows_read(home)
    finally:
        _restore(inbox, base / "held")
    incremental = run_measured([*_tw(), "run"], env=_env(home, inbox))
    if incremental.returncode != 0 or os.readlink(home / "releases" / "current") == first_release:
        raise RuntimeError(f"the incremental refresh failed at scale {name}:\n{incremental.stdout[-3000:]}")
    incremental_stages = _stages(incremental, _step_times(home))
    rows_in = _rows_read(home)
    build_db = home / "warehouse" / "build.duckdb"
    compile_project(home / "raw", floor_dir)
    floor = run_measured(
        [PYTHON, "-m", "benchmarks.floor", "execute", str(floor_dir), str(build_db)], cwd=str(REPO_ROOT)
    )
    if floor.returncode != 0:
        raise RuntimeError(f"the floor failed: {floor.stderr[-3000:]}")
    minimal_db = base / "minimal_floor.duckdb"
    minimal_floor = run_measured(
        [PYTHON, "-m", "benchmarks.minimal_floor", str(home / "raw"), str(build_db), str(minimal_db)],
        cwd=str(REPO_ROOT),
    )
    if minimal_floor.returncode != 0:
        raise RuntimeError(f"the minimal floor failed: {minimal_floor.stderr[-3000:]}")
    pandas_dir = base / "pandas"
    shutil.rmtree(pandas_dir, ignore_errors=True)
    pandas = run_measured(
        [PYTHON, "-m", "benchmarks.pandas_baseline", str(home / "raw"), str(build_db), str(pandas_dir)],
        cwd=str(REPO_ROOT),
    )
    if pandas.returncode != 0:
        raise RuntimeError(f"the pandas baseline failed: {pandas.stderr[-3000:]}")
    return Result(
        name,
        rows_in,
        pipeline,
        stages,
        noop,
        noop_published,
        incremental,
        rows_in - rows_before,
        incremental_stages,
        floor,
        minimal_floor,
        pandas,
        compare_floor(floor_dir / "build.duckdb", build_db, published),
        # each hand-written baseline is compared on the marts it computes; run.py names the others
        compare_minimal_floor(minimal_db, build_db, [m for m in published if m in minimal_floor_marts()]),
        compare(
            build_db,
            [m for m in published if (pandas_dir / f"{m}.parquet").exists()],
            lambda mart: f"'{pandas_dir / mart}.parquet'",
            frozenset(NOT_COMPUTED),
        ),
        measure_queries(home),
        json.loads(minimal_floor.stdout),
    )


def _coverage(compared: dict[str, int], every: dict[str, int], what: str) -> str:
    """``N marts (rows differing: D)``, or ``N of M marts …; no <what> yet: …`` where a baseline does not
    compute every published mart (a new mart gets its hand-written references after it lands)."""
    missing = [m for m in every if m not in compared]
    counted = f"{len(compared)} of {len(every)} marts" if missing else f"{len(compared)} marts"
    rest = f"; no {what} yet: {', '.join(missing)}" if missing else ""
    return f"{counted} (rows differing: {sum(compared.values())}{rest})"


def _of(compared: dict[str, int], every: dict[str, int]) -> str:
    return f"{len(compared)} of {len(every)}"


def figures(r: Result) -> targets.Figures:
    """What the targets read of a scale's run (benchmarks/targets.py)."""
    stage = {name.split(" (")[0]: seconds for name, (seconds, _) in r.stages.items()}
    return targets.Figures(
        scale=r.scale,
        rows_in=r.rows_in,
        full_refresh_s=r.pipeline.wall_s,
        ingest_s=stage["ingest"],
        dbt_build_s=stage["dbt build"],
        checks_s=stage["quality checks"],
        publish_s=stage["publish"],
        startup_s=stage["start-up and the rest"],
        incremental_s=r.incremental.wall_s,
        nothing_new_s=r.noop.wall_s,
        minimal_floor_s=r.minimal_floor.wall_s,
        minimal_floor_marts=_of(r.minimal_floor_differences, r.floor_differences),
        pandas_s=r.pandas.wall_s,
        pandas_marts=_of(r.pandas_differences, r.floor_differences),
        peak_rss_gib=r.pipeline.peak_rss_bytes / 2**30,
        endpoint_p95_ms=r.queries["p95_ms"],
    )


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f}"


def _row(
    r: Result,
    what: str,
    seconds: float,
    peak: int | None = None,
    rows: int | None = None,
    input_rows: str = "",
) -> str:
    """A table row: its time, peak RSS and rate, and its time ÷ the floor's and ÷ pandas'."""
    return (
        f"| {r.scale} | {input_rows} | {what} | {seconds:.1f} | {_gib(peak) if peak else ''} | "
        f"{f'{rows / seconds:,.0f}' if rows else ''} | {seconds / r.floor.wall_s:.2f} | "
        f"{seconds / r.pandas.wall_s:.2f} |"
    )


def table(results: list[Result]) -> str:
    lines = [
        "| scale | input rows | what | wall s | peak RSS GiB | rows/s | × floor | × pandas |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        p, f, pd_ = r.pipeline, r.floor, r.pandas
        row = partial(_row, r)
        lines.append(
            row("**full refresh**", p.wall_s, p.peak_rss_bytes, r.rows_in, input_rows=f"{r.rows_in:,}")
        )
        for stage, (seconds, peak) in r.stages.items():
            lines.append(row(stage, seconds, peak))
        ingest = r.stages["ingest"][0]
        lines.append(
            row(
                "full refresh without ingest (what the baselines do, plus checks and publication)",
                p.wall_s - ingest,
            )
        )
        lines.append(
            row(
                f"refresh with nothing new (published: {'yes' if r.noop_published else 'no'})",
                r.noop.wall_s,
                r.noop.peak_rss_bytes,
            )
        )
        i = r.incremental
        lines.append(
            row(
                f"**incremental refresh**: one new month of vacancies ({r.incremental_rows:,} rows), "
                "published",
                i.wall_s,
                i.peak_rss_bytes,
            )
        )
        lines.append(
            f"| {r.scale} | | incremental: "
            + ", ".join(
                f"{stage.split(' (')[0]} {seconds:.1f} s"
                for stage, (seconds, _) in r.incremental_stages.items()
            )
            + " | | | | | |"
        )
        lines.append(
            f"| {r.scale} | | incremental ÷ full refresh | {100 * i.wall_s / p.wall_s:.0f}% | | | | |"
        )
        lines.append(
            row(
                f"floor: compiled SQL in DuckDB, {len(r.floor_differences)} marts "
                f"(rows differing: {sum(r.floor_differences.values())})",
                f.wall_s,
                f.peak_rss_bytes,
                r.rows_in,
            )
        )
        lines.append(
            row(
                f"minimal floor: one hand-written query per mart, "
                f"{_coverage(r.minimal_floor_differences, r.floor_differences, 'hand-written query')}",
                r.minimal_floor.wall_s,
                r.minimal_floor.peak_rss_bytes,
                r.rows_in,
            )
        )
        lines.append(
            row(
                f"pandas: {_coverage(r.pandas_differences, r.floor_differences, 'pandas function')}",
                pd_.wall_s,
                pd_.peak_rss_bytes,
                r.rows_in,
            )
        )
        q = r.queries
        lines.append(
            f"| {r.scale} | | {q['queries']} example queries via the SQL endpoint, "
            f"×{q['runs'] // q['queries']}: "
            f"p50 {q['p50_ms']:.0f} ms, **p95 {q['p95_ms']:.0f} ms**; slowest query p95 "
            f"{q['slowest_p95_ms']:.0f} ms | | | | | |"
        )
        quality = r.stages["quality checks (GX)"][0] + 0.0
        lines.append(
            f"| {r.scale} | | GX share of the full refresh | {100 * quality / p.wall_s:.0f}% | | | | |"
        )
    return "\n".join(lines)


def _measured(m: Measured) -> dict:
    return {"wall_s": round(m.wall_s, 3), "peak_rss_bytes": m.peak_rss_bytes}


def details(r: Result) -> dict:
    """A scale's figures for the results file's JSON (the table's rows are there too), with the targets
    assessed (``targets``: benchmarks/targets.py)."""
    values = {f.name: getattr(r, f.name) for f in fields(r)}
    return {k: (_measured(v) if isinstance(v, Measured) else v) for k, v in values.items()} | {
        "targets": targets.assess(figures(r))
    }


def main(argv: list[str] | None = None) -> int:
    parser = results_files.harness_parser(__doc__.split("\n\n")[0], SCALE_NAMES)
    args = parser.parse_args(argv)
    taken_at, before = results_files.now(), results_files.machine()
    scales = args.scale or ["S"]
    results = [run_scale(s, args.workdir) for s in scales]
    text = (
        table(results)
        + "\n\nTargets (issue #20; benchmarks/targets.py):\n\n"
        + targets.table([row for r in results for row in targets.assess(figures(r))])
    )
    print(text)
    results_files.write(
        results_files.REFRESH,
        scales,
        text,
        {r.scale: details(r) for r in results},
        taken_at,
        before,
        args.results_dir,
        args.note,
    )
    for r in results:
        bad = (
            {f"floor {m}": n for m, n in r.floor_differences.items() if n}
            | {f"minimal floor {m}": n for m, n in r.minimal_floor_differences.items() if n}
            | {f"pandas {m}": n for m, n in r.pandas_differences.items() if n}
        )
        if bad:
            print(f"scale {r.scale}: baselines disagree with the pipeline: {bad}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
