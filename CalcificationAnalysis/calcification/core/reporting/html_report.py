"""One self-contained HTML page per analysed mammogram: what a radiologist looks at first (the probability, the
picture, the clusters), then the tables for whoever wants the numbers.

No template engine and no external file: pictures are embedded as data URIs, every text is HTML-escaped, so the
page can be mailed or archived as one file. Its only script is the product's own few lines (sorting, a column
switch, zoom), which fetch nothing.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..atomic_files import write_text_atomically
from .number_format import format_for_people, sort_key
from .report_assets import SCRIPT, STYLE


@dataclass(frozen=True)
class ReportTable:
    """A table for the page.

    Attributes
    ----------
    title : str
        Its heading (unique on the page).
    columns : tuple of str
        Column names (shown as readable headers with their unit, e.g. ``area_mm2`` as "area (mm²)").
    rows : tuple of tuples
        Values; numbers are formatted by :func:`~.number_format.format_for_people` with the column's unit.
    descriptions : dict
        Column -> text, shown as a tooltip on the header.
    units : dict
        Column -> unit (``"mm²"``, ``"mm"``, ``"grey"``, ``"px"``, ...).
    main_columns : tuple of str
        Columns shown by default; the others appear with the table's "Show all columns" switch. Empty: all shown.
    text_columns : tuple of str
        Columns of sentences, left-aligned and wrapped.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    descriptions: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    main_columns: tuple = ()
    text_columns: tuple = ()


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
        Name and model-card summary of the classifier (calibration, training data), one line under the bar.
    facts : sequence of (label, value)
        Key figures shown beside the mammogram (calcifications, clusters, models used ...).
    warnings : sequence of str
        Those starting with "Research" go under the title; the others in highlighted boxes beside the mammogram,
        above the probability.
    overview_uri : str
        PNG data URI of the mammogram (the breast) with outlines and numbered cluster boxes, sized for the page ("" for
        none).
    full_size_uri : str
        PNG data URI of the same picture at full size, opened by a click; "" opens ``overview_uri`` instead.
    full_size_scale : float
        Screen pixels per image pixel of the picture a click opens (1: full size), said in the caption; 0 when
        unknown.
    cluster_crops : sequence of (caption, data URI)
        Close-ups in cluster-number order.
    tables : sequence of ReportTable
    probability_secondary : bool
        True when the probability comes from a classifier trained on synthetic data only: the number is then drawn
        small and grey, below the warning, so the warning is what the eye meets first.
    crops_note : str
        One line above the close-ups (order, magnification, scale bar).
    legend : sequence of (RGB colour, text)
        What each colour on the mammogram means, shown beside it.
    """

    title: str
    probability: Optional[float] = None
    classifier_summary: str = ""
    facts: tuple = ()
    warnings: tuple = ()
    overview_uri: str = ""
    cluster_crops: tuple = ()
    tables: tuple = ()
    probability_secondary: bool = False
    crops_note: str = ""
    legend: tuple = ()
    full_size_uri: str = ""
    full_size_scale: float = 0.0


#: Text below every page.
FOOTER = "Research use only; not a medical device."


def _header(column: str, unit: str) -> str:
    """``area_mm2`` with unit mm² reads "area (mm²)"; ``centroid_row_px`` reads "centroid row (px)"."""
    words = column
    for suffix in ("_mm2", "_mm", "_px", "_per_mm", "_per_cm2"):
        if words.endswith(suffix):
            words = words[: -len(suffix)]
            break
    words = words.replace("_", " ")
    return f"{words} ({unit})" if unit and unit != "grey" else words


def _cell_classes(table: ReportTable) -> list[str]:
    classes = []
    for index, column in enumerate(table.columns):
        extra = bool(table.main_columns) and column not in table.main_columns
        text = column in table.text_columns
        words = bool(table.rows) and all(isinstance(row[index], str) for row in table.rows)  # names read left-aligned
        flags = (("extra", extra), ("text", text), ("word", words and not text))
        classes.append(" ".join(name for name, on in flags if on))
    return classes


def _table_html(table: ReportTable, table_id: str) -> str:
    esc = html.escape
    classes = _cell_classes(table)
    head = "".join(
        f'<th class="{cls}" title="{esc(str(table.descriptions.get(c, "")))}" onclick="sortBy(this)">'
        f"{esc(_header(str(c), table.units.get(c, '')))}</th>"
        for c, cls in zip(table.columns, classes, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{cls}" data-v="{esc(sort_key(v))}">{esc(format_for_people(v, table.units.get(c, "")))}</td>'
            for c, cls, v in zip(table.columns, classes, row, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    hidden = sum("extra" in cls for cls in classes)
    toggle = ""
    if hidden:
        toggle = (
            f'<p class="toggle"><label><input type="checkbox" onchange="toggleColumns(this, \'{table_id}\')"> '
            f"Show all {len(table.columns)} columns ({hidden} more)</label></p>"
        )
    css = "data compact" if hidden else "data"
    empty = "" if table.rows else "<p>No rows.</p>"
    return (
        f'<h2>{esc(table.title)}</h2>{toggle}<div class="table-wrap"><table class="{css}" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{empty}"
    )


def _probability_html(content: ReportContent) -> str:
    esc = html.escape
    if content.probability is None:
        return "<section><p>No classifier was applied.</p></section>"
    percent = 100 * content.probability
    secondary = " secondary" if content.probability_secondary else ""
    return (
        f'<section class="probability"><div class="prob-line">Probability of malignancy '
        f'<span class="prob{secondary}">{percent:.0f}%</span></div>'
        f'<div class="bar{secondary}" role="img" aria-label="{percent:.0f} percent"><span style="width:{percent:.1f}%">'
        f'</span></div><div class="note">{esc(content.classifier_summary)}</div></section>'
    )


def _legend_html(content: ReportContent) -> str:
    items = "".join(
        f'<li><span class="swatch" style="border-color:rgb{tuple(int(v) for v in colour)}"></span>{html.escape(text)}'
        "</li>"
        for colour, text in content.legend
    )
    return f'<section><ul class="legend">{items}</ul></section>' if items else ""


def _overview_html(content: ReportContent) -> str:
    """The mammogram and the full-size view a click opens; each picture is embedded once (without a full-size
    picture the view shows the page's own, whose ``src`` the script copies)."""
    if not content.overview_uri:
        return ""
    if content.full_size_scale <= 0:
        size = "larger"
    elif content.full_size_scale >= 1:
        size = "at full size, one image pixel per screen pixel"
    else:
        size = f"at {content.full_size_scale:.0%} of full size"
    full = f' src="{content.full_size_uri}"' if content.full_size_uri else ""
    return (
        f'<figure class="overview"><img id="overview" src="{content.overview_uri}" alt="mammogram with outlines and '
        f'numbered cluster boxes" onclick="openZoom(this, event)"><figcaption>Click the mammogram to see it {size} '
        '(click again or Esc to close).</figcaption></figure><div id="zoom" '
        f'onclick="this.classList.remove(\'open\')"><img{full} alt="mammogram {size}"></div>'
    )


def _crops_html(content: ReportContent) -> str:
    esc = html.escape
    if not content.cluster_crops:
        return ""
    figures = "".join(
        f'<figure><img src="{uri}" alt="{esc(caption)}"><figcaption>{esc(caption)}</figcaption></figure>'
        for caption, uri in content.cluster_crops
    )
    note = f'<p class="note">{esc(content.crops_note)}</p>' if content.crops_note else ""
    return f'<h2>Cluster close-ups</h2>{note}<div class="crops">{figures}</div>'


def render_html_report(content: ReportContent) -> str:
    """The page as a string (UTF-8 HTML5)."""
    esc = html.escape
    research = [w for w in content.warnings if w.startswith("Research")]
    strong = "".join(f'<div class="warn strong">{esc(w)}</div>' for w in content.warnings if w not in research)
    facts = "".join(
        f"<tr><td>{esc(str(k))}</td><td><b>{esc(format_for_people(v))}</b></td></tr>" for k, v in content.facts
    )
    side = (
        f'<aside class="side">{strong}{_probability_html(content)}<section><table class="facts">{facts}</table>'
        f"</section>{_legend_html(content)}</aside>"
    )
    tables = "".join(_table_html(t, f"table-{i + 1}") for i, t in enumerate(content.tables))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(content.title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>Calcification analysis: {esc(content.title)}</h1>"
        + "".join(f'<p class="sub">{esc(w)}</p>' for w in research)
        + f'<div class="top">{_overview_html(content)}{side}</div>{_crops_html(content)}{tables}'
        f"<footer>{esc(FOOTER)}</footer><script>{SCRIPT}</script></body></html>"
    )


def write_html_report(content: ReportContent, path: os.PathLike | str) -> Path:
    """Write the page to ``path`` atomically (temporary file renamed into place); returns the path."""
    return write_text_atomically(path, render_html_report(content))


def table_from_rows(title: str, rows: Sequence[dict], descriptions: Optional[dict] = None) -> ReportTable:
    """A :class:`ReportTable` from a list of dicts with the same keys (the first row's key order is kept)."""
    columns = tuple(rows[0].keys()) if rows else tuple((descriptions or {}).keys())
    return ReportTable(title, columns, tuple(tuple(r[c] for c in columns) for r in rows), dict(descriptions or {}))
