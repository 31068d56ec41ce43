"""``tw``: the project's command line (the README's commands call it).

tw run [--force] [--full-refresh]  ingest the inbox, rebuild what changed (or everything), check, publish
tw query "SQL"                     query the published release (read-only)
tw status                          the current release and the last ingestion counts
tw serve                           the read-only SQL endpoint (PostgreSQL protocol) on the current release

The developer commands (sample feeds, the demo, generated files) live in devtools/cli.py: runtime packages
never import devtools (docs/architecture.md), so devtools registers them under the ``tw.commands`` entry
point (pyproject.toml) and ``tw`` finds them there; a checkout of the repository has them:

tw demo [--scale demo|small]       generate sample feeds into the inbox (if empty) and run the refresh
tw generate --scale S --out D      write sample feeds
tw reference DIR                   regenerate reference seeds from a folder of raw copies (reference/raw)
tw contracts                       regenerate dbt source/staging YAML and docs/feeds.md from the contracts
tw catalogue FILE                  load the official major catalogue (专业代码, 专业名称) into dim_major
tw docs                            regenerate docs/analysts.md and README's example queries

Settings come from the environment once (core/settings.py) and are passed on from here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from importlib.metadata import entry_points

from core.settings import Settings, load_settings

COMMANDS_ENTRY_POINT = "tw.commands"
Handler = Callable[[argparse.Namespace], int]


def refresh(settings: Settings, *, force: bool = False, full_refresh: bool = False) -> int:
    """The ``refresh`` job in this process, unless nothing changed since the current release (``force``
    runs it anyway; ``full_refresh`` rebuilds every dbt model). 0 when a release was published."""
    settings.ensure_dirs()
    started = time.monotonic()
    from publication.release import current_release
    from transformation.fingerprint import nothing_new

    if not force and nothing_new(settings):
        print(
            f"nothing new: release {current_release(settings.releases_dir)} was built from this inbox, "
            f"code and settings; nothing to do ({time.monotonic() - started:.1f}s). "
            "`tw run --force` rebuilds anyway."
        )
        return 0
    import dagster as dg

    from orchestration.definitions import build_definitions

    job = build_definitions(settings, full_refresh=full_refresh).resolve_job_def("refresh")
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    elapsed = time.monotonic() - started

    published = [e for e in result.all_events if e.is_step_success and e.step_key == "published_release"]
    print(f"refresh: {'succeeded' if result.success else 'FAILED'} in {elapsed:.1f}s (run {result.run_id})")
    from ingestion.raw_zone import all_manifests

    manifests = all_manifests(settings.raw_dir)
    print(
        f"ingested files: {len(manifests)}; rows read {sum(m.rows_read for m in manifests):,} = loaded "
        f"{sum(m.rows_loaded for m in manifests):,} + quarantined "
        f"{sum(m.rows_quarantined for m in manifests):,}; "
        f"rejected files: {sum(m.status == 'rejected' for m in manifests)}"
    )
    if published:
        print(f"published release {current_release(settings.releases_dir)}: {settings.published_db}")
    else:
        print(f"nothing published; the current release is still {current_release(settings.releases_dir)}")
    return 0 if result.success and published else 1


def _run(args: argparse.Namespace) -> int:
    return refresh(load_settings(), force=args.force or args.full_refresh, full_refresh=args.full_refresh)


def _query(args: argparse.Namespace) -> int:
    import duckdb

    settings = load_settings()
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        print(con.sql(args.sql))
    finally:
        con.close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import logging

    from serving.endpoint import Endpoint

    logging.basicConfig(level=logging.INFO)
    settings = load_settings()
    server = Endpoint(
        (settings.sql_host, settings.sql_port), settings.releases_dir, settings.require_sql_users()
    )
    host, port = server.server_address[:2]
    print(
        f"SQL endpoint on {host}:{port} (PostgreSQL protocol, read-only), "
        f"serving {settings.current_release_link}"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _status(args: argparse.Namespace) -> int:
    from ingestion.raw_zone import all_manifests
    from publication.release import current_release

    settings = load_settings()
    manifests = all_manifests(settings.raw_dir)
    print(
        json.dumps(
            {
                "current_release": current_release(settings.releases_dir),
                "published_db": str(settings.published_db),
                "files": len(manifests),
                "rows_read": sum(m.rows_read for m in manifests),
                "rows_loaded": sum(m.rows_loaded for m in manifests),
                "rows_quarantined": sum(m.rows_quarantined for m in manifests),
                "files_rejected": [m.source_file for m in manifests if m.status == "rejected"],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


def parser() -> argparse.ArgumentParser:
    """``tw``'s commands, and those registered under the ``tw.commands`` entry point."""
    top = argparse.ArgumentParser(
        prog="tw", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = top.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="refresh from the inbox: only what changed is rebuilt; does nothing when nothing changed"
    )
    run.add_argument("--force", action="store_true", help="run and publish even if nothing changed")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model from the whole raw zone; implies --force",
    )
    run.set_defaults(handler=_run)
    q = sub.add_parser("query", help="SQL on the published release")
    q.add_argument("sql")
    q.set_defaults(handler=_query)
    sub.add_parser("status", help="current release and ingestion counts").set_defaults(handler=_status)
    sub.add_parser(
        "serve", help="read-only SQL endpoint (PostgreSQL wire protocol) on the current release"
    ).set_defaults(handler=_serve)
    for entry_point in entry_points(group=COMMANDS_ENTRY_POINT):
        entry_point.load()(sub)  # register(subparsers): adds its commands with set_defaults(handler=...)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
