"""Figures and sentences of the white paper: every number in its text is a :class:`Figure` read from a mart.

A figure keeps the mart and column it was read from (cited beside it), its kind (how it is formatted) and
whether disclosure control masked it (the column is listed in the row's ``suppressed_columns``): a masked
figure is shown as masked, never recomputed from other cells. A NULL that was not masked is shown as not
available (a rate without a denominator, a value the feed did not give).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MASKED_TEXT = "✱"  # 小数抑制: the cell was masked by small-cell suppression
MISSING_TEXT = "—"  # no value (not masked)

# kind -> how the value is written
FORMATS = {
    "count": "{:,.0f}",
    "supply": "{:,.1f}",  # bridge-weighted graduates
    "rate": "{:.1%}",
    "share": "{:.1%}",
    "index": "{:.2f}",
    "ratio": "{:.2f}",
    "amount": "{:,.2f}",
    "year": "{:d}",
}


@dataclass(frozen=True)
class Figure:
    value: Any
    mart: str
    column: str
    kind: str
    masked: bool = False

    @property
    def source(self) -> str:
        return f"{self.mart}.{self.column}"

    @property
    def text(self) -> str:
        if self.masked:
            return MASKED_TEXT
        if self.value is None:
            return MISSING_TEXT
        return FORMATS[self.kind].format(float(self.value) if self.kind != "year" else int(self.value))


def masked_columns(row: Mapping[str, Any]) -> frozenset[str]:
    """The columns disclosure control masked in a published row (``suppressed_columns``, comma-separated)."""
    return frozenset(c for c in (row.get("suppressed_columns") or "").split(",") if c)


def figure(row: Mapping[str, Any], mart: str, column: str, kind: str) -> Figure:
    """``row[column]`` of ``mart`` as a figure, masked when the row says so."""
    return Figure(row[column], mart, column, kind, masked=column in masked_columns(row))


# a sentence: text and figures in reading order
Part = str | Figure


@dataclass(frozen=True)
class Sentence:
    parts: tuple[Part, ...]

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(p for p in self.parts if isinstance(p, Figure))

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.source for f in self.figures))

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)


_FIELD = re.compile(r"\{(\w+)\}")


def sentence(template: str, **values: str | Figure) -> Sentence:
    """``template`` with ``{name}`` fields filled: a :class:`Figure` stays a figure (cited), a string (a name,
    a code read from the data) is text. The template itself must hold no digit: numbers come from data."""
    if any(ch.isdigit() for ch in _FIELD.sub("", template)):
        raise ValueError(f"a white-paper sentence writes no number of its own: {template!r}")
    parts: list[Part] = []
    at = 0
    for match in _FIELD.finditer(template):
        if match.start() > at:
            parts.append(template[at : match.start()])
        value = values[match.group(1)]
        parts.append(value if isinstance(value, Figure) else str(value))
        at = match.end()
    if at < len(template):
        parts.append(template[at:])
    return Sentence(tuple(parts))
