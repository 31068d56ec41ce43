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
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import polars as pl

from publication.disclosure_lp import AuditMemo, LocalBounds, LocalProofs, Memo

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


def load_memo(path: Path) -> AuditMemo:
    """The audits remembered in ``path``; an empty memo when it is missing or unreadable."""
    if not path.is_file():
        return AuditMemo()
    try:
        frame = pl.read_parquet(path)
        if frame.schema != SCHEMA:
            raise ValueError(f"columns {frame.schema}, expected {SCHEMA}")
    except Exception as exc:  # a damaged or foreign file: audit again, as on a first refresh
        log.warning("disclosure memo %s not read (%s): every component is audited again", path, exc)
        return AuditMemo()
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
    return AuditMemo(remembered)


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
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        temporary = Path(handle.name)
    try:
        pl.DataFrame(rows, schema=SCHEMA).write_parquet(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
