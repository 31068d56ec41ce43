"""The dbt command line on the project, as a child process, for tests and benchmarks that build by hand.

The pipeline itself runs dbt through the Dagster resource (orchestration/); this is the same project run by
hand, against a raw zone and a build database of the caller's choosing, with its target and log folders kept
out of ``dbt_project/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from core.settings import DBT_PROJECT_DIR


class DbtFailed(RuntimeError):
    """dbt exited non-zero; the message ends with the tail of what it printed."""


def run_dbt(
    args: Sequence[str],
    *,
    raw_dir: Path,
    build_db: Path,
    target_dir: Path,
    log_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``dbt ARGS`` on the project, reading ``raw_dir`` and building ``build_db``; raises when dbt fails.
    ``env``: more of dbt's environment (``transformation.build_plan.dbt_build_env`` of a plan)."""
    env = {**os.environ, "TW_RAW_DIR": str(raw_dir), "TW_BUILD_DB": str(build_db), **(env or {})}
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target_dir),
            "--log-path",
            str(log_dir or target_dir / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise DbtFailed(f"dbt {' '.join(args)} failed:\n{proc.stdout[-5000:]}{proc.stderr[-3000:]}")
    return proc
