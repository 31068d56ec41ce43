"""Readers: a feed file (CSV in UTF-8 or GB18030/GBK, Excel .xlsx, Parquet) to a frame of text columns.

Readers do no validation beyond the file's shape: every value comes back as text (or null),
with canonical column names and ``source_row`` (the row number a person sees in the file,
header = row 1). Typing and rules are applied by :mod:`ingestion.validate`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ingestion.contracts import FeedContract

SUPPORTED_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet")
_CHUNK = 1 << 20


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


def normalise_header(name: str) -> str:
    """Header text to a lookup key: NFKC (full-width to ASCII), no BOM or spaces, lower case."""
    text = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "")
    return "".join(text.split()).lower()


def header_map(contract: FeedContract) -> dict[str, str]:
    """Every accepted header spelling (English name and Chinese aliases) to the canonical column name."""
    mapping: dict[str, str] = {}
    for col in contract.columns:
        for spelling in (col.name, *col.aliases):
            mapping[normalise_header(spelling)] = col.name
    return mapping


def _check_decodes(path: Path, encoding: str) -> None:
    """Raise UnicodeDecodeError unless every byte of the file decodes; streams, so memory stays flat."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)


def detect_encoding(path: Path) -> str:
    """``utf-8`` (with or without BOM) when every byte decodes as UTF-8, else ``gb18030`` (a superset of
    GBK)."""
    try:
        _check_decodes(path, "utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        _check_decodes(path, "gb18030")
    except UnicodeDecodeError as exc:
        raise FeedFileError(path, f"text is neither UTF-8 nor GB18030/GBK (byte offset {exc.start})") from exc
    return "gb18030"


def _read_csv(path: Path) -> tuple[pl.DataFrame, str]:
    """UTF-8 is read as it is; any other file is decoded as GB18030 once, in memory (the check that every
    byte decodes and the transcoding are the same pass; no temporary file)."""
    try:
        _check_decodes(path, "utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if path.stat().st_size == 0:
            raise FeedFileError(path, "file is empty (expected a header row)")
        return _read_csv_utf8(path), "utf-8"
    try:
        text = path.read_bytes().decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FeedFileError(path, f"text is neither UTF-8 nor GB18030/GBK (byte offset {exc.start})") from exc
    return _read_csv_utf8(io.BytesIO(text.encode("utf-8")), shown_as=path), "gb18030"


def _read_csv_utf8(path: Path | io.BytesIO, shown_as: Path | None = None) -> pl.DataFrame:
    try:
        return pl.read_csv(path, infer_schema=False, truncate_ragged_lines=False, raise_if_empty=True)
    except pl.exceptions.NoDataError as exc:
        raise FeedFileError(shown_as or path, "file is empty (expected a header row)") from exc
    except pl.exceptions.ComputeError as exc:
        raise FeedFileError(shown_as or path, f"not a well-formed CSV file: {exc}") from exc


def _read_excel(path: Path) -> pl.DataFrame:
    try:
        return pl.read_excel(path, engine="calamine", infer_schema_length=0, sheet_id=1)
    except Exception as exc:  # fastexcel raises its own error types
        raise FeedFileError(path, f"cannot read the first sheet as a table: {exc}") from exc


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


def read_feed_file(path: Path, contract: FeedContract) -> RawFrame:
    """Read one file of ``contract``'s feed; raise :class:`FeedFileError` when the file as a whole is
    unusable."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FeedFileError(
            path, f"unsupported file type {suffix!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    encoding = "binary"
    if suffix in (".csv", ".txt"):
        df, encoding = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        df = _read_excel(path)
    else:
        df = _read_parquet(path)
    return canonicalise_columns(df, contract, path, encoding)


def canonicalise_columns(df: pl.DataFrame, contract: FeedContract, path: Path, encoding: str) -> RawFrame:
    """Rename headers to canonical names, add missing optional columns, reject missing required ones."""
    mapping = header_map(contract)
    renames: dict[str, str] = {}
    warnings: list[str] = []
    for original in df.columns:
        canonical = mapping.get(normalise_header(original))
        if canonical is None:
            warnings.append(
                f"column {original!r} is not part of the {contract.name} contract and was ignored"
            )
        elif canonical in renames.values():
            raise FeedFileError(path, f"columns map twice onto {canonical!r} (second header: {original!r})")
        else:
            renames[original] = canonical
    missing_required = [c.name for c in contract.columns if c.required and c.name not in renames.values()]
    if missing_required:
        accepted = "; ".join(
            f"{name} (or {', '.join(contract.column(name).aliases)})" for name in missing_required
        )
        raise FeedFileError(
            path,
            f"missing required column(s) {', '.join(missing_required)}: expected headers {accepted}; "
            f"found {', '.join(map(repr, df.columns))}",
        )
    df = df.select([pl.col(o).cast(pl.Utf8).alias(c) for o, c in renames.items()])
    for col in contract.columns:
        if col.name not in df.columns:
            warnings.append(f"optional column {col.name!r} is absent: loaded as empty")
            df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(col.name))
    df = df.select(contract.column_names).with_row_index("source_row", offset=2)
    df = df.with_columns(pl.col("source_row").cast(pl.Int64))
    return RawFrame(frame=df, encoding=encoding, warnings=warnings)
