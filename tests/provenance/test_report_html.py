"""The reproduction report's HTML: escaping, shared reasons stated once, thumbnails."""

import base64
import io
import re

import numpy as np
from PIL import Image

from thesis_lib.provenance import ClaimVerdict, ReportRow
from thesis_lib.provenance.report_html import (
    THUMBNAIL_SIZE,
    claims_table,
    figure_thumbnail,
    item_table,
)


def _row(label, status, why="", ours=1.0, thesis=2.0):
    return ReportRow("Table 9.9", "A <title>", label, thesis, ours, "data & more", status, why,
                     "metrics", "abc")


def test_item_table_states_a_shared_reason_once_and_escapes_text():
    why = "synthetic stand-in <data>"
    table = item_table([_row("a", "differs", why), _row("b", "differs", why)], ".")
    assert table.count("synthetic stand-in &lt;data&gt;") == 1
    assert "<em>Why:</em>" in table and "A &lt;title&gt;" in table and "data &amp; more" in table
    assert table.count("<tr>") == 2 + 1  # two cells and the header row
    # two different reasons stay in their rows
    table = item_table([_row("a", "differs", "x"), _row("b", "differs", "y")], ".")
    assert "<em>Why:</em>" not in table and " — x" in table and " — y" in table


def test_thumbnail_fits_the_box_keeps_aspect_and_links_the_figure(tmp_path):
    figure = tmp_path / "fig_5_1.png"
    Image.fromarray(np.zeros((600, 1200, 3), np.uint8)).save(figure)
    tag = figure_thumbnail(figure, "mask_comparison")
    assert 'href="mask_comparison.html#fig-5-1"' in tag
    data = base64.b64decode(re.search(r"base64,([^\"]+)", tag).group(1))
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (THUMBNAIL_SIZE[0], THUMBNAIL_SIZE[0] // 2)  # 1200 x 600 halves
    assert figure_thumbnail(tmp_path / "missing.png", "x") == "—"
    row = _row("fig", "figure", ours="fig_5_1.png")
    assert "<img" in item_table([row], tmp_path)


def test_claims_table_has_one_row_per_claim():
    claims = [ClaimVerdict("k-means is best", "§5.2", "holds", "IoU 0.9 > 0.5", "mask_comparison"),
              ClaimVerdict("a < b", "§6", "fails", "no", "denoiser")]
    table = claims_table(claims)
    assert table.count("<tr>") == 3 and "a &lt; b" in table and 'href="denoiser.html"' in table
