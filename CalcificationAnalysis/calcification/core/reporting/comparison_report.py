"""The comparison report: one self-contained HTML page with the registration's quality, each cluster's prior and
current close-ups side by side (one magnification, the status in words and colour) and the change table."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic_files import write_text_atomically
from .report_figures import png_data_uri

_STYLE = """
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:16px;color:#222;max-width:1360px}
h1{font-size:20px;margin:0 0 6px} h2{font-size:16px;margin:18px 0 6px}
.facts{margin:4px 0 12px;font-size:14px} .pairs{display:flex;flex-wrap:wrap;gap:14px}
.pair{border:1px solid #ccc;padding:6px;border-radius:4px}
.pair figure{display:inline-block;margin:0 4px;text-align:center}
.pair figcaption{font-size:12px} .status{font-weight:bold;font-size:14px;margin:2px 0 6px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3} td.s{text-align:left;font-weight:bold}
"""


@dataclass(frozen=True)
class ComparisonReport:
    """What the page shows.

    Attributes
    ----------
    title : str
        E.g. the current image's name.
    facts : sequence of str
        Lines under the title (the two images, registration quality, the change rule).
    close_ups : sequence of (status text, colour, prior RGB, current RGB, label)
        One entry per cluster, in change-table order.
    columns : sequence of (name, unit)
        Change-table header.
    rows : sequence of sequence
        Change-table cells, ``status`` first.
    field_mm : float
        Side of every close-up field, mm.
    """

    title: str
    facts: Sequence[str]
    close_ups: Sequence[tuple[str, str, np.ndarray, np.ndarray, str]]
    columns: Sequence[tuple[str, str]]
    rows: Sequence[Sequence]
    field_mm: float


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return html.escape(str(value))


def render_comparison_report(report: ComparisonReport) -> str:
    """The page as a string (images inline as PNG data URIs; nothing is loaded from elsewhere)."""
    facts = "".join(f"<div>{html.escape(line)}</div>" for line in report.facts)
    pairs = []
    for words, colour, prior, current, label in report.close_ups:
        pictures = "".join(
            f'<figure><img src="{png_data_uri(rgb)}" width="{rgb.shape[1]}" alt="{html.escape(side)} exam, '
            f'{html.escape(label)}"><figcaption>{html.escape(side)}</figcaption></figure>'
            for side, rgb in (("prior", prior), ("current", current))
        )
        pairs.append(
            f'<div class="pair"><div>{html.escape(label)}</div><div class="status" style="color:{colour}">'
            f"{html.escape(words)}</div>{pictures}</div>"
        )
    header = "".join(
        f"<th>{html.escape(name)}{f' ({html.escape(unit)})' if unit else ''}</th>" for name, unit in report.columns
    )
    body = "".join(
        "<tr>" + "".join(f"<td{' class=s' if i == 0 else ''}>{_cell(v)}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in report.rows
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(report.title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(report.title)}</h1><div class='facts'>{facts}</div>"
        f"<h2>Clusters, prior and current side by side ({report.field_mm:g} mm fields, one magnification)</h2>"
        f"<div class='pairs'>{''.join(pairs) or '<div>No clusters on either exam.</div>'}</div>"
        f"<h2>Change table</h2><div style='overflow-x:auto'><table><tr>{header}</tr>{body}</table></div></body></html>"
    )


def write_comparison_report(report: ComparisonReport, path: os.PathLike | str) -> Path:
    """Write the page to ``path`` (temporary name, then renamed into place)."""
    return write_text_atomically(path, render_comparison_report(report))
