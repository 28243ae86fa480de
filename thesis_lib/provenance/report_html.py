"""The reproduction report's HTML: claim verdicts, cell tables, figure thumbnails.

:func:`~thesis_lib.provenance.report.build_report` and
:func:`~thesis_lib.provenance.claims.judge_claims` decide what the report says;
this module only lays it out, so the ``reproduction_report`` chapter holds calls.
Every text taken from results or the reference manifest is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from PIL import Image

from .media import HtmlTable

__all__ = ["chapter_link", "claims_table", "figure_thumbnail", "html_value", "item_table"]

#: Shown for a missing value or figure.
ABSENT = "—"
#: Largest thumbnail, width × height in pixels (the aspect ratio is kept).
THUMBNAIL_SIZE = (360, 240)


def chapter_link(chapter: str, text: str | None = None) -> str:
    """A link to a chapter's page of the book.

    Examples
    --------
    >>> chapter_link("metrics"), chapter_link("metrics", "a < b")
    ('<a href="metrics.html">metrics</a>', '<a href="metrics.html">a &lt; b</a>')
    """
    return f'<a href="{chapter}.html">{html.escape(text or chapter)}</a>'


def html_value(value) -> str:
    """A thesis or result value as report text: floats to 4 significant digits.

    Examples
    --------
    >>> [html_value(v) for v in (None, True, 3, 2.0 / 3.0, "a<b")]
    ['—', 'True', '3', '0.6667', 'a&lt;b']
    """
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:d}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def figure_thumbnail(path, chapter: str) -> str:
    """A small PNG of a saved figure, embedded in the page and linking to its chapter.

    The link's anchor is the figure's name in the chapter (``fig_5_1.png`` →
    ``#fig-5-1``); a missing file gives :data:`ABSENT`.
    """
    path = Path(path)
    if not path.exists():
        return ABSENT
    with Image.open(path) as img:
        img.thumbnail(THUMBNAIL_SIZE)
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="PNG", optimize=True)
    anchor = "fig-" + path.stem.removeprefix("fig_").replace("_", "-")
    data = base64.b64encode(buf.getvalue()).decode()
    return (f'<a href="{chapter}.html#{anchor}"><img class="report-thumb" alt="{path.stem}" '
            f'src="data:image/png;base64,{data}"></a>')


def claims_table(claims) -> HtmlTable:
    """The judged claims (:class:`~thesis_lib.provenance.claims.ClaimVerdict`) as a table."""
    out = ['<table class="report"><thead><tr><th>claim (thesis)</th><th>verdict</th>'
           '<th>evidence</th><th>chapter</th></tr></thead><tbody>']
    for c in claims:
        out.append(f"<tr><td>{html.escape(c.claim)} ({html.escape(c.thesis)})</td>"
                   f"<td><strong>{c.verdict}</strong></td><td>{html.escape(c.evidence)}</td>"
                   f"<td>{chapter_link(c.chapter)}</td></tr>")
    return HtmlTable("\n".join(out) + "</tbody></table>")


def item_table(group, results_dir) -> HtmlTable:
    """Heading and cell table of one thesis item (rows of one ``ReportRow.item``).

    A reason shared by every differing cell is stated once under the table
    instead of in each row; figures show as thumbnails linking to their chapter.
    """
    head = group[0]
    reasons = {r.why for r in group if r.status in ("differs", "same direction", "input")}
    shared = reasons.pop() if len(reasons) == 1 and len(group) > 1 else None
    out = [f"<h3>{html.escape(head.item)}: {html.escape(head.title)}</h3>",
           f"<p><em>Data:</em> {html.escape(head.data or 'see the chapter')} "
           f"(chapter {chapter_link(head.chapter)})</p>",
           '<table class="report"><thead><tr><th>cell</th><th>thesis</th><th>ours</th>'
           "<th>status</th></tr></thead><tbody>"]
    for r in group:
        ours = (figure_thumbnail(Path(results_dir) / r.ours, r.chapter)
                if r.status == "figure" and r.ours else html_value(r.ours))
        note = r.why if r.why and r.why != shared and r.status != "reproduced" else ""
        out.append(f"<tr><td>{html.escape(r.label)}</td><td>{html_value(r.thesis)}</td>"
                   f"<td>{ours}</td><td><strong>{r.status}</strong>"
                   f"{' — ' + html.escape(note) if note else ''}</td></tr>")
    out.append("</tbody></table>")
    if shared:
        out.append(f"<p><em>Why:</em> {html.escape(shared)}</p>")
    return HtmlTable("\n".join(out))
