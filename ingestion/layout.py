"""The layout of a delivered table: where its header is, what each column means, which rows are not data.

Offices deliver tables as people read them: a title and notes above the header, a header over two or
three rows with merged cells (a group heading over its sub-headings; Chinese over English), units in the
header (``产值（万元）``), total rows (合计, 小计) among the data and footnotes (注：…) below. Pure
functions over the first rows of a sheet or text file (a list of rows of text cells); the readers do the
I/O.

- :func:`locate_header` tries every block of one to :data:`SEARCH_ROWS` rows in the first :data:`SCAN_ROWS`
  rows and keeps the one that names the most of the contract's required columns (then the most columns,
  then the shortest and highest block). Cells of a merged group heading are spread over the columns below
  it; each column is matched by its lowest cell, its highest, each cell, or all joined.
- The block then grows downwards, up to :data:`MAX_HEADER_ROWS` rows, while the row under it is more
  header (:func:`_is_label_row`): an English line, a line of units (``(亿元)``, ``(100 million yuan)``)
  and a yearbook's line of column numbers (``甲 1 2 3 …``, :func:`is_column_numbers`), which is part of
  the header but not of any column's name.
- A header cell may carry a unit the contract column is not in (``万元`` for a column in 亿元): the
  column's values are converted by :func:`unit_factor`; a unit of another kind (``人`` for an amount) rejects
  the file.
- :func:`row_kinds` tells data rows from total rows (合计/总计/小计/全省…) and footnotes;
  :func:`reconcile_totals` compares each total with the sum of the rows it covers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ingestion.contracts import Column, FeedContract

# a header lookup keeps this many readings of texts and of columns (the header search reads the cells of the
# first rows of every file, data included: kept without a bound, they held 266 MiB after 400 files)
READINGS_KEPT = 10_000
SCAN_ROWS = 30
SEARCH_ROWS = 3  # the deepest block tried as a header; a header grows below it (see the module doc)
MAX_HEADER_ROWS = 6  # a yearbook's: Chinese, English, unit, unit in English, column numbers (and a group)
# what a line of column numbers (栏次) has in the columns of text: 甲 乙 丙 … or nothing
COLUMN_NUMBER_LABELS = frozenset({"甲", "乙", "丙", "丁", "戊", "己", "栏次", "行次", "栏号", "序号"})

# Units a header may state, in the unit of their kind: money in yuan, people in persons.
UNITS: dict[str, tuple[str, float]] = {
    "元": ("money", 1.0),
    "千元": ("money", 1e3),
    "万元": ("money", 1e4),
    "亿元": ("money", 1e8),
    "人": ("people", 1.0),
    "人次": ("people", 1.0),
    "千人": ("people", 1e3),
    "万人": ("people", 1e4),
}
# The unit a contract column is in, from the unit its name carries (docs/feeds.md: amounts carry their unit).
NAME_UNITS: tuple[tuple[str, str], ...] = (
    ("_100m_cny", "亿元"),
    ("_10k_cny", "万元"),
    ("_cny", "元"),
    ("_10k", "万人"),
)
_UNIT_IN_HEADER = re.compile(
    r"^(?P<base>.*?)[(（\[【]?(?:单位[:：])?(?P<unit>"
    + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
    + r")[)）\]】]?$"
)
_UNIT_ALONE = re.compile(
    r"^[(（\[【]?(?:单位[:：])?(?P<unit>"
    + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
    + r")[)）\]】]?$"
)

TOTAL_WORDS = frozenset(
    {"合计", "总计", "小计", "全省", "全市", "全国", "全区", "total", "subtotal", "grandtotal"}
)
SUBTOTAL_WORDS = frozenset({"小计", "subtotal"})
# a footnote's first cell (Python's re and polars' regex both read it)
NOTE_PATTERN = (
    r"(?i)^(注|附注|说明|备注|资料来源|数据来源|来源|note|notes|source)"
    r"\s*[0-9０-９一二三四五六七八九十]*\s*[:：.、]"
)
_NOTE = re.compile(NOTE_PATTERN)


class LayoutError(ValueError):
    """The table's header cannot be found or read (the message says what was found instead).

    ``candidate`` is the best header block found, ``missing`` the required columns it lacks."""

    def __init__(self, message: str, candidate: Header | None = None, missing: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.candidate = candidate
        self.missing = tuple(missing)


def clean(text: object) -> str:
    """A cell as text: NFKC, no BOM, no surrounding spaces; ``''`` for an empty cell."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").strip()


@lru_cache(maxsize=1 << 16)
def normalise_header(name: str) -> str:
    """Header text to a lookup key: NFKC (full-width to ASCII), no BOM or spaces, lower case.

    Cached: the header search reads the same cells in many candidate blocks."""
    return "".join(clean(name).split()).lower()


def split_unit(key: str) -> tuple[str, str | None]:
    match = _UNIT_IN_HEADER.match(key)
    if match and match.group("base"):
        return match.group("base"), match.group("unit")
    return key, None


def column_unit(column: Column) -> str | None:
    """The unit of a contract column's values, from its name (``…_100m_cny``: 亿元); ``人`` for counts."""
    for suffix, unit in NAME_UNITS:
        if column.name.endswith(suffix):
            return unit
    return "人" if column.dtype == "int" else None


def unit_factor(header_unit: str | None, column: Column) -> float:
    """What a value under ``header_unit`` is multiplied by to be in ``column``'s unit; 1 without a unit.

    Raises :class:`LayoutError` when the units are of different kinds (people for an amount of money)."""
    if header_unit is None:
        return 1.0
    target = column_unit(column)
    if target is None:
        raise LayoutError(
            f"column {column.name}: the header states the unit {header_unit}, but the column has no "
            "unit (expected a plain value)"
        )
    (kind, scale), (target_kind, target_scale) = UNITS[header_unit], UNITS[target]
    if kind != target_kind:
        raise LayoutError(
            f"column {column.name}: the header states {header_unit}, expected a unit of {target_kind} "
            f"(the contract's unit is {target})"
        )
    return scale / target_scale


class HeaderLookup:
    """Every accepted spelling of a contract's columns (name, Chinese aliases; with or without the unit)."""

    def __init__(self, contract: FeedContract, extra: Mapping[str, str] | None = None) -> None:
        """``extra``: header texts a source profile maps to contract columns (they take precedence)."""
        self.contract = contract
        self._matched: dict[str, tuple[str, bool] | None] = {}
        self._columns: dict[tuple[str, ...], tuple[str, tuple[str, bool] | None, str | None]] = {}
        self.exact: dict[str, str] = {normalise_header(k): v for k, v in (extra or {}).items()}
        self.base: dict[str, str] = {}
        for col in contract.columns:
            for spelling in (col.name, *col.aliases):
                key = normalise_header(spelling)
                self.exact.setdefault(key, col.name)
                self.base.setdefault(split_unit(key)[0], col.name)

    def match(self, text: str) -> tuple[str, bool] | None:
        """``(contract column, exact)`` for one header text, or None; ``exact`` is False when the text names
        the column without the unit its accepted spellings carry (or with another unit)."""
        if text not in self._matched:
            if len(self._matched) >= READINGS_KEPT:
                self._matched.clear()
            self._matched[text] = self._match(text)
        return self._matched[text]

    def read_column(self, cells: tuple[str, ...]) -> tuple[str, tuple[str, bool] | None, str | None]:
        """One column of a candidate header block (its cells top to bottom, merged headings spread): the
        text shown for it, the contract column it names (as :meth:`match`, trying its lowest cell, its
        highest, each cell, then all joined), and the unit it states."""
        if cells not in self._columns:
            if len(self._columns) >= READINGS_KEPT:
                self._columns.clear()
            found: tuple[str, bool] | None = None
            for text in _candidates(cells):
                found = self.match(text)
                if found:
                    break
            self._columns[cells] = (display_text(cells), found, stated_unit(cells))
        return self._columns[cells]

    def _match(self, text: str) -> tuple[str, bool] | None:
        key = normalise_header(text)
        if not key:
            return None
        if key in self.exact:
            return self.exact[key], True
        base = self.base.get(split_unit(key)[0])
        return (base, False) if base else None


def stated_unit(cells: Sequence[str]) -> str | None:
    """The unit a column's header cells state (the lowest cell that states one), or None: a name with its
    unit (``产值（万元）``) or a cell of the unit alone, as a yearbook's line of units has (``(亿元)``)."""
    for cell in reversed(cells):
        unit = _unit_of(cell)
        if unit is not None:
            return unit
    return None


@lru_cache(maxsize=1 << 16)
def _unit_of(cell: str) -> str | None:
    """The unit one header cell states, or None (see :func:`stated_unit`)."""
    key = normalise_header(cell)
    unit = split_unit(key)[1]
    if unit is None:
        bare = _UNIT_ALONE.match(key)
        unit = bare.group("unit") if bare else None
    return unit


@lru_cache(maxsize=1 << 12)
def _is_column_numbers(line: tuple[str, ...]) -> bool:
    return is_column_numbers(line)


def is_column_numbers(cells: Sequence[object]) -> bool:
    """Whether a row is a yearbook's line of column numbers (栏次): 1, 2, 3 … in order, and in the other
    columns nothing or a label (甲, 乙, 栏次 …); a lone 1 only beside a label. Header, never data."""
    numbers: list[float] = []
    labels = 0
    for cell in cells:
        text = clean(cell).strip("()（）")
        if not text:
            continue
        value = _number(text)
        if value is None:
            if text not in COLUMN_NUMBER_LABELS:
                return False
            labels += 1
        else:
            numbers.append(value)
    in_order = numbers == [float(k) for k in range(1, len(numbers) + 1)]
    return in_order and (len(numbers) >= 2 or (len(numbers) == 1 and labels > 0))


@dataclass(frozen=True)
class Header:
    """Where the header is (0-based row of its first line, number of lines) and what each column is."""

    start: int
    depth: int
    texts: tuple[str, ...]  # one name per column as read (merged lines joined with ' / ')
    columns: tuple[str | None, ...]  # the contract column each maps to, or None
    units: tuple[str | None, ...]  # the unit each header states, or None
    unit_assumed: tuple[bool, ...] = ()  # named without any unit: the contract's unit is assumed

    @property
    def first_data_row(self) -> int:
        return self.start + self.depth


def _spread_merged(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """Spread each group heading over the empty cells to its right that have a sub-heading below them."""
    out = [list(r) for r in rows]
    for i in range(len(out) - 1):
        below = out[i + 1]
        for j in range(1, len(out[i])):
            if not out[i][j] and j < len(below) and below[j] and out[i][j - 1]:
                out[i][j] = out[i][j - 1]
    return out


def display_text(cells: Sequence[str]) -> str:
    """A column's header as shown to people (and written in profiles): its lines joined with ' / '."""
    return " / ".join(dict.fromkeys(c for c in cells if c))


def _candidates(cells: Sequence[str]) -> list[str]:
    filled = [c for c in cells if c]
    if not filled:
        return []
    ordered = [display_text(cells), filled[-1], filled[0], *filled[1:-1], "".join(filled)]
    return list(dict.fromkeys(ordered))


def _read_block(rows: Sequence[Sequence[str]], lookup: HeaderLookup, start: int, depth: int) -> Header:
    lines = [tuple(rows[start + i]) for i in range(depth)]
    # a line of column numbers is part of the header, not of a column's name
    block = _spread_merged([line for line in lines if not _is_column_numbers(line)] or lines)
    width = max(len(r) for r in block)
    texts: list[str] = []
    columns: list[str | None] = []
    units: list[str | None] = []
    assumed: list[bool] = []
    taken: set[str] = set()
    for j in range(width):
        text, found, unit = lookup.read_column(tuple(r[j] if j < len(r) else "" for r in block))
        texts.append(text)
        units.append(unit)  # an unpivoted column takes it, too
        if found and found[0] not in taken:
            taken.add(found[0])
            columns.append(found[0])
            assumed.append(not found[1] and unit is None)
        else:
            columns.append(None)
            assumed.append(False)
    return Header(start, depth, tuple(texts), tuple(columns), tuple(units), tuple(assumed))


@lru_cache(maxsize=16)
def _header_lookup(contract: FeedContract, columns: tuple[tuple[str, str], ...]) -> HeaderLookup:
    """One lookup per contract and profile mapping: its readings are kept from one file to the next."""
    return HeaderLookup(contract, dict(columns))


def locate_header(
    rows: Sequence[Sequence[object]],
    contract: FeedContract,
    columns: Mapping[str, str] | None = None,
    header_rows: Sequence[int] = (),
    supplied: frozenset[str] = frozenset(),
) -> Header:
    """The header block of a table whose first rows are ``rows`` (see the module doc).

    A source profile may give header texts to map (``columns``), the 1-based ``header_rows``, and columns it
    supplies itself (constants, an unpivot's key and value: ``supplied``), which the header need not name."""
    grid = [[clean(c) for c in r] for r in rows[: max(SCAN_ROWS, *header_rows, 0) + MAX_HEADER_ROWS]]
    lookup = _header_lookup(contract, tuple((columns or {}).items()))
    required = {c.name for c in contract.columns if c.required} - supplied
    best: tuple[tuple[int, int, int, int], Header] | None = None
    if header_rows:
        if header_rows[-1] > len(grid):
            raise LayoutError(f"header_rows {list(header_rows)}: the table has only {len(grid)} rows")
        best = ((0, 0, 0, 0), _read_block(grid, lookup, header_rows[0] - 1, len(header_rows)))
    everything = len(contract.columns)
    for start in range(min(SCAN_ROWS, len(grid)) if not header_rows else 0):
        if not any(grid[start]):
            continue
        for depth in range(1, SEARCH_ROWS + 1):
            if start + depth > len(grid):
                break
            header = _read_block(grid, lookup, start, depth)
            mapped = {c for c in header.columns if c}
            score = (len(mapped & required), len(mapped), -depth, -start)
            if best is None or score > best[0]:
                best = (score, header)
        if best is not None and best[0][:3] == (len(required), everything, -1):
            break  # one line naming every column: no later block scores higher (a plain file's first row)
    if best is None:
        raise LayoutError("no rows: expected a header row")
    header = best[1]
    numeric = {c.name for c in contract.columns if c.dtype in ("int", "float")}
    while not header_rows and header.depth < MAX_HEADER_ROWS and _is_label_row(grid, header, numeric):
        header = _read_block(grid, lookup, header.start, header.depth + 1)
    missing = sorted(required - {c for c in header.columns if c}, key=contract.column_names.index)
    if missing:
        accepted = "; ".join(f"{name} (or {', '.join(contract.column(name).aliases)})" for name in missing)
        found = [t for t in header.texts if t]
        raise LayoutError(
            f"missing required column(s) {', '.join(missing)}: expected headers {accepted}; looked for the "
            f"header in the first {min(SCAN_ROWS, len(grid))} rows, and the best candidate "
            f"(row {header.start + 1}"
            + (f"-{header.start + header.depth}" if header.depth > 1 else "")
            + f") has {', '.join(map(repr, found)) or 'no text'}",
            header,
            missing,
        )
    return header


def _is_label_row(grid: Sequence[Sequence[str]], header: Header, numeric: set[str]) -> bool:
    """Whether the row under ``header`` is more header: a line of column numbers (:func:`is_column_numbers`),
    or a row where no cell reads as a number (every feed has a required count, year or code a data row fills
    with digits) that is either sub-headings (blank under some headings, as under a merged group) or labels
    (text under a numeric column, as an English line or a line of units is). A column is numeric when the
    contract says so, or when the first data row below has a number in it (a wide table's columns that no
    contract column names yet)."""
    index = header.first_data_row
    if index >= len(grid):
        return False
    row = list(grid[index]) + [""] * max(0, len(header.texts) - len(grid[index]))
    cells = [c for c in row if c]
    if not cells or row_kind(cells) != "data":
        return False
    if is_column_numbers(row):
        return True
    if any(_number(c) is not None for c in cells):
        return False
    blank_under_heading = any(text and not row[j] for j, text in enumerate(header.texts))
    in_data = _numbers_below(grid, index + 1)
    text_under_number = any(
        row[j] and (col in numeric or j in in_data) for j, col in enumerate(header.columns)
    )
    return blank_under_heading or text_under_number


def _numbers_below(grid: Sequence[Sequence[str]], index: int) -> set[int]:
    """The columns holding a number in the first data row at or below ``index`` (lines of column numbers and
    rows without any number are passed over), or none."""
    for row in grid[index:]:
        if row_kind(row) != "data" or is_column_numbers(row):
            continue
        found = {j for j, c in enumerate(row) if _number(c) is not None}
        if found:
            return found
    return set()


def row_kind(cells: Sequence[object], leading: int = 3) -> str:
    """``data``, ``total`` (合计/总计/全省…), ``subtotal`` (小计), ``note`` (注：…) or ``empty``."""
    texts = [clean(c) for c in cells]
    filled = [t for t in texts if t]
    if not filled:
        return "empty"
    if _NOTE.match(filled[0]) and len(filled) <= 2:
        return "note"
    for text in texts[:leading]:
        key = "".join(text.split()).lower().strip(":：")
        if key in SUBTOTAL_WORDS:
            return "subtotal"
        if key in TOTAL_WORDS:
            return "total"
    return "data"


def _number(text: object) -> float | None:
    value = clean(text).replace(",", "")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def reconcile_totals(
    kinds: Sequence[str],
    rows: Sequence[Mapping[str, object]],
    numeric: Sequence[str],
    row_numbers: Sequence[int],
) -> list[str]:
    """Each total row against the data rows it covers: a 小计 the rows since the previous total or subtotal, a
    合计 every data row above it since the previous 合计. One message per total and column that differ by more
    than 0.5% (rounding in published tables)."""
    messages: list[str] = []
    since_total: list[int] = []
    since_subtotal: list[int] = []
    for i, kind in enumerate(kinds):
        if kind == "data":
            since_total.append(i)
            since_subtotal.append(i)
            continue
        if kind not in ("total", "subtotal"):
            continue
        covered = since_subtotal if kind == "subtotal" else since_total
        for column in numeric:
            total = _number(rows[i].get(column))
            parts = [v for v in (_number(rows[k].get(column)) for k in covered) if v is not None]
            if total is None or not parts:
                continue
            detail = sum(parts)
            if abs(total - detail) > max(1e-9, 0.005 * abs(total)):
                messages.append(
                    f"row {row_numbers[i]} ({kind}): column {column} is {total:g}, but the "
                    f"{len(covered)} rows it covers add up to {detail:g}"
                )
        since_subtotal = []
        if kind == "total":
            since_total = []
    return messages
