"""The published marts and dimensions, as declared once in the dbt YAML beside each model.

Every model's ``config.meta`` (``dbt_project/models/*/<model>.yml``) says whether it is published, its key,
the checks of its Great Expectations suite and its disclosure policy. This module reads them from dbt's
manifest (``dbt_project/target/manifest.json``, parsed first when missing or older than a project file) and
returns typed :class:`MartDeclaration` objects. Release (``publication/release.py``), disclosure control
(``publication/disclosure.py``), the mart suites (``quality/suites.py``) and the analyst catalogue
(``devtools/analyst_docs.py``) all read them here: there is no other list of published tables.

The meta keys (see the comment at the top of each mart's YAML)::

    published: true
    key: [column, ...]
    checks:
      min_rows: 1                     # the table must not be empty
      not_null: [column, ...]         # blocking
      not_null_warn: [column, ...]    # reported, not blocking
      non_negative: [column, ...]     # besides every count of persons
      unit_interval: [column, ...]    # 0 <= value <= 1
      min_value: {column: number}     # may be "{{ var('...') }}": the threshold lives in dbt_project.yml
      plausibility:                   # flagged in the quality report, never blocking (a figure to question)
        max: {column: number}         # a value above it is implausible
        min: {column: number}         # a value below it is implausible (e.g. a share over partial coverage)
        year_on_year:                 # a count changing by more than max_factor from one period to the next
        - {column: c, period: year, by: [column, ...], max_factor: number, min_volume: number}
    disclosure:
      counts: [column, ...]           # counts of persons: small-cell suppression
      rates: {column: [count, ...]}   # a derived column and the counts it reveals
      withheld: {column: [count, ...]} # a rank, level or reason: withheld when any of those counts is masked
      additive: {total: [part, ...]}  # within a row: total = sum(parts)
      hierarchies: [region, ...]      # between rows (publication/disclosure.py HIERARCHIES)
      row_exists_when: [count, ...]   # a row is published only when this count is >= 1 (the adversary knows)
      not_rolled_up: [count, ...]     # counts the hierarchies' parent rows do not sum (another definition)
      linked:                         # the same persons counted in another mart (docs/disclosure.md)
      - {column: c, by: [column, ...], where: {column: [value, ...]},
         equals: {mart: m, column: c, by: [column, ...], where: {...}}}   # group sums are equal
      ranks: {column: rank, by: [column, ...], numerator: n, denominator: d, offset: 1, score: ratio,
              where: {column: [value, ...]}}
                                      # rank by n / (d + offset) (score: gap, n − d) within `by`, over
                                      # the rows matching `where`: published ranks order the rows; a list
                                      # of them when the rows of one table are ranked by more than one rule
    not_covered:                      # a feed whose rows cannot enter this mart, and why: a release with rows
      feed: reason                    # of that feed marks the mart partial (publication/availability.py)
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.settings import DBT_PROJECT_DIR

MANIFEST_NAME = "manifest.json"
# a column of every published mart (dbt macro suppressed_columns): what disclosure control masked in the row
SUPPRESSED_COLUMNS = "suppressed_columns"


class DeclarationError(ValueError):
    """A model's ``config.meta`` is malformed (names the model, the key and what was expected)."""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str


@dataclass(frozen=True)
class Side:
    """``column`` summed over the rows of ``mart`` that match ``where``, per group of ``by``."""

    mart: str
    column: str
    by: tuple[str, ...]
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """The same persons counted in two published marts: per group (``by`` matched by position) the sums of
    the two sides are equal."""

    this: Side
    other: Side


@dataclass(frozen=True)
class Ranking:
    """``column`` ranks the rows within ``by``, highest score first: by ``numerator`` / (``denominator`` +
    ``offset``) (``score: ratio``), or by ``numerator`` − ``denominator`` (``score: gap``, the shortage lists'
    缺口数)."""

    column: str
    by: tuple[str, ...]
    numerator: str
    denominator: str
    offset: float = 1.0
    score: str = "ratio"
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # the rows this ranking orders


@dataclass(frozen=True)
class DisclosurePolicy:
    counts: tuple[str, ...] = ()
    rates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # a rank, level or reason decided from counts: withheld (NULL, listed) when any of them is masked
    withheld: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    additive: tuple[tuple[str, tuple[str, ...]], ...] = ()
    hierarchies: tuple[str, ...] = ()
    row_exists_when: tuple[str, ...] = ()
    not_rolled_up: tuple[str, ...] = ()
    linked: tuple[Link, ...] = ()
    ranks: tuple[Ranking, ...] = ()


@dataclass(frozen=True)
class YearOnYear:
    """``column`` of one row of ``by`` changes by more than ``max_factor`` (either way) from ``period`` − 1 to
    ``period``, where both values are at least ``min_volume`` (smaller counts jump on noise)."""

    column: str
    period: str
    by: tuple[str, ...]
    max_factor: float
    min_volume: float


@dataclass(frozen=True)
class Plausibility:
    max: Mapping[str, float] = field(default_factory=dict)
    min: Mapping[str, float] = field(default_factory=dict)
    year_on_year: tuple[YearOnYear, ...] = ()


@dataclass(frozen=True)
class Checks:
    min_rows: int = 0
    not_null: tuple[str, ...] = ()
    not_null_warn: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    unit_interval: tuple[str, ...] = ()
    min_value: Mapping[str, float] = field(default_factory=dict)
    plausibility: Plausibility = field(default_factory=Plausibility)


@dataclass(frozen=True)
class MartDeclaration:
    """One dbt model's declaration. ``schema`` is the dbt schema (``marts`` or ``reference``)."""

    name: str
    schema: str
    published: bool
    key: tuple[str, ...]
    description: str
    columns: tuple[Column, ...]
    checks: Checks
    disclosure: DisclosurePolicy | None  # None: nothing about persons is published (a dimension)
    not_covered: Mapping[str, str] = field(default_factory=dict)  # feed → why its rows cannot enter

    @property
    def is_mart(self) -> bool:
        return self.disclosure is not None


# --- the manifest ---------------------------------------------------------------------------------------


def _project_files(project_dir: Path) -> Iterator[Path]:
    yield from (project_dir / name for name in ("dbt_project.yml", "profiles.yml", "packages.yml"))
    for folder in ("models", "macros", "seeds", "tests", "snapshots", "analyses"):
        yield from (project_dir / folder).rglob("*")


def manifest_is_current(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    manifest = project_dir / "target" / MANIFEST_NAME
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    return not any(p.is_file() and p.stat().st_mtime > built for p in _project_files(project_dir))


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """dbt's manifest of ``project_dir``, parsed (``dbt parse``, in this process) when it is missing or older
    than any project file: a stale manifest names models, tests and declarations that moved."""
    project_dir = Path(project_dir)
    target = project_dir / "target"
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".parse.lock", "a") as lock:  # processes starting together parse once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest_is_current(project_dir):
            from dbt.cli.main import dbtRunner

            result = dbtRunner().invoke(
                [
                    "parse",
                    "--quiet",
                    "--project-dir",
                    str(project_dir),
                    "--profiles-dir",
                    str(project_dir),
                    "--target-path",
                    str(target),
                ]
            )
            if not result.success:
                raise RuntimeError(f"dbt parse of {project_dir} failed: {result.exception}")
    return target / MANIFEST_NAME


# --- declarations ---------------------------------------------------------------------------------------


def _names(model: str, where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DeclarationError(f"{model}: config.meta.{where} must be a list of column names, got {value!r}")
    return tuple(value)


def _number(model: str, where: str, value: Any) -> float:
    try:
        return float(value)  # a rendered "{{ var(...) }}" arrives as a string
    except (TypeError, ValueError):
        raise DeclarationError(f"{model}: config.meta.{where} must be a number, got {value!r}") from None


def _bounds(model: str, where: str, value: Any) -> dict[str, float]:
    if value is not None and not isinstance(value, Mapping):
        raise DeclarationError(f"{model}: config.meta.{where} must map columns to numbers, got {value!r}")
    return {c: _number(model, f"{where}.{c}", v) for c, v in (value or {}).items()}


def _year_on_year(model: str, where: str, value: Any) -> YearOnYear:
    keys = {"column", "period", "by", "max_factor", "min_volume"}
    if not isinstance(value, Mapping) or set(value) != keys:
        raise DeclarationError(f"{model}: config.meta.{where} must have exactly the keys {sorted(keys)}")
    return YearOnYear(
        column=str(value["column"]),
        period=str(value["period"]),
        by=_names(model, f"{where}.by", value["by"]),
        max_factor=_number(model, f"{where}.max_factor", value["max_factor"]),
        min_volume=_number(model, f"{where}.min_volume", value["min_volume"]),
    )


def _plausibility(model: str, value: Any) -> Plausibility:
    where = "checks.plausibility"
    value = value or {}
    if unknown := set(value) - {"max", "min", "year_on_year"}:
        raise DeclarationError(f"{model}: config.meta.{where} has unknown keys {sorted(unknown)}")
    return Plausibility(
        max=_bounds(model, f"{where}.max", value.get("max")),
        min=_bounds(model, f"{where}.min", value.get("min")),
        year_on_year=tuple(
            _year_on_year(model, f"{where}.year_on_year[{i}]", v)
            for i, v in enumerate(value.get("year_on_year") or [])
        ),
    )


def _side(model: str, where: str, value: Any, mart: str) -> Side:
    if not isinstance(value, Mapping) or not {"column", "by"} <= set(value):
        raise DeclarationError(f"{model}: config.meta.{where} needs column and by, got {value!r}")
    filters = value.get("where") or {}
    if not isinstance(filters, Mapping):
        raise DeclarationError(f"{model}: config.meta.{where}.where must map columns to values")
    return Side(
        mart=str(value.get("mart", mart)),
        column=str(value["column"]),
        by=_names(model, f"{where}.by", value["by"]),
        where={
            str(c): tuple(str(x) for x in (v if isinstance(v, list) else [v])) for c, v in filters.items()
        },
    )


def _link(model: str, where: str, value: Any) -> Link:
    if not isinstance(value, Mapping) or "equals" not in value:
        raise DeclarationError(f"{model}: config.meta.{where} needs equals: {{mart, column, by}}")
    this = _side(model, where, value, model)
    other = _side(model, f"{where}.equals", value["equals"], model)
    if len(this.by) != len(other.by):
        raise DeclarationError(f"{model}: config.meta.{where}: both sides need as many `by` columns")
    return Link(this, other)


def _rankings(model: str, value: Any) -> tuple[Ranking, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(_ranking(model, v) for v in value)
    return (_ranking(model, value),)


def _ranking(model: str, value: Any) -> Ranking:
    keys = {"column", "by", "numerator", "denominator"}
    if not isinstance(value, Mapping) or not keys <= set(value):
        raise DeclarationError(f"{model}: config.meta.disclosure.ranks needs {sorted(keys)}")
    filters = value.get("where") or {}
    if not isinstance(filters, Mapping):
        raise DeclarationError(f"{model}: config.meta.disclosure.ranks.where must map columns to values")
    return Ranking(
        column=str(value["column"]),
        by=_names(model, "disclosure.ranks.by", value["by"]),
        numerator=str(value["numerator"]),
        denominator=str(value["denominator"]),
        offset=_number(model, "disclosure.ranks.offset", value.get("offset", 1)),
        score=_score(model, value.get("score", "ratio")),
        where={
            str(c): tuple(str(x) for x in (v if isinstance(v, list) else [v])) for c, v in filters.items()
        },
    )


def _score(model: str, value: Any) -> str:
    if value not in ("ratio", "gap"):
        raise DeclarationError(f"{model}: config.meta.disclosure.ranks.score is ratio or gap, not {value!r}")
    return str(value)


def declaration_of(node: Mapping[str, Any]) -> MartDeclaration:
    name = node["name"]
    meta = (node.get("config") or {}).get("meta") or {}
    columns = tuple(
        Column(c["name"], c.get("data_type") or "", c.get("description") or "")
        for c in node.get("columns", {}).values()
    )
    known = {c.name for c in columns}
    checks_meta = meta.get("checks") or {}
    checks = Checks(
        min_rows=int(checks_meta.get("min_rows", 0)),
        not_null=_names(name, "checks.not_null", checks_meta.get("not_null")),
        not_null_warn=_names(name, "checks.not_null_warn", checks_meta.get("not_null_warn")),
        non_negative=_names(name, "checks.non_negative", checks_meta.get("non_negative")),
        unit_interval=_names(name, "checks.unit_interval", checks_meta.get("unit_interval")),
        min_value={
            c: _number(name, f"checks.min_value.{c}", v)
            for c, v in (checks_meta.get("min_value") or {}).items()
        },
        plausibility=_plausibility(name, checks_meta.get("plausibility")),
    )
    disclosure = None
    if "disclosure" in meta:
        d = meta["disclosure"] or {}
        disclosure = DisclosurePolicy(
            counts=_names(name, "disclosure.counts", d.get("counts")),
            rates={r: _names(name, f"disclosure.rates.{r}", v) for r, v in (d.get("rates") or {}).items()},
            withheld={
                w: _names(name, f"disclosure.withheld.{w}", v) for w, v in (d.get("withheld") or {}).items()
            },
            additive=tuple(
                (t, _names(name, f"disclosure.additive.{t}", v)) for t, v in (d.get("additive") or {}).items()
            ),
            hierarchies=_names(name, "disclosure.hierarchies", d.get("hierarchies")),
            row_exists_when=_names(name, "disclosure.row_exists_when", d.get("row_exists_when")),
            not_rolled_up=_names(name, "disclosure.not_rolled_up", d.get("not_rolled_up")),
            linked=tuple(
                _link(name, f"disclosure.linked[{i}]", v) for i, v in enumerate(d.get("linked") or [])
            ),
            ranks=_rankings(name, d.get("ranks")),
        )
    declaration = MartDeclaration(
        name=name,
        schema=(node.get("config") or {}).get("schema") or node["schema"],
        published=bool(meta.get("published", False)),
        key=_names(name, "key", meta.get("key")),
        description=node.get("description") or "",
        columns=columns,
        checks=checks,
        disclosure=disclosure,
        not_covered=_not_covered(name, meta.get("not_covered")),
    )
    if declaration.published:
        if not declaration.key:
            raise DeclarationError(f"{name}: a published model needs config.meta.key (its key columns)")
        named = _named_columns(declaration)
        unknown = sorted(named - known) if known else []
        if unknown:
            raise DeclarationError(
                f"{name}: config.meta names columns the model does not document: {unknown}"
            )
    return declaration


def _not_covered(model: str, value: Any) -> dict[str, str]:
    from ingestion.contracts import FEEDS

    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(r, str) and r for r in value.values()):
        raise DeclarationError(f"{model}: config.meta.not_covered must map feeds to reasons, got {value!r}")
    if unknown := sorted(set(value) - set(FEEDS)):
        raise DeclarationError(f"{model}: config.meta.not_covered names feeds that do not exist: {unknown}")
    return {str(f): str(r) for f, r in value.items()}


def _named_columns(d: MartDeclaration) -> set[str]:
    c, p = d.checks, d.disclosure
    named = {*d.key, *c.not_null, *c.not_null_warn, *c.non_negative, *c.unit_interval, *c.min_value}
    plausible = c.plausibility
    named |= {*plausible.max, *plausible.min}
    named |= {x for y in plausible.year_on_year for x in (y.column, y.period, *y.by)}
    if p is not None:
        named |= {*p.counts, *p.rates, *[x for deps in p.rates.values() for x in deps]}
        named |= {*p.withheld, *[x for deps in p.withheld.values() for x in deps]}
        named |= {t for t, _ in p.additive} | {x for _, parts in p.additive for x in parts}
        named |= {
            *p.row_exists_when,
            *p.not_rolled_up,
            *[x for k in p.linked for x in (k.this.column, *k.this.by, *k.this.where)],
        }
        for r in p.ranks:
            named |= {r.column, *r.by, r.numerator, r.denominator, *r.where}
    return named


@lru_cache(maxsize=8)
def _load(manifest: Path, mtime: float) -> tuple[MartDeclaration, ...]:
    data = json.loads(manifest.read_text(encoding="utf-8"))
    models = [n for n in data["nodes"].values() if n["resource_type"] == "model"]
    return tuple(declaration_of(n) for n in sorted(models, key=lambda n: n["name"]))


def declarations(manifest: Path | None = None) -> tuple[MartDeclaration, ...]:
    """Every model's declaration, by name; ``manifest`` defaults to the project's (parsed when stale)."""
    path = Path(manifest) if manifest is not None else ensure_manifest()
    return _load(path, path.stat().st_mtime)


def published(manifest: Path | None = None) -> tuple[MartDeclaration, ...]:
    """The published tables: marts first, then dimensions, each by name."""
    found = [d for d in declarations(manifest) if d.published]
    return tuple(sorted(found, key=lambda d: (not d.is_mart, d.name)))


def published_marts(manifest: Path | None = None) -> tuple[MartDeclaration, ...]:
    """The published marts (tables with a disclosure policy and a generated quality suite)."""
    return tuple(d for d in published(manifest) if d.is_mart)


def published_mart_names(manifest: Path | None = None) -> tuple[str, ...]:
    return tuple(d.name for d in published_marts(manifest))
