"""``tw``: the project's command line (the README's commands call it).

tw demo [--scale demo|small]   generate sample feeds into the inbox (if empty) and run the refresh
tw run [--full-refresh]        ingest the inbox, rebuild what changed (or everything), check, publish
tw generate --scale S --out D  write sample feeds
tw query "SQL"                 query the published release (read-only)
tw status                      the current release and the last ingestion counts
tw reference DIR               regenerate reference seeds from a folder of raw copies (reference/raw)
tw contracts                   regenerate dbt source/staging YAML and docs/feeds.md from the contracts
tw catalogue FILE              load the official major catalogue (专业代码, 专业名称) into dim_major
tw serve                       the read-only SQL endpoint: PostgreSQL serving the current release
tw users add|password|remove|list [NAME]   analysts of the SQL endpoint
tw docs                        regenerate docs/analysts.md and README's example queries
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from core.settings import REPO_ROOT, load_settings


def _run_refresh(force: bool = False) -> int:
    settings = load_settings()
    settings.ensure_dirs()
    started = time.monotonic()
    from publication.release import current_release
    from transformation.fingerprint import nothing_new

    if not force and nothing_new(settings):
        print(
            f"nothing new: release {current_release(settings.releases_dir)} was built from this inbox, code and "
            f"settings; nothing to do ({time.monotonic() - started:.1f}s). `tw run --force` rebuilds anyway."
        )
        return 0
    os.environ.setdefault("DAGSTER_HOME", str(settings.home / "dagster"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(settings.dbt_env())
    import dagster as dg

    from orchestration.definitions import defs

    job = defs.resolve_job_def("refresh")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    elapsed = time.monotonic() - started

    published = [e for e in result.all_events if e.is_step_success and e.step_key == "published_release"]
    print(f"refresh: {'succeeded' if result.success else 'FAILED'} in {elapsed:.1f}s (run {result.run_id})")
    from ingestion.raw_zone import all_manifests

    manifests = all_manifests(settings.raw_dir)
    print(
        f"ingested files: {len(manifests)}; rows read {sum(m.rows_read for m in manifests):,} = loaded "
        f"{sum(m.rows_loaded for m in manifests):,} + quarantined {sum(m.rows_quarantined for m in manifests):,}; "
        f"rejected files: {sum(m.status == 'rejected' for m in manifests)}"
    )
    if published:
        print(f"published release {current_release(settings.releases_dir)}: {settings.published_db}")
    else:
        print(f"nothing published; the current release is still {current_release(settings.releases_dir)}")
    return 0 if result.success and published else 1


def _demo(scale: str) -> int:
    os.environ.setdefault("TW_DEMO", "1")
    settings = load_settings()
    if not any(settings.inbox_dir.glob("*/**/*.*")):
        from devtools.sample import generate

        started = time.monotonic()
        written = generate(settings.inbox_dir, scale)
        print(
            f"generated {scale} sample feeds into {settings.inbox_dir} "
            f"({sum(map(len, written.values()))} files, {time.monotonic() - started:.1f}s)"
        )
    return _run_refresh()


def _query(sql: str) -> int:
    import duckdb

    settings = load_settings()
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        print(con.sql(sql))
    finally:
        con.close()
    return 0


def _serve() -> int:
    import logging

    from core.settings import DBT_PROJECT_DIR
    from publication.postgres import published_declarations
    from serving.postgres import serve

    logging.basicConfig(level=logging.INFO)
    serve(load_settings(), published_declarations(DBT_PROJECT_DIR / "target" / "manifest.json"))
    return 0


def _users(args: argparse.Namespace) -> int:
    from serving.postgres import admin_session, analysts, remove_analyst, set_analyst

    settings = load_settings()
    with admin_session(settings) as dsn:
        if args.action == "list":
            print("\n".join(analysts(dsn)))
        elif args.action == "remove":
            remove_analyst(dsn, args.name)
            print(f"removed {args.name}")
        else:  # add, password: a new password, shown once
            password = sys.stdin.readline().strip() if args.password_stdin else None
            password = set_analyst(dsn, settings, args.name, password)
            verb = "added" if args.action == "add" else "new password for"
            print(
                f"{verb} {args.name}"
                + ("" if args.password_stdin else f"; password (shown once): {password}")
            )
    return 0


def _status() -> int:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tw", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="sample feeds + refresh")
    demo.add_argument("--scale", default="demo", choices=["small", "demo"])
    run = sub.add_parser(
        "run", help="refresh from the inbox: only what changed is rebuilt; does nothing when nothing changed"
    )
    run.add_argument("--force", action="store_true", help="run and publish even if nothing changed")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model from the whole raw zone (sets TW_FULL_REFRESH=1); implies --force",
    )
    gen = sub.add_parser("generate", help="write sample feeds")
    gen.add_argument("--scale", default="small", choices=["small", "demo"])
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=20261124)
    q = sub.add_parser("query", help="SQL on the published release")
    q.add_argument("sql")
    sub.add_parser("status", help="current release and ingestion counts")
    sub.add_parser("serve", help="read-only SQL endpoint: PostgreSQL serving the current release")
    users = sub.add_parser("users", help="analysts of the SQL endpoint (read-only PostgreSQL roles)")
    users.add_argument("action", choices=["add", "password", "remove", "list"])
    users.add_argument("name", nargs="?")
    users.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (else generated)"
    )
    ref = sub.add_parser("reference", help="regenerate reference seeds from raw copies")
    ref.add_argument("dir", type=Path, help="folder of raw reference copies, e.g. reference/raw")
    sub.add_parser("contracts", help="regenerate contract-derived files")
    sub.add_parser("docs", help="regenerate docs/analysts.md and the README's example queries")
    cat = sub.add_parser("catalogue", help="load the official major catalogue from a file into the seed")
    cat.add_argument("file", type=Path)
    args = parser.parse_args(argv)

    if args.command == "demo":
        return _demo(args.scale)
    if args.command == "run":
        if args.full_refresh:
            os.environ["TW_FULL_REFRESH"] = "1"
        return _run_refresh(force=args.force or args.full_refresh)
    if args.command == "generate":
        from devtools.sample import generate

        written = generate(args.out, args.scale, seed=args.seed)
        print(json.dumps({k: [str(p) for p in v] for k, v in written.items()}, ensure_ascii=False, indent=2))
        return 0
    if args.command == "query":
        return _query(args.sql)
    if args.command == "status":
        return _status()
    if args.command == "serve":
        return _serve()
    if args.command == "users":
        if args.action != "list" and not args.name:
            parser.error(f"tw users {args.action} needs a NAME")
        return _users(args)
    if args.command == "reference":
        from devtools.reference_seeds import write_seeds

        print(write_seeds(args.dir, REPO_ROOT / "dbt_project" / "seeds" / "reference"))
        return 0
    if args.command == "catalogue":
        from devtools.catalogue import SEED, write_catalogue_seed

        written, refused = write_catalogue_seed(args.file)
        for row, reason in refused.iter_rows():
            print(f"{args.file.name} row {row}: {reason}", file=sys.stderr)
        print(f"{written} majors written to {SEED}; {refused.height} rows refused")
        return 0 if refused.height == 0 else 1
    if args.command == "docs":
        from devtools.analyst_docs import write_all as write_docs

        for p in write_docs():
            print(p)
        return 0
    if args.command == "contracts":
        from devtools.contract_docs import write_all

        for p in write_all():
            print(p)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
