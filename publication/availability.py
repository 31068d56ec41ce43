"""Which marts a release's inputs cover: a mart declares the feeds whose rows cannot enter it
(``config.meta.not_covered`` in its dbt YAML, e.g. graduates delivered as counts carry no employer id, so the
partner scorecard cannot count them). A release with rows of such a feed records the mart as partial in
``release.json`` (``coverage``) and the report says so: a figure that leaves out delivered rows is never
published as if it were complete.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from transformation.marts import MartDeclaration, published_marts


def coverage(inputs: Sequence[Mapping], marts: Iterable[MartDeclaration]) -> dict[str, list[dict]]:
    """Per mart, each feed it does not cover that delivered rows to this release: rows loaded, the reason."""
    loaded = Counter[str]()
    for i in inputs:
        loaded[str(i.get("feed", ""))] += int(i.get("rows_loaded") or 0)
    out: dict[str, list[dict]] = {}
    for mart in marts:
        gaps = [
            {"feed": feed, "rows_loaded": loaded[feed], "reason": reason}
            for feed, reason in mart.not_covered.items()
            if loaded[feed] > 0
        ]
        if gaps:
            out[mart.name] = gaps
    return out


def marts_not_covering(feed: str) -> tuple[str, ...]:
    """The published marts that cannot take rows of ``feed``."""
    return tuple(m.name for m in published_marts() if feed in m.not_covered)
