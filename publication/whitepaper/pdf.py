"""Printing a white paper to PDF with headless Chromium (``--print-to-pdf``)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 180


# no sandbox (it needs privileges a container lacks), GPU, network or first-run work: a page printed offline
HEADLESS_ARGUMENTS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def headless_command(chromium: Path, profile: Path, *arguments: str) -> list[str]:
    """The command line of a headless Chromium run with its own profile folder, then ``arguments``."""
    return [str(chromium), *HEADLESS_ARGUMENTS, f"--user-data-dir={profile}", *arguments]


class PdfFailed(RuntimeError):
    """Chromium did not print the page (names the command's exit status and the tail of its output)."""


def print_pdf(chromium: Path, html: Path, pdf: Path, timeout: float = TIMEOUT_SECONDS) -> Path:
    """Print ``html`` (a local file; its scripts run for up to 10 s of virtual time) to ``pdf``."""
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="tw-chromium-") as profile:
        proc = subprocess.run(
            headless_command(
                chromium,
                Path(profile),
                "--no-pdf-header-footer",
                "--virtual-time-budget=10000",
                f"--print-to-pdf={pdf}",
                html.resolve().as_uri(),
            ),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if proc.returncode != 0 or not pdf.exists() or pdf.read_bytes()[:5] != b"%PDF-":
        tail = (proc.stderr or proc.stdout or "")[-1500:]
        raise PdfFailed(f"{chromium} did not print {html.name} (exit {proc.returncode}): {tail}")
    return pdf
