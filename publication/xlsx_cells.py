"""A worksheet whose cells below the header are given a column at a time and written as XML by polars.

xlsxwriter writes a workbook a cell at a time: a Python call to store each cell, and at ``close()`` a Python
call to write each one's XML. The lists workbooks hold ~2.2 million cells at scale M, and those two calls
were ~8 s of each list worker's ~10 s (docs/performance.md). :class:`ColumnarWorksheet` is an xlsxwriter
worksheet (its header row, column widths, formats, panes, filter and the rest of the workbook are
xlsxwriter's as before) that takes the cells of a column as polars series (:meth:`put_column`) and, at
``close()``, writes the rows of those cells as one string built by polars expressions: **the same XML
xlsxwriter writes for the same cells**, byte for byte — shared strings in the order xlsxwriter would number
them, numbers as its ``%.16G``, each cell's format (or its column's), a row's ``spans`` per block of 16
rows, formats numbered in the order xlsxwriter meets them. ``tests/unit/test_xlsx_cells.py`` holds
it to that: every kind of cell written both ways, the workbooks' parts compared.

It relies on xlsxwriter internals (``_write_rows``, the shared-string table, ``_check_dimensions``, a
format's ``_get_xf_index``) of xlsxwriter 3.3, to which pyproject.toml holds it; the comparison test fails if
a new version writes otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from enum import IntEnum
from typing import Any

import polars as pl
from xlsxwriter.format import Format
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import Worksheet


class Cell(IntEnum):
    """What a cell of a column holds (xlsxwriter's kinds of cell the lists write)."""

    NONE = 0  # no cell (a blank without a format: xlsxwriter stores nothing)
    BLANK = 1  # an empty cell with a format
    STRING = 2
    NUMBER = 3  # a number or a date (Excel's serial day number)


ROWS_AT_ONCE = 50_000  # rows rendered to one string at close()
_KIND, _TEXT, _FORMAT = "kind", "text", "format"
# a cell's XML after its reference and style, around its text (xlsxwriter's _write_cell)
_OPENING = {Cell.NONE: None, Cell.BLANK: "/>", Cell.STRING: ' t="s"><v>', Cell.NUMBER: "><v>"}
_CLOSING = {Cell.NONE: None, Cell.BLANK: "", Cell.STRING: "</v></c>", Cell.NUMBER: "</v></c>"}


def number_texts(values: Sequence[Any]) -> list[str | None]:
    """Numbers as xlsxwriter writes them into a cell (``f"{number:.16G}"``), ``None`` kept; a NaN or an
    infinity is refused as ``write_number`` refuses it."""
    texts: dict[Any, str] = {}  # (each distinct value formatted once)
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        key = (v, math.copysign(1.0, v)) if isinstance(v, float) else v  # -0.0 is written "-0"
        text = texts.get(key)
        if text is None:
            if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                raise TypeError(
                    "NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option"
                )
            text = texts[key] = f"{v:.16G}"
        out.append(text)
    return out


class ColumnarWorksheet(Worksheet):
    """An xlsxwriter worksheet whose cells from row 1 down are given by :meth:`put_column` (row 0, the header,
    and everything else through xlsxwriter's own calls)."""

    def __init__(self) -> None:
        super().__init__()
        self._formats: list[Format | None] = []
        self._format_ids: dict[int, int] = {}
        self._columns: dict[int, pl.DataFrame] = {}
        self._rows = 0

    def format_id(self, cell_format: Format | None) -> int:
        """The number :meth:`put_column`'s ``formats`` give ``cell_format`` by (``None``: the cell has no
        format of its own and takes its column's, as in xlsxwriter)."""
        key = id(cell_format)
        if key not in self._format_ids:
            self._format_ids[key] = len(self._formats)
            self._formats.append(cell_format)
        return self._format_ids[key]

    def put_column(self, col: int, kinds: pl.Series, texts: pl.Series, formats: pl.Series) -> None:
        """Column ``col``'s cells in rows 1, 2, …: ``kinds`` (:class:`Cell`), ``texts`` (a string's text, a
        number's from :func:`number_texts`; null otherwise), ``formats`` (:meth:`format_id`s). As xlsxwriter's
        ``write_string`` does, each string is numbered in the workbook's shared strings, in row order, and
        truncated to Excel's 32,767 UTF-16 units."""
        if col in self._columns:
            raise ValueError(f"column {col} is already written")
        frame = pl.DataFrame(
            {
                _KIND: kinds.cast(pl.Int8),
                _TEXT: texts.cast(pl.String),
                _FORMAT: formats.cast(pl.Int32),
            }
        )
        if self._rows and frame.height != self._rows:
            raise ValueError(f"column {col} has {frame.height} rows, the others {self._rows}")
        self._rows = frame.height
        is_string = pl.col(_KIND) == Cell.STRING
        strings = frame.filter(is_string)[_TEXT]
        if strings.null_count():
            raise ValueError(f"column {col}: a string cell without text")
        if (strings.str.len_chars() > self.xls_strmax // 2).any():  # (only these can exceed the limit)
            strings = strings.map_elements(self._truncated, return_dtype=pl.String)
        table = self.str_table
        indices = {s: str(table._get_shared_string_index(s)) for s in strings.unique(maintain_order=True)}
        table.count += strings.len() - len(indices)  # xlsxwriter counts a call a cell
        if indices:
            numbered = strings.replace_strict(indices, return_dtype=pl.String)
            nth = (is_string.cast(pl.Int64).cum_sum() - 1).clip(lower_bound=0)
            frame = frame.with_columns(  # a string cell's text is its number in the shared strings
                pl.when(is_string).then(pl.lit(numbered).gather(nth)).otherwise(pl.col(_TEXT)).alias(_TEXT)
            )
        last = frame[_KIND].ne(Cell.NONE).arg_true()
        if last.len():
            self._check_dimensions(int(last[-1]) + 1, col)
        self._columns[col] = frame

    def _truncated(self, string: str) -> str:
        return _utf16_truncate(string, self.xls_strmax) if _utf16_len(string) > self.xls_strmax else string

    # -- writing, at close() ---------------------------------------------------------------------------------

    def _write_rows(self) -> None:
        if not self._columns or not self._rows:
            super()._write_rows()
            return
        if any(row > 0 for row, cells in self.table.items() if cells):
            raise ValueError(f"{self.name}: a cell below the header written cell by cell beside put_column")
        if any(row > 0 for row in self.row_info):  # (set_row: heights, formats, hidden rows are not written)
            raise ValueError(f"{self.name}: set_row below the header beside put_column")
        unheaded = set(self._columns) - {
            col for col, cell in self.table.get(0, {}).items() if cell is not None
        }
        if unheaded:  # (the header row's span and the sheet's dimension count the header's cells)
            raise ValueError(
                f"{self.name}: columns {sorted(unheaded)} given by put_column have no header cell"
            )
        last: int = self.dim_rowmax  # type: ignore[has-type]
        self.dim_rowmax = 0  # the header row: xlsxwriter's
        try:
            super()._write_rows()
        finally:
            self.dim_rowmax = last
        for text in self._row_chunks():
            self.fh.write(text)

    def _style_attributes(self) -> dict[tuple[int, int], str]:
        """`` s="n"`` of each (column, format id) present, formats numbered as xlsxwriter meets them: row
        by row, a row's cells left to right (a format first seen in these rows gets the next number)."""
        firsts = []
        for col, frame in self._columns.items():
            used = (
                frame.with_row_index("i")
                .filter(pl.col(_KIND) != Cell.NONE)
                .group_by(_FORMAT)
                .agg(pl.col("i").min())
            )
            firsts += [(i, col, f) for f, i in used.iter_rows()]
        attributes = {}
        for _, col, f in sorted(firsts):
            cell_format = self._formats[f] or self._column_format(col)
            attributes[(col, f)] = f' s="{cell_format._get_xf_index()}"' if cell_format else ""
        return attributes

    def _column_format(self, col: int) -> Format | None:
        info = self.col_info.get(col)
        return info.column_format if info is not None else None

    def _row_chunks(self) -> Iterator[str]:
        """The ``<row>`` elements of rows 1, 2, …, :data:`ROWS_AT_ONCE` rows to a string (a sheet of a million
        rows is not one string in memory)."""
        styles = self._style_attributes()
        number = (pl.int_range(2, self._rows + 2, eager=True)).cast(pl.String)  # Excel's row of row 1, …
        frame = pl.DataFrame({"row": number, "i": pl.int_range(1, self._rows + 1, eager=True)})
        cells, present = [], []
        for col, cells_of in sorted(self._columns.items()):
            letter, k, t, f = xl_col_to_name(col), f"k{col}", f"t{col}", f"f{col}"
            style = {fid: styles.get((col, fid), "") for fid in range(len(self._formats))}
            frame = frame.with_columns(
                cells_of[_KIND].alias(k),
                cells_of[_TEXT].alias(t),
                cells_of[_FORMAT].replace_strict(style, return_dtype=pl.String, default="").alias(f),
            )
            cells.append(  # a cell without a kind (Cell.NONE) is null: no cell
                pl.concat_str(
                    pl.lit(f'<c r="{letter}'),
                    pl.col("row"),
                    pl.lit('"'),
                    pl.col(f),
                    pl.col(k).replace_strict(_OPENING, return_dtype=pl.String),
                    pl.col(t).fill_null(""),
                    pl.col(k).replace_strict(_CLOSING, return_dtype=pl.String),
                )
            )
            present.append(pl.when(pl.col(k) != Cell.NONE).then(pl.lit(col)))
        frame = frame.with_columns(
            pl.min_horizontal(present).alias("first"),
            pl.max_horizontal(present).alias("last"),
            (pl.col("i") // 16).alias("block"),
        )
        # a row's spans: the first and last column with a cell in its block of 16 rows (the header's
        # cells in the first block)
        header = [col for col, cell in self.table.get(0, {}).items() if cell is not None]
        blocks = frame.select("block", "first", "last")
        if header:
            blocks = pl.concat(
                [blocks, pl.DataFrame({"block": [0], "first": [min(header)], "last": [max(header)]})],
                how="vertical_relaxed",
            )
        spans = blocks.group_by("block").agg(
            pl.concat_str(
                (pl.col("first").min() + 1).cast(pl.String),
                pl.lit(":"),
                (pl.col("last").max() + 1).cast(pl.String),
            ).alias("spans")
        )
        frame = frame.join(spans, on="block", how="left", maintain_order="left")
        for start in range(0, frame.height, ROWS_AT_ONCE):
            yield (
                frame.slice(start, ROWS_AT_ONCE)
                .filter(pl.col("first").is_not_null())
                .select(
                    pl.concat_str(
                        pl.lit('<row r="'),
                        pl.col("row"),
                        pl.lit('" spans="'),
                        pl.col("spans"),
                        pl.lit('">'),
                        pl.concat_str(cells, ignore_nulls=True),
                        pl.lit("</row>"),
                    ).str.join("")
                )
                .item()
            )


# Excel's serial day number of 1970-01-01 (polars counts a date's days from it); before 1900-03-01 Excel's
# serials count a 29 February 1900 that never was (xlsxwriter's own conversion knows it: such dates go
# through it)
_EXCEL_SERIAL_1970 = 25_569
_FIRST_PLAIN_SERIAL = dt.date(1900, 3, 1)


def numbers_as_texts(values: pl.Series) -> pl.Series:
    """A column of numbers as :func:`number_texts` writes them (a decimal as a float, a single-precision
    float as the double it is), each distinct value formatted once; null where null."""
    if values.dtype == pl.Float32:
        values = values.cast(pl.Float64)
    keys = values.cast(pl.String)  # exact for integers and decimals, a float's shortest round trip
    distinct = keys.drop_nulls().unique().to_list()
    parse = int if values.dtype.is_integer() else float
    shown = dict(zip(distinct, number_texts([parse(k) for k in distinct]), strict=True))
    return keys.replace_strict(shown, return_dtype=pl.String) if shown else keys


def date_texts(worksheet: Worksheet, dates: pl.Series) -> pl.Series:
    """A column of dates as the numbers xlsxwriter writes for them (Excel's serial day numbers), null where
    null."""
    early = dates.drop_nulls().min()
    if early is not None and early < _FIRST_PLAIN_SERIAL:  # type: ignore[operator]
        return pl.Series(number_texts(excel_serials(worksheet, dates)), dtype=pl.String)
    return (dates.cast(pl.Int64) + _EXCEL_SERIAL_1970).cast(pl.String)


def excel_serials(worksheet: Worksheet, dates: pl.Series) -> list[float | None]:
    """Dates as the serial day numbers xlsxwriter's ``write_datetime`` stores (its own conversion, which
    knows Excel's 29 February 1900 and the 1904 system), ``None`` kept."""
    return [
        None if d is None else worksheet._convert_date_time(dt.datetime.combine(d, dt.time()))
        for d in dates.to_list()
    ]
