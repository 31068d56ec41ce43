"""publication/xlsx_cells.py writes the XML xlsxwriter writes: the same cells written both ways, through
xlsxwriter's own calls a cell at a time and through ``ColumnarWorksheet.put_column``, give workbooks whose
parts are equal byte for byte (shared strings, styles, the sheets' XML)."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter

from publication import xlsx_cells
from publication.xlsx_cells import Cell, ColumnarWorksheet, excel_serials, number_texts

CREATED = dt.datetime(2026, 1, 1, 8, 0)
TEXTS = [
    "0101",
    "苏州市",
    "",
    " leading space",
    "trailing space ",
    'a & b < c > d "quoted"',
    "line\nbreak",
    "control \x01 char",
    "_x0041_ looks escaped",
    "有限公司（苏州）",
]
NUMBERS: list[Any] = [0, 3, -12, 2**60, 0.1 + 0.2, 1e-7, 1e20, -2.5, 45_123.0, 1234567.891]


def _columns(rng: random.Random, rows: int) -> list[list[tuple[Cell, Any, int | None]]]:
    """Columns of cells (kind, value, format number or None), every kind mixed in most of them."""
    out = []
    for c in range(rng.randint(1, 7)):
        column = []
        for _ in range(rows):
            kind = rng.choice(list(Cell))
            value = (
                rng.choice([*TEXTS, f"text {rng.randint(0, 30)}"])
                if kind == Cell.STRING
                else rng.choice(NUMBERS)
                if kind == Cell.NUMBER
                else None
            )
            fmt = rng.choice([None, 0, 1, 2]) if kind != Cell.BLANK else rng.choice([0, 1, 2])
            column.append((kind, value, fmt))
        if c == 0 and rows:  # a column of one kind, as most of the lists' columns are
            column = [(Cell.STRING, rng.choice(TEXTS), 1) for _ in range(rows)]
        out.append(column)
    return out


def _workbook(path: Path, columns: list[list[tuple[Cell, Any, int | None]]], columnar: bool) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": CREATED})
    formats = [
        workbook.add_format({"num_format": "0"}),
        workbook.add_format({"num_format": "@"}),
        workbook.add_format({"num_format": "@", "align": "center", "font_color": "#808080"}),
    ]
    column_formats = [workbook.add_format({"num_format": "yyyy-mm-dd"}), None, formats[1]]
    header = workbook.add_format({"bold": True})
    first = workbook.add_worksheet("说明")  # an earlier sheet: its strings and formats are numbered first
    first.write_string(0, 0, "项目", header)
    first.write_string(1, 0, "苏州市", formats[1])
    first.write_number(1, 1, 7)
    ws = workbook.add_worksheet("清单", worksheet_class=ColumnarWorksheet if columnar else None)
    for j, cells in enumerate(columns):
        if isinstance(ws, ColumnarWorksheet):
            ws.put_column(
                j,
                pl.Series([k for k, _, _ in cells], dtype=pl.Int8),
                pl.Series(
                    [v if k == Cell.STRING else number_texts([v])[0] for k, v, _ in cells], dtype=pl.String
                ),
                pl.Series(
                    [ws.format_id(None if f is None else formats[f]) for _, _, f in cells], dtype=pl.Int32
                ),
            )
        else:
            for i, (kind, value, f) in enumerate(cells, start=1):
                cell_format = None if f is None else formats[f]
                if kind == Cell.STRING:
                    ws.write_string(i, j, value, cell_format)
                elif kind == Cell.NUMBER:
                    ws.write_number(i, j, value, cell_format)
                elif kind == Cell.BLANK:
                    ws.write_blank(i, j, None, cell_format)
        ws.write_string(0, j, f"列{j}", header)
        ws.set_column(j, j, 12, column_formats[j % len(column_formats)])
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, max(len(columns[0]), 1), len(columns) - 1)
    workbook.close()


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("seed", range(12))
def test_the_same_cells_give_the_same_workbook_as_xlsxwriters_own_calls(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    rows = [0, 1, 15, 16, 17, 40, 100, 3][seed % 8]
    columns = _columns(rng, rows)
    _workbook(tmp_path / "cells.xlsx", columns, columnar=False)
    _workbook(tmp_path / "columns.xlsx", columns, columnar=True)
    expected, got = _parts(tmp_path / "cells.xlsx"), _parts(tmp_path / "columns.xlsx")
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == expected[name], name


def test_rows_without_cells_and_blocks_without_rows_are_left_out(tmp_path: Path) -> None:
    """A row whose cells are all none has no <row>; a block of 16 rows without one has no span."""
    none = (Cell.NONE, None, None)
    column = [(Cell.NUMBER, 1, 0)] + [none] * 40 + [(Cell.STRING, "末行", 1)] + [none] * 3
    _workbook(tmp_path / "cells.xlsx", [column], columnar=False)
    _workbook(tmp_path / "columns.xlsx", [column], columnar=True)
    assert _parts(tmp_path / "columns.xlsx") == _parts(tmp_path / "cells.xlsx")


def test_a_string_over_excels_limit_is_cut_as_xlsxwriter_cuts_it(tmp_path: Path) -> None:
    long = "长" * 20_000 + "a" * 20_000  # 40,000 UTF-16 units
    column = [(Cell.STRING, long, 1), (Cell.STRING, "短", 1)]
    _workbook(tmp_path / "cells.xlsx", [column], columnar=False)
    _workbook(tmp_path / "columns.xlsx", [column], columnar=True)
    assert _parts(tmp_path / "columns.xlsx") == _parts(tmp_path / "cells.xlsx")


def test_numbers_as_xlsxwriter_writes_them_and_nan_refused() -> None:
    assert number_texts([3, 0.1 + 0.2, 1e20, 2**60, None, 45_123.0, 0.0, -0.0]) == [
        "3",
        "0.3",
        "1E+20",
        "1.152921504606847E+18",
        None,
        "45123",
        "0",
        "-0",  # as xlsxwriter writes it, though 0.0 == -0.0
    ]
    with pytest.raises(TypeError, match="NAN/INF"):
        number_texts([float("nan")])


def test_dates_before_march_1900_take_excels_leap_day(tmp_path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(tmp_path / "d.xlsx"))
    ws = workbook.add_worksheet()
    dates = pl.Series([dt.date(1900, 2, 28), dt.date(1900, 3, 1), None])
    assert excel_serials(ws, dates) == [59.0, 61.0, None]
    workbook.close()


def test_a_cell_written_below_the_header_beside_columns_is_refused(tmp_path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = workbook.add_worksheet("s", worksheet_class=ColumnarWorksheet)
    assert isinstance(ws, ColumnarWorksheet)
    ws.put_column(0, pl.Series([Cell.NUMBER]), pl.Series(["1"]), pl.Series([ws.format_id(None)]))
    ws.write_number(1, 1, 5)
    with pytest.raises(ValueError, match="beside put_column"):
        workbook.close()


def test_rows_rendered_a_part_at_a_time_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet's rows are made into strings ROWS_AT_ONCE at a time: parts of 7 rows, which cut the blocks of
    16 rows that spans are counted in, give the same workbook."""
    monkeypatch.setattr(xlsx_cells, "ROWS_AT_ONCE", 7)
    columns = _columns(random.Random(99), 100)
    _workbook(tmp_path / "cells.xlsx", columns, columnar=False)
    _workbook(tmp_path / "columns.xlsx", columns, columnar=True)
    assert _parts(tmp_path / "columns.xlsx") == _parts(tmp_path / "cells.xlsx")


def test_a_column_without_a_header_or_a_row_set_below_it_is_refused(tmp_path: Path) -> None:
    """What the rows' XML does not hold (a column's span and dimension without its header cell, a row's own
    height or format) is refused rather than written otherwise than xlsxwriter would."""
    for add in ("no header", "set_row"):
        workbook = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
        ws = workbook.add_worksheet("s", worksheet_class=ColumnarWorksheet)
        assert isinstance(ws, ColumnarWorksheet)
        ws.put_column(0, pl.Series([Cell.NUMBER]), pl.Series(["1"]), pl.Series([ws.format_id(None)]))
        if add == "set_row":
            ws.write_string(0, 0, "列")
            ws.set_row(1, 30)
        with pytest.raises(ValueError, match="no header cell" if add == "no header" else "set_row"):
            workbook.close()
