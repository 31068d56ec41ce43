"""Ingestion alone, timed: every feed of an inbox into a fresh raw zone, as the refresh ingests it.

    python -m benchmarks.ingest INBOX [--workers 2] [--profile OUT.prof] [--results-dir DIR] [--note TEXT]

Wall time, peak RSS of the process and rows per second per feed and in all; the raw zone goes to a
temporary folder and is removed. With ``--profile`` the run is under cProfile (slower; for where the time
goes, not for the figures). Writes a results file ``benchmarks/results/<date>T<time>Z-<scale>-ingest.md``
(``.json`` beside it) when ``--results-dir`` or ``--scale`` is given.
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import results as results_files
from ingestion.contracts import FEEDS
from ingestion.ingest import SEEDS_DIR, ingest_feed
from ingestion.reference import code_lists, region_years

KEY = b"benchmark pseudonymisation key 32"


def ingest(inbox: Path, raw_dir: Path, workers: int) -> list[dict]:
    references, years = code_lists(SEEDS_DIR), region_years(SEEDS_DIR)
    rows = []
    for feed in FEEDS:
        started = time.perf_counter()
        reports = ingest_feed(inbox, feed, raw_dir, KEY, references, workers=workers, region_code_years=years)
        rows.append(
            {
                "feed": feed,
                "files": len(reports),
                "rows_read": sum(r.rows_read for r in reports),
                "rows_quarantined": sum(r.rows_quarantined for r in reports),
                "wall_s": time.perf_counter() - started,
            }
        )
    return rows


def table(scale: str, rows: list[dict], peak_rss_bytes: int, cpu_s: float) -> str:
    lines = [
        "| scale | feed | files | rows read | rows quarantined | wall s | rows/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {scale} | {r['feed']} | {r['files']} | {r['rows_read']:,} | {r['rows_quarantined']:,} | "
            f"{r['wall_s']:.1f} | {r['rows_read'] / r['wall_s']:,.0f} |"
        )
    total_rows, total_s = sum(r["rows_read"] for r in rows), sum(r["wall_s"] for r in rows)
    lines.append(
        f"| {scale} | **all feeds** (peak RSS {peak_rss_bytes / 2**30:.2f} GiB; CPU time of the process "
        f"{cpu_s:.1f} s, start-up included) | "
        f"{sum(r['files'] for r in rows)} | {total_rows:,} | {sum(r['rows_quarantined'] for r in rows):,} | "
        f"{total_s:.1f} | **{total_rows / total_s:,.0f}** |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inbox", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--scale", default="", help="the scale the inbox is (names the results file)")
    parser.add_argument("--results-dir", type=Path)
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    taken_at, before = results_files.now(), results_files.machine()
    with tempfile.TemporaryDirectory(prefix="tw-bench-ingest-") as tmp:
        if args.profile:
            profiler = cProfile.Profile()
            rows = profiler.runcall(ingest, args.inbox, Path(tmp), args.workers)
            profiler.dump_stats(args.profile)
        else:
            rows = ingest(args.inbox, Path(tmp), args.workers)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak, cpu_s = usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime
    text = table(args.scale or "?", rows, peak, cpu_s)
    print(text)
    if args.results_dir or args.scale:
        results_files.write(
            results_files.INGEST,
            [args.scale or "?"],
            text,
            {
                "workers": args.workers,
                "feeds": rows,
                "peak_rss_bytes": peak,
                "cpu_s": cpu_s,
                "profiled": bool(args.profile),
            },
            taken_at,
            before,
            args.results_dir or results_files.RESULTS_DIR,
            args.note,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
