"""Printing a white paper to PDF with headless Chromium (``--print-to-pdf``)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 180


class PdfFailed(RuntimeError):
    """Chromium did not print the page (names the command's exit status and the tail of its output)."""


def print_pdf(chromium: Path, html: Path, pdf: Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """Print ``html`` (a local file; its scripts run for up to 10 s of virtual time) to ``pdf``."""
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="tw-chromium-") as profile:
        proc = subprocess.run(
            [
                str(chromium),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                "--virtual-time-budget=10000",
                f"--print-to-pdf={pdf}",
                html.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if proc.returncode != 0 or not pdf.exists() or pdf.read_bytes()[:5] != b"%PDF-":
        tail = (proc.stderr or proc.stdout or "")[-1500:]
        raise PdfFailed(f"{chromium} did not print {html.name} (exit {proc.returncode}): {tail}")
    return pdf
