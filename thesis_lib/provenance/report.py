"""The reproduction report: every thesis table/figure cell beside our value.

The thesis values live in ``data_manifests/thesis_reference.yml``; our values
come from the chapters' results files (``<results_dir>/<chapter>.json``). A
cell's status is one of

* ``reproduced`` — equal (strings), within the cell's ``rtol`` of the expected
  value, or an equal setting;
* ``same direction`` — a signed change (``compare: sign``) with the thesis's
  sign but not its size;
* ``differs`` — with a specific reason: the chapter's ``values["why"][key]``,
  else the item's ``why``; only items computed on synthetic stand-in data fall
  back to naming the data; an analytic check (``analytic: true``) that differs
  is a defect of the code and says so;
* ``not comparable`` — the two numbers describe different things (a cell with
  ``comparable: false`` and its ``reason``);
* ``input`` — a property the synthetic beamline is *built* to match (an item
  with ``role: input``): agreement there is by construction, not a result;
* ``figure`` — a figure redrawn on our data, compared by eye;
* ``not yet`` — its chapter has not produced the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from thesis_lib._paths import MANIFESTS

from .record import read_results

DEFAULT_REFERENCE = MANIFESTS / "thesis_reference.yml"


@dataclass(frozen=True)
class ReportRow:
    item: str
    title: str
    label: str
    thesis: object
    ours: object
    data: str
    status: str
    why: str
    chapter: str
    commit: str | None


def load_reference(path=DEFAULT_REFERENCE) -> list[dict]:
    """Read the reference manifest and check that every item is well formed."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path} is missing; it ships with the repository - restore it "
                                "with `git checkout -- data_manifests/`") from exc
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a top-level `items:` list")
    for item in items:
        for field in ("id", "chapter", "cells"):
            if field not in item:
                raise ValueError(f"{path}: item {item.get('id', '?')!r} lacks `{field}`")
    return items


def thesis_values(item_id: str, path=DEFAULT_REFERENCE) -> dict:
    """The transcribed thesis values of one item, ``{dotted key: (label, value)}``.

    Chapters read the thesis's numbers from the manifest instead of typing them.

    Examples
    --------
    >>> thesis_values("Table 6.6")["match.rho"]
    ('Pearson ρ', 0.83)
    """
    for item in load_reference(path):
        if item["id"] == item_id:
            return {c["key"]: (c["label"], c["thesis"]) for c in item["cells"]}
    raise KeyError(f"{item_id!r} is not an item of {path}")


def thesis_table(item_id: str, path=DEFAULT_REFERENCE) -> dict:
    """The thesis values of one item nested by their dotted keys.

    Examples
    --------
    >>> thesis_table("Table 5.1")["kmeans"]["components"]
    395
    """
    table: dict = {}
    for key, (_, value) in thesis_values(item_id, path).items():
        *parents, leaf = key.split(".")
        node = table
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return table


def lookup(values: dict, dotted: str):
    """Follow a dotted key through nested dicts; ``KeyError`` if absent.

    Examples
    --------
    >>> lookup({"a": {"b": 3}}, "a.b")
    3
    """
    node = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def _close(a, b, rtol) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=0.0)
    except (TypeError, ValueError):
        return False


STATUSES = ("reproduced", "same direction", "differs", "not comparable", "input", "figure",
            "not yet")
_SYNTHETIC_WHY = "synthetic stand-in data, not the thesis's measurements"


def _same_sign(a, b) -> bool:
    try:
        return float(a) * float(b) > 0
    except (TypeError, ValueError):
        return False


def _reason(cell, item, whys, key) -> str:
    """The most specific reason available for a cell that is not reproduced."""
    why = whys.get(key) or cell.get("why") or item.get("why")
    if why:
        return str(why)
    if item.get("analytic"):
        return "an analytic check that should hold exactly: a defect in the code, not the data"
    if "synthetic" in str(item.get("data", "")) or "ours:" in str(item.get("data", "")):
        return _SYNTHETIC_WHY
    return "no reason recorded"


def _judge(cell, item, ours, whys, key) -> tuple[str, str]:
    thesis = cell.get("thesis")
    expected = cell.get("expected", thesis)
    rtol = cell.get("rtol")
    if item.get("figure"):
        return "figure", "redrawn on our data; compare by eye"
    if item.get("role") == "input" or cell.get("role") == "input":
        return "input", str(cell.get("reason") or item.get("reason")
                            or "the synthetic beamline is built to match this")
    if cell.get("comparable") is False:
        extra = whys.get(key)
        reason = str(cell.get("reason", "the two values describe different things"))
        return "not comparable", reason + (f"; {extra}" if extra else "")
    if isinstance(expected, str) or isinstance(ours, str):
        if str(expected).strip() == str(ours).strip():
            return "reproduced", "the same value"
    elif expected is not None and rtol is not None and _close(ours, expected, rtol):
        return "reproduced", (f"within rtol {rtol:g}" if rtol else "the same value")
    elif cell.get("compare") == "sign" and _same_sign(ours, thesis):
        return "same direction", _reason(cell, item, whys, key)
    return "differs", _reason(cell, item, whys, key)


def build_report(results_dir, reference_path=DEFAULT_REFERENCE) -> list[ReportRow]:
    """Join the reference manifest with the results files into report rows."""
    results = read_results(results_dir) if Path(results_dir).is_dir() else {}
    rows = []
    for item in load_reference(reference_path):
        payload = results.get(item["chapter"])
        values = payload["values"] if payload else {}
        commit = payload["provenance"].get("git_commit") if payload else None
        whys = values.get("why", {}) if isinstance(values.get("why"), dict) else {}
        for cell in item["cells"]:
            key = cell["key"]
            try:
                ours = lookup(values, key)
            except KeyError:
                status, why, ours = ("not yet", f"chapter `{item['chapter']}` has not produced it",
                                     None)
            else:
                status, why = _judge(cell, item, ours, whys, key)
            rows.append(ReportRow(item["id"], item.get("title", ""), cell["label"],
                                  cell.get("thesis"), ours, item.get("data", ""), status, why,
                                  item["chapter"], commit))
    return rows


def summarise(rows) -> dict:
    """Count the rows per status, in the order of :data:`STATUSES`."""
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    return {s: n for s, n in counts.items() if n}
