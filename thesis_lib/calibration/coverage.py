"""Do the 95 % intervals of a calibration contain the planted values as often as they claim?

:func:`interval_coverage` plants a known step and beam in scans of a recorded test tone,
one scan per seed (a new tape-grain draw, detector noise and scan start each time), runs
:func:`~.search.calibrate` on each and counts how often ``step_interval_um`` and
``beam_interval_um`` contain the planted values. The scans are read by the 2-D beam
integration of :func:`thesis_lib.xmcd.tape.beam_average` — code the calibration does not
share — so a discretisation bias of the calibration's own read-out shows up as
under-coverage instead of cancelling.

A beam interval only counts where the beam is identified: an unidentified beam's interval
is the whole search and contains any planted value trivially.

References
----------
.. [1] S. S. Wilks, "The large-sample distribution of the likelihood ratio for testing
   composite hypotheses", Ann. Math. Statist. 9 (1938) 60-62.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inputs import SeriesMeta
from .search import SearchSettings, calibrate


@dataclass(frozen=True)
class PlantedScan:
    """One scan design with planted values: what the log says and what is true.

    Attributes
    ----------
    name : str
    signal : {"sine", "square"}
        Recorded test tone.
    nominal_step_um, n_positions : float, int
        Step of the log and number of scan positions.
    step_factor : float
        True step / nominal step (the stage's error the calibration must find).
    beam_um : float
        True beam FWHM along the tape (across the tape: 25 µm).
    floor : float
        Standard deviation of the white detector floor, in M/M_s.
    """

    name: str
    signal: str
    nominal_step_um: float
    n_positions: int
    step_factor: float = 1.013
    beam_um: float = 32.0
    floor: float = 0.01

    def scan(self, seed: int, *, tape_speed_m_s=0.381, tone_hz=261.0):
        """A measured waveform of this design for ``seed`` and its experiment log."""
        from thesis_lib.xmcd.tape import beam_average, recorded_tape  # sibling package

        rng = np.random.default_rng([int(seed), 0xC0FE])
        step = self.nominal_step_um * self.step_factor
        start = float(rng.uniform(4000.0, 5000.0))
        length = start + self.n_positions * step + 400.0
        tape = recorded_tape(tone_hz, length / (tape_speed_m_s * 1e6), tape_speed_m_s,
                             waveform=self.signal, seed=int(rng.integers(2**31)))
        s = beam_average(tape, start + step * np.arange(self.n_positions), (self.beam_um, 25.0),
                         azimuth_deg=0.5)
        s = s + self.floor * rng.standard_normal(s.size)
        meta = SeriesMeta(tape_speed_m_s=tape_speed_m_s, test_tone_hz=tone_hz,
                          step_um=self.nominal_step_um, beam_um=(30.0, 25.0),
                          series_id=self.name, signal=self.signal)
        # arbitrary units and sign, as a mask-weighted sum of counts gives
        return -180.0 * s + 25.0, meta


#: The designs of the book's coverage check: the synthetic beamline's two calibration scans
#: (c2 "fine-square": 4 µm over one tone period; c1 "fine-sine": 3 µm over three quarters of
#: one, both 365 positions — ``calibration_series`` of ``data_manifests/xmcd_table_5_2.yml``)
#: and two Table 5.2 steps (the beam of those is not identified, so only their step is
#: counted). A fine sine scan over a third of a period (183 positions) was counted before:
#: its step trades against the tone's phase and amplitude, errors reached 15 %, and such a
#: short scan is not what the synthetic beamline records.
DESIGNS = (PlantedScan("fine-square", "square", 4.0, 365),
           PlantedScan("sine-25um", "sine", 25.0, 175),
           PlantedScan("sine-100um", "sine", 100.0, 88),
           PlantedScan("fine-sine", "sine", 3.0, 365))


def interval_coverage(designs=DESIGNS, seeds=range(20), *, search: SearchSettings | None = None,
                      progress=None) -> dict:
    """Count, per design, the seeds whose 95 % intervals contain the planted values.

    Parameters
    ----------
    designs : sequence of PlantedScan
    seeds : iterable of int
    search : SearchSettings, optional
        Search of every calibration (default :class:`~.search.SearchSettings`).
    progress : callable, optional
        Called with ``(design name, seed)`` after each calibration.

    Returns
    -------
    dict
        ``{name: {"seeds": n, "step_covered": k, "beam_identified": m, "beam_covered": j,
        "step_error": [...], "beam_error": [...]}}``; ``beam_covered`` counts among the
        identified beams, the errors are estimate / planted − 1 (None for an unidentified
        beam).

    Notes
    -----
    Cost: one full calibration per design and seed (seconds to a minute each).

    Examples
    --------
    One seed of a coarse design: the step is found to a fraction of a per cent, the beam
    (invisible at a 100 µm step) is not identified.

    >>> design = PlantedScan("coarse", "sine", 100.0, 44)
    >>> grid = SearchSettings(step_factors=(0.98, 1.0, 1.02, 1.04), beams_um=(20.0, 40.0),
    ...                       refine_points=5, refine_levels=2)
    >>> out = interval_coverage([design], seeds=[0], search=grid)["coarse"]
    >>> out["seeds"], out["beam_identified"], bool(abs(out["step_error"][0]) < 0.005)
    (1, 0, True)
    """
    search = search or SearchSettings()
    out = {}
    for design in designs:
        counts = {"seeds": 0, "step_covered": 0, "beam_identified": 0, "beam_covered": 0,
                  "step_error": [], "beam_error": []}
        true_step = design.nominal_step_um * design.step_factor
        for seed in seeds:
            y, meta = design.scan(seed)
            cal = calibrate(y, meta, search=search, seed=int(seed))
            lo, hi = cal.step_interval_um
            counts["seeds"] += 1
            counts["step_covered"] += int(lo <= true_step <= hi)
            counts["step_error"].append(cal.step_um / true_step - 1.0)
            if cal.beam_identified:
                lo, hi = cal.beam_interval_um
                counts["beam_identified"] += 1
                counts["beam_covered"] += int(lo <= design.beam_um <= hi)
                counts["beam_error"].append(cal.beam_fwhm_um / design.beam_um - 1.0)
            else:
                counts["beam_error"].append(None)
            if progress is not None:
                progress(design.name, seed)
        out[design.name] = counts
    return out


def write_coverage(out, *, n_seeds: int = 20, designs=DESIGNS, progress=None):
    """Run :func:`interval_coverage` over seeds ``0 .. n_seeds - 1`` and write it as JSON.

    The file (written atomically after each design) records the designs and the seeds with
    the counts; the book's calibration chapter reads it. A design already counted in ``out``
    with the same settings and number of seeds is kept, not recomputed, so an interrupted run
    resumes.
    """
    import json
    from dataclasses import asdict
    from pathlib import Path

    from thesis_lib.provenance import write_json_atomic

    out = Path(out)
    doc = {"n_seeds": int(n_seeds), "level": 0.95, "designs": [], "counts": {}}
    if out.is_file():
        try:
            old = json.loads(out.read_text())
        except json.JSONDecodeError:
            old = {}
        if old.get("n_seeds") == int(n_seeds):
            doc = {**doc, "designs": old.get("designs", []), "counts": old.get("counts", {})}
    for design in designs:
        spec = json.loads(json.dumps(asdict(design)))
        if spec in doc["designs"] and design.name in doc["counts"]:
            continue
        counts = interval_coverage([design], range(int(n_seeds)), progress=progress)
        doc["designs"] = [d for d in doc["designs"] if d["name"] != design.name] + [spec]
        doc["counts"][design.name] = counts[design.name]
        write_json_atomic(out, doc)
    return write_json_atomic(out, doc)


def main(argv=None) -> int:
    """``python -m thesis_lib.calibration.coverage [--seeds N] [--designs A,B] [--out PATH]``."""
    import argparse

    names = [d.name for d in DESIGNS]
    parser = argparse.ArgumentParser(prog="python -m thesis_lib.calibration.coverage",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per design (default 20)")
    parser.add_argument("--designs", default=",".join(names),
                        help=f"comma-separated designs to count (default all: {','.join(names)})")
    parser.add_argument("--out", default="build/results/calibration_coverage.json",
                        help="output JSON (default build/results/calibration_coverage.json)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: give at least one seed")
    wanted = [w.strip() for w in args.designs.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in names]
    if unknown:
        parser.error(f"--designs: unknown {unknown}; choose from {names}")
    path = write_coverage(args.out, n_seeds=args.seeds,
                          designs=[d for d in DESIGNS if d.name in wanted],
                          progress=lambda name, seed: print(f"{name}: seed {seed} done",
                                                            flush=True))
    print(f"coverage written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
