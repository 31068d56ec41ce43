"""The white paper per city and year (产业人口白皮书): HTML from the published marts, PDF by Chromium.

``data`` gathers each section's figures from the release candidate (pure functions of a read-only
connection), ``render`` fills the Jinja2 template, ``pdf`` prints it. :func:`write_whitepapers` writes
``whitepaper/<city_code>-<name>-<year>.html`` (and ``.pdf``) into a release folder before it is published.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from core.settings import WhitepaperSettings
from publication.whitepaper.content import City
from publication.whitepaper.data import cities, paper
from publication.whitepaper.pdf import PdfFailed, print_pdf
from publication.whitepaper.render import PLOTLY_JS, plotly_js, render_html

FOLDER = "whitepaper"

__all__ = ["FOLDER", "PdfFailed", "file_stem", "write_whitepapers"]


def file_stem(city: City) -> str:
    safe = "".join(ch for ch in city.name if ch not in '/\\:*?"<>|').strip() or city.code
    return f"{city.code}-{safe}-{city.year}"


def write_whitepapers(
    release_dir: Path, record: dict, settings: WhitepaperSettings, workers: int = 1
) -> list[Path]:
    """One paper per city of the release in ``release_dir/whitepaper/``; the files written.

    PDF per ``settings``: ``off`` none; ``auto`` when Chromium was found; ``required`` fails without it.
    Any failure raises, and the caller publishes nothing.
    """
    folder = release_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(release_dir / "warehouse.duckdb"), read_only=True)
    try:
        papers = [paper(con, city, record["release_id"]) for city in cities(con)]
    finally:
        con.close()
    written = [folder / PLOTLY_JS]
    written[0].write_text(plotly_js(), encoding="utf-8")
    pages = []
    for p in papers:
        html = folder / f"{file_stem(p.city)}.html"
        html.write_text(render_html(p), encoding="utf-8")
        pages.append(html)
    written += pages
    if settings.prints_pdf:
        if settings.chromium is None:
            raise PdfFailed(
                "TW_WHITEPAPER_PDF=required but no Chromium was found: install chromium (and a CJK font, "
                "fonts-wqy-microhei) or set TW_CHROMIUM"
            )
        chromium = settings.chromium
        # ``workers`` Chromiums at once (each is a process of its own; most of a print is its start-up)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            written += list(pool.map(lambda html: print_pdf(chromium, html, html.with_suffix(".pdf")), pages))
    return written
