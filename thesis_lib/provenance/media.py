"""Audio in the chapters: an HTML player per waveform, a table of players per clip.

Jupyter renders an :class:`HtmlTable` as HTML when it is the last value of a
cell, as :class:`~thesis_lib.provenance.tables.MarkdownTable` does for Markdown.
"""

from __future__ import annotations

import html

import numpy as np

__all__ = ["HtmlTable", "audio_player", "player_table"]


class HtmlTable(str):
    """An HTML string that notebooks render as HTML rather than as a quoted string."""

    def _repr_html_(self) -> str:
        return str(self)


def audio_player(signal, rate: int) -> str:
    """HTML ``<audio>`` element of ``signal`` normalised to its own peak.

    Normalising each player keeps quiet (degraded or restored) clips audible;
    the levels of different players are therefore not comparable.

    Examples
    --------
    >>> html_text = audio_player(np.sin(np.arange(800) / 10), 8000)
    >>> html_text.startswith("<audio") and "base64" in html_text
    True
    """
    # deferred on purpose: IPython exists in a notebook kernel, not in every user of provenance
    from IPython.display import Audio

    signal = np.asarray(signal, dtype=np.float64)
    peak = max(1e-9, float(np.max(np.abs(signal)))) if signal.size else 1.0
    return Audio(signal / peak, rate=rate, normalize=False)._repr_html_().strip()


def player_table(rows, headers, rate: int) -> HtmlTable:
    """An HTML table whose first cell is a label and the others audio players.

    Parameters
    ----------
    rows : iterable of (str, sequence of waveforms)
        One label and one waveform per remaining column.
    headers : sequence of str
        Column headers, the label column first.
    rate : int
        Sample rate of every waveform.

    Examples
    --------
    >>> table = player_table([("clip 1", [np.ones(80), np.zeros(80)])], ["clip", "a", "b"], 8000)
    >>> table.count("<audio"), table.startswith("<table><thead><tr><th>clip</th>")
    (2, True)
    """
    cells = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers)
             + "</tr></thead><tbody>"]
    for label, signals in rows:
        players = "".join(f"<td>{audio_player(s, rate)}</td>" for s in signals)
        cells.append(f"<tr><td>{html.escape(label)}</td>{players}</tr>")
    return HtmlTable("\n".join(cells) + "</tbody></table>")
