"""Names as well as codes: region, industry and occupation names, and education levels in Chinese, to codes.

Offices write ``温州市``, ``郑  州  市`` or ``制造业`` where the contract asks for a code, and ``高职专科`` or
``中职`` where it asks for a level. Before validation, :func:`resolve_names` replaces such a value with its
code when it names exactly one; otherwise the row is quarantined with the candidates listed. Only values
that are not already codes are looked at (the non-ASCII ones), so a file of codes costs one cheap pass.

Region names match a region's name as written, or with its suffix (市, 区, 县, 省, 自治州, 盟, 地区…) added or
taken away, among the regions in force today and then among retired ones. A name several regions share
(``鼓楼区``) is resolved within the file's province: the province most of the file's other region values
(codes and unique names) lie in.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ingestion.contracts import FeedContract
from ingestion.vocabulary import industry_sectors

# Every common Chinese name of the contract's education levels (ingestion.contracts.LEVELS).
LEVEL_NAMES: Mapping[str, str] = {
    "中职": "secondary",
    "中专": "secondary",
    "中等职业教育": "secondary",
    "职高": "secondary",
    "技工": "secondary",
    "技工学校": "secondary",
    "技校": "secondary",
    "高职": "higher",
    "高职专科": "higher",
    "专科": "higher",
    "大专": "higher",
    "高等职业教育专科": "higher",
    "职业本科": "bachelor",
    "本科": "bachelor",
    "高职本科": "bachelor",
    "职业教育本科": "bachelor",
}
REGION_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)
CANDIDATES_SHOWN = 5
VALUES = "value"  # a column whose allowed values have Chinese names (vocabulary seeds)


def normalise_name(text: str) -> str:
    """NFKC, no spaces anywhere (``郑  州  市`` is ``郑州市``)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _stem(name: str) -> str:
    for suffix in REGION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Named:
    code: str
    label: str  # shown among candidates, e.g. "320106 鼓楼区 (南京市)"


@dataclass
class NameLookups:
    """Names to codes per classification (``region``, ``industry``, ``occupation``) and ``level``."""

    exact: dict[str, dict[str, list[Named]]] = field(default_factory=dict)
    stems: dict[str, dict[str, list[Named]]] = field(default_factory=dict)
    retired: dict[str, list[Named]] = field(default_factory=dict)

    def candidates(self, reference: str, value: str) -> list[Named]:
        name = normalise_name(value)
        found = self.exact.get(reference, {}).get(name)
        if found:
            return found
        if reference == "region":
            return self.stems["region"].get(_stem(name), []) or self.retired.get(_stem(name), [])
        return []


def _index(rows: Sequence[tuple[str, str, str]]) -> tuple[dict[str, list[Named]], dict[str, list[Named]]]:
    exact: dict[str, list[Named]] = {}
    stems: dict[str, list[Named]] = {}
    for code, name, label in rows:
        key = normalise_name(name)
        exact.setdefault(key, []).append(Named(code, label))
        stems.setdefault(_stem(key), []).append(Named(code, label))
    return exact, stems


def name_lookups(seeds_dir: Path) -> NameLookups:
    """The lookups, from the project's reference seeds (``dbt_project/seeds/reference``)."""

    def read(name: str, columns: list[str]) -> pl.DataFrame:
        return pl.read_csv(seeds_dir / f"{name}.csv", infer_schema=False, columns=columns)

    regions = read(
        "ref_region", ["region_code", "region_name", "region_level", "prefecture_name", "province_name"]
    )
    region_rows = [
        (code, name, f"{code} {name}" + (f" ({parent})" if parent and parent != name else ""))
        for code, name, _, prefecture, province in regions.iter_rows()
        for parent in [prefecture or province]
    ]
    region_exact, region_stems = _index(region_rows)
    history = read("ref_region_history", ["region_code", "region_name", "status", "valid_to_year"]).filter(
        pl.col("status") != "in_force"
    )
    retired: dict[str, list[Named]] = {}
    for code, name, _, until in history.iter_rows():
        retired.setdefault(_stem(normalise_name(name)), []).append(
            Named(code, f"{code} {name} (until {until})")
        )
    industries = read("ref_industry", ["industry_code", "industry_name", "industry_level"]).filter(
        pl.col("industry_level").is_in(["section", "division"])
    )
    occupations = read("ref_occupation", ["occupation_code", "occupation_name"])
    sectors = [
        (s.code, n, f"{s.code} {s.label_zh}")
        for s in industry_sectors()
        for n in (s.label_zh, *s.other_names_zh)
    ]
    industry_exact, _ = _index([(c, n, f"{c} {n}") for c, n, _ in industries.iter_rows()] + sectors)
    occupation_exact, _ = _index([(c, n, f"{c} {n}") for c, n in occupations.iter_rows()])
    level_exact = {normalise_name(k): [Named(v, f"{v} ({k})")] for k, v in LEVEL_NAMES.items()}
    return NameLookups(
        exact={
            "region": region_exact,
            "industry": industry_exact,
            "occupation": occupation_exact,
            "level": level_exact,
        },
        stems={"region": region_stems},
        retired=retired,
    )


def _reference(contract: FeedContract, column: str) -> str | None:
    col = contract.column(column)
    if col.reference:
        return col.reference
    if col.value_names:
        return VALUES
    return "level" if col.allowed and set(col.allowed) <= set(LEVEL_NAMES.values()) else None


def _candidates(
    lookups: NameLookups, contract: FeedContract, column: str, reference: str, value: str
) -> list[Named]:
    if reference != VALUES:
        return lookups.candidates(reference, value)
    names = dict(contract.column(column).value_names)
    found = names.get(normalise_name(value)) or names.get(value.strip())
    return [Named(found, f"{found} ({value})")] if found else []


def _province(frame: pl.DataFrame, columns: Sequence[str]) -> str | None:
    """The province (2-digit prefix) most region codes of the file lie in, or None."""
    counts: Counter[str] = Counter()
    for column in columns:
        prefixes = (
            frame.select(pl.col(column).str.strip_chars())
            .filter(pl.col(column).str.contains(r"^\d{6}$"))
            .select(pl.col(column).str.slice(0, 2))
            .to_series()
            .value_counts()
        )
        counts.update(dict(prefixes.iter_rows()))
    return counts.most_common(1)[0][0] if counts else None


@dataclass
class Resolution:
    frame: pl.DataFrame  # names replaced by codes where exactly one matched
    reasons: pl.DataFrame  # source_row, reason: rows whose name matched none or several codes
    warnings: list[str]


def resolve_names(
    frame: pl.DataFrame, contract: FeedContract, lookups: NameLookups, province: str | None = None
) -> Resolution:
    """Replace names by codes in the columns that hold codes of a classification (or a level).

    ``province`` (a GB/T 2260 province code, e.g. from a source profile) narrows shared region names; by
    default the province most of the file's region codes lie in."""
    columns = [c for c in contract.column_names if c in frame.columns and _reference(contract, c)]
    # only non-ASCII values can be names (codes, letters and English level values are ASCII)
    named = {
        c: frame.select(pl.col(c).filter(pl.col(c).str.len_bytes() != pl.col(c).str.len_chars()).unique())
        .to_series()
        .to_list()
        for c in columns
    }
    named = {c: v for c, v in named.items() if v}
    if not named:
        return Resolution(frame, pl.DataFrame(schema={"source_row": pl.Int64, "reason": pl.Utf8}), [])
    region_columns = [c for c in columns if _reference(contract, c) == "region"]
    province = province[:2] if province else _province(frame, region_columns)
    replacements: dict[str, dict[str, str]] = {}
    failures: dict[str, dict[str, str]] = {}
    warnings: list[str] = []
    for column, values in named.items():
        reference = _reference(contract, column)
        assert reference is not None
        found: dict[str, str] = {}
        failed: dict[str, str] = {}
        for value in values:
            candidates = _candidates(lookups, contract, column, reference, value)
            if len(candidates) > 1 and reference == "region" and province:
                within = [c for c in candidates if c.code.startswith(province)]
                candidates = within or candidates
            if len(candidates) == 1:
                found[value] = candidates[0].code
            elif candidates:
                shown = ", ".join(c.label for c in candidates[:CANDIDATES_SHOWN])
                more = (
                    f" and {len(candidates) - CANDIDATES_SHOWN} more"
                    if len(candidates) > CANDIDATES_SHOWN
                    else ""
                )
                failed[value] = (
                    f"column {column}: value '{value}' names {len(candidates)} {reference} codes "
                    f"({shown}{more}); write the code"
                )
            elif reference == VALUES:
                allowed = ", ".join(contract.column(column).allowed or ())
                failed[value] = f"column {column}: value '{value}' names none of {allowed}"
            else:
                failed[value] = f"column {column}: value '{value}' is no {reference} name or code"
        if found:
            replacements[column] = found
            examples = ", ".join(f"{k} → {v}" for k, v in list(found.items())[:3])
            scope = f" (within province {province}0000)" if reference == "region" and province else ""
            warnings.append(f"column {column}: {len(found)} names read as codes{scope}: {examples}")
        if failed:
            failures[column] = failed
    out = frame.with_columns(pl.col(c).replace(m) for c, m in replacements.items())
    reason_parts = [
        frame.select(
            "source_row", pl.col(c).replace_strict(m, default=None, return_dtype=pl.Utf8).alias("reason")
        ).filter(pl.col("reason").is_not_null())
        for c, m in failures.items()
    ]
    reasons = (
        pl.concat(reason_parts)
        .group_by("source_row", maintain_order=True)
        .agg(pl.col("reason").str.join("; "))
        if reason_parts
        else pl.DataFrame(schema={"source_row": pl.Int64, "reason": pl.Utf8})
    )
    return Resolution(out, reasons, warnings)
