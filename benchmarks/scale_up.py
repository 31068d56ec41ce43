"""Scale L from scale M without a slow generator run: every graduate and vacancy file of M, ``copies``
times, with ids made unique per copy (``graduate_id`` and ``posting_id`` get a ``-NN`` suffix), in the
same formats and encodings (the GB18030 file with Chinese headers stays one). Enrolment and industry
output are copied once (their keys are schools and industries, which do not multiply).

The data is M's distribution ten times over; that is what a performance benchmark needs (volume, the
same code paths), not new statistics.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from ingestion.contracts import GRADUATE_DESTINATIONS, VACANCIES, FeedContract

ID_COLUMNS = {
    "graduate_destinations": ("graduate_id", GRADUATE_DESTINATIONS),
    "vacancies": ("posting_id", VACANCIES),
}


def _aliases(contract: FeedContract, column: str) -> list[str]:
    spec = next(c for c in contract.columns if c.name == column)
    return [column, *spec.aliases]


def _read(path: Path) -> tuple[pl.DataFrame, str]:
    if path.suffix == ".parquet":
        return pl.read_parquet(path), "parquet"
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return pl.read_csv(data, infer_schema=False), "utf-8"
    except UnicodeDecodeError:
        return pl.read_csv(data.decode("gb18030").encode(), infer_schema=False), "gb18030"


def _write(df: pl.DataFrame, path: Path, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if encoding == "parquet":
        df.write_parquet(path)
    else:
        path.write_bytes(df.write_csv().encode(encoding))


def tile(source: Path, target: Path, copies: int) -> None:
    if target.exists():
        shutil.rmtree(target)
    for feed_dir in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(p for p in feed_dir.rglob("*") if p.is_file())
        if feed_dir.name not in ID_COLUMNS:
            for f in files:
                (target / f.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target / f.relative_to(source))
            continue
        column, contract = ID_COLUMNS[feed_dir.name]
        for f in files:
            df, encoding = _read(f)
            name = next(a for a in _aliases(contract, column) if a in df.columns)
            for copy in range(copies):
                out = target / feed_dir.name / f"copy{copy:02d}" / f.relative_to(feed_dir)
                _write(
                    df.with_columns((pl.col(name).cast(pl.String) + f"-{copy:02d}").alias(name)),
                    out,
                    encoding,
                )
