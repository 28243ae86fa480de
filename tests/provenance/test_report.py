import pytest
import yaml

from thesis_lib.provenance import RunRecord, build_report, load_reference, summarise, write_results
from thesis_lib.provenance.report import DEFAULT_REFERENCE

REFERENCE = {
    "items": [
        {"id": "T1", "chapter": "alpha", "data": "d", "cells": [
            {"key": "a.x", "label": "x", "thesis": 1.0},
            {"key": "a.y", "label": "y", "thesis": 2.0, "expected": 2.0, "rtol": 0.01},
            {"key": "a.s", "label": "s", "thesis": "3 cycles"},
        ]},
        {"id": "F1", "chapter": "alpha", "figure": True, "cells": [
            {"key": "figures.f1", "label": "figure", "thesis": None}]},
        {"id": "T2", "chapter": "beta", "cells": [{"key": "b", "label": "b", "thesis": 5}]},
    ]
}


def test_statuses(tmp_path):
    ref = tmp_path / "ref.yml"
    ref.write_text(yaml.safe_dump(REFERENCE))
    values = {"a": {"x": 1.7, "y": 2.015, "s": "3 cycles"}, "figures": {"f1": "f.png"},
              "why": {"a.x": "planted on purpose"}}
    write_results("alpha", values, tmp_path / "res", RunRecord())
    rows = {(r.item, r.label): r for r in build_report(tmp_path / "res", ref)}
    assert rows[("T1", "x")].status == "differs"
    assert rows[("T1", "x")].why == "planted on purpose"
    assert rows[("T1", "y")].status == "reproduced"
    assert rows[("T1", "s")].status == "reproduced"
    assert rows[("F1", "figure")].status == "reproduced"
    assert rows[("T2", "b")].status == "not yet"
    assert rows[("T1", "x")].commit == rows[("T1", "y")].commit
    assert summarise(rows.values()) == {"differs": 1, "reproduced": 3, "not yet": 1}


def test_shipped_reference_covers_every_chapter_5_and_6_table():
    items = {item["id"] for item in load_reference(DEFAULT_REFERENCE)}
    for table in ["Table 5.1", "Table 5.2", "Table 6.1", "Table 6.2", "Table 6.3", "Table 6.4",
                  "Table 6.5", "Table 6.6", "Figure 5.1", "Figure 5.2", "Figure 5.3",
                  "Figure 5.4", "Figure 6.1"]:
        assert table in items


def test_malformed_reference_is_named(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("items:\n  - id: X\n    cells: []\n")
    with pytest.raises(ValueError, match="bad.yml.*chapter"):
        load_reference(bad)


def test_thesis_values_and_table_are_two_views_of_the_manifest():
    from thesis_lib.provenance import load_reference, thesis_table, thesis_values
    from thesis_lib.provenance.report import lookup
    for item in load_reference():
        flat = thesis_values(item["id"])
        assert len(flat) == len(item["cells"])
        nested = thesis_table(item["id"])
        for key, (_, value) in flat.items():
            assert lookup(nested, key) == value
    with pytest.raises(KeyError, match="Table 9.9"):
        thesis_values("Table 9.9")
