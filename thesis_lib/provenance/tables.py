"""Markdown tables for the chapters: rows in, a displayable table out.

Chapters pass rows (mappings or sequences) and, where a column needs it, a
format; the helper picks a sensible precision for the other numbers, marks
missing values, escapes ``|`` in text and right-aligns numeric columns. The
result is a ``str`` that Jupyter renders as Markdown when it is the last value
of a cell, so a chapter needs neither f-strings nor ``IPython.display``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real

__all__ = ["MISSING", "MarkdownTable", "format_number", "markdown_table"]

#: Shown for None and NaN.
MISSING = "–"


class MarkdownTable(str):
    """A Markdown string that notebooks render as Markdown rather than as a quoted string."""

    def _repr_markdown_(self) -> str:
        return str(self)


def format_number(value, *, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, no exponent unless it is tiny or huge.

    Integers are written in full; floats at or above ``10**digits`` are rounded
    to integers; below 1e-3 (and above 1e9) the exponent form is used.

    Examples
    --------
    >>> [format_number(v) for v in (3, 0.5, 2.0 / 3.0, 123.456, 98765.4, 1.5e-5, 0.0)]
    ['3', '0.5', '0.6667', '123.5', '98765', '1.500e-05', '0']
    >>> format_number(float("nan"))
    '–'
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"format_number takes a real number, got {type(value).__name__}")
    if isinstance(value, Integral):
        return str(int(value))
    x = float(value)
    if math.isnan(x):
        return MISSING
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0.0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e9:
        return f"{x:.{digits - 1}e}"
    if abs(x) >= 10 ** digits:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def _cell(value, fmt) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, tuple) and not callable(fmt):
        # a pair such as (thesis, ours): each part formatted alike, joined by " / "
        return " / ".join(_cell(part, fmt) for part in value)
    if callable(fmt):
        text = fmt(value)
    elif fmt is not None:
        text = format(value, fmt)
    elif isinstance(value, Real) and not isinstance(value, bool):
        text = format_number(value)
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _numeric_column(values) -> bool:
    # right-align a column of numbers; missing cells do not make it a text column
    return any(_is_number(v) for v in values) and all(v is None or _is_number(v) for v in values)


def markdown_table(rows, columns=None, *, formats: Mapping | None = None,
                   caption: str | None = None, note: str | None = None) -> MarkdownTable:
    """A Markdown table of ``rows``.

    Parameters
    ----------
    rows : sequence of mappings or of sequences
        One entry per table row.
    columns : sequence or mapping, optional
        For mapping rows: the keys to show, in order, or ``{key: header}`` to
        rename them (default: the keys of the first row). For sequence rows:
        the headers, one per position (required).
    formats : mapping, optional
        ``{key or header: format}``, a format spec such as ``".3f"`` or a
        callable returning the cell text. Other numbers go through
        :func:`format_number`; None and NaN show as :data:`MISSING`. A tuple
        value (e.g. ``(thesis, ours)``) shows its parts joined by ``" / "``,
        each formatted as a cell of its own (unless the format is a callable,
        which receives the whole tuple).
    caption, note : str, optional
        Bold line above the table, plain paragraph below it.

    Returns
    -------
    MarkdownTable
        A ``str``; numeric columns are right-aligned.

    Raises
    ------
    ValueError
        If a row lacks a column or has the wrong number of cells.

    Examples
    --------
    >>> print(markdown_table([{"method": "k-means", "area": 0.01234, "n": 3}],
    ...                      {"method": "method", "area": "area fraction", "n": "components"},
    ...                      formats={"area": ".3f"}))
    | method | area fraction | components |
    |---|---:|---:|
    | k-means | 0.012 | 3 |
    >>> print(markdown_table([("k-means", (0.026882, 0.01234)), ("GMM", (0.127514, None))],
    ...                      ["method", "area (thesis / ours)"],
    ...                      formats={"area (thesis / ours)": ".4f"}))
    | method | area (thesis / ours) |
    |---|---|
    | k-means | 0.0269 / 0.0123 |
    | GMM | 0.1275 / – |
    """
    rows = list(rows)
    formats = dict(formats or {})
    if columns is None:
        if not rows or not isinstance(rows[0], Mapping):
            raise ValueError("markdown_table: give `columns` (the headers) for rows that are "
                             "sequences or when there are no rows")
        columns = list(rows[0])
    if isinstance(columns, Mapping):
        keys, headers = list(columns), [str(h) for h in columns.values()]
    else:
        keys, headers = list(columns), [str(c) for c in columns]
    table = [_row_values(row, keys, i) for i, row in enumerate(rows)]
    numeric = [_numeric_column([values[j] for values in table]) for j in range(len(keys))]
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if num else "---" for num in numeric) + "|"]
    for values in table:
        cells = [_cell(v, formats.get(k, formats.get(h)))
                 for v, k, h in zip(values, keys, headers, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    if caption:
        text = f"**{caption}**\n\n{text}"
    if note:
        text = f"{text}\n\n{note}"
    return MarkdownTable(text)


def _row_values(row, keys: Sequence, index: int) -> list:
    if isinstance(row, Mapping):
        missing = [k for k in keys if k not in row]
        if missing:
            raise ValueError(f"markdown_table: row {index} has no column {missing[0]!r}; "
                             f"give it a value (None shows as {MISSING})")
        return [row[k] for k in keys]
    values = list(row) if not isinstance(row, (str, bytes)) else [row]
    if len(values) != len(keys):
        raise ValueError(f"markdown_table: row {index} has {len(values)} cells for "
                         f"{len(keys)} columns; give one value per column")
    return values
