"""Latency of the example analyst queries through the SQL endpoint, on a warehouse's current release.

Starts the endpoint in this process (PostgreSQL wire protocol, as a BI tool would connect), runs every
example query (serving/example_queries.yml) ``repeat`` times over one connection after a warm-up, and
reports the 50th and 95th percentiles over all of them and the slowest query's 95th percentile.

    python -m benchmarks.queries TW_HOME [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import psycopg

from devtools.analyst_docs import example_queries
from serving.endpoint import serve


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def measure(home: Path, repeat: int = 20) -> dict:
    server = serve("127.0.0.1", 0, home / "releases", {"bench": "bench"})
    try:
        dsn = f"host=127.0.0.1 port={server.server_address[1]} user=bench password=bench dbname=warehouse"
        per_query: dict[str, list[float]] = {}
        with psycopg.connect(dsn) as con:
            for q in example_queries():
                con.execute(q["sql"]).fetchall()  # warm-up
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    con.execute(q["sql"]).fetchall()
                    times.append((time.perf_counter() - started) * 1000)
                per_query[q["question"]] = times
    finally:
        server.shutdown()
        server.server_close()
    everything = [t for ts in per_query.values() for t in ts]
    slowest = max(per_query, key=lambda q: _p95(per_query[q]))
    return {
        "queries": len(per_query),
        "runs": len(everything),
        "p50_ms": statistics.median(everything),
        "p95_ms": _p95(everything),
        "slowest_query": slowest,
        "slowest_p95_ms": _p95(per_query[slowest]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.home, args.repeat), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
