"""``tw inspect FILE``: read a delivered file and propose the source profile that loads it.

It shows the header it found (rows, and each column matched to a contract column or not, with the closest
accepted spellings), the unit each header states, the required columns it could not find, a proposed
profile (YAML, to save beside the file as ``<name>.profile.yml`` and edit), and five rows as they would be
loaded with that profile — through the same reader, name lookup and validation as every other file.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from ingestion.contracts import FEEDS, FeedContract
from ingestion.layout import (
    MAX_HEADER_ROWS,
    SCAN_ROWS,
    Header,
    LayoutError,
    locate_header,
    normalise_header,
    split_unit,
)
from ingestion.names import NameLookups, resolve_names
from ingestion.profiles import SUFFIXES, parse_profile
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
    best: tuple[tuple[int, int], FeedContract, str | None, Header, list[str]] | None = None
    tables = _tables(path)
    for contract in contracts:
        for sheet, rows in tables:
            if not rows:
                continue
            header, missing = _best(rows, contract)
            score = (-len(missing), sum(c is not None for c in header.columns))
            if best is None or score > best[0]:
                best = (score, contract, sheet, header, missing)
    if best is None:
        raise FeedFileError(path, "no table found: the file has no rows")
    _, contract, sheet, header, missing = best
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
    suggested: dict[str, str] = {}
    for m in matches:  # each contract column suggested once, to the nearest header
        if not m.column and m.closest and m.closest[0][1] not in suggested.values():
            suggested[m.text] = m.closest[0][1]
    if suggested:
        profile["columns"] = suggested
    if missing:
        profile["constants"] = dict.fromkeys(missing, "?")
    text = yaml.safe_dump(profile, allow_unicode=True, sort_keys=False)
    ignored = [m.text for m in matches if not m.column and m.text not in suggested]
    if ignored:
        text += "# not loaded (map them under columns:, or unpivot a wide table into rows):\n"
        text += "".join(f"#   {t}\n" for t in ignored)
    proposal = Proposal(path, contract.name, sheet, header, matches, missing, text)
    if not missing:
        proposal.sample, proposal.sample_error = _sample(path, contract, text, names)
    return proposal


def _sample(
    path: Path, contract: FeedContract, profile_text: str, names: NameLookups | None
) -> tuple[pl.DataFrame | None, str | None]:
    """Five rows as they would be loaded with the proposed profile (columns still '?' are left out)."""
    cleaned = yaml.safe_load(profile_text)
    try:
        # the profile exists only here: nothing is written
        profile = parse_profile(path.with_name(path.name + SUFFIXES[0]), yaml.safe_dump(cleaned), contract)
        raw = read_feed_file(path, contract, profile)
    except (FeedFileError, ValueError) as exc:
        return None, str(exc)
    frame = raw.frame.head(SAMPLE_ROWS)
    reasons = None
    if names is not None:
        resolution = resolve_names(frame, contract, names, profile.region_province)
        frame, reasons = resolution.frame, resolution.reasons
    result = apply_contract(frame, contract, None, reasons)
    loaded = result.loaded.with_columns(pl.lit("").alias("reason"))
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
    out += ["", f"proposed profile (save as {proposal.path.name}{SUFFIXES[0]} beside the file and edit):", ""]
    out += ["  " + line for line in proposal.profile_yaml.splitlines()]
    if proposal.sample is not None:
        out += [
            "",
            f"first {SAMPLE_ROWS} rows as they would be loaded (reason: why a row would be quarantined):",
        ]
        with pl.Config(tbl_cols=-1, tbl_width_chars=160, fmt_str_lengths=30, tbl_hide_dataframe_shape=True):
            out.append(str(proposal.sample))
    elif proposal.sample_error:
        out += ["", f"rows not shown: {proposal.sample_error}"]
    return "\n".join(out)
