"""Readers: a feed file to a frame of text columns with the contract's names.

Formats: CSV/TXT/TSV (UTF-8 with or without BOM, UTF-16 with BOM, GB18030/GBK; the delimiter , ; tab or |
is detected), Excel (.xlsx, .xlsm, .xls, .xlsb, .ods through calamine; every sheet is considered) and
Parquet. The header is looked for below title and note rows, over up to three lines with merged cells, and
units stated in headers are converted to the contract's (:mod:`ingestion.layout`). Total rows (合计, 小计)
and footnotes (注：…) are not data: they are left out with a warning, and each total is compared with the
rows it covers. Readers do no validation beyond the file's shape: every value comes back as text (or
null), with canonical column names and ``source_row`` (the row number a person sees in the file: the
first line is row 1). Typing and rules are applied by :mod:`ingestion.validate`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from ingestion.contracts import FeedContract
from ingestion.layout import (
    MAX_HEADER_ROWS,
    SCAN_ROWS,
    Header,
    LayoutError,
    column_unit,
    locate_header,
    normalise_header,
    reconcile_totals,
    row_kind,
    unit_factor,
)
from ingestion.profiles import SourceProfile

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, *SPREADSHEET_SUFFIXES, ".parquet")
DELIMITERS = (",", ";", "\t", "|")
_CHUNK = 1 << 20
_HEAD_BYTES = 256 * 1024


class FeedFileError(ValueError):
    """A whole file cannot be read under its feed's contract (the message names file, column and rule)."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{Path(path).name}: {message}")


@dataclass
class RawFrame:
    """What a reader hands to the validator."""

    frame: pl.DataFrame  # canonical columns (all Utf8) + source_row
    encoding: str
    warnings: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _check_decodes(path: Path, encoding: str) -> None:
    """Raise UnicodeDecodeError unless every byte of the file decodes; streams, so memory stays flat."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)


def detect_encoding(path: Path) -> str:
    """``utf-16`` when the file starts with a UTF-16 byte-order mark; ``utf-8`` (with or without BOM) when
    every byte decodes as UTF-8; else ``gb18030`` (a superset of GBK)."""
    return decoded(path)[0]


def head_rows(source: Path | bytes, delimiter: str) -> list[list[str]]:
    """The first rows of UTF-8 text (a file, or bytes in memory), split on ``delimiter``, enough to find
    the header."""
    return _split(_head_text(source), delimiter)


def _split(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _head_text(source: Path | bytes) -> str:
    """The first lines of UTF-8 text, as many as the header search reads (a line cut by the end of the
    bytes read is left out)."""
    if isinstance(source, bytes):
        text = source[:_HEAD_BYTES].decode("utf-8-sig", errors="ignore")
    else:
        with open(source, encoding="utf-8-sig", newline="") as f:
            text = f.read(_HEAD_BYTES)
    wanted = SCAN_ROWS + MAX_HEADER_ROWS
    lines = text.splitlines(keepends=True)[: wanted + 1]
    if len(text) == _HEAD_BYTES and len(lines) > 1 and len(lines) <= wanted:
        lines = lines[:-1]  # the last line may be cut
    return "".join(lines[:wanted])


def _locate(
    rows: Sequence[Sequence[object]], contract: FeedContract, profile: SourceProfile | None
) -> Header:
    if profile is None:
        return locate_header(rows, contract)
    supplied = set(profile.constants)
    if profile.unpivot is not None:
        supplied |= {profile.unpivot.key, profile.unpivot.value}
    return locate_header(rows, contract, profile.columns, profile.header_rows, frozenset(supplied))


def _text_header(
    path: Path | bytes, contract: FeedContract, shown_as: Path, profile: SourceProfile | None
) -> tuple[str, Header]:
    """The delimiter and header of a UTF-8 text file: the delimiter whose header names most columns."""
    best: tuple[int, str, Header | None, LayoutError | None] | None = None
    head = _head_text(path)
    for delimiter in DELIMITERS:
        if best is not None and best[0] >= 1 and delimiter not in head:
            continue  # one field a line: a header of at most one column, which cannot name more
        rows = _split(head, delimiter)
        candidate: tuple[int, str, Header | None, LayoutError | None]
        try:
            found = _locate(rows, contract, profile)
            candidate = (sum(c is not None for c in found.columns), delimiter, found, None)
        except LayoutError as exc:
            candidate = (-1, delimiter, None, exc)
        if best is None or candidate[0] > best[0]:
            best = candidate
    assert best is not None
    _, delimiter, header, error = best
    if header is None:
        # report the error under the delimiter most rows of the head split on
        rows_by = {d: _split(head, d) for d in DELIMITERS}
        likely = max(DELIMITERS, key=lambda d: sum(len(r) > 1 for r in rows_by[d]))
        try:
            _locate(rows_by[likely], contract, profile)
        except LayoutError as exc:
            shown = {"\t": "tab"}.get(likely, repr(likely))
            raise FeedFileError(shown_as, f"{exc} (columns split on {shown})") from exc
        raise FeedFileError(shown_as, str(error))
    return delimiter, header


def _read_text(
    path: Path, contract: FeedContract, profile: SourceProfile | None
) -> tuple[pl.DataFrame, Header, int, str]:
    """A text file as raw text columns, its header, the file row of its first data row, and its encoding."""
    if path.stat().st_size == 0:
        raise FeedFileError(path, "file is empty (expected a header row)")
    encoding, utf8 = decoded(path)
    return (*_read_text_utf8(utf8 if utf8 is not None else path, contract, path, profile), encoding)


def decoded(path: Path) -> tuple[str, bytes | None]:
    """The file's encoding (as :func:`detect_encoding`), and its text as UTF-8 bytes when it is not UTF-8
    already: GB18030 and UTF-16 are decoded once, in memory (the check that every byte decodes and the
    transcoding are one pass; no temporary file)."""
    with open(path, "rb") as f:
        head = f.read(4)
    encoding = "utf-16" if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else None
    if encoding is None:
        try:
            _check_decodes(path, "utf-8")
            return "utf-8", None
        except UnicodeDecodeError:
            encoding = "gb18030"
    try:
        return encoding, path.read_bytes().decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise FeedFileError(
            path, f"text is neither UTF-8, UTF-16 nor GB18030/GBK (byte offset {exc.start})"
        ) from exc


# Every cell as text (the contract types it), short lines padded with nulls, an empty file an empty frame.
_read_cells_as_text = partial(
    pl.read_csv, has_header=False, infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False
)


def _read_text_utf8(
    source: Path | bytes, contract: FeedContract, shown_as: Path, profile: SourceProfile | None
) -> tuple[pl.DataFrame, Header, int]:
    delimiter, header = _text_header(source, contract, shown_as, profile)
    skip = header.first_data_row
    try:
        text = io.BytesIO(source) if isinstance(source, bytes) else source
        df = _read_cells_as_text(text, skip_rows=skip, separator=delimiter)
    except pl.exceptions.ComputeError as exc:
        raise FeedFileError(shown_as, f"not a well-formed CSV file: {exc}") from exc
    return df, header, skip + 1


def _read_spreadsheet(
    path: Path, contract: FeedContract, profile: SourceProfile | None
) -> tuple[pl.DataFrame, Header, int, list[str]]:
    """The sheet holding this feed's table: the profile's, or each sheet in order, the first whose header is
    found."""
    import fastexcel

    try:
        workbook = fastexcel.read_excel(path)
        names = list(workbook.sheet_names)
    except Exception as exc:  # fastexcel raises its own error types
        raise FeedFileError(path, f"cannot read the workbook: {exc}") from exc
    problems: list[str] = []
    wanted = profile.sheet if profile is not None else None
    if wanted is not None and not (
        wanted in names or (isinstance(wanted, int) and 1 <= wanted <= len(names))
    ):
        raise FeedFileError(
            path,
            f"profile {profile.path.name if profile else ''}: no sheet {wanted!r}; the "
            f"workbook has {', '.join(map(repr, names))}",
        )
    for index, name in enumerate(names):
        if wanted is not None and wanted not in (name, index + 1):
            continue
        try:
            sheet = workbook.load_sheet(index, header_row=None, dtypes="string").to_polars()
        except Exception as exc:
            problems.append(f"sheet {name!r}: cannot be read ({exc})")
            continue
        if sheet.height == 0:
            problems.append(f"sheet {name!r}: empty")
            continue
        head = [list(r) for r in sheet.head(SCAN_ROWS + MAX_HEADER_ROWS).iter_rows()]
        try:
            header = _locate(head, contract, profile)
        except LayoutError as exc:
            problems.append(f"sheet {name!r}: {exc}")
            continue
        notes = [f"read sheet {name!r} (sheet {index + 1} of {len(names)})"] if len(names) > 1 else []
        notes += problems
        return sheet.slice(header.first_data_row), header, header.first_data_row + 1, notes
    if len(names) == 1 or wanted is not None:
        raise FeedFileError(path, problems[0].split(": ", 1)[1] if problems else "the workbook has no sheet")
    raise FeedFileError(
        path, f"no sheet of the workbook holds a {contract.name} table: " + "; ".join(problems)
    )


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        df = pl.read_parquet(path)
    except Exception as exc:
        raise FeedFileError(path, f"not a readable Parquet file: {exc}") from exc
    return df.select(
        [
            pl.col(name).cast(pl.List(pl.Utf8)).list.join(";")
            if isinstance(dtype, pl.List)
            else pl.col(name).cast(pl.Utf8)
            for name, dtype in df.schema.items()
        ]
    )


def read_feed_file(path: Path, contract: FeedContract, profile: SourceProfile | None = None) -> RawFrame:
    """Read one file of ``contract``'s feed, as its source ``profile`` says where one applies.

    Raises :class:`FeedFileError` when the file as a whole is unusable."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FeedFileError(
            path,
            f"unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)}",
        )
    notes = [f"read with profile {profile.path.name}"] if profile is not None else []
    encoding = "binary"
    if suffix == ".parquet":
        df = _read_parquet(path)
        try:
            header, first_row = _locate([df.columns], contract, profile), 2
        except LayoutError as exc:
            raise FeedFileError(path, str(exc)) from exc
    elif suffix in TEXT_SUFFIXES:
        df, header, first_row, encoding = _read_text(path, contract, profile)
    else:
        df, header, first_row, sheet_notes = _read_spreadsheet(path, contract, profile)
        notes += sheet_notes
    return build_frame(df, header, first_row, contract, path, encoding, notes, profile)


# Words a total row or a footnote starts with (ingestion.layout): a cheap first pass over the leading
# cells, so only the few rows that might be one are classified cell by cell.
_SUSPECT = r"计|全|注|来源|说明|(?i)total|note|source"


def _additive_columns(
    contract: FeedContract, columns: Sequence[str], profile: SourceProfile | None
) -> list[str]:
    """The columns a total row sums: numbers with a unit that adds up (persons, 亿元, hours; not a year, which
    has no unit, nor a rate such as CNY per month), read from the file (a profile's constant is the same on
    the total row as on every other: it sums nothing)."""
    constants = set(profile.constants) if profile is not None else set()
    return [
        c.name
        for c in contract.columns
        if c.dtype in ("int", "float")
        and c.unit
        and " per " not in f" {c.unit} "
        and c.name in columns
        and c.name not in constants
    ]


def _kinds(df: pl.DataFrame) -> pl.Series:
    """The kind of each row (:func:`ingestion.layout.row_kind`): data, total, subtotal, note or empty."""
    cells = [pl.col(c) for c in df.columns]
    empty = pl.all_horizontal([c.is_null() | (c.str.len_bytes() == 0) for c in cells])
    suspect = pl.any_horizontal([c.str.contains(_SUSPECT).fill_null(False) for c in cells[:3]])
    flags = df.select(empty.alias("empty"), suspect.alias("suspect"))
    kinds = pl.when(flags["empty"]).then(pl.lit("empty")).otherwise(pl.lit("data"))
    kind = flags.select(kinds.alias("kind"))["kind"]
    suspects = (flags["suspect"] & ~flags["empty"]).arg_true()
    if suspects.len():
        rows = df[suspects].rows()
        kind = kind.scatter(suspects, [row_kind(r) for r in rows])
    return kind


def _ranges(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:10])) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _value(j: int, column: str, unit: str | None, factor: float) -> pl.Expr:
    """Column ``j`` as text, converted from ``unit`` to the contract column's unit (``factor`` ≠ 1)."""
    value = pl.col(f"c{j}").cast(pl.Utf8)
    if factor == 1.0:
        return value
    number = value.str.strip_chars()
    number = (
        pl.when(number.str.contains(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"))
        .then(number.str.replace_all(",", ""))
        .otherwise(number)
        .cast(pl.Float64, strict=False)
    )
    return pl.when(number.is_not_null()).then((number * factor).round(6).cast(pl.Utf8)).otherwise(value)


def build_frame(
    raw: pl.DataFrame,
    header: Header,
    first_row: int,
    contract: FeedContract,
    path: Path,
    encoding: str,
    notes: list[str],
    profile: SourceProfile | None = None,
) -> RawFrame:
    """The data rows under ``header`` with canonical names, units converted, total and note rows set aside;
    a profile's constants added and its wide columns unpivoted into rows."""
    warnings = list(notes)
    if header.start > 0 or header.depth > 1:
        lines = (
            f"rows {header.start + 1}-{header.first_data_row}"
            if header.depth > 1
            else f"row {header.start + 1}"
        )
        warnings.append(f"header found at {lines}")
    raw = raw.rename({old: f"c{j}" for j, old in enumerate(raw.columns)})
    width = raw.width
    unpivot = profile.unpivot if profile is not None else None
    wide = {normalise_header(k): v for k, v in (unpivot.columns if unpivot else {}).items()}
    wide_columns: list[tuple[int, str]] = []  # (column index, key value)
    selected: dict[str, pl.Expr] = {}

    def factor_of(j: int, text: str, column: str, unit: str | None) -> float:
        unit = unit or (profile.units.get(column) if profile is not None else None)
        try:
            factor = unit_factor(unit, contract.column(column))
        except LayoutError as exc:
            raise FeedFileError(path, str(exc)) from exc
        if factor != 1.0:
            warnings.append(f"column {column}: header {text!r} is in {unit}; values multiplied by {factor:g}")
        elif header.unit_assumed[j] and not (profile and column in profile.units):
            warnings.append(
                f"column {column}: header {text!r} states no unit; read in the contract's unit "
                f"({column_unit(contract.column(column))})"
            )
        return factor

    for j, (text, column, unit) in enumerate(zip(header.texts, header.columns, header.units, strict=True)):
        if unpivot is not None and normalise_header(text) in wide:
            wide_columns.append((j, wide[normalise_header(text)]))
            continue
        if column is None:
            if text:
                warnings.append(
                    f"column {text!r} is not part of the {contract.name} contract and was ignored"
                )
            continue
        if j >= width:
            selected[column] = pl.lit(None, dtype=pl.Utf8)
            continue
        selected[column] = _value(j, column, unit, factor_of(j, text, column, unit))
    for column, constant in (profile.constants if profile is not None else {}).items():
        selected[column] = pl.lit(constant, dtype=pl.Utf8)
    if unpivot is not None:
        missing = sorted(set(wide.values()) - {k for _, k in wide_columns})
        if missing:
            raise FeedFileError(
                path,
                f"profile {profile.path.name if profile else ''}: unpivot.columns names "
                f"header(s) not in the file for {', '.join(missing)}; found "
                f"{', '.join(repr(t) for t in header.texts if t)}",
            )
    parts = [selected]
    if unpivot is not None:
        parts = [
            selected
            | {
                unpivot.key: pl.lit(key, dtype=pl.Utf8),
                unpivot.value: _value(
                    j,
                    unpivot.value,
                    header.units[j],
                    factor_of(j, header.texts[j], unpivot.value, header.units[j]),
                ),
            }
            for j, key in wide_columns
        ]
    kinds = _kinds(raw)
    rows = raw.with_columns(
        kinds.alias("__kind"),
        pl.int_range(first_row, first_row + raw.height, dtype=pl.Int64).alias("source_row"),
    )
    frames = [rows.select(*[e.alias(c) for c, e in part.items()], "source_row", "__kind") for part in parts]
    df = frames[0]
    set_aside = df.filter(pl.col("__kind") != "data")
    if set_aside.height:
        for kind, label in (
            ("empty", "empty rows were skipped"),
            ("note", "footnote rows (注：…) were not read as data"),
            ("total", "total rows (合计/总计) were not read as data"),
            ("subtotal", "subtotal rows (小计) were not read as data"),
        ):
            numbers = set_aside.filter(pl.col("__kind") == kind)["source_row"].to_list()
            if numbers:
                warnings.append(f"rows {_ranges(numbers)}: {label}")
        if set_aside.filter(pl.col("__kind").is_in(["total", "subtotal"])).height:
            kept = df.filter(pl.col("__kind").is_in(["data", "total", "subtotal"]))
            numeric = _additive_columns(contract, kept.columns, profile)
            warnings += reconcile_totals(
                kept["__kind"].to_list(),
                kept.select(numeric).to_dicts(),
                numeric,
                kept["source_row"].to_list(),
            )
    df = pl.concat(frames, how="diagonal").filter(pl.col("__kind") == "data").drop("__kind")
    for col in contract.columns:
        if col.name not in df.columns:
            if not col.required:
                warnings.append(f"optional column {col.name!r} is absent: loaded as empty")
            df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(col.name))
    return RawFrame(
        frame=df.select("source_row", *contract.column_names), encoding=encoding, warnings=warnings
    )
