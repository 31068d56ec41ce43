"""The vectorised pseudonymisation equals the reference HMAC-SHA256 for every key length and value."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest

from ingestion.pseudonymise import PSEUDONYM_HEX_CHARS, pseudonym, pseudonymise_columns


@pytest.mark.parametrize(
    "key", [b"k", b"x" * 64, b"long key " * 20]
)  # shorter than, equal to, longer than a block
def test_the_column_pseudonyms_are_rfc_2104_hmac(key: bytes) -> None:
    values = ["RAW-1", " RAW-1 ", "学生一号", "", None]
    out = pseudonymise_columns(pl.DataFrame({"graduate_id": values}), ("graduate_id",), key)[
        "graduate_id"
    ].to_list()
    expected = [
        None
        if v is None
        else hmac.new(key, v.strip().encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]
        for v in values
    ]
    assert out == expected
    assert out[0] == out[1] == pseudonym("RAW-1", key)  # trimmed first


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="key is required"):
        pseudonymise_columns(pl.DataFrame({"graduate_id": ["a"]}), ("graduate_id",), b"")
