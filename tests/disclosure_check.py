"""The LP adversary of docs/disclosure.md held against a published release, with the true figures beside it.

One check for every sample the suite publishes (the small sample in ``tests/e2e/test_pipeline.py``, the demo
sample in the slow tier's ``tests/e2e/test_demo_disclosure.py``): no masked cell is exposed, no cell with a
true count in (0, k) has an interval narrower than the protection width (less ``WIDTH_SLACK``, the rounding
of published decimals), and every exact bound contains the
true figure (the attack is sound).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from publication.disclosure import PROTECTION_WIDTH, WIDTH_SLACK, policies, read_marts
from publication.disclosure_attack import Attack, attack_release


def assert_no_protected_cell_recovered(release: Path, build: Path, *, min_sensitive: int) -> Attack:
    """Attack ``release`` (a release folder) and compare each masked cell's interval with its true figure in
    ``build`` (the build database whose marts the release published); ``min_sensitive``: at least this many
    masked cells hold a count in (0, k), so the check is not vacuous."""
    result = attack_release(release)
    summary = result.summary()
    assert summary["exposed"] == 0, summary
    counted = tuple(p for p in policies() if p.counts)  # a mart without counts of persons has no cell in it
    con = duckdb.connect(str(build), read_only=True)
    try:
        exact = read_marts(con, counted, schema="marts")  # numbered as the release's rows are: in key order
    finally:
        con.close()
    truth = pl.concat(
        [
            exact.frames[p.table]
            .select("row_id", *[pl.col(c).cast(pl.Float64) for c in p.counts])
            .unpivot(index="row_id", variable_name="column", value_name="true")
            .with_columns(table=pl.lit(p.table))
            for p in exact.policies
        ]
    )
    cells = result.intervals.join(truth, on=["table", "row_id", "column"])
    assert cells.height == result.intervals.height  # every masked cell has its true figure
    sensitive = cells.filter((pl.col("true") > 0) & (pl.col("true") < result.k))
    assert sensitive.height >= min_sensitive, sensitive.height
    narrow = sensitive.filter(pl.col("width") < PROTECTION_WIDTH - WIDTH_SLACK)
    assert narrow.is_empty(), narrow.head(10)
    wrong = cells.filter(
        (pl.col("lower_exact") & (pl.col("true") < pl.col("lower") - 1e-3))
        | (pl.col("upper_exact") & (pl.col("true") > pl.col("upper") + 1e-3))
    )
    assert wrong.is_empty(), wrong.head(10)
    return result
