"""Keyed pseudonymisation of personal identifiers (HMAC-SHA256).

The same raw id and key always give the same pseudonym, so graduates can be followed across
deliveries; without the key the raw id cannot be recovered or confirmed by guessing.
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import polars_hash  # HMAC-SHA256 over a column, in Rust

PSEUDONYM_HEX_CHARS = 32  # 128 bits


def pseudonym(raw_id: str, key: bytes) -> str:
    return hmac.new(key, raw_id.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


def pseudonymise_columns(df: pl.DataFrame, columns: tuple[str, ...], key: bytes) -> pl.DataFrame:
    """Replace each non-null value of ``columns`` with its pseudonym (values are trimmed first).

    The same HMAC-SHA256 as :func:`pseudonym`, computed column-wise by polars-hash (about 8× faster than a
    Python loop over the values: the pseudonymisation bounded ingestion, docs/performance.md).
    """
    if not columns:
        return df
    if not key:
        raise ValueError("a non-empty pseudonymisation key is required")
    text_key = key.decode("utf-8")  # keys come from TW_PSEUDONYM_KEY, text
    trimmed = df.with_columns(pl.col(c).cast(pl.Utf8).str.strip_chars() for c in columns)
    return trimmed.with_columns(
        polars_hash.col(c).chash.hmac_sha256(key=text_key).str.slice(0, PSEUDONYM_HEX_CHARS).alias(c)
        for c in columns
    )
