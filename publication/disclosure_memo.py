"""The protector's remembered component audits, kept from one refresh to the next (docs/disclosure.md).

A component's audit is a pure function of its LP (:meth:`publication.disclosure_lp._Audit.fingerprint`), so
what an earlier refresh found for a component whose LP is unchanged is what a new audit would find. The
file holds, per fingerprint, the bounds of the asked cells and the binding rows of their proofs, in the
component's own numbering. It is kept beside the build database (it is derived from the exact figures: never
published) and holds only the audits the last protection read or made. A file that cannot be read is
ignored (the audit is then made again, as on a first refresh), and an entry that does not fit the component
it is found for (other cells, rows outside it, an interval without the true figure) is not used
(:meth:`publication.disclosure_lp._Audit.globalise`); a file that cannot be written is logged and the
release goes on: it costs the next refresh time, never protection. It holds true figures (a pinned cell's
bounds are its count): guard it like the build database.

Beside it (:func:`outcome_path`), the last protection's result: the key of everything it read
(:func:`publication.disclosure.protection_key`: the marts' exact rows, their policies, the cells masked
before it, k, the width, the code) and the cells it added. A protection whose key is the same adds them
without auditing (a new month of vacancies changes no count of persons); any other key, or a file that
cannot be read, and the protection runs.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import polars as pl

from publication.disclosure_lp import AuditMemo, LocalBounds, LocalProofs, Memo, Outcome

log = logging.getLogger(__name__)

BOUNDS = pl.Struct(
    {
        "unknown": pl.Int64,
        "lower": pl.Float64,
        "upper": pl.Float64,
        "lower_exact": pl.Boolean,
        "upper_exact": pl.Boolean,
    }
)
PROOF_TERMS = pl.Struct({"unknown": pl.Int64, "optimum": pl.Int64, "row": pl.Int64, "dual": pl.Float64})
SCHEMA = pl.Schema({"fingerprint": pl.String(), "bounds": pl.List(BOUNDS), "proofs": pl.List(PROOF_TERMS)})


OUTCOME = pl.Schema(
    {
        "key": pl.String(),
        "table": pl.String(),
        "row_id": pl.Int64(),
        "column": pl.String(),
        "reason": pl.String(),
    }
)


def outcome_path(path: Path) -> Path:
    """Where the last protection's result is kept beside the audits in ``path``: a file of its own, so
    that either can be read without the other."""
    return path.with_name(f"{path.stem}_outcome.parquet")


def _load_outcome(path: Path) -> Outcome | None:
    """The last protection's key and the cells it added; None when missing or unreadable (protect again)."""
    if not path.is_file():
        return None
    try:
        frame = pl.read_parquet(path)
        if frame.schema != OUTCOME:
            raise ValueError(f"columns {frame.schema}, expected {OUTCOME}")
        keys = frame["key"].unique()
        if keys.len() != 1:
            raise ValueError(f"{keys.len()} keys, expected 1")
    except Exception as exc:
        log.warning("disclosure outcome %s not read (%s): the protection runs", path, exc)
        return None
    return keys[0], frame.filter(pl.col("table").is_not_null()).drop("key")


def _save_outcome(path: Path, outcome: Outcome) -> None:
    key, added = outcome
    cells = added.select(pl.lit(key).alias("key"), *OUTCOME.names()[1:])
    if cells.is_empty():  # the key must be in the file: a result without cells is one row without a cell
        cells = pl.DataFrame({"key": [key]}).with_columns(
            pl.lit(None, dtype).alias(name) for name, dtype in list(OUTCOME.items())[1:]
        )
    _write_atomically(path, cells.cast(OUTCOME))


def load_memo(path: Path) -> AuditMemo:
    """The audits remembered in ``path`` and the last protection's result beside it (:func:`outcome_path`);
    an empty memo when missing or unreadable."""
    outcome = _load_outcome(outcome_path(path))
    if not path.is_file():
        return AuditMemo(outcome=outcome)
    try:
        frame = pl.read_parquet(path)
        if frame.schema != SCHEMA:
            raise ValueError(f"columns {frame.schema}, expected {SCHEMA}")
    except Exception as exc:  # a damaged or foreign file: audit again, as on a first refresh
        log.warning("disclosure memo %s not read (%s): every component is audited again", path, exc)
        return AuditMemo(outcome=outcome)
    remembered: Memo = {}
    for digest, bounds, terms in frame.iter_rows():
        found: list[LocalBounds] = [
            (b["unknown"], b["lower"], b["upper"], b["lower_exact"], b["upper_exact"]) for b in bounds
        ]
        proofs: LocalProofs = {}
        for t in terms:
            optima = proofs.setdefault(t["unknown"], [])
            while len(optima) <= t["optimum"]:
                optima.append([])
            if t["row"] is not None:  # null: an optimum with no binding row
                optima[t["optimum"]].append((t["row"], t["dual"]))
        remembered[digest] = (found, proofs)
    return AuditMemo(remembered, outcome)


def save_memo(path: Path, memo: AuditMemo) -> None:
    """The audits ``memo`` read or made, written to ``path`` (atomically: a reader sees the old file or the
    new one)."""
    no_binding: list[tuple[int | None, float | None]] = [(None, None)]  # an optimum with no binding row
    rows = [
        {
            "fingerprint": digest,
            "bounds": [
                {"unknown": u, "lower": float(lo), "upper": float(hi), "lower_exact": le, "upper_exact": ue}
                for u, lo, hi, le, ue in found
            ],
            "proofs": [
                {"unknown": u, "optimum": n, "row": r, "dual": None if d is None else float(d)}
                for u, optima in proofs.items()
                for n, optimum in enumerate(optima)
                for r, d in (optimum or no_binding)
            ],
        }
        for digest, (found, proofs) in sorted(memo.used.items())
    ]
    _write_atomically(path, pl.DataFrame(rows, schema=SCHEMA))
    if memo.outcome is not None:
        _save_outcome(outcome_path(path), memo.outcome)


def _write_atomically(path: Path, frame: pl.DataFrame) -> None:
    """``frame`` as Parquet at ``path``: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        temporary = Path(handle.name)
    try:
        frame.write_parquet(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
