"""The white paper as HTML: the Jinja2 template of this package, charts as plotly figures (as the release
report draws them) run by plotly.js from the file beside the papers (``plotly.min.js``, one copy per
release)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from markupsafe import Markup

from publication.whitepaper.content import Chart
from publication.whitepaper.data import Paper
from publication.whitepaper.figures import MASKED_TEXT, MISSING_TEXT

TEMPLATES = Path(__file__).parent / "templates"
PLOTLY_JS = "plotly.min.js"


@cache
def _template() -> Template:
    """The paper's template, compiled once per process (13 papers at M compiled it 13 times: 0.4 s)."""
    return _environment().get_template("paper.html.j2")


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def chart_figure(chart: Chart) -> go.Figure:
    """Masked and missing figures are gaps, not zeros."""
    fig = go.Figure(
        [
            go.Bar(
                name=name,
                x=list(chart.labels),
                y=[None if f.masked or f.value is None else float(f.value) for f in figures],
            )
            for name, figures in chart.series
        ]
    )
    fig.update_layout(
        title=chart.title,
        barmode="group",
        width=680,
        height=340,
        margin={"l": 50, "r": 10, "t": 40, "b": 110},
        font={"family": "Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif", "size": 10},
        yaxis={"tickformat": ".0%"} if chart.percent else {},
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def render_html(paper: Paper, plotly_src: str = PLOTLY_JS) -> str:
    charts = [
        {"id": f"chart-{s.key}-{i}", **json.loads(pio.to_json(chart_figure(c)))}
        for s in paper.sections
        for i, c in enumerate(s.charts, start=1)
    ]
    payload = Markup(json.dumps(charts, ensure_ascii=False).replace("</", "<\\/"))
    return _template().render(
        paper=paper,
        charts=payload if charts else None,
        plotly_src=plotly_src,
        masked=MASKED_TEXT,
        missing=MISSING_TEXT,
    )


def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())
