"""The reproduction report: every thesis table/figure cell beside our value.

The thesis values live in ``data_manifests/thesis_reference.yml``; our values
come from the chapters' results files (``<results_dir>/<chapter>.json``). A
cell's status is

* ``not yet`` — its chapter has not produced the value;
* ``reproduced`` — equal (strings), within ``rtol`` of the expected value, or a
  figure that was drawn;
* ``differs`` — with a reason: the chapter may explain a cell through its
  ``values["why"][key]``; otherwise the reason defaults to the data difference
  (our data are synthetic stand-ins for the thesis's measurements).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from .record import read_results

DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "data_manifests" / "thesis_reference.yml"


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
            thesis = cell.get("thesis")
            try:
                ours = lookup(values, key)
            except KeyError:
                rows.append(ReportRow(item["id"], item.get("title", ""), cell["label"], thesis, None, item.get("data", ""),
                                      "not yet", f"chapter `{item['chapter']}` has not produced it",
                                      item["chapter"], commit))
                continue
            expected = cell.get("expected", thesis)
            rtol = cell.get("rtol")
            if item.get("figure"):
                status, why = "reproduced", "figure drawn from our data"
            elif isinstance(expected, str) or isinstance(ours, str):
                same = str(expected).strip() == str(ours).strip()
                status, why = ("reproduced", "") if same else ("differs", "")
            elif expected is not None and rtol is not None and _close(ours, expected, rtol):
                status, why = "reproduced", f"within rtol {rtol:g}"
            else:
                status, why = "differs", ""
            if status == "differs" and not why:
                why = whys.get(key) or "synthetic stand-in data, not the thesis's measurements"
            rows.append(ReportRow(item["id"], item.get("title", ""), cell["label"], thesis, ours, item.get("data", ""),
                                  status, why, item["chapter"], commit))
    return rows


def summarise(rows) -> dict:
    """Count the rows per status."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts
