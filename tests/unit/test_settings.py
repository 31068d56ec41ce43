from __future__ import annotations

import pytest

from orchestration.settings import DEMO_KEY, ConfigurationError, load_settings


def test_key_is_required_outside_the_demo() -> None:
    with pytest.raises(ConfigurationError, match="TW_PSEUDONYM_KEY"):
        load_settings({}).require_key()


def test_demo_uses_the_public_demo_key_and_a_real_key_wins() -> None:
    assert load_settings({"TW_DEMO": "1"}).require_key() == DEMO_KEY
    assert load_settings({"TW_DEMO": "1", "TW_PSEUDONYM_KEY": "s3cret"}).require_key() == b"s3cret"


def test_paths_follow_tw_home(tmp_path) -> None:
    s = load_settings({"TW_HOME": str(tmp_path)})
    assert s.raw_dir == tmp_path / "raw" and s.build_db == tmp_path / "warehouse" / "build.duckdb"
    assert s.dbt_env()["TW_RAW_DIR"] == str(tmp_path / "raw")
