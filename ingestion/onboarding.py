"""``tw inspect FILE``: read a delivered file and propose the source profile that loads it.

It shows the header it found (rows, and each column matched to a contract column or not, with the closest
accepted spellings), the unit each header states, the required columns it could not find, a proposed
profile (YAML, to save beside the file as ``<name>.profile.yml`` and edit), and five rows as they would be
loaded with that profile — through the same reader, name lookup and validation as every other file.

What the header does not name, the proposal fills where the file says it elsewhere:

- a wide table (a yearbook's 第一产业 / 第二产业 / 第三产业, or industries by name, as columns) gets an
  ``unpivot`` whose key is the required column of codes those headers name (looked up as names are in
  data rows) and whose value is the contract's measure in the headers' unit; where several measures have
  that unit (总产值 and 增加值 are both in 亿元) and neither is named in the header or title, ``value`` is
  left ``'?'`` with the choices listed, for the person to decide;
- a period (``2021``, ``2024Q1``) stated once in the title rows above the header becomes a constant.

Anything still unknown is ``'?'``; rows are shown once nothing is.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from ingestion.contracts import FEEDS, FeedContract
from ingestion.layout import (
    MAX_HEADER_ROWS,
    SCAN_ROWS,
    UNITS,
    Header,
    LayoutError,
    clean,
    column_unit,
    locate_header,
    normalise_header,
    split_unit,
)
from ingestion.names import NameLookups, resolve_names
from ingestion.profiles import SUFFIXES, ProfileError, load_profiles, parse_profile, profile_for
from ingestion.readers import (
    SPREADSHEET_SUFFIXES,
    TEXT_SUFFIXES,
    FeedFileError,
    decoded,
    head_rows,
    read_feed_file,
)
from ingestion.validate import apply_contract

SAMPLE_ROWS = 5
UNKNOWN = "?"
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(?:\s*第?\s*([一二三四1-4])\s*季度)?")
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass
class ColumnMatch:
    index: int
    text: str
    column: str | None
    unit: str | None
    closest: list[tuple[str, str]] = field(default_factory=list)  # (spelling, column) of unmatched ones


@dataclass
class Proposal:
    path: Path
    feed: str
    sheet: str | None
    header: Header
    columns: list[ColumnMatch]
    missing: list[str]  # required contract columns the header does not name
    profile_yaml: str
    sample: pl.DataFrame | None = None  # up to five rows as loaded (or why not)
    sample_error: str | None = None
    unknown: list[str] = field(default_factory=list)  # the profile's keys left '?' for a person to fill
    saved_profile: Path | None = None  # a profile already beside the file: the sample is read with it


@dataclass(frozen=True)
class WideTable:
    """Columns whose headers name codes of a required column: to unpivot into rows."""

    key: str
    columns: dict[str, str]  # header text → code
    unit: str | None
    value: str | None  # the measure the cells are, or None when the file does not say
    choices: list[str]  # the measures of the headers' unit


def _tables(path: Path) -> list[tuple[str | None, Sequence[Sequence[object]]]]:
    """(sheet name or None, its first rows) for each table the file holds."""
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        import fastexcel

        workbook = fastexcel.read_excel(path)
        out: list[tuple[str | None, Sequence[Sequence[object]]]] = []
        for index, name in enumerate(workbook.sheet_names):
            sheet = workbook.load_sheet(
                index, header_row=None, dtypes="string", n_rows=SCAN_ROWS + MAX_HEADER_ROWS
            )
            out.append((name, [list(r) for r in sheet.to_polars().iter_rows()]))
        return out
    if suffix in TEXT_SUFFIXES:
        _, utf8 = decoded(path)
        source = utf8 if utf8 is not None else path
        candidates = [head_rows(source, d) for d in (",", ";", "\t", "|")]
        best: Sequence[Sequence[object]] = max(candidates, key=lambda rows: sum(len(r) > 1 for r in rows))
        return [(None, best)]
    if suffix == ".parquet":
        return [(None, [list(pl.read_parquet_schema(path))])]
    raise FeedFileError(path, f"unsupported file type {suffix or '(none)'!r}")


def _best(rows: Sequence[Sequence[object]], contract: FeedContract) -> tuple[Header, list[str]]:
    try:
        return locate_header(rows, contract), []
    except LayoutError as exc:
        if exc.candidate is None:
            raise
        return exc.candidate, list(exc.missing)


def _feed_of(path: Path) -> FeedContract | None:
    for parent in path.resolve().parents:
        if parent.name in FEEDS:
            return FEEDS[parent.name]
    return None


def _base(text: str) -> str:
    return split_unit(normalise_header(text))[0]


def _closest(text: str, contract: FeedContract, taken: set[str]) -> list[tuple[str, str]]:
    """(accepted spelling, contract column) of columns not matched yet, nearest first, by the text without
    its unit (a shared 亿元 says nothing)."""
    spellings = {
        _base(s): (s, c.name) for c in contract.columns if c.name not in taken for s in (c.name, *c.aliases)
    }
    near = difflib.get_close_matches(_base(text), list(spellings), n=3, cutoff=0.6)
    return [spellings[n] for n in near]


def propose(path: Path, feed: str | None = None, names: NameLookups | None = None) -> Proposal:
    """Inspect ``path`` as a file of ``feed`` (default: the feed folder it is in, else the best match)."""
    path = Path(path)
    contracts = [FEEDS[feed]] if feed else ([c] if (c := _feed_of(path)) else list(FEEDS.values()))
    best: (
        tuple[tuple[int, int], FeedContract, str | None, Header, list[str], Sequence[Sequence[object]]] | None
    )
    best = None
    tables = _tables(path)
    for contract in contracts:
        for sheet, rows in tables:
            if not rows:
                continue
            header, missing = _best(rows, contract)
            score = (-len(missing), sum(c is not None for c in header.columns))
            if best is None or score > best[0]:
                best = (score, contract, sheet, header, missing, rows)
    if best is None:
        raise FeedFileError(path, "no table found: the file has no rows")
    _, contract, sheet, header, missing, rows = best
    title = [clean(c) for r in rows[: header.start] for c in r if clean(c)]
    matches = []
    taken = {c for c in header.columns if c}
    for j, (text, column, unit) in enumerate(zip(header.texts, header.columns, header.units, strict=True)):
        if text or column:
            closest = [] if column else _closest(text, contract, taken)
            matches.append(ColumnMatch(j, text, column, unit, closest))
    profile: dict[str, object] = {"files": path.name}
    if sheet is not None and len(tables) > 1:
        profile["sheet"] = sheet
    profile["header_rows"] = list(range(header.start + 1, header.first_data_row + 1))
    wide = _wide_table(matches, contract, missing, names, title)
    suggested: dict[str, str] = {}
    for m in matches:  # each contract column suggested once, to the nearest header
        if wide and m.text in wide.columns:
            continue
        # beside an unpivot a measure column is a total, not a measure of each row
        total = wide is not None and bool(m.closest) and m.closest[0][1] in (*wide.choices, wide.value)
        if not m.column and m.closest and m.closest[0][1] not in suggested.values() and not total:
            suggested[m.text] = m.closest[0][1]
    if suggested:
        profile["columns"] = suggested
    comments: list[str] = []
    unknown: list[str] = []
    if wide:
        profile["unpivot"] = {"key": wide.key, "value": wide.value or UNKNOWN, "columns": wide.columns}
        if not wide.value:
            unknown.append("unpivot.value")
            comments.append(
                f"# unpivot.value: which measure the cells are ({wide.unit or 'no unit stated'}); one of "
                + ", ".join(wide.choices)
            )
    constants: dict[str, str] = {}
    for column in missing:
        if wide and column == wide.key:
            continue
        stated = _period_in(title) if column == contract.period_column else None
        constants[column] = stated or UNKNOWN
        if stated:
            comments.append(f"# {column}: {stated!r} from the title above the header; check it")
        else:
            unknown.append(f"constants.{column}")
    if constants:
        profile["constants"] = constants
    text = yaml.safe_dump(profile, allow_unicode=True, sort_keys=False)
    text += "".join(f"{c}\n" for c in comments)
    ignored = [
        m.text
        for m in matches
        if not m.column and m.text not in suggested and not (wide and m.text in wide.columns)
    ]
    if ignored:
        text += "# not loaded (map them under columns:, or unpivot a wide table into rows):\n"
        text += "".join(f"#   {t}\n" for t in ignored)
    proposal = Proposal(path, contract.name, sheet, header, matches, missing, text, unknown=unknown)
    try:
        saved = _saved_profile(path, contract)
    except ProfileError as exc:  # a saved profile that cannot be used: say so rather than propose around it
        proposal.sample_error = f"the saved profile cannot be used: {exc}"
        return proposal
    if saved is not None:  # the person's profile, as they saved it: the rows are read with that one
        proposal.saved_profile = saved
        proposal.sample, proposal.sample_error = _sample(
            path, contract, saved.read_text(encoding="utf-8"), names, saved
        )
    elif not unknown:
        proposal.sample, proposal.sample_error = _sample(path, contract, text, names)
    return proposal


def _saved_profile(path: Path, contract: FeedContract) -> Path | None:
    """The profile beside the file (or in a folder above it, within its feed's folder) that applies to it."""
    folder = next((p for p in path.resolve().parents if p.name == contract.name), path.resolve().parent)
    found = profile_for(path, load_profiles(folder, contract))
    return found.path if found else None


def _period_in(title: Sequence[str]) -> str | None:
    """The one period (``2021``, ``2024Q1``) the title rows state, or None (none, or several)."""
    found = {
        f"{m.group(1)}Q{_QUARTERS[m.group(2)]}" if m.group(2) else m.group(1)
        for text in title
        for m in _YEAR.finditer(text)
    }
    return found.pop() if len(found) == 1 else None


def _wide_table(
    matches: Sequence[ColumnMatch],
    contract: FeedContract,
    missing: Sequence[str],
    names: NameLookups | None,
    title: Sequence[str],
) -> WideTable | None:
    """The first missing required column of codes (region, industry, occupation) whose values at least two
    headers name, one code each: the table is wide in it (see the module doc). A header such a column was
    matched by (增加值（万元） over 制造业 and 建筑业) names the measure of the cells."""
    if names is None:
        return None
    for key in missing:
        reference = contract.column(key).reference
        if reference is None:
            continue
        columns: dict[str, str] = {}
        units: set[str | None] = set()
        named_by_heading: set[str] = set()
        for m in matches:
            codes = {
                found[0].code
                for part in m.text.split(" / ")
                if len(found := names.candidates(reference, part)) == 1
            }
            if len(codes) == 1 and (code := codes.pop()) not in columns.values():
                columns[m.text] = code
                units.add(m.unit)
                if m.column:
                    named_by_heading.add(m.column)
        if len(columns) < 2:
            continue
        unit = units.pop() if len(units) == 1 else None
        taken = {m.column for m in matches if m.column and m.text not in columns}
        choices = [
            c.name
            for c in contract.columns
            if c.dtype in ("int", "float")
            and c.name not in taken
            and (unit is None or _same_kind(unit, column_unit(c)))
        ]
        words = normalise_header(" ".join([*columns, *title]))
        named = named_by_heading or {
            c
            for c in choices
            if any(
                (base := split_unit(normalise_header(s))[0]) and base in words
                for s in (contract.column(c).description_zh, *contract.column(c).aliases)
            )
        }
        value = named.pop() if len(named) == 1 else (choices[0] if len(choices) == 1 else None)
        return WideTable(key, columns, unit, value, choices)
    return None


def _same_kind(unit: str, target: str | None) -> bool:
    return target is not None and UNITS[unit][0] == UNITS[target][0]


def _sample(
    path: Path,
    contract: FeedContract,
    profile_text: str,
    names: NameLookups | None,
    profile_path: Path | None = None,
) -> tuple[pl.DataFrame | None, str | None]:
    """Five rows as they would be loaded with the profile (the proposed one, which exists only here:
    nothing is written; or the one saved at ``profile_path``)."""
    try:
        profile = parse_profile(
            profile_path or path.with_name(path.name + SUFFIXES[0]), profile_text, contract
        )
        raw = read_feed_file(path, contract, profile)
    except (FeedFileError, ValueError) as exc:
        return None, str(exc)
    frame = raw.frame.head(SAMPLE_ROWS)
    reasons = None
    if names is not None:
        resolution = resolve_names(frame, contract, names, profile.region_province)
        frame, reasons = resolution.frame, resolution.reasons
    result = apply_contract(frame, contract, None, reasons)
    loaded = result.loaded.with_columns(
        pl.col(c).list.join(";") for c, t in result.loaded.schema.items() if isinstance(t, pl.List)
    ).with_columns(pl.lit("").alias("reason"))
    refused = result.quarantined.select("source_row", "reason")
    return pl.concat([loaded.cast(pl.Utf8), refused.cast(pl.Utf8)], how="diagonal").sort("source_row"), None


def render(proposal: Proposal) -> str:
    """The proposal as text for a person."""
    h = proposal.header
    rows = f"row {h.start + 1}" if h.depth == 1 else f"rows {h.start + 1}-{h.first_data_row}"
    out = [
        f"{proposal.path.name}: read as feed {proposal.feed}"
        + (f", sheet {proposal.sheet!r}" if proposal.sheet else ""),
        f"header: {rows}",
        "",
        "columns:",
    ]
    for m in proposal.columns:
        unit = f" [unit {m.unit}]" if m.unit else ""
        near = ", ".join(f"{spelling} ({column})" for spelling, column in m.closest)
        target = m.column or (f"not matched; closest: {near}" if near else "not matched")
        out.append(f"  {m.index + 1:>3}. {m.text or '(empty)'!r}{unit} → {target}")
    if proposal.missing:
        out += ["", "required columns not found: " + ", ".join(proposal.missing)]
    if proposal.unknown:
        out += ["", "to fill in (each '?' in the profile): " + ", ".join(proposal.unknown)]
    out += ["", f"proposed profile (save as {proposal.path.name}{SUFFIXES[0]} beside the file and edit):", ""]
    out += ["  " + line for line in proposal.profile_yaml.splitlines()]
    if proposal.sample is not None:
        using = (
            f"the saved profile {proposal.saved_profile.name}" if proposal.saved_profile else "this profile"
        )
        out += [
            "",
            (
                f"first {SAMPLE_ROWS} rows as they would be loaded with {using} "
                "(reason: why a row would be quarantined):"
            ),
        ]
        with pl.Config(tbl_cols=-1, tbl_width_chars=160, fmt_str_lengths=30, tbl_hide_dataframe_shape=True):
            out.append(str(proposal.sample))
    elif proposal.sample_error:
        which = f" with {proposal.saved_profile.name}" if proposal.saved_profile else ""
        out += ["", f"rows not shown{which}: {proposal.sample_error}"]
    elif proposal.unknown:
        out += [
            "",
            (
                "rows are shown once the profile has no '?': save it beside the file, fill them in, and "
                "run tw inspect again (it reads the rows with the saved profile)"
            ),
        ]
    return "\n".join(out)
