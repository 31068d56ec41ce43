"""``tw``: the project's command line (the README's commands call it).

tw run [--force] [--full-refresh]  ingest the inbox, rebuild what changed (or everything), check, publish
tw query "SQL"                     query the published release (read-only)
tw status [--json]                 the current release and every ingested file: counts, warnings, reasons
tw quarantine [FILE]               the refused rows (of one file, or all) and why, gate passed or not
tw retract FILE                    take every version of a delivered file back out of the raw zone
tw inspect FILE [--feed F]         read a file and propose the source profile that loads it
tw serve                           the read-only SQL endpoint: PostgreSQL serving the current release
tw users add|password|remove|list [NAME]   analysts of the SQL endpoint
tw psql USER [PSQL ARGS]           psql 17 (the server's own) connected to the SQL endpoint as USER
tw attack [RELEASE] [--exact]      the LP adversary of docs/disclosure.md against a release (default: current)

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
import atexit
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from core.settings import Settings, load_settings
from ingestion.contracts import FEEDS

if TYPE_CHECKING:  # imported where used: `tw` commands other than `run` need neither
    from quality.worker import GateWorker
    from transformation.dbt_forkserver import DbtForkServer

COMMANDS_ENTRY_POINT = "tw.commands"
Handler = Callable[[argparse.Namespace], int]


def refresh(
    settings: Settings, *, force: bool = False, full_refresh: bool = False, verbose: bool = False
) -> int:
    """The ``refresh`` job in this process, unless nothing changed since the current release (``force``
    runs it anyway; ``full_refresh`` rebuilds every dbt model). 0 when a release was published.

    It prints one line per step; every event, dbt's output and the step logs go to
    ``TW_HOME/logs/run-<time>.log`` (``verbose`` prints them as well)."""
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
    import contextlib

    from quality.worker import GateWorker
    from transformation import dbt_forkserver

    log_file = settings.logs_dir / f"run-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        # first: it imports GX while this process imports Dagster and ingests (quality/worker.py); not when
        # another refresh holds the warehouse (this run then fails at its start, as before, and a worker
        # would only take a core from the other)
        running = _refresh_running(settings)
        gates = None if running else stack.enter_context(GateWorker(output=None if verbose else log_file))
        # then the process that imports dbt once and forks each dbt command
        # (transformation/dbt_forkserver.py), told to import once GX is in: three imports at once would slow
        # this process's start
        forkserver = None
        if gates is not None and settings.dbt_forkserver and dbt_forkserver.available():
            try:
                forkserver = stack.enter_context(
                    dbt_forkserver.DbtForkServer(
                        dbt_forkserver.installed_dbt(), output=None if verbose else log_file, import_now=False
                    )
                )
            except (OSError, dbt_forkserver.ServerUnavailable) as exc:  # dbt runs as without it
                print(f"refresh: dbt runs without its fork server ({exc})")
        if gates is not None and forkserver is not None:
            threading.Thread(
                target=_import_dbt_after_gx, args=(gates, forkserver), name="dbt-import", daemon=True
            ).start()
        from orchestration.definitions import build_definitions
        from orchestration.instance import refresh_instance
        from orchestration.run_log import run_logger

        loggers = {"progress": run_logger(log_file, sys.stdout, verbose)}
        definitions = build_definitions(
            settings,
            full_refresh=full_refresh,
            loggers=loggers,
            gates=gates,
            dbt_forkserver_client=forkserver.executable if forkserver is not None else None,
        )
        job = definitions.resolve_job_def("refresh")
        print(f"refresh: {'full' if full_refresh else 'what changed'}; log: {log_file}")
        if not verbose:  # dbt's lines (dagster-dbt writes them to stdout) and library warnings: the log
            sink = stack.enter_context(open(log_file, "a", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(sink))
            stack.enter_context(contextlib.redirect_stderr(sink))
        instance = stack.enter_context(refresh_instance(settings.dagster_home))
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
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
    problems = _file_problems(settings)
    if published:
        print(f"published release {current_release(settings.releases_dir)}: {settings.published_db}")
        if problems:
            print("files with refused rows or warnings (published all the same):", *problems, sep="\n")
        if flags := _plausibility_lines(settings):
            print("plausibility flags (published, to be questioned; the release's report.html lists them):")
            print(*flags, sep="\n")
    else:
        print(f"nothing published; the current release is still {current_release(settings.releases_dir)}")
        print(_why_not_published(settings))
    return 0 if result.success and published else 1


def _import_dbt_after_gx(gates: GateWorker, forkserver: DbtForkServer) -> None:
    gates.wait_started()
    forkserver.import_dbt()


def _refresh_running(settings: Settings) -> bool:
    """Whether another refresh holds ``settings.home``'s lock now (core/locking.py)."""
    from core.locking import RefreshInProgress, refresh_lock

    try:
        with refresh_lock(settings.home):
            return False
    except RefreshInProgress:
        return True


def _run(args: argparse.Namespace) -> int:
    return refresh(
        load_settings(),
        force=args.force or args.full_refresh,
        full_refresh=args.full_refresh,
        verbose=args.verbose,
    )


def _file_problems(settings: Settings, blocking_only: bool = False) -> list[str]:
    """A line per delivered file (its newest version) that was rejected, had rows quarantined (over the
    gate's share, or any unless ``blocking_only``) or warnings, with the command that shows why."""
    from ingestion.inventory import file_status
    from quality.suites import MAX_QUARANTINE_SHARE

    lines = []
    for f in file_status(settings.raw_dir):
        r = f.report
        if not f.latest:
            continue
        over = r.rows_read and r.rows_quarantined > MAX_QUARANTINE_SHARE * r.rows_read
        if r.status == "rejected":
            lines.append(
                f"  {r.source_file}: rejected: {r.error}  (fix or remove it; `tw retract {r.source_file}`)"
            )
        elif r.rows_quarantined and (over or not blocking_only):
            share = f" (over {MAX_QUARANTINE_SHARE:.0%})" if over else ""
            lines.append(
                f"  {r.source_file}: {r.rows_quarantined:,} of {r.rows_read:,} rows quarantined{share}; "
                f"`tw quarantine {r.source_file}` shows why"
            )
        elif r.warnings and not blocking_only:
            lines.append(f"  {r.source_file}: {len(r.warnings)} warning(s); `tw status` lists them")
    return lines


def _plausibility_lines(settings: Settings) -> list[str]:
    """A line per plausibility flag of the current release (release.json)."""
    record = settings.releases_dir / "current" / "release.json"
    if not record.exists():
        return []
    checks = json.loads(record.read_text(encoding="utf-8")).get("checks", [])
    flags = [f for c in checks for f in c.get("plausibility_flags", [])]
    return [f"  {f['suite']}: {f['check']}: {f['rows']} row(s)" for f in flags]


def _why_not_published(settings: Settings) -> str:
    """Each failed check of this run's gates, and each delivered file that fails the feed gate with the
    condition it fails and the command that shows why."""

    lines = []
    candidates = sorted((settings.releases_dir / "candidates").glob("*/quality/gate.json"))
    for gate_file in [settings.home / "quality" / "feeds" / "gate.json", *candidates[-1:]]:
        if gate_file.exists():
            gate = json.loads(gate_file.read_text(encoding="utf-8"))
            for suite in gate["suites"]:
                for e in suite["expectations"]:
                    if e["blocking"] and not e["success"]:
                        what = e["column"] or e["description"] or ""
                        count = e["error"] or f"{e['unexpected_count']} unexpected rows"
                        lines.append(f"  check failed: {suite['suite']}: {e['expectation']} {what}: {count}")
    lines += _file_problems(settings, blocking_only=True)
    return "\n".join(["why:", *lines]) if lines else "why: see the run's log (`tw status` for the files)"


def _query(args: argparse.Namespace) -> int:
    import duckdb

    settings = load_settings()
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        print(con.sql(args.sql))
    finally:
        con.close()
    return 0


def _attack(args: argparse.Namespace) -> int:
    import polars as pl

    from publication.disclosure import PROTECTION_WIDTH, exposed
    from publication.disclosure_attack import attack_release

    settings = load_settings()
    release = Path(args.release) if args.release else settings.releases_dir / "current"
    result = attack_release(
        release, min_masked=args.min_masked, width=None if args.exact else PROTECTION_WIDTH
    )
    summary = result.summary()
    per_table = (
        result.intervals.group_by("table")
        .agg(
            masked=pl.len(),
            exact=(pl.col("width") < 0.5).sum(),
            narrow=(pl.col("width") < PROTECTION_WIDTH - 1e-6).sum(),
            exposed=exposed(result.k).sum(),
        )
        .sort("table")
    )
    if args.json:
        print(json.dumps({**summary, "tables": per_table.to_dicts()}, indent=2))
    else:
        for row in per_table.iter_rows(named=True):
            print(
                f"  {row['table']}: {row['masked']} masked, {row['exact']} exact, {row['narrow']} narrower, "
                f"{row['exposed']} exposed"
            )
        print(
            f"{summary['masked_cells']} masked cells: {summary['exact']} recovered exactly, "
            f"{summary['narrower_than_protection']} narrower than {PROTECTION_WIDTH:g} persons, "
            f"{summary['exposed']} of them possibly a count under k = {result.k:g} (exposed) "
            f"({summary['seconds']} s)"
        )
    return 1 if summary["exposed"] else 0


def _serve(args: argparse.Namespace) -> int:
    import logging

    from core.settings import DBT_PROJECT_DIR
    from publication.postgres import published_declarations
    from serving.postgres import serve
    from transformation.marts import ensure_manifest

    logging.basicConfig(level=logging.INFO)
    serve(load_settings(), published_declarations(ensure_manifest(DBT_PROJECT_DIR)))
    return 0


def _users(args: argparse.Namespace) -> int:
    from serving.postgres import admin_session, analysts, remove_analyst, set_analyst

    if args.action != "list" and not args.name:
        print(f"tw users {args.action} needs a NAME", file=sys.stderr)
        return 2
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


def _psql(args: argparse.Namespace) -> int:
    import os

    from serving.postgres import psql_command

    command = psql_command(load_settings(), args.user, args.psql_args)
    os.execv(command[0], command)  # psql asks for the password (or reads PGPASSWORD, ~/.pgpass)


def _status(args: argparse.Namespace) -> int:
    from ingestion.inventory import file_status
    from publication.release import current_release

    settings = load_settings()
    files = file_status(settings.raw_dir)
    manifests = [f.report for f in files]
    rejected = [m.source_file for m in manifests if m.status == "rejected"]
    summary: dict[str, object] = {
        "current_release": current_release(settings.releases_dir),
        "published_db": str(settings.published_db),
        "files": len(manifests),
        "rows_read": sum(m.rows_read for m in manifests),
        "rows_loaded": sum(m.rows_loaded for m in manifests),
        "rows_quarantined": sum(m.rows_quarantined for m in manifests),
        "files_rejected": rejected,
    }
    if args.json:
        summary["by_file"] = [
            {**f.report.__dict__, "latest_version": f.latest, "top_reasons": [list(r) for r in f.top_reasons]}
            for f in files
        ]
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    print(f"current release: {summary['current_release']} ({summary['published_db']})")
    read, loaded = sum(m.rows_read for m in manifests), sum(m.rows_loaded for m in manifests)
    print(
        f"{len(files)} file versions; rows read {read:,} = loaded {loaded:,} + quarantined "
        f"{read - loaded:,}; rejected files: {len(rejected)}"
    )
    for f in files:
        r = f.report
        old = "" if f.latest else "  (replaced by a later version)"
        print(
            f"\n{r.source_file}  {r.status}  read {r.rows_read:,}  loaded {r.rows_loaded:,}  "
            f"quarantined {r.rows_quarantined:,}  sha {r.file_sha256[:12]}{old}"
        )
        if r.error:
            print(f"  error: {r.error}")
        for text, count in f.top_reasons:
            print(f"  {count:>6,} × {text}")
        for warning in r.warnings:
            print(f"  warning: {warning}")
        if r.rows_quarantined:
            print(f"  why: tw quarantine {r.source_file}")
    return 0


def _quarantine(args: argparse.Namespace) -> int:
    import polars as pl

    from ingestion.inventory import quarantine_reasons

    rows = quarantine_reasons(load_settings().raw_dir, args.file)
    if rows.is_empty():
        print("no quarantined rows" + (f" for {args.file}" if args.file else ""))
        return 0
    shown = rows.head(args.limit).select("source_file", "source_row", "reason")
    with pl.Config(tbl_rows=-1, fmt_str_lengths=200, tbl_width_chars=200, tbl_hide_dataframe_shape=True):
        print(shown)
    if rows.height > args.limit:
        print(f"… {rows.height - args.limit:,} more rows (--limit N)")
    return 0


def _retract(args: argparse.Namespace) -> int:
    from core.locking import refresh_lock
    from ingestion.inventory import retract

    settings = load_settings()
    with refresh_lock(settings.home):
        removed = retract(settings.raw_dir, args.file)
    if not removed:
        print(
            f"{args.file}: no delivered file of that name (or SHA-256 prefix) in the raw zone",
            file=sys.stderr,
        )
        return 1
    for r in removed:
        print(
            f"retracted {r.source_file} (sha {r.file_sha256[:12]}, {r.status}, {r.rows_loaded:,} rows loaded)"
        )
    print(
        "the next `tw run` rebuilds without it (remove the file from the inbox too, or it is ingested again)"
    )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from ingestion.ingest import SEEDS_DIR
    from ingestion.names import name_lookups
    from ingestion.onboarding import propose, render
    from ingestion.readers import FeedFileError

    try:
        print(render(propose(args.file, args.feed, name_lookups(SEEDS_DIR))))
    except FeedFileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
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
        "--verbose", action="store_true", help="print every event and dbt's output, not only steps"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model from the whole raw zone; implies --force",
    )
    run.set_defaults(handler=_run)
    q = sub.add_parser("query", help="SQL on the published release")
    q.add_argument("sql")
    q.set_defaults(handler=_query)
    status = sub.add_parser("status", help="the current release and every ingested file")
    status.add_argument("--json", action="store_true", help="machine-readable, with every file's report")
    status.set_defaults(handler=_status)
    quarantine = sub.add_parser("quarantine", help="refused rows and their reasons")
    quarantine.add_argument(
        "file", nargs="?", help="a delivered file (path under the inbox, name or sha prefix)"
    )
    quarantine.add_argument("--limit", type=int, default=50)
    quarantine.set_defaults(handler=_quarantine)
    retract = sub.add_parser("retract", help="take every version of a delivered file out of the raw zone")
    retract.add_argument(
        "file", help="path under the inbox (e.g. vacancies/2024-03.csv), file name or sha prefix"
    )
    retract.set_defaults(handler=_retract)
    inspect = sub.add_parser("inspect", help="read a file and propose the source profile that loads it")
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--feed", choices=sorted(FEEDS), help="default: the inbox folder the file is in")
    inspect.set_defaults(handler=_inspect)
    attack = sub.add_parser(
        "attack", help="LP attack on a release's masked cells; exit 1 if any is narrower than the protection"
    )
    attack.add_argument("release", nargs="?", help="a release folder or its warehouse.duckdb")
    attack.add_argument("--exact", action="store_true", help="compute every interval, not only narrow ones")
    attack.add_argument(
        "--min-masked",
        type=float,
        default=0.0,
        help="lower bound of a masked cell (1: zeros are never masked)",
    )
    attack.add_argument("--json", action="store_true")
    attack.set_defaults(handler=_attack)
    sub.add_parser(
        "serve", help="read-only SQL endpoint: PostgreSQL serving the current release"
    ).set_defaults(handler=_serve)
    users = sub.add_parser("users", help="analysts of the SQL endpoint (read-only PostgreSQL roles)")
    users.add_argument("action", choices=["add", "password", "remove", "list"])
    users.add_argument("name", nargs="?")
    users.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (else generated)"
    )
    users.set_defaults(handler=_users)
    psql = sub.add_parser(
        "psql", help="psql 17 (bundled with the server) connected to the SQL endpoint as an analyst"
    )
    psql.add_argument("user")
    psql.add_argument("psql_args", nargs=argparse.REMAINDER, help="passed on to psql (e.g. -c '\\l')")
    psql.set_defaults(handler=_psql)
    for entry_point in entry_points(group=COMMANDS_ENTRY_POINT):
        entry_point.load()(sub)  # register(subparsers): adds its commands with set_defaults(handler=...)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


def command() -> NoReturn:
    """The ``tw`` command: :func:`main`, then out of the process without freeing its objects one by one.

    A refresh leaves millions of Python objects behind (dbt's manifest as dagster-dbt parsed it, the job's
    definitions); the interpreter freed them at exit in 1.5 s at M, after the work was done and every exit
    handler had run. Here what the interpreter does first at exit is done the same way: threading's own
    shutdown (it stops idle executor pools, then joins every thread that is not a daemon, also those
    started meanwhile), then the exit handlers (logging closes the run log, multiprocessing its helpers);
    the standard streams are flushed and the process ends with its code. An exception or ``SystemExit``
    (argparse's) leaves the usual way."""
    code = main()
    threading._shutdown()  # type: ignore[attr-defined]  # what Py_Finalize calls first
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    command()
