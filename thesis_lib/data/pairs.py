"""Paired-dataset generation: degrade every clean clip, mirror the tree, split work into fractions.

Thesis §4.2-4.3. For a clean tree of clips (:func:`thesis_lib.data.make_clips`)
each clip ``x`` is degraded by a transform ``y = F(x, ξ)`` and written under the
output root at the *same relative path*, so that pairs are matched by path
alone. The design choices that make it safe to run as a SLURM array:

* **Fractions.** The sorted clip list is dealt round-robin into ``K`` disjoint
  fractions; task ``k`` of an array ``1-K`` generates fraction ``k/K`` only.
* **Per-clip seeds** (eq. 4.3): ``s_clip = (s0 + CRC32(track_relpath ‖ clip_index)) mod 2³²``,
  so a clip's randomness does not depend on which task generates it or when:
  any partition of the work gives byte-identical files.
* **Crash safety.** Each clip is written to a temporary name and renamed;
  finished clips are skipped on a re-run; temporary files left by a killed
  task of the same fraction are removed when it restarts.
* **One transform, warmed up.** The emulator is built once per task and a
  warm-up call compiles its kernels before any clip is timed.
* **Provenance and timing.** ``params.json`` in the output root stores every
  transform parameter, the seed and the code version; each task appends one
  JSON line per clip (seconds including I/O, per-stage seconds, hysteresis
  share) to ``logs/timing_<k>-of-<K>.jsonl`` — the numbers of Table 6.1.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from thesis_lib.emulator import (  # clip_seed: eq. 4.3; the emulator owns the seeding rule
    Emulator,
    EmulatorParams,
    clip_seed,
)
from thesis_lib.provenance import git_state, write_json_atomic

from .audio import read_audio, to_mono, write_wav
from .clips import list_audio, parse_clip_name

__all__ = ["clip_seed", "parse_fraction", "select_fraction", "generate_pairs", "verify_pairs",
           "GenerationReport", "load_emulator", "read_timings", "PARAMS_NAME"]

PARAMS_NAME = "params.json"
LOG_DIR = "logs"


def parse_fraction(text) -> tuple[int, int]:
    """Parse ``"k/K"`` (1 ≤ k ≤ K) into ``(k, K)``.

    Examples
    --------
    >>> parse_fraction("2/4")
    (2, 4)
    """
    if isinstance(text, tuple):
        k, K = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
        if not match:
            raise ValueError(f"--which-fraction must look like k/K (e.g. 2/4), got {text!r}")
        k, K = int(match[1]), int(match[2])
    if not 1 <= k <= K:
        raise ValueError(f"--which-fraction {k}/{K}: k must be between 1 and K")
    return int(k), int(K)


def select_fraction(items, k: int, K: int) -> list:
    """Items ``k-1, k-1+K, k-1+2K, …`` of ``items``: fractions are disjoint and cover everything.

    Examples
    --------
    >>> [select_fraction(range(7), k, 3) for k in (1, 2, 3)]
    [[0, 3, 6], [1, 4], [2, 5]]
    """
    return list(items)[k - 1::K]


def load_emulator(params_path=None):
    """Build the physics emulator (``thesis_lib.emulator``) from a parameters JSON (or defaults)."""
    params = EmulatorParams.from_json(params_path) if params_path else EmulatorParams()
    return Emulator(params)


@dataclass
class GenerationReport:
    """What one call of :func:`generate_pairs` did."""

    fraction: tuple
    total_clips: int
    assigned: int
    generated: int = 0
    skipped: int = 0
    seconds: list = field(default_factory=list)
    hysteresis_share: list = field(default_factory=list)

    @property
    def mean_seconds(self) -> float:
        return float(np.mean(self.seconds)) if self.seconds else float("nan")


def _transform_params(transform) -> dict:
    for attr in ("to_dict",):
        if hasattr(transform, attr):
            return getattr(transform, attr)()
    params = getattr(transform, "params", None)
    if params is not None and hasattr(params, "to_dict"):
        return {"kind": type(transform).__name__, **params.to_dict()}
    if transform is None:
        return {"kind": "identity"}
    return {"kind": getattr(transform, "__qualname__", type(transform).__name__)}


def _output_rate(transform, rate: int) -> int:
    params = getattr(transform, "params", None)
    return int(getattr(params, "output_rate", None) or getattr(transform, "output_rate", None)
               or rate)


def _write_params(out_root: Path, doc: dict) -> None:
    path = out_root / PARAMS_NAME
    if path.exists():
        old = json.loads(path.read_text())
        same = {k: v for k, v in old.items() if k != "code_version"}
        if same != {k: v for k, v in doc.items() if k != "code_version"}:
            raise FileExistsError(f"{path} describes a dataset generated with other parameters; "
                                  "choose a new --out folder or delete the old one")
        return
    write_json_atomic(path, doc)


_PARTIAL_RE = re.compile(r"^\.(?P<stem>.+)\.[^.]+\.partial(?P<suffix>(\.[^.]*)?)$")


def _remove_stale_partials(out_root: Path, targets) -> int:
    """Delete temporaries that a killed run left beside this fraction's targets.

    ``atomic_path`` names them ``.<stem>.<random>.partial<suffix>`` beside the
    target; only those whose target belongs to this fraction are touched, so
    concurrently running array tasks never delete each other's files.
    """
    removed = 0
    by_folder = {}
    for target in targets:
        by_folder.setdefault(target.parent, set()).add(target.name)
    for folder, names in by_folder.items():
        if not folder.is_dir():
            continue
        for tmp in folder.glob(".*.partial*"):
            match = _PARTIAL_RE.match(tmp.name)
            if match and match["stem"] + match["suffix"] in names:
                tmp.unlink(missing_ok=True)
                removed += 1
    return removed


def generate_pairs(clean_root, out_root, transform=None, params=None, which_fraction=(1, 1),
                   seed: int = 0, progress: bool = False) -> GenerationReport:
    """Degrade fraction ``k/K`` of the clean clips under ``clean_root`` into ``out_root``.

    Parameters
    ----------
    clean_root, out_root : path
        Clean tree (``{train,val,test}/…/*.wav``) and the degraded tree to write.
    transform : callable, optional
        ``transform(x, sample_rate, seed) -> y`` with ``x`` a float64 mono clip.
        ``None`` builds the emulator from ``params`` when ``params`` is given,
        and otherwise copies the clips unchanged (the thesis's run without
        ``--apply-transforms``).
    params : path, optional
        Emulator parameters JSON (only used when ``transform`` is ``None``).
    which_fraction : "k/K" or (k, K)
    seed : int
        Global seed ``s0`` of eq. 4.3.
    progress : bool
        Show a progress bar.

    Returns
    -------
    GenerationReport
    """
    clean_root, out_root = Path(clean_root), Path(out_root)
    k, K = parse_fraction(which_fraction)
    if transform is None and params is not None:
        transform = load_emulator(params)
    clips = [p for p in list_audio(clean_root, suffixes=(".wav",))]
    if not clips:
        raise FileNotFoundError(f"{clean_root}: no clean .wav clips; run make_clips / "
                                "`thesis corpus clips` first")
    if (out_root.resolve() == clean_root.resolve()
            or clean_root.resolve() in out_root.resolve().parents):
        raise ValueError(f"--out {out_root} must not lie inside --clean {clean_root}")
    relpaths = [c.relative_to(clean_root).as_posix() for c in clips]
    mine = select_fraction(relpaths, k, K)
    out_root.mkdir(parents=True, exist_ok=True)
    _write_params(out_root, {
        "clean_root": clean_root.name, "seed": int(seed),
        "seed_rule": "(s0 + crc32(relpath+clip_index)) % 2**32",
        "clip_count": len(relpaths), "transform": _transform_params(transform),
        "code_version": git_state()["commit"]})
    report = GenerationReport(fraction=(k, K), total_clips=len(relpaths), assigned=len(mine))
    targets = [out_root / rel for rel in mine]
    _remove_stale_partials(out_root, targets)
    todo = [rel for rel, target in zip(mine, targets, strict=True) if not target.exists()]
    report.skipped = len(mine) - len(todo)
    if todo and hasattr(transform, "warmup"):
        transform.warmup()  # JIT compilation happens here, outside the timed clips
    log_path = out_root / LOG_DIR / f"timing_{k}-of-{K}.jsonl"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log:
        for rel in tqdm(todo, desc=f"pairs {k}/{K}", disable=not progress, unit="clip"):
            t0 = time.perf_counter()
            audio, rate = read_audio(clean_root / rel, dtype="float64")
            x = to_mono(audio)
            track, index = parse_clip_name(rel)
            s_clip = clip_seed(seed, track, index)
            if transform is None:
                y, out_rate, stages = x, rate, {}
            else:
                y = np.asarray(transform(x, rate, s_clip))
                out_rate = _output_rate(transform, rate)
                stages = dict(getattr(transform, "last_timings", {}) or {})
            write_wav(out_root / rel, y.astype(np.float32), out_rate)
            seconds = time.perf_counter() - t0
            share = stages.get("hysteresis", 0.0) / seconds if stages else None
            report.generated += 1
            report.seconds.append(seconds)
            if share is not None:
                report.hysteresis_share.append(share)
            log.write(json.dumps({"relpath": rel, "seed": s_clip, "seconds": seconds,
                                  "stages": stages, "hysteresis_share": share}) + "\n")
            log.flush()
    return report


def read_timings(out_root) -> list[dict]:
    """All per-clip timing records of a generated dataset (a torn last line is ignored)."""
    records = []
    for path in sorted((Path(out_root) / LOG_DIR).glob("timing_*-of-*.jsonl")):
        worker = path.stem.removeprefix("timing_")
        for line in path.read_text().splitlines():
            try:
                records.append({"worker": worker, **json.loads(line)})
            except json.JSONDecodeError:
                continue  # a task killed mid-write leaves at most one torn line
    return records


def verify_pairs(clean_root, pairs_root, transform=None, seed: int = 0, relpaths=None) -> dict:
    """Regenerate clips in this process and compare them byte for byte with ``pairs_root``.

    This is the thesis's determinism check (§6.2): a dataset produced by a
    distributed array run must equal a single-process regeneration. Returns
    ``{relpath: True/False}`` for ``relpaths`` (default: every clip).
    """
    clean_root, pairs_root = Path(clean_root), Path(pairs_root)
    if relpaths is None:
        relpaths = [p.relative_to(clean_root).as_posix()
                    for p in list_audio(clean_root, suffixes=(".wav",))]
    verdict = {}
    with tempfile.TemporaryDirectory() as scratch:
        for rel in relpaths:
            audio, rate = read_audio(clean_root / rel, dtype="float64")
            x = to_mono(audio)
            track, index = parse_clip_name(rel)
            if transform is None:
                y, out_rate = x, rate
            else:
                y = np.asarray(transform(x, rate, clip_seed(seed, track, index)))
                out_rate = _output_rate(transform, rate)
            fresh = write_wav(Path(scratch) / "clip.wav", y.astype(np.float32), out_rate)
            target = pairs_root / rel
            verdict[rel] = target.is_file() and target.read_bytes() == fresh.read_bytes()
    return verdict
