"""Keyed pseudonymisation of personal identifiers (HMAC-SHA256).

The same raw id and key always give the same pseudonym, so graduates can be followed across
deliveries; without the key the raw id cannot be recovered or confirmed by guessing.
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl

PSEUDONYM_HEX_CHARS = 32  # 128 bits


def pseudonym(raw_id: str, key: bytes) -> str:
    return hmac.new(key, raw_id.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


def pseudonymise_columns(df: pl.DataFrame, columns: tuple[str, ...], key: bytes) -> pl.DataFrame:
    """Replace each non-null value of ``columns`` with its pseudonym (values are trimmed first)."""
    if not columns:
        return df
    if not key:
        raise ValueError("a non-empty pseudonymisation key is required")
    base = hmac.new(key, digestmod=hashlib.sha256)

    def _hash_batch(s: pl.Series) -> pl.Series:
        out: list[str | None] = []
        for value in s.to_list():
            if value is None:
                out.append(None)
                continue
            h = base.copy()
            h.update(value.encode("utf-8"))
            out.append(h.hexdigest()[:PSEUDONYM_HEX_CHARS])
        return pl.Series(s.name, out, dtype=pl.Utf8)

    return df.with_columns([
        pl.col(c).cast(pl.Utf8).str.strip_chars().map_batches(_hash_batch, return_dtype=pl.Utf8).alias(c)
        for c in columns
    ])
