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
            {"key": "a.gain", "label": "gain", "thesis": 4.7, "compare": "sign"},
            {"key": "a.loss", "label": "loss", "thesis": -56.9, "compare": "sign"},
            {"key": "a.step", "label": "step", "thesis": 1, "comparable": False,
             "reason": "different acquisitions"},
        ]},
        {"id": "F1", "chapter": "alpha", "figure": True, "cells": [
            {"key": "figures.f1", "label": "figure", "thesis": None}]},
        {"id": "T2", "chapter": "beta", "cells": [{"key": "b", "label": "b", "thesis": 5}]},
        {"id": "I1", "chapter": "alpha", "role": "input", "reason": "built to match",
         "cells": [{"key": "a.cycles", "label": "cycles", "thesis": "6 cycles"}]},
        {"id": "K1", "chapter": "alpha", "analytic": True, "data": "analytic signals",
         "cells": [{"key": "a.exact", "label": "exact 20", "thesis": None, "expected": 20.0,
                    "rtol": 1e-9}]},
        {"id": "S1", "chapter": "alpha", "data": "thesis: real; ours: synthetic beamline",
         "cells": [{"key": "a.z", "label": "z", "thesis": 3.0}]},
    ]
}


def test_statuses(tmp_path):
    ref = tmp_path / "ref.yml"
    ref.write_text(yaml.safe_dump(REFERENCE))
    values = {"a": {"x": 1.7, "y": 2.015, "s": "3 cycles", "gain": 3.9, "loss": 12.0,
                    "step": 25, "cycles": "6 cycles", "exact": 19.74, "z": 9.0},
              "figures": {"f1": "figures/f1.png"}, "why": {"a.x": "planted on purpose"}}
    write_results("alpha", values, tmp_path / "res", RunRecord())
    rows = {(r.item, r.label): r for r in build_report(tmp_path / "res", ref)}
    assert rows[("T1", "x")].status == "differs"
    assert rows[("T1", "x")].why == "planted on purpose"
    assert rows[("T1", "y")].status == "reproduced"
    assert rows[("T1", "s")].status == "reproduced"
    assert rows[("T1", "gain")].status == "same direction"  # both positive, sizes differ
    assert rows[("T1", "loss")].status == "differs"  # opposite sign
    assert rows[("T1", "step")].status == "not comparable"
    assert rows[("T1", "step")].why == "different acquisitions"
    # a figure is drawn, not reproduced; an input of the synthetic beamline is not a result
    assert rows[("F1", "figure")].status == "figure"
    assert rows[("I1", "cycles")].status == "input"
    assert rows[("I1", "cycles")].why == "built to match"
    # an analytic check that misses is a defect, never blamed on the data
    assert rows[("K1", "exact 20")].status == "differs"
    assert "defect" in rows[("K1", "exact 20")].why
    assert "synthetic" not in rows[("K1", "exact 20")].why
    assert "synthetic stand-in" in rows[("S1", "z")].why
    assert rows[("T2", "b")].status == "not yet"
    assert rows[("T1", "x")].commit == rows[("T1", "y")].commit
    assert summarise(rows.values()) == {"reproduced": 2, "same direction": 1, "differs": 4,
                                        "not comparable": 1, "input": 1, "figure": 1,
                                        "not yet": 1}


def test_shipped_reference_compares_like_with_like():
    items = {item["id"]: item for item in load_reference(DEFAULT_REFERENCE)}
    # Table 6.2's thesis column is a gain: it sits beside our gain, not our absolute SI-SDR
    keys = [c["key"] for c in items["Table 6.2"]["cells"]]
    assert "n250.delta_si_sdr_db" in keys and "n250.si_sdr_db" not in keys
    assert items["Table 5.2"]["role"] == "input"
    assert items["§6.1 metrics"]["analytic"] is True
    step = next(c for c in items["Table 6.5"]["cells"] if c["key"] == "operating_point.step_um")
    assert step["comparable"] is False


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
