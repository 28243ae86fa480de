"""Synthetic beamline: the acquisitions of Table 5.2 with their ground truth.

Each scan position *t* yields four detector-frame stacks following eq. 2.1,

.. math:: I_{h,m}^{(t)} = \\mathrm{clip}\\big(\\mathrm{Poisson}(g_{h,m,t}\\, e\\,
          (S_0(p - \\delta_t) + h\\,m\\,s_t\\,S_\\mathrm{mag}(p - \\delta_t)) + e\\,d(p))
          + \\mathcal{N}(0, \\sigma_r^2),\\ 0,\\ \\mathrm{full\\ scale}\\big)

with *e* the frame exposure, *g* helicity-dependent gain fluctuations, *d* the
dark rate of hot pixels, :math:`\\delta_t` a sub-pixel drift with rare jumps
and :math:`s_t` the tape magnetisation (written by the emulator's recording
stages f1-f4) averaged under the beam by this package's own 2-D integration
(:mod:`thesis_lib.xmcd.tape`) at the *true* scan position (the stage's step is
off by a few per cent from the nominal one it records). Background and
footprint come from :class:`~thesis_lib.xmcd.scene.DetectorScene`.

Seeds: ``geometry_seed`` fixes everything a ground truth holds (scene,
footprint, drift, step and beam errors, tape); ``seed`` fixes the counting
noise, read noise and gain fluctuations. Same seeds give identical bytes.

Output of :func:`write_phantom` (``OUT/<series_id>/`` per series and
``OUT/reference/``): ``scan_00000.nxs ...`` (what a reader of real data sees),
``series.yml`` (the experiment log: nominal step, tape speed, integration,
repeats, nominal beam, test tone), ``ground_truth.npz`` (``footprint`` int8
H×W in {-1, 0, 1} at zero drift, ``s_true`` per file, ``shift_px`` T×2 (dy, dx):
the displacement of file t's image content measured from the mean position of the
reference acquisition's files (``origin_px``), the origin a real experiment can
register to; the content sits at p + ``shift_px_scene`` = p + ``origin_px`` + ``shift_px``
in scene coordinates, i.e. its footprint is ``scipy.ndimage.shift(footprint,
shift_px_scene[t])`` (eq. 3.3, M_t(p) = M(p - δ_t)),
``beam_fwhm_um`` (2,), ``step_um`` true step; plus ``s_mag`` counts/s,
``positions_true_um``, ``gain`` T×4, ``count_time_s``) and a hidden
``.phantom.json`` used to resume or skip finished work.

References
----------
.. [1] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, eqs. 2.1-2.2,
   §3.3, §5.1, Table 5.2.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from thesis_lib._config import check_keys, check_kind, read_config, require_mapping
from thesis_lib._npz import write_npz_deterministic
from thesis_lib._paths import MANIFESTS
from thesis_lib.provenance import PROFILE_FILE, profile_section, write_json_atomic

from .errors import UnknownSeriesError
from .nexus import COMBINATIONS
from .scene import DetectorScene, SceneParams
from .series import write_series_yml
from .tape import beam_average, recorded_tape
from .writer import Acquisition, write_scan

MANIFEST = MANIFESTS / "xmcd_table_5_2.yml"
#: Bump when the generated data change for equal settings (invalidates caches).
PHANTOM_VERSION = 4   # 3: tape written with 4 points per segment; 4: shifts from the reference
_MARKER = ".phantom.json"


@dataclass(frozen=True)
class SeriesSpec:
    """One acquisition series: what Table 5.2 states about it."""

    id: str
    integration_s: float
    repeats: int
    step_um: float
    cycles: float | None = None
    n_files: int | None = None
    tone_hz: float = 261.0
    beam_um: tuple = (26.0, 25.0)
    saturated: bool = False
    signal: str = "sine"
    calibration: bool = False

    def n_positions(self, tape_speed_m_s) -> int:
        """Files in the series: ``n_files``, or enough steps to span ``cycles`` of the tone."""
        if self.n_files is not None:
            return int(self.n_files)
        wavelength_um = tape_speed_m_s * 1e6 / self.tone_hz
        return max(2, int(round(self.cycles * wavelength_um / self.step_um)))


@dataclass(frozen=True)
class PhantomConfig:
    """Everything that shapes the synthetic data (defaults: the ``quick`` profile).

    Attributes
    ----------
    detector : int
        Pixels per side of the square detector.
    seed, geometry_seed : int
        Noise seed; seed of everything the ground truth holds.
    tape_speed_m_s : float
        Tape speed, links the tone frequency to its wavelength on tape.
    frames_per_acquisition : int
        Frames an integration is read out as (frame exposure = integration / this).
    noise : bool
        False stores expected counts (float64) without noise or gain fluctuations.
    read_noise_counts, full_scale : float, int
        Gaussian read noise (counts rms); detector full scale (clipped, flagged).
    gain_sigma : float
        Relative rms of the per-(h, m, file) gain fluctuations.
    step_error, beam_error : float
        Largest relative error of the true step / beam FWHM against the nominal ones.
    drift_px, drift_memory : float
        Rms and file-to-file correlation of the slow drift (pixels at 128 px).
    jump_probability, jump_px : float, tuple
        Chance per file of a persistent jump, and its size range (pixels at 128 px).
    tape_source, drive_amplitude : str, float
        ``"emulator"`` or ``"stand-in"`` recording; peak of the sine drive.
    azimuth_deg : float
        Head azimuth: tilt of the recorded transitions across the track.
    compression : str or None
        HDF5 filter of the frame data (``"gzip"``).
    scene : SceneParams
        Background, footprint and detector-defect knobs.
    """

    detector: int = 128
    seed: int = 0
    geometry_seed: int = 2022
    tape_speed_m_s: float = 0.381
    frames_per_acquisition: int = 1
    noise: bool = True
    read_noise_counts: float = 2.5
    full_scale: int = 4095
    gain_sigma: float = 0.003
    step_error: float = 0.03
    beam_error: float = 0.08
    drift_px: float = 0.25
    drift_memory: float = 0.95
    jump_probability: float = 0.015
    jump_px: tuple = (1.5, 3.0)
    tape_source: str = "emulator"
    drive_amplitude: float = 0.5
    azimuth_deg: float = 0.5
    compression: str | None = None
    scene: SceneParams = field(default_factory=SceneParams)


def load_manifest(path=MANIFEST) -> dict:
    """Series of the manifest as ``{id: SeriesSpec}`` (the reference under ``"reference"``).

    The Table 5.2 series come first, then the reference, then the manifest's own
    ``calibration_series`` (``SeriesSpec.calibration`` true): finely stepped scans that are
    not in the thesis, recorded for calibrating the read-out.
    """
    doc = require_mapping(
        read_config(path, what="series manifest",
                    fix="restore data_manifests/xmcd_table_5_2.yml with `git checkout` or pass "
                        "an existing manifest"),
        source=str(path), what="a series manifest",
        example="{test_tone_hz: 261.0, beam_um: [26.0, 25.0], series: [...], reference: {...}}")
    source = str(path)
    check_keys(doc, source=source, known=_MANIFEST_KEYS, required=_MANIFEST_REQUIRED,
               hint=_COMPARE)
    common = {"tone_hz": float(check_kind(doc["test_tone_hz"], (int, float), source=source,
                                          name="test_tone_hz", example="261.0")),
              "beam_um": tuple(check_kind(doc["beam_um"], list, source=source, name="beam_um",
                                          example="[26.0, 25.0]"))}
    series = check_kind(doc["series"], list, source=source, name="series",
                        example="[{id: s1, ...}]")
    specs = {e["id"]: SeriesSpec(**{**common, **e})
             for e in (_series_entry(e, source) for e in series)}
    specs["reference"] = SeriesSpec(**{**common, **_series_entry(doc["reference"], source)})
    # our calibration acquisitions (not in Table 5.2): finely stepped, own beam and signal
    for entry in check_kind(doc.get("calibration_series") or [], list, source=source,
                            name="calibration_series", example="[{id: c1, ...}]"):
        entry = _series_entry(entry, source)
        specs[entry["id"]] = SeriesSpec(**{**common, **entry, "calibration": True})
    return specs


#: Top-level keys of a series manifest; the others describe the experiment for readers.
_MANIFEST_KEYS = ("version", "experiment", "test_tone_hz", "signal", "tape_speed_m_s", "beam_um",
                  "polarisations", "series", "reference", "calibration_series")
_MANIFEST_REQUIRED = ("test_tone_hz", "beam_um", "series", "reference")
_COMPARE = " (compare data_manifests/xmcd_table_5_2.yml)"


def _series_entry(entry, source: str) -> dict:
    """One series of a manifest, its keys and the kinds of its numbers checked."""
    entry = require_mapping(entry, source=source, what="each series",
                            example="{id: s1, integration_s: 6.0, repeats: 1, step_um: 25.0, "
                                    "cycles: 6.0}")
    where = f"{source}: series {entry.get('id', '(no id)')!r}"
    check_keys(entry, source=where, known=SeriesSpec.__dataclass_fields__,
               required=("id", "integration_s", "repeats", "step_um"), hint=_COMPARE)
    for name, kinds, example in (("integration_s", (int, float), "6.0"),
                                 ("step_um", (int, float), "25.0"),
                                 ("cycles", (int, float), "6.0"), ("repeats", int, "2"),
                                 ("n_files", int, "5")):
        if entry.get(name) is not None:
            check_kind(entry[name], kinds, source=where, name=name, example=example)
    if entry.get("cycles") is None and entry.get("n_files") is None:
        raise ValueError(f"{where}: give cycles (tone periods the scan spans) or n_files")
    return entry


def profile_settings(profile="quick", *, profiles=PROFILE_FILE) -> dict:
    """Detector size and readout settings of a book profile (section ``xmcd_phantom``)."""
    return profile_section(profile, "xmcd_phantom", path=profiles)._asdict()


def profile_config(profile="quick", *, profiles=PROFILE_FILE, **overrides) -> PhantomConfig:
    """:class:`PhantomConfig` of a book profile; every profile key must be a config field.

    The settings come from the ``xmcd_phantom`` section of the profile file
    (:mod:`thesis_lib.provenance.profiles`); ``overrides`` replace any of them.

    Examples
    --------
    >>> cfg = profile_config("quick")
    >>> cfg.detector, cfg.frames_per_acquisition
    (128, 1)
    """
    settings = {**profile_settings(profile, profiles=profiles), **overrides}
    known = set(PhantomConfig.__dataclass_fields__)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"{profiles}: profile {profile!r} sets unknown phantom parameter(s) "
                         f"{unknown}; known: {sorted(known)}")
    return replace(PhantomConfig(), **settings)


class SyntheticSeries:
    """One series of the synthetic beamline: truth, expected counts and noisy frames.

    Examples
    --------
    >>> spec = SeriesSpec("demo", integration_s=2.0, repeats=1, step_um=200.0, cycles=1.0)
    >>> ser = SyntheticSeries(spec, PhantomConfig(detector=32))
    >>> ser.n_files, ser.frames(0)[(1, 1)].shape, ser.frames(0)[(1, 1)].dtype.name
    (7, (1, 32, 32), 'uint16')
    """

    def __init__(self, spec: SeriesSpec, config: PhantomConfig = PhantomConfig(),
                 reference: SeriesSpec | None = None):
        self.spec, self.config = spec, config
        self.scene = _scene(config.geometry_seed, config.detector, config.scene)
        self._key = zlib.crc32(spec.id.encode())
        geo = np.random.default_rng([config.geometry_seed, self._key])
        self.n_files = spec.n_positions(config.tape_speed_m_s)
        self.step_um = spec.step_um * (1 + geo.uniform(-config.step_error, config.step_error))
        self.beam_fwhm_um = np.asarray(spec.beam_um, float) * (
            1 + geo.uniform(-config.beam_error, config.beam_error, 2))
        start = float(np.round(geo.uniform(1000.0, 2000.0), 1))
        self.positions_nominal_um = start + spec.step_um * np.arange(self.n_files)
        self.positions_true_um = start + self.step_um * np.arange(self.n_files)
        self.shift_px = self._drift(geo)
        # ground-truth shifts are stated from the reference acquisition's mean position:
        # the origin an experiment can measure (nobody sees the undisplaced scene)
        if reference is None:
            self.origin_px = np.zeros(2)
        elif reference.id == spec.id:
            self.origin_px = self.shift_px.mean(axis=0)
        else:
            self.origin_px = SyntheticSeries(reference, config).shift_px.mean(axis=0)
        self.s_true = self._tape(geo, start)
        self.count_time_s = spec.integration_s / config.frames_per_acquisition
        self.n_frames = config.frames_per_acquisition * spec.repeats
        noise = np.random.default_rng([config.seed, self._key, 1])
        self.gain = (1 + config.gain_sigma * noise.standard_normal((self.n_files, 4))
                     if config.noise else np.ones((self.n_files, 4)))

    def _drift(self, geo):
        """Slow mean-reverting drift (std ``drift_px``) plus rare persistent jumps, in pixels."""
        c = self.config
        scale = c.detector / 128.0
        rho = c.drift_memory
        slow = np.zeros((self.n_files, 2))
        slow[0] = c.drift_px * geo.standard_normal(2)
        for t in range(1, self.n_files):
            slow[t] = rho * slow[t - 1] + np.sqrt(1 - rho**2) * c.drift_px * geo.standard_normal(2)
        jumps = np.zeros((self.n_files, 2))
        for t in np.nonzero(geo.random(self.n_files) < c.jump_probability)[0]:
            angle = geo.uniform(0, 2 * np.pi)
            jumps[t:] += geo.uniform(*c.jump_px) * np.array([np.sin(angle), np.cos(angle)])
        return scale * (slow + jumps)

    def _tape(self, geo, start):
        c, spec = self.config, self.spec
        tape_seed = int(geo.integers(2**32))
        if spec.saturated:
            return np.ones(self.n_files)
        margin = 6 * float(max(self.beam_fwhm_um))
        first = self.positions_true_um[0] - margin
        length = self.positions_true_um[-1] - first + margin
        tape = recorded_tape(spec.tone_hz, length / (c.tape_speed_m_s * 1e6), c.tape_speed_m_s,
                             start_um=first, source=c.tape_source,
                             drive_amplitude=c.drive_amplitude, waveform=spec.signal,
                             seed=tape_seed)
        return beam_average(tape, self.positions_true_um, self.beam_fwhm_um,
                            azimuth_deg=c.azimuth_deg)

    # -- images -------------------------------------------------------------------------------
    def magnetic_term(self, t) -> np.ndarray:
        """``S_mag`` (counts/s) as seen in file ``t`` (translated by its drift)."""
        return self.scene.magnetic(self.shift_px[t])

    def expected_counts(self, t) -> dict:
        """Mean counts of one frame for each (h, m) of file ``t`` (before clipping)."""
        sc, e = self.scene, self.count_time_s
        s0, smag = sc.terms(self.shift_px[t])
        return {hm: self.gain[t, k] * e * sc.response * (s0 + hm[0] * hm[1] * self.s_true[t] * smag)
                + e * sc.dark_counts_per_s for k, hm in enumerate(COMBINATIONS)}

    def frames(self, t) -> dict:
        """Frame stacks of file ``t``: uint16 counts, or float64 expected counts without noise."""
        c = self.config
        lam = self.expected_counts(t)
        shape = (self.n_frames,) + self.scene.shape
        if not c.noise:
            return {hm: np.minimum(np.broadcast_to(lam[hm], shape), c.full_scale).astype(np.float64)
                    for hm in COMBINATIONS}
        rng = np.random.default_rng([c.seed, self._key, 2, t])
        out = {}
        for hm in COMBINATIONS:
            counts = rng.poisson(np.broadcast_to(lam[hm], shape)).astype(np.float64)
            counts += c.read_noise_counts * rng.standard_normal(shape)
            out[hm] = np.clip(np.rint(counts), 0, c.full_scale).astype(np.uint16)
        return out

    def ground_truth(self) -> dict:
        return {"footprint": self.scene.footprint, "s_true": self.s_true.astype(np.float64),
                "shift_px": self.shift_px - self.origin_px,
                "shift_px_scene": self.shift_px, "origin_px": self.origin_px,
                "beam_fwhm_um": self.beam_fwhm_um,
                "step_um": np.float64(self.step_um), "s_mag": self.scene.magnetic(),
                "positions_true_um": self.positions_true_um, "gain": self.gain,
                "count_time_s": np.float64(self.count_time_s)}

    def series_meta(self) -> dict:
        """The experiment log written to ``series.yml`` (nominal values only)."""
        spec, c = self.spec, self.config
        meta = {"experiment": "Synthetic beamline (stand-in for GALAXIES Nov 22)",
                "series_id": spec.id,
                "tape_speed_m_s": c.tape_speed_m_s, "integration_s": spec.integration_s,
                "polarisations": 2, "repeats": spec.repeats, "step_um": spec.step_um,
                "beam_um": list(spec.beam_um)}
        if spec.saturated:
            meta["signal"] = "saturated region (no tone)"
        else:
            meta.update(signal=spec.signal, test_tone_hz=spec.tone_hz)
        if spec.calibration:
            meta["purpose"] = "calibration scan (finely stepped; not a Table 5.2 series)"
        return meta

    # -- writing ------------------------------------------------------------------------------
    def write(self, folder, overwrite=False) -> Path:
        """Write the series into ``folder``, skipping files a previous run finished."""
        folder = Path(folder)
        marker = _marker(self.spec, self.config)
        if _check_marker(folder, marker, overwrite):
            return folder
        write_json_atomic(folder / _MARKER, {**marker, "complete": False})
        c, spec = self.config, self.spec
        t0 = _dt.datetime(2022, 11, 15, 8) + _dt.timedelta(hours=self._key % 97)
        per_file = _dt.timedelta(seconds=4 * spec.integration_s * spec.repeats + 12)
        acquisition = Acquisition(integration_s=spec.integration_s,
                                  count_time_s=self.count_time_s, repeats=spec.repeats,
                                  step_um=spec.step_um, beam_um=spec.beam_um)
        for t in range(self.n_files):
            path = folder / f"scan_{t:05d}.nxs"
            if path.exists():
                continue
            write_scan(path, self.frames(t), position_um=self.positions_nominal_um[t],
                       acquisition=acquisition,
                       pixel_mask=self.scene.pixel_mask, saturation_value=c.full_scale,
                       start_time=(t0 + t * per_file).isoformat(), compression=c.compression,
                       title=f"synthetic XMCD scan {spec.id} position {t}")
        write_npz_deterministic(folder / "ground_truth.npz", self.ground_truth())
        write_series_yml(folder, self.series_meta())
        write_json_atomic(folder / _MARKER, {**marker, "complete": True})
        return folder


def write_phantom(out_dir, series="all", detector=128, seed=0, config=None, *, workers=None,
                  overwrite=False, manifest=MANIFEST, on_done=None) -> dict:
    """Write the synthetic acquisitions of the manifest under ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
    series : "all", str or list of str
        Series ids of the manifest (``"s1"`` ... ``"s8"``, ``"reference"``);
        ``"all"`` means every series plus the reference.
    detector, seed : int
        Detector size (pixels per side) and noise seed; they override ``config``.
    config : PhantomConfig, optional
    workers : int, optional
        Processes writing series in parallel (default: up to the CPU count).
    overwrite : bool
        Replace series written earlier with different settings (otherwise an
        error says so).
    on_done : callable, optional
        Called with each series id when it is finished (progress bars).

    Returns
    -------
    dict ``{series_id: folder}``
    """
    specs = load_manifest(manifest)
    if series == "all":
        wanted = list(specs)
    else:
        wanted = [series] if isinstance(series, str) else list(series)
    wanted = [w.strip() for item in wanted for w in item.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in specs]
    if unknown:
        raise UnknownSeriesError(f"unknown series {unknown} (manifest {manifest} defines "
                                 f"{sorted(specs)}); use one of those ids or 'all'")
    config = replace(config or PhantomConfig(), detector=int(detector), seed=int(seed))
    out_dir = Path(out_dir)
    # finished series are skipped before any costly set-up; largest first keeps the pool busy
    done = {sid: out_dir / sid for sid in wanted
            if _is_complete(out_dir / sid, _marker(specs[sid], config))}
    for sid in done:
        on_done and on_done(sid)
    jobs = sorted((s for s in wanted if s not in done),
                  key=lambda s: -specs[s].n_positions(config.tape_speed_m_s) * specs[s].repeats)
    if not jobs:
        return {sid: done[sid] for sid in wanted}
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        for sid in jobs:
            done[sid] = SyntheticSeries(specs[sid], config, specs["reference"]).write(
                out_dir / sid, overwrite)
            on_done and on_done(sid)
    else:
        with ProcessPoolExecutor(workers) as pool:
            futures = {sid: pool.submit(_write_one, specs[sid], config, out_dir / sid, overwrite,
                                        specs["reference"])
                       for sid in jobs}
            for sid, fut in futures.items():
                done[sid] = fut.result()
                on_done and on_done(sid)
    return {sid: done[sid] for sid in wanted}


def ensure_phantom(data_dir, profile="quick", seed=0, *, series="all", workers=None) -> Path:
    """The synthetic acquisitions of a book profile under ``data_dir/xmcd/<profile>``.

    Generated on the first call and reused afterwards (finished series are
    skipped), so every chapter that needs XMCD data shares one cache. The
    folder is a cache: series left there by other settings or an older
    phantom version are regenerated.

    Returns
    -------
    Path
        Folder holding ``<series_id>/`` for each series and ``reference/``.
    """
    config = profile_config(profile)
    root = Path(data_dir) / "xmcd" / profile
    write_phantom(root, series, detector=config.detector, seed=seed, config=config, workers=workers,
                  overwrite=True)
    return root


def read_ground_truth(folder) -> dict:
    """The ``ground_truth.npz`` of a phantom series as a dict of arrays."""
    with np.load(Path(folder) / "ground_truth.npz") as npz:
        return {k: npz[k] for k in npz.files}


def _write_one(spec, config, folder, overwrite, reference):
    return SyntheticSeries(spec, config, reference).write(folder, overwrite)


@functools.lru_cache(maxsize=4)
def _scene(geometry_seed, detector, params):
    return DetectorScene((detector, detector), np.random.default_rng([geometry_seed, 0x5CE]),
                         params)


def _marker(spec, config) -> dict:
    """What a finished series folder records about how it was made."""
    return {"version": PHANTOM_VERSION, "spec": asdict(spec), "config": asdict(config)}


def _is_complete(folder, marker) -> bool:
    path = Path(folder) / _MARKER
    if not path.exists():
        return False
    old = json.loads(path.read_text())
    return (bool(old.get("complete"))
            and {k: old.get(k) for k in marker} == json.loads(json.dumps(marker)))


def _check_marker(folder, marker, overwrite) -> bool:
    """True when ``folder`` already holds this exact series; prepares it otherwise."""
    path = folder / _MARKER
    if path.exists():
        old = json.loads(path.read_text())
        same = {k: old.get(k) for k in marker} == json.loads(json.dumps(marker))
        if same:
            return bool(old.get("complete"))
    elif not any(folder.glob("*.nxs")):
        return False
    if not overwrite:
        raise FileExistsError(f"{folder} holds acquisitions written with other settings (or not "
                              "by the phantom); choose another output folder or pass "
                              "overwrite=True / --overwrite")
    stale_files = [folder / "ground_truth.npz", folder / "series.yml", path]
    for stale in list(folder.glob("scan_*.nxs")) + stale_files:
        stale.unlink(missing_ok=True)
    return False
