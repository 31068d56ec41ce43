"""Failpoints: places where a test can make the run die as if killed (SIGKILL), to prove crash safety.

``TW_FAILPOINTS=dbt_build`` (``Settings.failpoints``) makes the run kill its own process group when it
reaches ``failpoint("dbt_build", settings.failpoints)``. Without the variable (always, in production) a
failpoint does nothing.

Points: ``ingest_after_parts`` (a file's Parquet parts written, its manifest not yet),
``dbt_build`` (the first dbt model built), ``publish_before_switch`` (the release folder in place,
``current`` not yet switched).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Collection

POINTS = ("ingest_after_parts", "dbt_build", "publish_before_switch")


def failpoint(name: str, armed: Collection[str]) -> None:
    """Kill the run here if ``name`` is among the ``armed`` failpoints (``Settings.failpoints``)."""
    if name not in POINTS:
        raise ValueError(f"unknown failpoint {name!r}; known: {POINTS}")
    if name in armed:
        os.killpg(os.getpgrp(), signal.SIGKILL)  # the run and its children (dbt), as `kill -9 -<pgid>` would
