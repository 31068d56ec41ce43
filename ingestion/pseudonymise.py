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
    # HMAC-SHA256 (RFC 2104) from two SHA-256 states prepared once: per value two copies and two updates,
    # 40% cheaper than copying an ``hmac`` object (which wraps the same two states); equal to pseudonym()
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def _hash_batch(s: pl.Series) -> pl.Series:
        out: list[str | None] = []
        append = out.append
        for value in s.to_list():
            if value is None:
                append(None)
                continue
            i = inner.copy()
            i.update(value.encode("utf-8"))
            o = outer.copy()
            o.update(i.digest())
            append(o.hexdigest()[:PSEUDONYM_HEX_CHARS])
        return pl.Series(s.name, out, dtype=pl.Utf8)

    return df.with_columns(
        [
            pl.col(c).cast(pl.Utf8).str.strip_chars().map_batches(_hash_batch, return_dtype=pl.Utf8).alias(c)
            for c in columns
        ]
    )
