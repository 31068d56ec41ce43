"""What a refresh prints: one line per step with its time (failures with their error, warnings as they
come), while every Dagster event, dbt's own output and the step logs go to a log file (``--verbose`` prints
them too).

``tw run`` passes :func:`run_logger` as the run's only logger (run config ``loggers``) and sends the Python
``stdout``/``stderr`` of the run (dbt's lines, library warnings) to the same file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, TextIO

import dagster as dg

PROGRESS_LOGGER = "tw_progress"


class _Console(logging.Handler):
    """One line per finished or failed step, and every warning or error, to ``out``."""

    def __init__(self, out: TextIO, verbose: bool) -> None:
        super().__init__(logging.DEBUG)
        self.out, self.verbose = out, verbose

    def emit(self, record: logging.LogRecord) -> None:
        meta: dict[str, Any] = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        message = str(meta.get("orig_message") or record.getMessage())
        line = None
        if self.verbose:
            line = message
        elif event is not None and event.event_type_value == "STEP_SUCCESS":
            line = f"  ok    {event.step_key}  ({message.rsplit(' in ', 1)[-1].rstrip('.')})"
        elif event is not None and event.event_type_value == "STEP_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            cause = error.message.strip().splitlines()[-1] if error is not None and error.message else message
            if error is not None and error.cause is not None and error.cause.message:
                cause = error.cause.message.strip().splitlines()[-1]
            line = f"  FAIL  {event.step_key}: {cause}"
        elif event is not None and event.event_type_value == "STEP_SKIPPED":
            line = f"  skip  {event.step_key}"
        elif record.levelno >= logging.WARNING and event is None:
            line = f"  {record.levelname.lower():<5} {message}"
        if line is not None:
            self.out.write(line + "\n")
            self.out.flush()


def run_logger(log_file: Path, out: TextIO, verbose: bool = False) -> dg.LoggerDefinition:
    """A Dagster logger writing everything to ``log_file`` and progress to ``out``."""

    def make(_: dg.InitLoggerContext) -> logging.Logger:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        logger = logging.getLogger(f"{PROGRESS_LOGGER}.{log_file.stem}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(to_file)
        logger.addHandler(_Console(out, verbose))
        return logger

    return dg.LoggerDefinition(
        make, description="progress lines to the console, everything to the run's log file"
    )
