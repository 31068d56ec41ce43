"""The mart gate: each published mart's suite on the release candidate, unless the mart is what it was.

A mart suite reads its own table and nothing else (quality/suites.py: every query is over ``{batch}``), so
its outcome is a function of the table, the suite and the code that runs it. A refresh validates the marts
whose tables differ from those of the last *published* release's mart gate under the same code and the same
suppression k (core/table_digest.py: the columns and their types, the number of rows and the sum of a hash
of each row); the suite of a mart whose table is the same is not run, and its outcome, plausibility flags
included, is carried over from the gate that ran it, with that release's id (``carried_from``), together
with its GX results file (its Data Docs page stays in that release). A month of vacancies leaves the
graduates' marts as they were: 9 of the 17 at M (the mart gate of the harness's incremental refresh:
8.5 s → 4.2 s).

The record is ``TW_HOME/quality/marts_validated.json`` (per suite: the table's digest, the release whose
gate ran it and the outcome), and the results files of the suites run are kept in
``TW_HOME/quality/marts/<release id>/``. A passing gate writes what it found as pending
(``marts_validated.<release id>.json`` beside the record); it becomes the record only once that release is
published (:func:`commit_record`), so a carried outcome always names a published release. A failed gate, or a
release not published after all, records nothing: its suites run again next time. After a code change,
or with another k, every suite runs. A suite is not carried when its kept results file is missing or one
of its expectations raised an error (that outcome is not a function of the table): it runs again.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from core.table_digest import table_digests, write_digests
from quality.gate import GateResult, SuiteOutcome, run_gate


def load_record(record: Path, code: str) -> dict[str, dict]:
    """Per suite, what the mart gate of the last published release recorded under ``code`` (``digest``,
    ``release_id``, ``outcome``); nothing for another code or an unreadable record."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        return dict(data["suites"]) if data.get("code") == code else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def carried_outcomes(
    suites: Mapping[str, str], digests: Mapping[str, str], remembered: Mapping[str, dict], kept_dir: Path
) -> list[SuiteOutcome]:
    """The outcomes to carry over: of each suite (``suites``: suite → table) whose table's digest is the
    one recorded with a passing outcome and whose results file is kept, that outcome, from the release
    whose gate ran it; not one with an expectation that raised an error, nor an entry that does not read."""
    carried = []
    for suite, table in suites.items():
        kept = remembered.get(suite)
        try:
            if kept is None or kept["digest"] != digests[table]:
                continue
            if not (kept_dir / str(kept["release_id"]) / f"{suite}.json").is_file():
                continue
            outcome = SuiteOutcome.from_json(kept["outcome"])
            outcome.carried_from = str(kept["release_id"])
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if outcome.success and outcome.suite == suite and not any(e.error for e in outcome.expectations):
            carried.append(outcome)
    return carried


def pending_record(record: Path, release_id: str) -> Path:
    """Where a passing gate of ``release_id`` leaves what it found until that release is published."""
    return record.with_name(f"{record.stem}.{release_id}{record.suffix}")


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


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
    those whose table changed since the last published release's gate are run
    (:func:`quality.gate.run_gate`), the others' outcomes and results files are carried over (the module's
    docstring). ``code``: the code fingerprint (transformation/fingerprint.py); with ``suppression_k`` it
    names the record's code. A passing gate leaves a pending record (:func:`commit_record`)."""
    code = f"{code}|k={suppression_k:g}"
    digests = table_digests(database, dict.fromkeys(suites.values()))
    carried = carried_outcomes(suites, digests, load_record(record, code), kept_dir)
    skipped = {o.suite for o in carried}
    due = [suite for suite in suites if suite not in skipped]
    result = run_gate(database, due, results_dir, suppression_k=suppression_k, carried=carried)
    write_digests(results_dir, release_id, digests)  # for the export, which would hash them again
    for outcome in carried:  # the results file of the gate that ran it
        name = f"{outcome.suite}.json"
        shutil.copy2(kept_dir / str(outcome.carried_from) / name, results_dir / name)
    for stale in record.parent.glob(f"{record.stem}.*{record.suffix}"):  # of candidates never published
        stale.unlink(missing_ok=True)
    if result.passed:
        by_suite = {o.suite: o for o in result.suites}
        entries = {
            suite: {
                "table": table,
                "digest": digests[table],
                "release_id": by_suite[suite].carried_from or release_id,
                "outcome": {**asdict(by_suite[suite]), "carried_from": None},
            }
            for suite, table in suites.items()
        }
        _write_json(
            pending_record(record, release_id), {"code": code, "suites": dict(sorted(entries.items()))}
        )
    return result


def commit_record(record: Path, kept_dir: Path, release_id: str, results_dir: Path) -> bool:
    """Once release ``release_id`` is published (its mart results in ``results_dir``): the results files of
    the suites its gate ran are kept (``kept_dir/<release_id>/``), its pending record becomes the record, and
    the kept files no suite of the record names are removed. False when its gate left no pending record
    (it did not pass, or ran under other code)."""
    pending = pending_record(record, release_id)
    try:
        data = json.loads(pending.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    mine = kept_dir / release_id
    mine.mkdir(parents=True, exist_ok=True)
    for suite, entry in data["suites"].items():
        if entry["release_id"] == release_id:  # run by this release's gate
            shutil.copy2(results_dir / f"{suite}.json", mine / f"{suite}.json")
    os.replace(pending, record)
    named = {str(entry["release_id"]) for entry in data["suites"].values()}
    for folder in kept_dir.iterdir():
        if folder.is_dir() and folder.name not in named:
            shutil.rmtree(folder, ignore_errors=True)
    return True
