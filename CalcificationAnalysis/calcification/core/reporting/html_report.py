"""One self-contained HTML page per analysed mammogram: what a radiologist looks at first (the probability, the
picture, the clusters), then the tables for whoever wants the numbers.

No template engine and no external file: pictures are embedded as data URIs, every text is HTML-escaped, so the
page can be mailed or archived as one file and cannot run anything.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..atomic_files import write_text_atomically


@dataclass(frozen=True)
class ReportTable:
    """A table for the page: ``columns`` names, ``rows`` of values (numbers formatted with 4 significant digits),
    and optional ``descriptions`` (column -> text, shown as a tooltip on the header)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    descriptions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReportContent:
    """Everything on the page.

    Attributes
    ----------
    title : str
        Usually the image's name.
    probability : float or None
        Probability of malignancy in [0, 1]; None when no classifier was used.
    classifier_summary : str
        Name and model-card summary of the classifier (and its calibration).
    facts : sequence of (label, value)
        Key figures shown beside the probability (calcifications, clusters, models used ...).
    warnings : sequence of str
        Shown in a highlighted box (synthetic-trained models, research use).
    overview_uri : str
        PNG data URI of the whole mammogram with outlines and cluster boxes ("" for none).
    cluster_crops : sequence of (caption, data URI)
    tables : sequence of ReportTable
    """

    title: str
    probability: Optional[float] = None
    classifier_summary: str = ""
    facts: tuple = ()
    warnings: tuple = ()
    overview_uri: str = ""
    cluster_crops: tuple = ()
    tables: tuple = ()


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.top{display:flex;gap:24px;flex-wrap:wrap}.overview img{max-width:560px;max-height:720px;border:1px solid #ccc}
.prob{font-size:40px;font-weight:600}.warn{background:#fff4e0;border-left:4px solid #e08a00;padding:8px 12px;
margin:10px 0}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;
text-align:right}th{background:#f4f4f4;cursor:help}td:first-child,th:first-child{text-align:left}
.crops{display:flex;flex-wrap:wrap;gap:12px}.crops figure{margin:0}.crops figcaption{font-size:12px}
.facts td{border:none;padding:2px 10px 2px 0;text-align:left}
"""


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table_html(table: ReportTable) -> str:
    esc = html.escape
    head = "".join(f'<th title="{esc(str(table.descriptions.get(c, "")))}">{esc(str(c))}</th>' for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(_format(v))}</td>" for v in row) + "</tr>" for row in table.rows)
    empty = "" if table.rows else "<p>No rows.</p>"
    return f"<h2>{esc(table.title)}</h2><table><tr>{head}</tr>{body}</table>{empty}"


def _probability_html(content: ReportContent) -> str:
    esc = html.escape
    if content.probability is None:
        return "<p>No classifier was applied.</p>"
    return (
        f'<div>Probability of malignancy</div><div class="prob">{100 * content.probability:.0f}%</div>'
        f"<div>{esc(content.classifier_summary)}</div>"
    )


def render_html_report(content: ReportContent) -> str:
    """The page as a string (UTF-8 HTML5)."""
    esc = html.escape
    warnings = "".join(f'<div class="warn">{esc(w)}</div>' for w in content.warnings)
    facts = "".join(f"<tr><td>{esc(str(k))}</td><td><b>{esc(_format(v))}</b></td></tr>" for k, v in content.facts)
    overview = f'<div class="overview"><img src="{content.overview_uri}" alt="mammogram with outlines"></div>'
    crops = "".join(
        f'<figure><img src="{uri}" alt="{esc(caption)}"><figcaption>{esc(caption)}</figcaption></figure>'
        for caption, uri in content.cluster_crops
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(content.title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>Calcification analysis: {esc(content.title)}</h1>{warnings}"
        f'<div class="top">{overview if content.overview_uri else ""}<div>{_probability_html(content)}'
        f'<table class="facts">{facts}</table></div></div>'
        + (f'<h2>Clusters</h2><div class="crops">{crops}</div>' if crops else "")
        + "".join(_table_html(t) for t in content.tables)
        + "<p><small>Yellow: calcification outlines; orange-red: vascular calcifications; magenta: clusters; blue: "
        "breast region. Research use only; not a medical device.</small></p></body></html>"
    )


def write_html_report(content: ReportContent, path: os.PathLike | str) -> Path:
    """Write the page to ``path`` atomically (temporary file renamed into place); returns the path."""
    return write_text_atomically(path, render_html_report(content))


def table_from_rows(title: str, rows: Sequence[dict], descriptions: Optional[dict] = None) -> ReportTable:
    """A :class:`ReportTable` from a list of dicts with the same keys (the first row's key order is kept)."""
    columns = tuple(rows[0].keys()) if rows else tuple((descriptions or {}).keys())
    return ReportTable(title, columns, tuple(tuple(r[c] for c in columns) for r in rows), dict(descriptions or {}))
