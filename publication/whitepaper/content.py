"""What a section of the white paper holds: sentences, tables and charts, every number a cited figure."""

from __future__ import annotations

from dataclasses import dataclass, field

from publication.whitepaper.figures import Figure, Sentence


@dataclass(frozen=True)
class City:
    code: str
    name: str
    year: int  # the latest graduation year of the city's schools in the release: the paper's year


@dataclass(frozen=True)
class Column:
    header: str
    column: str
    kind: str | None = None  # None: a label (name, code), not a figure


Cell = str | Figure


@dataclass(frozen=True)
class Table:
    mart: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(f"{self.mart}.{c.column}" for c in self.columns if c.kind is not None)


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar per label in each series; masked or missing figures are not drawn."""

    title: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[Figure, ...]], ...]
    percent: bool = False


@dataclass(frozen=True)
class SectionContent:
    sentences: tuple[Sentence, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    absent: tuple[str, ...] = field(default=())  # marts the section needs that the release does not hold
    # the section's key and title, declared once in its Section (publication/whitepaper/data.py SECTIONS) and
    # set from it when the section is gathered
    key: str = ""
    title: str = ""
