"""Apply a feed contract to a frame of text: typed rows that pass, and quarantined rows with their reasons.

Pure functions (no I/O). Each reason names the column, the value and the rule, e.g.
``column region_code: value '32050' does not match ^\\d{6}$``; the caller adds file and row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from ingestion.contracts import LIST_SEPARATORS, Column, FeedContract

TRUE_WORDS = ("true", "t", "1", "yes", "y", "是", "对", "√")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否", "不", "×")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.Utf8(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "string_list": pl.List(pl.Utf8),
}


@dataclass
class ValidationResult:
    loaded: pl.DataFrame  # typed contract columns + source_row
    quarantined: pl.DataFrame  # source_row, reason, raw_record (JSON of the cleaned text values)


@dataclass(frozen=True)
class TextTraits:
    """What a column's text holds anywhere in the file, so cleaning skips the steps that cannot change it."""

    non_ascii: bool = True  # NFKC can change only non-ASCII text
    whitespace: bool = True  # ASCII whitespace (any other whitespace is non-ASCII: cleaning reads both)
    dot: bool = True  # a spreadsheet's '123.0' (looked for in codes only: no other column loses it)
    empty: bool = True  # an empty text (becomes null)


def _strips_dot(col: Column) -> bool:
    return bool(col.pattern) and col.dtype in ("string", "string_list")


def text_traits(frame: pl.DataFrame, columns: list[Column]) -> dict[str, TextTraits]:
    """One cheap pass over the text columns (four booleans each, from vectorised per-value tests: a byte
    count against a character count, and literal searches, no regular expression over the text)."""
    if not columns or frame.is_empty():
        return {}
    exprs = []
    for col in columns:
        n, c = col.name, pl.col(col.name).cast(pl.Utf8)
        exprs += [
            (c.str.len_bytes().sum() != c.str.len_chars().sum()).alias(f"{n}\0a"),
            c.str.contains(r"[ \t\n\r\x0b\x0c]").any().fill_null(False).alias(f"{n}\0w"),
            (
                c.str.contains(".", literal=True).any().fill_null(False)
                if _strips_dot(col)
                else pl.lit(False)
            ).alias(f"{n}\0d"),
            (c.str.len_bytes() == 0).any().fill_null(False).alias(f"{n}\0e"),
        ]
    row = frame.lazy().select(exprs).collect().row(0)
    return {c.name: TextTraits(*(bool(v) for v in row[4 * i : 4 * i + 4])) for i, c in enumerate(columns)}


def clean_text(col: Column, traits: TextTraits | None = None) -> pl.Expr:
    """Unicode NFKC (full-width digits and letters to ASCII), trimmed; empty text becomes null.

    Codes also lose inner spaces and a spreadsheet's trailing ``.0``. ``traits`` (from :func:`text_traits`)
    skips the steps that cannot change this column's values; without it, every step runs.
    """
    t = traits or TextTraits()
    expr = pl.col(col.name).cast(pl.Utf8)
    if t.non_ascii:
        expr = expr.str.normalize("NFKC")
    if t.non_ascii or t.whitespace:  # every whitespace character but ASCII's is non-ASCII
        expr = expr.str.strip_chars()
    if _strips_dot(col):
        if col.dtype == "string" and (t.whitespace or t.non_ascii):
            expr = expr.str.replace_all(r"\s+", "")
        if t.dot or t.non_ascii:
            expr = expr.str.replace(r"^(\d+)\.0+$", "${1}")
    if t.non_ascii or t.whitespace or t.empty:  # otherwise no value is or becomes empty
        expr = pl.when(expr == "").then(None).otherwise(expr)
    return expr.alias(col.name)


# A comma in a number is a thousands separator only in groups of three digits (12,345.6); any other comma
# (12345,6: a decimal comma, or a typo) cannot be told apart and the value is refused, never read 10x too big.
THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"


def _without_thousands(c: pl.Expr) -> pl.Expr:
    return pl.when(c.str.contains(THOUSANDS)).then(c.str.replace_all(",", "")).otherwise(c)


def typed(col: Column) -> pl.Expr:
    """Text to the column's type; a value that does not convert becomes null (and is caught by
    :func:`checks`)."""
    c = pl.col(col.name)
    if col.dtype == "int":
        num = _without_thousands(c).str.replace(r"\.0+$", "")
        return num.cast(pl.Int64, strict=False).alias(col.name)
    if col.dtype == "float":
        return _without_thousands(c).cast(pl.Float64, strict=False).alias(col.name)
    if col.dtype == "bool":
        low = c.str.to_lowercase()
        return (
            pl.when(low.is_in(TRUE_WORDS))
            .then(True)
            .when(low.is_in(FALSE_WORDS))
            .then(False)
            .otherwise(None)
            .alias(col.name)
        )
    if col.dtype == "date":
        head = c.str.slice(0, 10)
        candidates = [c.str.to_date(fmt, strict=False) for fmt in DATE_FORMATS]
        candidates.insert(1, head.str.to_date("%Y-%m-%d", strict=False))  # '2024-03-05 00:00:00'
        return pl.coalesce(candidates).alias(col.name)
    if col.dtype == "string_list":
        return _list_expr(col)
    return c


def _list_expr(col: Column) -> pl.Expr:
    """``'460702; 510203'`` (any of ; ， 、 | space) to a list of codes."""
    return (
        pl.col(col.name)
        .str.replace_all(LIST_SEPARATORS, ";")
        .str.strip_chars(";")
        .str.split(";")
        .list.eval(pl.element().filter(pl.element() != ""))
        .alias(col.name)
    )


def _msg(prefix: str, value: pl.Expr, suffix: str) -> pl.Expr:
    return pl.concat_str([pl.lit(prefix), value, pl.lit(suffix)])


Rule = tuple[pl.Expr, pl.Expr]  # (the row breaks the rule, the message naming column, value and rule)


def checks(col: Column, raw: str, val: str) -> list[Rule]:
    """The rules of one column: each a condition (true where the rule fails) and its message.

    ``raw`` is the cleaned text column, ``val`` the typed one (both in the same frame).
    """
    r, v = pl.col(raw), pl.col(val)
    quoted = pl.format("'{}'", r)
    out: list[Rule] = []
    if col.required:
        out.append((r.is_null(), pl.lit(f"column {col.name}: missing value (expected {col.expectation()})")))
    if col.dtype in ("int", "float"):
        ambiguous = r.str.contains(",") & ~r.str.contains(THOUSANDS)
        out.append(
            (
                r.is_not_null() & v.is_null() & ambiguous,
                _msg(
                    f"column {col.name}: value ",
                    quoted,
                    " has a comma that is not a thousands separator (groups of three digits, e.g. 12,345.6); "
                    "a decimal comma is refused: write the decimal point '.'",
                ),
            )
        )
    if col.dtype in ("int", "float", "bool", "date"):
        unreadable = r.is_not_null() & v.is_null()
        if col.dtype in ("int", "float"):
            unreadable = unreadable & ~(r.str.contains(",") & ~r.str.contains(THOUSANDS))
        out.append((unreadable, _msg(f"column {col.name}: value ", quoted, f" is not {col.expectation()}")))
    if col.dtype == "string" and col.pattern:
        out.append(
            (
                r.is_not_null() & ~r.str.contains(col.pattern),
                _msg(f"column {col.name}: value ", quoted, f" does not match {col.pattern}"),
            )
        )
    if col.dtype == "string_list" and col.pattern:
        bad = v.list.eval(pl.element().filter(~pl.element().str.contains(col.pattern))).list.join(";")
        out.append(
            (
                r.is_not_null() & (bad != ""),
                _msg(f"column {col.name}: value(s) '", bad, f"' do not match {col.pattern}"),
            )
        )
    if col.allowed:
        out.append(
            (
                r.is_not_null() & ~r.is_in(col.allowed),
                _msg(f"column {col.name}: value ", quoted, f" is not one of {', '.join(col.allowed)}"),
            )
        )
    if col.min_value is not None:
        out.append(
            (
                v < col.min_value,
                _msg(f"column {col.name}: value ", quoted, f" is below the minimum {col.min_value:g}"),
            )
        )
    if col.max_value is not None:
        out.append(
            (
                v > col.max_value,
                _msg(f"column {col.name}: value ", quoted, f" is above the maximum {col.max_value:g}"),
            )
        )
    return out


def reference_checks(col: Column, references: Mapping[str, frozenset[str]]) -> list[Rule]:
    """A well-formed code that is not in its classification is refused (e.g. region 329999)."""
    if col.reference is None or col.reference not in references:
        return []
    from ingestion.reference import REFERENCE_NAMES

    c = pl.col(col.name)
    known = pl.Series(sorted(references[col.reference]), dtype=pl.Utf8)
    return [
        (
            c.is_not_null() & c.str.contains(col.pattern or "") & ~c.is_in(known.implode()),
            _msg(
                f"column {col.name}: value ",
                pl.format("'{}'", c),
                f" is not a code of {REFERENCE_NAMES[col.reference]}",
            ),
        )
    ]


def apply_contract(
    frame: pl.DataFrame,
    contract: FeedContract,
    references: Mapping[str, frozenset[str]] | None = None,
    extra_reasons: pl.DataFrame | None = None,
) -> ValidationResult:
    """Split ``frame`` (text columns named as in the contract, plus ``source_row``) into loaded and
    quarantined.

    ``references`` (from :func:`ingestion.reference.code_lists`) adds a check that codes exist;
    ``extra_reasons`` (``source_row``, ``reason``) quarantines rows found wanting before (names that match no
    code or several: :func:`ingestion.names.resolve_names`).

    One lazy plan, so an expression used twice (a cleaned value) is computed once. Every row is tested
    with the rules' conditions alone; the messages (string building, the costly part) are made only for
    the rows that fail, which are few.
    """
    cols = contract.columns
    absent = [pl.lit(None, dtype=pl.Utf8).alias(c.name) for c in cols if c.name not in frame.columns]
    raw_names = {c.name: f"__raw__{c.name}" for c in cols}
    rules: list[Rule] = []
    for c in cols:
        rules.extend(checks(c, raw_names[c.name], c.name))
        rules.extend(reference_checks(c, references or {}))
    rules.extend(
        (pl.sql_expr(rule.sql).not_(), pl.lit(f"row rule {rule.name}: {rule.message}"))
        for rule in contract.row_rules
    )
    if extra_reasons is not None and extra_reasons.height:
        frame = frame.join(
            extra_reasons.select("source_row", pl.col("reason").alias("__extra_reason")),
            on="source_row",
            how="left",
        )
        rules.insert(0, (pl.col("__extra_reason").is_not_null(), pl.col("__extra_reason")))
    broken = pl.any_horizontal([cond.fill_null(False) for cond, _ in rules]) if rules else pl.lit(False)
    key = list(contract.key)
    first = pl.col("source_row").filter(~pl.col("__broken")).min().over(key)
    traits = text_traits(frame, [c for c in cols if c.name in frame.columns])
    work = (
        frame.lazy()
        .with_columns(absent)
        .with_columns([clean_text(c, traits.get(c.name)) for c in cols])
        .with_columns([pl.col(c.name).alias(raw_names[c.name]) for c in cols])
        .with_columns([typed(c) for c in cols])
        .with_columns(broken.alias("__broken"))
        # a row that repeats the key of an earlier valid row of the same file is quarantined (first one wins)
        .with_columns(first.alias("__first"))
        .with_columns(
            (~pl.col("__broken") & (pl.col("source_row") != pl.col("__first"))).alias("__duplicate")
        )
        .collect()
    )
    bad = pl.col("__broken") | pl.col("__duplicate")
    loaded = work.filter(~bad).select(["source_row", *contract.column_names])
    key_text = pl.concat_str([pl.format(f"{k}='{{}}'", pl.col(k).cast(pl.Utf8)) for k in key], separator=", ")
    duplicate = pl.format("duplicate key ({}) already in row {} of this file", key_text, pl.col("__first"))
    reasons = (
        (
            pl.concat_list([pl.when(cond).then(msg).cast(pl.Utf8) for cond, msg in rules])
            .list.drop_nulls()
            .list.join("; ")
        )
        if rules
        else pl.lit("")
    )
    raw_struct = pl.struct([pl.col(raw_names[c.name]).alias(c.name) for c in cols])
    quarantined = work.filter(bad).select(
        "source_row",
        pl.when(pl.col("__duplicate")).then(duplicate).otherwise(reasons).alias("reason"),
        raw_struct.struct.json_encode().alias("raw_record"),
    )
    return ValidationResult(loaded=loaded, quarantined=quarantined)


def region_codes_out_of_period(
    loaded: pl.DataFrame, contract: FeedContract, years: pl.DataFrame, year: pl.Expr, examples: int = 3
) -> list[str]:
    """Warnings for region codes used in a year they were not in force (GB/T 2260 changes every year).

    ``years`` is :func:`ingestion.reference.region_years`; ``year`` gives each loaded row's year. Such rows
    stay loaded: a school that codes its history with today's codes, or keeps a code after a merger, is
    still counted, under the region in force today (``dim_region_history``). One warning per column, with
    the number of rows and the first ``examples`` of them (row, code, year, the years the code was in force).
    """
    columns = [c.name for c in contract.columns if c.reference == "region" and c.name in loaded.columns]
    if not columns or loaded.is_empty():
        return []
    base = loaded.select("source_row", year.cast(pl.Int32).alias("__year"), *columns)
    warnings = []
    for column in columns:
        rows = base.select("source_row", "__year", pl.col(column).alias("region_code")).filter(
            pl.col("region_code").is_not_null() & pl.col("__year").is_not_null()
        )
        # the distinct (code, year) pairs first (a few thousand of millions of rows), the rows only for those
        # out of force
        pairs = (
            rows.select("__year", "region_code")
            .unique()
            .join(years, on="region_code", how="inner")
            .group_by("__year", "region_code")
            .agg(
                (
                    (pl.col("valid_from_year") <= pl.col("__year"))
                    & (pl.col("valid_to_year").is_null() | (pl.col("__year") <= pl.col("valid_to_year")))
                )
                .any()
                .alias("__in_force")
            )
            .filter(~pl.col("__in_force"))
        )
        if pairs.is_empty():
            continue
        outside = rows.join(pairs, on=["__year", "region_code"], how="inner").sort("source_row")
        in_force = (
            years.filter(pl.col("region_code").is_in(outside["region_code"].unique().implode()))
            .sort("valid_from_year")
            .group_by("region_code")
            .agg(
                pl.format(
                    "{}–{}", pl.col("valid_from_year"), pl.col("valid_to_year").cast(pl.Utf8).fill_null("")
                )
                .str.join(", ")
                .alias("in_force")
            )
        )
        outside = outside.join(in_force, on="region_code").sort("source_row")
        shown = "; ".join(
            f"row {r['source_row']}: '{r['region_code']}' in {r['__year']}, in force {r['in_force']}"
            for r in outside.head(examples).iter_rows(named=True)
        )
        more = f"; and {outside.height - examples} more" if outside.height > examples else ""
        warnings.append(
            f"column {column}: {outside.height} row(s) use a region code in a year it was not in "
            f"force ({shown}{more}); loaded, counted under the region in force today"
        )
    return warnings
