"""Run expectation suites against tables of a DuckDB database and keep the results.

``run_gate`` is what the pipeline calls: it runs :func:`validate` in the calling process, one process for
both of a refresh's gates, which imports GX once (``tw run`` calls both in the worker it starts before
they are needed, quality/worker.py; other runs in their own process). GX keeps a persistent connection to
DuckDB (quality/gx_duckdb.py), and DuckDB refuses a writer while a reader of the same file is open in the
process, so :func:`validate` closes its engine's connections before it returns: the publish step can then
write (tests/unit/test_gx_duckdb.py).
``python -m quality.gate`` runs the same validation on its own, from the command line.

``validate`` runs suites through GX's SQL datasource (metrics computed inside DuckDB), writes one
JSON file per suite and GX's HTML Data Docs under ``results_dir``, and returns a :class:`GateResult`.
``prepare_feed_database`` makes the small DuckDB file the feed suites run against: views over the
raw-zone Parquet and over the ingestion manifests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import shutil
import sys
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # GX is imported when a gate runs, not with this module (quality/suites.py imports it)
    from quality.suites import SuiteSpec

log = logging.getLogger(__name__)


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    description: str | None
    blocking: bool
    success: bool
    unexpected_count: int | None
    error: str | None = None
    sample: list[str] = field(default_factory=list)  # a few failing rows or values, to say what failed


@dataclass
class SuiteOutcome:
    suite: str
    table: str
    success: bool  # every blocking expectation passed
    expectations: list[ExpectationOutcome] = field(default_factory=list)
    # not run here: the outcome of the gate of this release, whose table was the same (quality/mart_gate.py)
    carried_from: str | None = None

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success]

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> SuiteOutcome:
        """The outcome as :meth:`GateResult.to_json` wrote it."""
        return SuiteOutcome(
            suite=data["suite"],
            table=data["table"],
            success=data["success"],
            expectations=[ExpectationOutcome(**e) for e in data["expectations"]],
            carried_from=data.get("carried_from"),
        )


@dataclass
class GateResult:
    suites: list[SuiteOutcome]
    results_dir: str
    data_docs_index: str | None = None
    # suites not run: nothing they read changed since they last passed under this code (the feed gate:
    # quality/increments.py); their earlier results stay in results_dir
    not_run: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(s.success for s in self.suites)

    def summary(self) -> str:
        lines = []
        for s in self.suites:
            bad = [f for f in s.failures if f.blocking]
            carried = (
                f", not run: its table is as when release {s.carried_from}'s gate ran it"
                if s.carried_from
                else ""
            )
            lines.append(
                f"{s.suite}: {'passed' if s.success else 'FAILED'} "
                f"({len(s.expectations) - len(s.failures)}/{len(s.expectations)} expectations{carried})"
            )
            for f in bad:
                lines.append(
                    f"  - {f.expectation} {f.column or f.description or ''}: "
                    f"{f.error or f'{f.unexpected_count} unexpected rows'}"
                )
                lines += [f"      {row}" for row in f.sample]
        lines += [f"{name}: not run (nothing new since it last passed)" for name in self.not_run]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "passed": self.passed,
            "results_dir": self.results_dir,
            "data_docs_index": self.data_docs_index,
            "suites": [asdict(s) for s in self.suites],
            "not_run": list(self.not_run),
        }


def plausibility_flags(gate: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plausibility flags of a gate result (``GateResult.to_json()``): each failed non-blocking
    expectation whose description starts with ``plausibility:`` (quality/suites.py), with its suite, the
    number of rows flagged and a sample of them."""
    from quality.suites import PLAUSIBILITY  # the suites module imports GX lazily; this costs nothing

    return [
        {
            "suite": suite["suite"],
            "check": e["description"].removeprefix(f"{PLAUSIBILITY}: "),
            "rows": e["unexpected_count"],
            "sample": e["sample"],
        }
        for suite in gate.get("suites", [])
        for e in suite["expectations"]
        if not e["blocking"] and not e["success"] and (e["description"] or "").startswith(PLAUSIBILITY)
    ]


def prepare_feed_database(raw_dir: Path, target: Path, parts: Mapping[str, list[str]] | None = None) -> Path:
    """A DuckDB file of views: ``raw_<feed>`` over the raw zone and ``ingest_files`` over the manifests.

    ``parts``: per feed, the raw-zone parts (relative paths) the view covers (quality/increments.py);
    None: all of them."""
    from ingestion.contracts import FEEDS
    from ingestion.raw_zone import EMPTY_PARTITION, ensure_raw_zone

    ensure_raw_zone(raw_dir)  # the typed, empty schema parts
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for feed in FEEDS:
            if parts is None:
                files = f"'{raw_dir}/{feed}/*/*.parquet'"
            else:  # the typed, empty schema part keeps the view's columns when no part is new
                listed = [
                    f"{raw_dir}/{feed}/period={EMPTY_PARTITION}/part-schema.parquet",
                    *(f"{raw_dir}/{p}" for p in parts.get(feed, [])),
                ]
                files = "[" + ", ".join(f"'{f}'" for f in listed) + "]"
            con.execute(f"create view raw_{feed} as select * from read_parquet({files}, union_by_name=true)")
        manifests = list((raw_dir / "_manifest").glob("*/*.json"))
        if manifests:
            # the latest delivered version of each source file (a corrected file replaces its earlier version)
            con.execute(
                f"create view ingest_files as select feed, source_file, status, rows_read, rows_loaded, "
                f"rows_quarantined, error from read_json('{raw_dir}/_manifest/*/*.json', "
                "columns={feed: 'varchar', source_file: 'varchar', status: 'varchar', "
                "rows_read: 'bigint', rows_loaded: 'bigint', rows_quarantined: 'bigint', error: 'varchar', "
                "ingested_at: 'varchar'}) "
                f"qualify row_number() over (partition by feed, source_file order by ingested_at desc) = 1"
            )
        else:
            con.execute(
                "create view ingest_files as select * from (values (null::varchar, null::varchar, "
                "null::varchar, 0::bigint, 0::bigint, 0::bigint, null::varchar)) t(feed, source_file, "
                "status, rows_read, rows_loaded, rows_quarantined, error) where false"
            )
    finally:
        con.close()
    tmp.replace(target)
    return target


def _outcome(result, blocking: bool) -> ExpectationOutcome:  # type: ignore[no-untyped-def]
    cfg = result.expectation_config
    kwargs = cfg.kwargs or {}
    error = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = result.exception_info.get("exception_message")
    elif result.exception_info and not result.success:
        for info in result.exception_info.values():
            if isinstance(info, dict) and info.get("raised_exception"):
                error = info.get("exception_message")
                break
    res = result.result or {}
    unexpected = res.get("unexpected_count")
    if unexpected is None and "observed_value" in res and cfg.type == "unexpected_rows_expectation":
        unexpected = res.get("observed_value")
    return ExpectationOutcome(
        expectation=cfg.type,
        column=kwargs.get("column"),
        description=cfg.description,
        blocking=blocking,
        success=bool(result.success),
        unexpected_count=unexpected,
        error=error,
        sample=[] if result.success else _sample(res),
    )


SAMPLE_SIZE = 5


def _sample(res: dict[str, Any]) -> list[str]:
    """Up to :data:`SAMPLE_SIZE` failing rows (an unexpected-rows query: each row's columns) or values."""
    rows = (res.get("details") or {}).get("unexpected_rows") or []
    if rows:
        out = []
        for row in list(rows)[:SAMPLE_SIZE]:
            items = row.items() if isinstance(row, dict) else enumerate(row)
            out.append(", ".join(f"{k}={v}" for k, v in items if v is not None))
        return out
    return [repr(v) for v in (res.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]]


def _rows_sample(engine: Any, kwargs: Mapping[str, Any], table: str) -> list[str]:
    """The first failing rows of an unexpected-rows query, through the data source's engine (GX returns
    them only in its COMPLETE result format, which would also return every failing value of every column
    expectation)."""
    query = str(kwargs["unexpected_rows_query"]).format(batch=table)
    with engine.connect() as con:
        result = con.exec_driver_sql(f"select * from ({query}) limit {SAMPLE_SIZE}")
        names = list(result.keys())
        rows = result.fetchall()
    return [", ".join(f"{k}={v}" for k, v in zip(names, row, strict=True) if v is not None) for row in rows]


def _drop(store: Any, name: str) -> None:  # GX's stores of data sources, suites, validation definitions
    """The GX project in ``results_dir`` persists across runs: replace what an earlier run saved."""
    with contextlib.suppress(Exception):
        store.delete(name)


# a gate's results folder persists across refreshes (the feed suites' is the warehouse's): GX keeps each
# validation's result and the Data Docs list all of them, so each refresh made the next one's docs longer to
# build. The newest this many per suite are kept
KEEP_VALIDATIONS = 10
_VALIDATIONS = Path("gx") / "uncommitted" / "validations"
_RENDERED_VALIDATIONS = Path("gx") / "uncommitted" / "data_docs" / "local_site" / "validations"


def _prune_history(results_dir: Path) -> None:
    """Keep the newest :data:`KEEP_VALIDATIONS` validation results of each suite (their folders are named
    by run time) and drop the rendered pages of the others; the pages of those kept stay, so a gate renders
    only its own results (:func:`validate`)."""
    store = results_dir / _VALIDATIONS
    for suite in (p for p in store.glob("*") if p.is_dir()):
        runs = sorted((r for r in suite.glob("*/*") if r.is_dir()), key=lambda r: r.name, reverse=True)
        for old in runs[KEEP_VALIDATIONS:]:
            shutil.rmtree(old, ignore_errors=True)
            shutil.rmtree(results_dir / _RENDERED_VALIDATIONS / old.relative_to(store), ignore_errors=True)


def _rendered(results_dir: Path, key: Any) -> bool:
    """Whether the Data Docs page of a kept validation result (a ``ValidationResultIdentifier``) exists."""
    suite, run_name, run_time, batch = key.to_tuple()
    return (results_dir / _RENDERED_VALIDATIONS / suite / run_name / run_time / f"{batch}.html").is_file()


def _close(datasource: Any) -> None:
    """Close every connection GX's ``datasource`` holds to the database: the execution engine's persistent
    one (quality/gx_duckdb.py) and the pools of its engines, so that the file can be opened for writing by
    this process."""
    engine = datasource.get_execution_engine()
    connection = getattr(engine, "_connection", None)
    if connection is not None:
        connection.close()
        engine._connection = None
    engine.close()
    engine.engine.dispose()
    datasource.get_engine().dispose()


WHOLE_TABLE = "all"  # the batch definition of each table asset: the whole table


def validate(
    database: Path,
    suites: list[SuiteSpec],
    results_dir: Path,
    build_docs: bool = True,
    not_run: list[str] | None = None,
    carried: list[SuiteOutcome] | None = None,
) -> GateResult:
    """Validate ``suites`` against ``database`` (opened read-only) and write the results; ``not_run``: the
    suites left out (:func:`run_gate`), listed as such; ``carried``: outcomes of suites left out, taken
    from an earlier gate (listed after the suites run)."""
    from quality.gx_duckdb import duckdb_connection_string, enable_duckdb_persistent_connection

    results_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GX imports pyspark, which warns about pandas 3
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        enable_duckdb_persistent_connection()
        context = gx.get_context(mode="file", project_root_dir=str(results_dir))
        # no progress bars on the refresh's stderr or in its log (the gate runs in the refresh's process or in
        # the worker whose output goes to the run's log)
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        ds_name = "warehouse"
        _drop(context.data_sources, ds_name)
        # the data source with every table asset and its whole-table batch definition at once: GX rewrites
        # the project's YAML for each asset or batch definition added one by one (34 writes for the 17 mart
        # suites, ~0.7 s)
        tables = list(dict.fromkeys(spec.table for spec in suites))
        ds = context.data_sources.add_sql(
            name=ds_name,
            connection_string=duckdb_connection_string(str(database)),
            # GX's stub (sources.pyi) lacks ``kwargs`` and ``assets``; add_sql takes them (kwargs it passes
            # to create_engine, assets are the data source's fields)
            kwargs={"connect_args": {"read_only": True}},  # type: ignore[call-arg]
            assets=[
                {"name": t, "type": "table", "table_name": t, "batch_definitions": [{"name": WHOLE_TABLE}]}
                for t in tables
            ],
        )
        run_id = RunIdentifier(run_time=dt.datetime.now(dt.UTC))  # one for the gate's suites
        try:
            outcomes: list[SuiteOutcome] = []
            for spec in suites:
                batch_definition = ds.get_asset(spec.table).get_batch_definition(WHOLE_TABLE)
                _drop(context.suites, spec.name)
                # built in memory and saved once: added to a saved suite, each expectation rewrote the suite's
                # file (6 s of the 17 mart suites at M); the ids are given on the save
                # given to the constructor: add_expectation compares each with all added before (0.6 s
                # of the 226 feed expectations)
                suite = gx.ExpectationSuite(
                    name=spec.name, expectations=[e.copy(deep=True) for e, _ in spec.expectations]
                )
                blocking_by_id = [
                    (added, blocking)
                    for added, (_, blocking) in zip(suite.expectations, spec.expectations, strict=True)
                ]
                suite = context.suites.add(suite)
                _drop(context.validation_definitions, spec.name)
                vd = context.validation_definitions.add(
                    gx.ValidationDefinition(name=spec.name, data=batch_definition, suite=suite)
                )
                run = vd.run(
                    result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
                    run_id=run_id,
                )
                blocking_of = {added.id: blocking for added, blocking in blocking_by_id}
                expectation_outcomes = [
                    _outcome(
                        r, blocking_of.get(r.expectation_config.id, True) if r.expectation_config else True
                    )
                    for r in run.results
                ]
                for e, r in zip(expectation_outcomes, run.results, strict=True):
                    failed_rows = e.expectation == "unexpected_rows_expectation" and not (
                        e.success or e.error
                    )
                    if failed_rows and not e.sample and r.expectation_config is not None:
                        e.sample = _rows_sample(ds.get_engine(), r.expectation_config.kwargs, spec.table)
                outcome = SuiteOutcome(
                    suite=spec.name,
                    table=spec.table,
                    success=all(e.success for e in expectation_outcomes if e.blocking),
                    expectations=expectation_outcomes,
                )
                outcomes.append(outcome)
                (results_dir / f"{spec.name}.json").write_text(
                    json.dumps(run.describe_dict(), ensure_ascii=False, indent=2, default=str),
                    encoding="utf-8",
                )
            docs_index = None
            _prune_history(results_dir)
            if build_docs:
                try:
                    # this gate's results and suites: the pages of the results kept from earlier gates
                    # are there already (the feed suites' 80 took 2 s to render again at M)
                    # (and any kept result without its page, e.g. after a build of the docs that failed)
                    mine: list[Any] = [
                        k
                        for k in context.validation_results_store.list_keys()
                        if isinstance(k, ValidationResultIdentifier)
                        and (k.run_id == run_id or not _rendered(results_dir, k))
                    ]
                    mine += [ExpectationSuiteIdentifier(name=spec.name) for spec in suites]
                    context.build_data_docs(resource_identifiers=mine)  # both kinds (its hint: one)
                    sites = context.get_docs_sites_urls()
                    docs_index = sites[0]["site_url"] if sites else None
                except Exception as exc:
                    log.warning("could not build GX data docs: %s", exc)
            result = GateResult(
                suites=[*outcomes, *(carried or [])],
                results_dir=str(results_dir),
                data_docs_index=docs_index,
                not_run=list(not_run or []),
            )
            _write_gate(result, results_dir)
            return result
        finally:
            _close(ds)


def suites_by_name(names: list[str], suppression_k: float = 0) -> list[SuiteSpec]:
    from quality.suites import feed_suites, mart_suites

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the suites import GX, GX pyspark, which warns about pandas 3
        known = {s.name: s for s in (*feed_suites(), *mart_suites(suppression_k))}
    missing = [n for n in names if n not in known]
    if missing:
        raise KeyError(f"unknown suite(s) {missing}; known: {sorted(known)}")
    return [known[n] for n in names]


def run_gate(
    database: Path,
    suite_names: list[str],
    results_dir: Path,
    suppression_k: float = 0,
    not_run: list[str] | None = None,
    carried: list[SuiteOutcome] | None = None,
) -> GateResult:
    """Validate ``database`` with the suites ``suite_names``, here (:func:`validate`), results under
    ``results_dir``.

    ``suppression_k``: the k the marts in ``database`` were suppressed with (0: not suppressed).
    ``not_run``: suites the caller leaves out because nothing they read changed since they last passed;
    ``gate.json`` lists them as such (with no suite to run, GX is not started). ``carried``: the outcomes of
    suites left out for that reason, from the gate that ran them (the mart gate, quality/mart_gate.py).
    """
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "gate.json").unlink(missing_ok=True)
    if suite_names:
        return validate(
            database,
            suites_by_name(suite_names, suppression_k),
            results_dir,
            not_run=not_run,
            carried=carried,
        )
    result = GateResult(suites=list(carried or []), results_dir=str(results_dir), not_run=list(not_run or []))
    _write_gate(result, results_dir)
    return result


def _write_gate(result: GateResult, results_dir: Path) -> None:
    (results_dir / "gate.json").write_text(
        json.dumps(result.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    k = 0.0
    if argv and argv[0].startswith("--suppression-k="):
        k, argv = float(argv[0].split("=", 1)[1]), argv[1:]
    if len(argv) < 3:
        print(
            "usage: python -m quality.gate [--suppression-k=K] DATABASE RESULTS_DIR SUITE [SUITE ...]",
            file=sys.stderr,
        )
        return 2
    database, results_dir, *names = argv
    result = validate(Path(database), suites_by_name(names, k), Path(results_dir))
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
