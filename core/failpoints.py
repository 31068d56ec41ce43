"""Failpoints: places where a test can make the run die as if killed (SIGKILL), to prove crash safety.

``TW_FAILPOINTS=dbt_build`` makes the run kill its own process group when it reaches
``failpoint("dbt_build")``. Without the variable (always, in production) a failpoint does nothing.

Points: ``ingest_after_parts`` (a file's Parquet parts written, its manifest not yet),
``dbt_build`` (the first dbt model built), ``publish_before_switch`` (the release folder in place,
``current`` not yet switched).
"""

from __future__ import annotations

import os
import signal

from core.settings import load_settings

POINTS = ("ingest_after_parts", "dbt_build", "publish_before_switch")


def failpoint(name: str) -> None:
    if name not in POINTS:
        raise ValueError(f"unknown failpoint {name!r}; known: {POINTS}")
    if name in load_settings().failpoints:
        os.killpg(os.getpgrp(), signal.SIGKILL)  # the run and its children (dbt), as `kill -9 -<pgid>` would
