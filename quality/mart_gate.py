"""The mart gate: each published mart's suite on the release candidate, unless the mart is what it was.

A mart suite reads its own table and nothing else (quality/suites.py: every query is over ``{batch}``), so
its outcome is a function of the table, the suite and the code that runs it. A refresh validates the marts
whose tables differ from those of the last passing mart gate under the same code and the same
suppression k (:func:`table_digest`: the columns and their types, the number of rows and the sum of a hash
of each row); the suite of a mart whose table is the same is not run, and its outcome, plausibility flags
included, is carried over from the gate that ran it, with that release's id (``carried_from``), together
with its GX results file. A month of vacancies leaves the graduates' marts as they were: 9 of the 17 at M
(the mart gate of the harness's incremental refresh: 8.5 s → 4.2 s).

The record is ``TW_HOME/quality/marts_validated.json`` (per suite: the table's digest, the release whose
gate ran it and the outcome), and the results files of the suites run are kept in
``TW_HOME/quality/marts/``; both are written only when the gate passed. A failed gate records nothing: a
suite that failed ran because its table was new, and it runs again next time. After a code change, or
with another k, every suite runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path

import duckdb

from quality.gate import GateResult, SuiteOutcome, run_gate


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A SHA-256 of a table's columns (names and types), its row count and the sum of a hash of each row
    (the same rows in any order give the same digest; DuckDB's version is part of it, as its hash is)."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = 'main' and table_name = ? "
        "order by column_index",
        [table],
    ).fetchall()
    rows, total = con.execute(
        f'select count(*), coalesce(sum(hash(_digest_row)), 0)::varchar from main."{table}" as _digest_row'
    ).fetchone() or (0, "0")
    text = json.dumps([duckdb.__version__, columns, rows, total])
    return hashlib.sha256(text.encode()).hexdigest()


def table_digests(database: Path, tables: Iterable[str]) -> dict[str, str]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return {t: table_digest(con, t) for t in tables}
    finally:
        con.close()


def load_record(record: Path, code: str) -> dict[str, dict]:
    """Per suite, what the last passing mart gate under ``code`` recorded (``digest``, ``release_id``,
    ``outcome``); nothing for another code or an unreadable record."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return dict(data.get("suites", {})) if data.get("code") == code else {}


def carried_outcomes(
    suites: Mapping[str, str], digests: Mapping[str, str], remembered: Mapping[str, dict]
) -> list[SuiteOutcome]:
    """The outcomes to carry over: of each suite (``suites``: suite → table) whose table's digest is the
    one recorded with a passing outcome, that outcome, from the release whose gate ran it."""
    carried = []
    for suite, table in suites.items():
        kept = remembered.get(suite)
        if kept is None or kept.get("digest") != digests[table] or not kept["outcome"]["success"]:
            continue
        outcome = SuiteOutcome.from_json(kept["outcome"])
        outcome.carried_from = kept["release_id"]
        carried.append(outcome)
    return carried


def save_record(record: Path, code: str, entries: Mapping[str, dict]) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.with_name(f".{record.name}.tmp-{os.getpid()}")
    tmp.write_text(
        json.dumps({"code": code, "suites": dict(sorted(entries.items()))}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    os.replace(tmp, record)


def run_mart_gate(
    database: Path,
    suites: Mapping[str, str],
    results_dir: Path,
    *,
    suppression_k: float,
    release_id: str,
    record: Path,
    kept_dir: Path,
    code: str,
) -> GateResult:
    """The mart suites (``suites``: suite → table) on the candidate ``database`` of release ``release_id``:
    those whose table changed since the last passing gate are run (:func:`quality.gate.run_gate`), the
    others' outcomes and results files are carried over (the module's docstring). ``code``: the code
    fingerprint (transformation/fingerprint.py); with ``suppression_k`` it names the record's code."""
    code = f"{code}|k={suppression_k:g}"
    digests = table_digests(database, dict.fromkeys(suites.values()))
    carried = carried_outcomes(suites, digests, load_record(record, code))
    skipped = {o.suite for o in carried}
    due = [suite for suite in suites if suite not in skipped]
    result = run_gate(database, due, results_dir, suppression_k=suppression_k, carried=carried)
    for outcome in carried:  # the results file of the gate that ran it
        kept = kept_dir / f"{outcome.suite}.json"
        if kept.exists():
            shutil.copy2(kept, results_dir / kept.name)
    if result.passed:
        kept_dir.mkdir(parents=True, exist_ok=True)
        for suite in due:
            shutil.copy2(results_dir / f"{suite}.json", kept_dir / f"{suite}.json")
        by_suite = {o.suite: o for o in result.suites}
        save_record(
            record,
            code,
            {
                suite: {
                    "table": table,
                    "digest": digests[table],
                    "release_id": by_suite[suite].carried_from or release_id,
                    "outcome": {**asdict(by_suite[suite]), "carried_from": None},
                }
                for suite, table in suites.items()
            },
        )
    return result
