"""Latency of the example analyst queries through the SQL endpoint, on a warehouse's current release.

Starts the endpoint's PostgreSQL for the warehouse (``TW_HOME/postgres``, on a free port; stopped again
unless it was already running), loads the current release into it if it serves another, and runs every
example query (serving/example_queries.yml) ``repeat`` times over one TLS connection after a warm-up, as a
BI tool would connect. Reports the 50th and 95th percentiles over all of them and the slowest query's 95th
percentile.

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

from core.settings import DBT_PROJECT_DIR, load_settings
from devtools.analyst_docs import example_queries
from publication.postgres import published_declarations
from serving.postgres import EmbeddedServer, analyst_dsn, set_analyst, sync_current_release


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(home: Path, repeat: int = 20) -> dict:
    settings = load_settings({"TW_HOME": str(home), "TW_SQL_PORT": str(_free_port())})
    server = EmbeddedServer(settings)
    was_running = server.running()
    if not was_running:
        server.start()
    try:
        admin = server.admin_dsn()
        sync_current_release(
            admin, settings, published_declarations(DBT_PROJECT_DIR / "target" / "manifest.json")
        )
        set_analyst(admin, settings, "bench", "bench-password")
        port = psycopg.conninfo.conninfo_to_dict(admin)["port"]  # a running server keeps its own port
        dsn = analyst_dsn(settings, "bench", "bench-password", port=str(port))
        per_query: dict[str, list[float]] = {}
        with psycopg.connect(dsn, autocommit=True) as con:
            for q in example_queries():
                con.execute(q["sql"]).fetchall()  # warm-up
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    con.execute(q["sql"]).fetchall()
                    times.append((time.perf_counter() - started) * 1000)
                per_query[q["question"]] = times
    finally:
        if not was_running:
            server.stop()
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
