"""The lists offices circulate (清单): one Excel workbook per city and release, declared in ``lists.yml``.

Each workbook (``lists/<city_code>-<city name>.xlsx`` in the release folder) has a first sheet 说明 (the
release id and date, each list's definition, the disclosure rule) and one sheet per list declared in
``lists.yml``: the rows of a published table for that city, with Chinese headers, the header row frozen,
column widths fitted, codes written as text (``0101`` stays ``0101``), dates as dates.

The workbooks are written at publication from the tables of the release candidate — the published tables,
after disclosure control — so a masked cell is shown as masked (``masked`` in ``lists.yml``) from the row's
``suppressed_columns``, never recomputed. :func:`write_lists` runs inside ``publication.release.publish``
before the release folder becomes visible: a failure here publishes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import xlsxwriter
import yaml

from core.processes import spawned_pool
from publication.xlsx_cells import Cell, ColumnarWorksheet, date_texts, number_texts, numbers_as_texts
from transformation.marts import SUPPRESSED_COLUMNS, MartDeclaration, declarations

LISTS_FILE = Path(__file__).with_name("lists.yml")
MAX_WIDTH = 60  # characters; longer text wraps in the cell's width
EXCEL_MAX_ROWS = 1_048_576
SHEET_NAME_MAX = 31
_LEADING_CHINESE = re.compile(r"^([\u3400-\u9fff][^\s]*)\s")
_PARENTHESISED_CHINESE = re.compile(r"[(（]([\u3400-\u9fff][\u3400-\u9fff、]*)[)）]")


class ListDeclarationError(ValueError):
    """``lists.yml`` declares something that cannot be written (names the sheet and what is wrong)."""


@dataclass(frozen=True)
class ListColumn:
    column: str
    header: str
    format: str | None = None
    labels: Mapping[Any, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListSheet:
    sheet: str
    table: str
    city_column: str
    definition: str
    columns: tuple[ListColumn, ...]
    sort: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    where: Mapping[str, Any] = field(default_factory=dict)
    max_rows: int = EXCEL_MAX_ROWS - 1  # a city's first rows in ``sort`` order; the rest only in the release


@dataclass(frozen=True)
class Workbook:
    path: str  # a format with {city_code} and {city_name}
    cities_table: str
    cities_code: str
    cities_name: str
    about_sheet: str
    masked: str
    booleans: Mapping[bool, str]
    sheets: tuple[ListSheet, ...]


# --- the declaration --------------------------------------------------------------------------------------


def header_of(description: str) -> str | None:
    """The Chinese header a dbt column description starts with (``需求人数 People wanted`` → ``需求人数``), or
    the Chinese term it gives in parentheses (``Region name (地区名称).`` → ``地区名称``)."""
    if m := _LEADING_CHINESE.match(description.strip() + " "):
        return m.group(1)
    if m := _PARENTHESISED_CHINESE.search(description):
        return m.group(1)
    return None


def _sort(sheet: str, value: Any) -> tuple[tuple[str, bool], ...]:
    out = []
    for item in value or []:
        parts = str(item).split()
        if len(parts) not in (1, 2) or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise ListDeclarationError(f"{sheet}: sort entry {item!r} must be 'column' or 'column desc'")
        out.append((parts[0], len(parts) == 2 and parts[1].lower() == "desc"))
    return tuple(out)


def _sheet(raw: Mapping[str, Any], models: Mapping[str, MartDeclaration]) -> ListSheet:
    name = str(raw.get("sheet") or "")
    if not name or len(name) > SHEET_NAME_MAX or any(c in name for c in "[]:*?/\\"):
        raise ListDeclarationError(
            f"sheet {name!r}: a sheet name has 1–{SHEET_NAME_MAX} characters, none of []:*?/\\"
        )
    missing = {"table", "city_column", "columns"} - set(raw)
    if missing:
        raise ListDeclarationError(f"{name}: missing {sorted(missing)}")
    table = raw["table"]
    model = models.get(table)
    if model is None or not model.published:
        raise ListDeclarationError(f"{name}: {table} is not a published table (config.meta.published)")
    documented = {c.name: c for c in model.columns}
    columns = []
    for spec in raw["columns"]:
        spec = {"column": spec} if isinstance(spec, str) else dict(spec)
        column = spec["column"]
        if column not in documented:
            raise ListDeclarationError(f"{name}: {table} documents no column {column!r}")
        header = spec.get("header") or header_of(documented[column].description)
        if not header:
            raise ListDeclarationError(
                f"{name}: {table}.{column}'s description starts with no Chinese term; give a header"
            )
        columns.append(ListColumn(column, str(header), spec.get("format"), dict(spec.get("labels") or {})))
    headers = [c.header for c in columns]
    if len(set(headers)) != len(headers):
        raise ListDeclarationError(f"{name}: two columns have the same header: {headers}")
    sort = _sort(name, raw.get("sort"))
    where = dict(raw.get("where") or {})
    for column in [raw["city_column"], *where, *(c for c, _ in sort)]:
        if column not in documented:
            raise ListDeclarationError(f"{name}: {table} documents no column {column!r}")
    max_rows = raw.get("max_rows", EXCEL_MAX_ROWS - 1)
    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or not 0 < max_rows < EXCEL_MAX_ROWS:
        raise ListDeclarationError(
            f"{name}: max_rows {max_rows!r} must be a whole number from 1 to {EXCEL_MAX_ROWS - 1} "
            "(an Excel sheet's rows below its header)"
        )
    return ListSheet(
        name, table, raw["city_column"], model.description, tuple(columns), sort, where, max_rows
    )


def load_workbook_declaration(path: Path = LISTS_FILE, manifest: Path | None = None) -> Workbook:
    """``lists.yml``, checked against the published tables' dbt declarations (``manifest``)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    models = {d.name: d for d in declarations(manifest)}
    book = raw["workbook"]
    sheets = tuple(_sheet(s, models) for s in raw["sheets"])
    names = [s.sheet for s in sheets] + [book["about_sheet"]]
    if len(set(names)) != len(names):
        raise ListDeclarationError(f"{path}: two sheets have the same name: {names}")
    cities = book["cities"]
    return Workbook(
        path=book["path"],
        cities_table=cities["table"],
        cities_code=cities["code"],
        cities_name=cities["name"],
        about_sheet=book["about_sheet"],
        masked=str(book["masked"]),
        booleans={bool(k): str(v) for k, v in (book.get("booleans") or {True: "是", False: "否"}).items()},
        sheets=sheets,
    )


# --- reading the candidate ----------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sheet_rows(
    con: duckdb.DuckDBPyConnection, sheet: ListSheet, cities: Sequence[str]
) -> tuple[dict[str, pl.DataFrame], dict[str, int]]:
    """Each of ``cities``' first ``sheet.max_rows`` rows of the sheet, in its order (its columns, the city and
    ``suppressed_columns``; no rows, an empty frame), and each city's count of rows on the list.

    The cities whose rows all fit are read by one query. The cities with more rows than the sheet holds are
    read either by an ``order by … limit`` query each (DuckDB's top-N, which keeps a city's first rows as
    it reads the table) or by one window over their rows (which sorts all of them), whichever reads less
    by :data:`SORTED_ROW_COST`: a top-N query reads the whole table, so a few large cities go one by one
    (at M, 企业需求清单's 2.0 million rows of which the sheets keep 130,000: 1.2 s → 0.5 s for half the
    cities, in each of two workers) and a national release's hundreds of cities by one window. Where the
    declared order is not total, which rows of a tie make the cut is DuckDB's choice."""
    selected = ", ".join(
        _quote(c)
        for c in dict.fromkeys([sheet.city_column, *(c.column for c in sheet.columns), SUPPRESSED_COLUMNS])
    )
    order = ", ".join(f"{_quote(c)} {'desc' if d else 'asc'} nulls last" for c, d in sheet.sort) or "1"
    city = _quote(sheet.city_column)
    where, parameters = _sheet_filter(sheet)
    totals = dict(
        con.execute(
            f"select {city}, count(*) from {where} and {city} in (select unnest(?::varchar[])) group by all",
            [*parameters, list(cities)],
        ).fetchall()
    )
    capped = [code for code in cities if totals.get(code, 0) > sheet.max_rows]
    whole = [code for code in cities if code not in capped]

    def in_order(codes: list[str], sql: str) -> dict[str, pl.DataFrame]:
        every = con.execute(sql, [*parameters, codes]).pl()
        parts = every.partition_by(sheet.city_column, as_dict=True, maintain_order=True)
        return {code: parts.get((code,), every.clear()) for code in codes}

    rows: dict[str, pl.DataFrame] = {}
    if whole:  # (a city without rows among them: the frame's schema for its empty one)
        rows = in_order(
            whole,
            f"select {selected} from {where} and {city} in (select unnest(?::varchar[])) order by {order}",
        )
    if capped:
        (table_rows,) = con.execute(f"select count(*) from {where}", parameters).fetchone() or (0,)
        if len(capped) * table_rows <= SORTED_ROW_COST * sum(totals[code] for code in capped):
            first = (
                f"select {selected} from {where} and {city} = ? order by {order} limit {int(sheet.max_rows)}"
            )
            rows |= {code: con.execute(first, [*parameters, code]).pl() for code in capped}
        else:
            rows |= in_order(
                capped,
                f"select {selected} from (select *, row_number() over (partition by {city} order by {order}) "
                f"as {_RANK} from {where} and {city} in (select unnest(?::varchar[]))) "
                f"where {_RANK} <= {int(sheet.max_rows)} order by {order}",
            )
    return {code: rows[code] for code in cities}, totals


# A row sorted by a window over the capped cities' rows costs about as much as twenty rows read by a city's
# top-N query (L's release, 2.0M rows, 13 cities: a top-N query 0.105 s, the window 2.07 s)
SORTED_ROW_COST = 20
_RANK = '"__row_in_city"'  # a row's place in its city (the window's column; no mart has one so named)


def _city_codes(con: duckdb.DuckDBPyConnection, sheet: ListSheet) -> list[str]:
    where, parameters = _sheet_filter(sheet)
    sql = f"select distinct {_quote(sheet.city_column)} from {where}"
    return [code for (code,) in con.execute(sql, parameters).fetchall()]


def _sheet_filter(sheet: ListSheet) -> tuple[str, list[Any]]:
    """``<table> where …``: the sheet's rows (its ``where``, a city given) and the values of the filter."""
    where = " and ".join(f"{_quote(c)} = ?" for c in sheet.where) or "true"
    city = _quote(sheet.city_column)
    return f"main.{_quote(sheet.table)} where {where} and {city} is not null", list(sheet.where.values())


# --- writing ------------------------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Characters as Excel's column width counts them: a CJK (wide) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _shown(value: Any, column: ListColumn, booleans: Mapping[bool, str]) -> Any:
    if value is None:
        return None
    if column.labels and value in column.labels:
        return column.labels[value]
    if isinstance(value, bool):
        return booleans[value]
    return value


def masked_cells(rows: pl.DataFrame, sheet: ListSheet) -> int:
    """Cells of the sheet's columns that the release masked (named in the row's ``suppressed_columns``)."""
    if not rows.height:
        return 0
    masks = masked_by_column(rows, sheet)
    return sum(int(masks[c.column].sum()) for c in sheet.columns)


def masked_by_column(rows: pl.DataFrame, sheet: ListSheet) -> pl.DataFrame:
    """For each of the sheet's columns (once, shown twice or not), whether the row's cell is masked (the
    column is named in the row's ``suppressed_columns``)."""
    listed = pl.col(SUPPRESSED_COLUMNS).fill_null("").str.split(",")
    columns = dict.fromkeys(c.column for c in sheet.columns)
    return rows.select(listed.list.contains(c).alias(c) for c in columns)


@dataclass(frozen=True)
class SheetWritten:
    sheet: str
    table: str
    rows: int  # rows on the sheet
    masked_cells: int
    rows_total: int  # the city's rows of the list; more than ``rows`` when the sheet holds its first max_rows


def column_width(header: str, shown: Sequence[str]) -> int:
    """The width a column needs for its header and its distinct text values (CJK characters count two)."""
    distinct = set(shown)
    longest = max(map(len, distinct), default=0)  # none shorter than half of it can be wider
    return max([display_width(header), *(display_width(v) for v in distinct if 2 * len(v) >= longest)])


def _number_width(number: float | int) -> int:
    """Characters a number takes with two decimals and thousands separators (integers as they are)."""
    return len(f"{number:,.2f}") if isinstance(number, float) else len(str(number))


def _write_sheet(
    workbook: xlsxwriter.Workbook,
    formats: Mapping[str, Any],
    book: Workbook,
    sheet: ListSheet,
    rows: pl.DataFrame,
    total: int,
) -> SheetWritten:
    """``rows`` (a city's first rows of the list, in order; :func:`sheet_rows`) as one sheet: the first
    ``sheet.max_rows`` of them; ``total``: the city's rows on the list.

    Each column's cells are prepared at once (text, dates as Excel's serial numbers, numbers as xlsxwriter
    writes them) and handed to the sheet as columns (:mod:`publication.xlsx_cells`, the XML xlsxwriter
    writes, made by polars); a column shown as words (labels, booleans) or of another kind is prepared
    value by value. At M the workbooks hold 2.2 million cells: xlsxwriter's two calls a cell were most of
    their time (docs/performance.md)."""
    rows = rows.head(sheet.max_rows)
    ws = workbook.add_worksheet(sheet.sheet, worksheet_class=ColumnarWorksheet)
    assert isinstance(ws, ColumnarWorksheet)
    masked_cells = 0
    mark, is_masked = pl.lit(book.masked), pl.col("masked")
    masks = masked_by_column(rows, sheet)
    for j, column in enumerate(sheet.columns):
        series = rows[column.column]
        masked = masks[column.column].alias("masked")
        masked_cells += int(masked.sum())
        dtype = series.dtype
        is_text = dtype == pl.String
        number_format = column.format or ("0" if dtype.is_integer() else None)
        cell = (
            formats["text"]
            if is_text
            else formats["date"]
            if dtype == pl.Date
            else workbook.add_format({"num_format": number_format})
            if number_format
            else None
        )
        width = display_width(column.header)
        shown = series.filter(~masked)
        texts: list[str] = [book.masked] if masked.any() else []
        plain = is_text or dtype == pl.Date or dtype.is_numeric() or dtype == pl.Null
        if column.labels or not plain:  # words (labels, booleans) or another kind: one value at a time
            kinds: list[Cell] = []
            values: list[str | None] = []
            cell_formats: list[Any] = []
            numbers: list[float | int] = []
            for value, hidden in zip(series.to_list(), masked.to_list(), strict=True):
                if hidden:
                    kinds.append(Cell.STRING)
                    values.append(book.masked)
                    cell_formats.append(formats["masked"])
                    continue
                value = _shown(value, column, book.booleans)
                if value is None:
                    kinds.append(Cell.NONE if cell is None else Cell.BLANK)
                    values.append(None)
                    cell_formats.append(cell)
                elif isinstance(value, str):
                    kinds.append(Cell.STRING)
                    values.append(value)
                    cell_formats.append(formats["text"])
                    texts.append(value)
                elif isinstance(value, dt.date):
                    kinds.append(Cell.NUMBER)
                    day = value.date() if isinstance(value, dt.datetime) else value  # a timestamp as its date
                    values.append(date_texts(ws, pl.Series([day], dtype=pl.Date))[0])
                    cell_formats.append(formats["date"])
                    width = max(width, 10)
                else:
                    number = float(value) if isinstance(value, Decimal) else value
                    kinds.append(Cell.NUMBER)
                    values.append(number_texts([number])[0])
                    cell_formats.append(cell)
                    numbers.append(number)
            if numbers:
                width = max(width, _number_width(min(numbers)), _number_width(max(numbers)))
            ws.put_column(
                j,
                pl.Series(kinds, dtype=pl.Int8),
                pl.Series(values, dtype=pl.String),
                pl.Series([ws.format_id(f) for f in cell_formats], dtype=pl.Int32),
            )
        else:
            if is_text:
                texts += shown.drop_nulls().unique().to_list()
                cell_values, shown_as = series, formats["text"]  # codes stay text: no leading zero lost
            elif dtype == pl.Date:
                cell_values, shown_as = date_texts(ws, series), formats["date"]
                if shown.null_count() < shown.len():
                    width = max(width, 10)
            else:
                decimals = shown.cast(pl.Float64) if isinstance(dtype, pl.Decimal) else shown
                if decimals.null_count() < decimals.len():
                    # a number's width grows with its size and sign: the smallest or the largest is widest
                    low: Any = decimals.min()
                    high: Any = decimals.max()
                    width = max(width, _number_width(low), _number_width(high))
                cell_values, shown_as = numbers_as_texts(series), cell
            cells = pl.DataFrame({"value": cell_values, "masked": masked}).select(
                pl.when(is_masked)
                .then(pl.lit(Cell.STRING))
                .when(pl.col("value").is_null())
                .then(pl.lit(Cell.NONE if cell is None else Cell.BLANK))
                .otherwise(pl.lit(Cell.STRING if is_text else Cell.NUMBER))
                .alias("kind"),
                pl.when(is_masked).then(mark).otherwise(pl.col("value")).alias("text"),
                pl.when(is_masked)
                .then(pl.lit(ws.format_id(formats["masked"])))
                .when(pl.col("value").is_null())
                .then(pl.lit(ws.format_id(cell)))
                .otherwise(pl.lit(ws.format_id(shown_as)))
                .alias("format"),
            )
            ws.put_column(j, cells["kind"], cells["text"], cells["format"])
        width = max(width, column_width(column.header, texts))
        ws.write_string(0, j, column.header, formats["header"])
        ws.set_column(j, j, min(width, MAX_WIDTH) + 2, cell)
    ws.freeze_panes(1, 0)
    if sheet.columns:
        ws.autofilter(0, 0, max(rows.height, 1), len(sheet.columns) - 1)
    return SheetWritten(sheet.sheet, sheet.table, rows.height, masked_cells, total)


SOURCE_NOTE = (
    "本工作簿由该发布版本已公开的数据表生成（发布时经质量检查和小格抑制处理后的表），"
    "数值与发布版本一致，未另行计算。"
)


def shortened(written: SheetWritten, sheet: ListSheet) -> str:
    """What the 说明 sheet adds to a list's definition when the sheet holds only its first rows."""
    if written.rows == written.rows_total:
        return ""
    headers = {c.column: c.header for c in sheet.columns}
    order = "、".join(f"{headers.get(c, c)}{'（降序）' if d else ''}" for c, d in sheet.sort)
    order = order or "发布表的顺序"
    return (
        f"\n本表仅列出按 {order} 排序的前 {written.rows:,} 行（本市共 {written.rows_total:,} 行）；"
        f"完整清单见该发布版本的 {written.table} 表（parquet/{written.table}/{written.table}.parquet，"
        "或经 SQL 接口查询）。"
    )


def disclosure_rule(k: float, masked: str) -> str:
    """The disclosure rule as the 说明 sheet states it, for suppression threshold ``k``."""
    if not k:
        return f"本发布版本未做小格抑制（k = 0）；空白格表示该值为空。被屏蔽的格子会显示为“{masked}”。"
    return (
        f"人数（人次）小于 {k:g} 且不为 0 的格子，以及可由合计推算出被屏蔽值的格子和据此计算的比率，"
        f"在发布版本中已屏蔽；本工作簿照发布版本显示为“{masked}”"
        "（依据每行的 suppressed_columns），不重新计算。"
        "空白格表示发布版本中该值为空（如无数据或分母为 0）。"
    )


def _about(
    workbook: xlsxwriter.Workbook,
    formats: Mapping[str, Any],
    book: Workbook,
    city: tuple[str, str],
    release: Mapping[str, Any],
    written: Sequence[SheetWritten],
    sheets: Sequence[ListSheet],
) -> None:
    ws = workbook.add_worksheet(book.about_sheet)
    k = (release.get("disclosure") or {}).get("suppression_k", 0)
    published = str(release.get("published_at", ""))[:10]
    lines: list[tuple[str, str]] = [
        ("城市", f"{city[1]}（{city[0]}）"),
        ("发布编号", str(release["release_id"])),
        ("发布日期", published),
        ("数据来源", SOURCE_NOTE),
        ("小格抑制规则", disclosure_rule(k, book.masked)),
    ]
    ws.write_string(0, 0, "项目", formats["header"])
    ws.write_string(0, 1, "内容", formats["header"])
    row = 1
    for label, text in lines:
        ws.write_string(row, 0, label, formats["text"])
        ws.write_string(row, 1, text, formats["wrap"])
        row += 1
    row += 1
    for j, header in enumerate(("清单（工作表）", "来源表", "行数", "被屏蔽格数", "本市共有行数", "定义")):
        ws.write_string(row, j, header, formats["header"])
    for w, sheet in zip(written, sheets, strict=True):
        row += 1
        ws.write_string(row, 0, w.sheet, formats["text"])
        ws.write_string(row, 1, w.table, formats["text"])
        ws.write_number(row, 2, w.rows)
        ws.write_number(row, 3, w.masked_cells)
        ws.write_number(row, 4, w.rows_total)
        ws.write_string(row, 5, sheet.definition + shortened(w, sheet), formats["wrap"])
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 4, 12)
    ws.set_column(5, 5, 100)
    ws.freeze_panes(1, 0)


def write_workbook(
    target: Path,
    book: Workbook,
    city: tuple[str, str],
    release: Mapping[str, Any],
    rows: Mapping[str, pl.DataFrame],
    totals: Mapping[str, int],
) -> list[SheetWritten]:
    """One city's workbook at ``target``: 说明 first, then each declared sheet with ``rows[sheet]`` (the
    city's first ``max_rows`` rows at least); ``totals[sheet]``: the city's rows on the list."""
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(target))
    try:
        published = (
            dt.datetime.fromisoformat(str(release["published_at"])) if "published_at" in release else None
        )
        workbook.set_properties(
            {
                "title": f"{city[1]} 清单 {release['release_id']}",
                "comments": f"release {release['release_id']}",
                **({"created": published.replace(tzinfo=None)} if published else {}),
            }
        )
        formats = {
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
            ),
            "text": workbook.add_format({"num_format": "@"}),
            "wrap": workbook.add_format({"num_format": "@", "text_wrap": True, "valign": "top"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "masked": workbook.add_format({"num_format": "@", "align": "center", "font_color": "#808080"}),
        }
        summary = [
            SheetWritten(
                s.sheet,
                s.table,
                min(rows[s.sheet].height, s.max_rows),
                masked_cells(rows[s.sheet].head(s.max_rows), s),
                totals[s.sheet],
            )
            for s in book.sheets
        ]
        _about(workbook, formats, book, city, release, summary, book.sheets)  # the first sheet
        written = [
            _write_sheet(workbook, formats, book, s, rows[s.sheet], totals[s.sheet]) for s in book.sheets
        ]
        assert written == summary, (written, summary)
    finally:
        workbook.close()
    return written


def write_lists(
    release_dir: Path,
    record: Mapping[str, Any],
    manifest: Path | None = None,
    declaration: Path = LISTS_FILE,
    workers: int = 1,
) -> list[dict]:
    """Every city's workbook in ``release_dir`` (a release candidate: ``warehouse.duckdb`` holds the
    published, disclosure-protected tables); returns the documents to list in ``release.json`` and
    ``manifest.json``.

    A workbook is written for every prefecture-level city that has a row on at least one list. A list whose
    mart the release does not hold (a mart no longer published) is left out of the workbooks. With
    ``workers`` above 1 the cities are shared among that many spawned processes, each of which reads its
    cities' rows from the release database (read-only) and writes their workbooks: xlsxwriter is pure
    Python, and handing rows from this process to the others took longer than reading them there."""
    book = load_workbook_declaration(declaration, manifest)
    database = release_dir / "warehouse.duckdb"
    con = duckdb.connect(str(database), read_only=True)
    try:
        present = {
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        }
        book = dataclasses.replace(book, sheets=tuple(s for s in book.sheets if s.table in present))
        codes = sorted({code for s in book.sheets for code in _city_codes(con, s)})
        names = (
            {}
            if book.cities_table not in present
            else dict(
                con.execute(
                    f"select {_quote(book.cities_code)}, {_quote(book.cities_name)} "
                    f"from main.{_quote(book.cities_table)} where {_quote(book.cities_code)} in "
                    f"(select unnest(?::varchar[]))",
                    [codes],
                ).fetchall()
            )
        )
    finally:
        con.close()
    named = [(code, names.get(code) or code) for code in codes]
    cities = [
        _City(release_dir / book.path.format(city_code=code, city_name=_file_safe(name)), (code, name))
        for code, name in named
    ]
    shares = max(1, min(workers, len(cities)))
    jobs = [(database, book, record, tuple(cities[i::shares])) for i in range(shares)]
    if shares > 1:
        with spawned_pool(shares) as pool:  # core/processes.py
            done = list(pool.map(_write_cities, jobs))
    else:
        done = [_write_cities(job) for job in jobs]
    written = {
        c.city: sheets
        for job, share in zip(jobs, done, strict=True)
        for c, sheets in zip(job[3], share, strict=True)
    }
    documents = []
    for c in cities:
        documents.append(
            {
                "kind": "lists_workbook",
                "city_code": c.city[0],
                "city_name": c.city[1],
                "path": c.target.relative_to(release_dir).as_posix(),
                "sha256": hashlib.sha256(c.target.read_bytes()).hexdigest(),
                "bytes": c.target.stat().st_size,
                "sheets": [
                    {
                        "sheet": w.sheet,
                        "table": w.table,
                        "rows": w.rows,
                        "rows_total": w.rows_total,
                        "masked_cells": w.masked_cells,
                    }
                    for w in written[c.city]
                ],
            }
        )
    return documents


@dataclass(frozen=True)
class _City:
    target: Path  # the workbook's file
    city: tuple[str, str]  # code, name


def _write_cities(
    job: tuple[Path, Workbook, Mapping[str, Any], tuple[_City, ...]],
) -> list[list[SheetWritten]]:
    """The workbooks of a share of the cities, from their rows in the release database."""
    database, book, record, cities = job
    con = duckdb.connect(str(database), read_only=True)
    try:
        read = {s.sheet: sheet_rows(con, s, [c.city[0] for c in cities]) for s in book.sheets}
    finally:
        con.close()
    return [
        write_workbook(
            c.target,
            book,
            c.city,
            record,
            {s.sheet: read[s.sheet][0][c.city[0]] for s in book.sheets},
            {s.sheet: read[s.sheet][1].get(c.city[0], 0) for s in book.sheets},
        )
        for c in cities
    ]


def _file_safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name)
