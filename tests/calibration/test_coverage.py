"""Coverage of the calibration's 95 % intervals on planted scans (a small version of the book's
20-seed count, `python -m thesis_lib.calibration.coverage --seeds 20`)."""

import json

import pytest

from thesis_lib.calibration.coverage import PlantedScan, interval_coverage, main


@pytest.mark.slow
def test_step_intervals_cover_the_planted_step_at_a_100um_step():
    """Five seeds of a 100 µm scan (88 positions): the step's 95 % interval holds the planted
    step in at least four (measured: 11 of seeds 0-11), the step error stays within 0.2 %
    (measured within ±0.06 %), and the beam, invisible at this step, is never identified."""
    design = PlantedScan("sine-100um", "sine", 100.0, 88)
    counts = interval_coverage([design], seeds=range(1, 6))["sine-100um"]
    assert counts["seeds"] == 5 and counts["step_covered"] >= 4
    assert max(abs(e) for e in counts["step_error"]) < 0.002
    assert counts["beam_identified"] == 0 and counts["beam_error"] == [None] * 5


def test_command_refuses_bad_options(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--seeds", "0", "--out", str(tmp_path / "c.json")])
    assert "--seeds 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--designs", "nonsense", "--out", str(tmp_path / "c.json")])
    assert "unknown ['nonsense']" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()


def test_finished_designs_are_not_counted_again(tmp_path, monkeypatch):
    """A rerun with the same seeds keeps the designs already in the file (resume)."""
    from thesis_lib.calibration import coverage

    out = tmp_path / "c.json"
    design = PlantedScan("toy", "sine", 100.0, 44)
    calls = []

    def fake(designs, seeds, **kwargs):
        calls.append([d.name for d in designs])
        return {d.name: {"seeds": len(list(seeds)), "step_covered": 1, "beam_identified": 0,
                         "beam_covered": 0, "step_error": [0.0], "beam_error": [None]}
                for d in designs}

    monkeypatch.setattr(coverage, "interval_coverage", fake)
    coverage.write_coverage(out, n_seeds=1, designs=[design])
    coverage.write_coverage(out, n_seeds=1, designs=[design])
    assert calls == [["toy"]]
    assert json.loads(out.read_text())["counts"]["toy"]["step_covered"] == 1
    coverage.write_coverage(out, n_seeds=2, designs=[design])   # other seeds: counted anew
    assert calls == [["toy"], ["toy"]]


def test_fine_designs_are_the_calibration_scans_of_the_manifest():
    """The coverage check counts the scans the synthetic beamline records (c1, c2), not
    shortened stand-ins."""
    import yaml

    from thesis_lib.calibration.coverage import DESIGNS
    from thesis_lib.xmcd.phantom import MANIFEST, load_manifest

    specs = load_manifest()
    speed = float(yaml.safe_load(MANIFEST.read_text())["tape_speed_m_s"])
    designs = {d.name: d for d in DESIGNS}
    for name, sid in (("fine-sine", "c1"), ("fine-square", "c2")):
        spec, design = specs[sid], designs[name]
        assert spec.calibration and design.signal == spec.signal
        assert design.nominal_step_um == spec.step_um
        assert design.n_positions == spec.n_positions(speed)
