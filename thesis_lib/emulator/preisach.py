"""Stage f3 model: Preisach hysteron sets, the coarse binning of eqs. 4.1-4.2, AC erasure.

A Preisach model is a set of rectangular hysterons h with switching fields
α_h ≥ β_h and signed weights w_h. A hysteron switches to +1 when the field
reaches H ≥ α_h and to −1 when H ≤ β_h, otherwise it keeps its state. The
irreversible magnetisation is M/M_s = Σ_h w_h s_h / Σ_h w_h; a reversible
susceptibility χ_rev adds χ_rev·H while a field is applied and vanishes once the
segment has left the head, so the recorded remanence is the irreversible part.

Fine fit
    The thesis's fitted hysteron set is not public. :func:`fine_fit` builds a
    deterministic stand-in with the features of a measured tape distribution:
    a log-normal coercivity h_c = (α − β)/2 (median 1, so fields are in units of
    the median coercivity), a Gaussian interaction field h_u = (α + β)/2, and a
    small negative-weight population near the α = β line (negative regions of
    measured FORC distributions). It is drawn from a fixed seed, so every run
    and every machine builds the same set.
Coarse model
    :func:`coarse_bin` bins the (α, β) plane into N × N cells and keeps one
    hysteron per non-empty cell: signed weight sum (eq. 4.1) at the |w|-weighted
    centroid (eq. 4.2); χ_rev is carried over unchanged.

References
----------
.. [1] F. Preisach, "Über die magnetische Nachwirkung", Z. Phys. 94 (1935).
.. [2] I. D. Mayergoyz, *Mathematical Models of Hysteresis*, Springer (1991), ch. 1
   (wiping-out and congruency properties, Everett function).
.. [3] L. Terna, MSc thesis (2026), §4.3, eqs. 4.1-4.2.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thesis_lib._atomic import atomic_path
from thesis_lib._digest import bytes_digest

#: Seed of the deterministic fine fit (fixed: changing it changes every dataset).
FINE_FIT_SEED = 20260301
FINE_FIT_SIZE = 200_000


@dataclass(frozen=True)
class PreisachModel:
    """A hysteron set ``(alpha, beta, weight)`` with reversible susceptibility ``chi_rev``.

    Examples
    --------
    >>> m = PreisachModel(np.array([1.0, 0.5]), np.array([-1.0, -0.5]), np.array([0.75, 0.25]))
    >>> m.size, float(m.total_weight)
    (2, 1.0)
    """

    alpha: np.ndarray
    beta: np.ndarray
    weight: np.ndarray
    chi_rev: float = 0.0
    name: str = "custom"

    def __post_init__(self):
        a = np.ascontiguousarray(self.alpha, dtype=np.float64)
        b = np.ascontiguousarray(self.beta, dtype=np.float64)
        w = np.ascontiguousarray(self.weight, dtype=np.float64)
        if not (a.ndim == b.ndim == w.ndim == 1 and a.size == b.size == w.size and a.size > 0):
            raise ValueError("a Preisach model needs three 1-D arrays alpha, beta, weight of one "
                             f"non-zero length (got shapes {a.shape}, {b.shape}, {w.shape})")
        if not (np.isfinite(a).all() and np.isfinite(b).all() and np.isfinite(w).all()):
            raise ValueError("Preisach model arrays contain NaN or inf; rebuild the model")
        if np.any(a < b):
            raise ValueError("every hysteron needs alpha >= beta; "
                             f"{int(np.sum(a < b))} hysterons violate it")
        if not np.sum(w) > 0:
            raise ValueError("the total hysteron weight must be positive (it is M_s)")
        object.__setattr__(self, "alpha", a)
        object.__setattr__(self, "beta", b)
        object.__setattr__(self, "weight", w)

    @property
    def size(self) -> int:
        return int(self.alpha.size)

    @property
    def total_weight(self) -> float:
        return float(np.sum(self.weight))

    @property
    def field_range(self) -> float:
        """Largest |switching field|: a field beyond it saturates the model."""
        return float(max(np.max(np.abs(self.alpha)), np.max(np.abs(self.beta))))

    def save(self, path) -> Path:
        """Write the compact ``.npz`` resource (alpha, beta, weight, chi_rev, name) atomically."""
        path = Path(path)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, alpha=self.alpha, beta=self.beta, weight=self.weight,
                         chi_rev=np.float64(self.chi_rev), name=np.str_(self.name))
        return path

    @classmethod
    def load(cls, path) -> "PreisachModel":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Preisach model file {path} does not exist; build it with "
                                    "thesis_lib.emulator.preisach.load_model(n, cache_dir)")
        try:
            with np.load(path) as z:
                return cls(z["alpha"], z["beta"], z["weight"], float(z["chi_rev"]), str(z["name"]))
        except (KeyError, ValueError, OSError) as exc:
            raise ValueError(f"{path} is not a valid Preisach model ({exc}); delete it so it is "
                             "rebuilt") from exc

    def digest(self) -> str:
        """SHA-256 of the arrays (identifies the model in provenance records)."""
        return bytes_digest(self.alpha.tobytes(), self.beta.tobytes(), self.weight.tobytes(),
                            repr(self.chi_rev).encode(), length=16)


def fine_fit(size: int = FINE_FIT_SIZE, seed: int = FINE_FIT_SEED) -> PreisachModel:
    """The deterministic fine hysteron set (see the module docstring).

    Examples
    --------
    >>> m = fine_fit(2000)
    >>> bool(np.all(m.alpha >= m.beta)), bool(np.any(m.weight < 0))
    (True, True)
    >>> abs(float(np.median(m.alpha - m.beta)) / 2 - 1.0) < 0.1
    True
    """
    rng = np.random.default_rng(seed)
    n_neg = size // 10
    n_pos = size - n_neg
    hc = np.exp(rng.normal(0.0, 0.30, n_pos))
    hu = rng.normal(0.0, 0.12, n_pos)
    w = 1.0 + 0.5 * rng.random(n_pos)
    # negative lobe: low coercivity, close to the alpha = beta line
    hc_n = np.exp(rng.normal(np.log(0.55), 0.25, n_neg))
    hu_n = rng.normal(0.0, 0.10, n_neg)
    w_n = -0.25 * (1.0 + 0.5 * rng.random(n_neg))
    hc = np.concatenate([hc, hc_n])
    hu = np.concatenate([hu, hu_n])
    w = np.concatenate([w, w_n])
    w = w / np.sum(w)
    return PreisachModel(hu + hc, hu - hc, w, chi_rev=0.08, name="fine")


def coarse_bin(model: PreisachModel, n: int) -> PreisachModel:
    """Bin ``model`` onto an ``n`` × ``n`` grid of the (α, β) plane (thesis eqs. 4.1-4.2).

    The α axis spans [min α, max α] and the β axis [min β, max β]. Each non-empty
    cell keeps w_b = Σ w_h (4.1) at the |w|-weighted mean (α_b, β_b) (4.2); cells
    with w_b = 0 are dropped. χ_rev is carried over.

    Examples
    --------
    >>> fine = fine_fit(5000)
    >>> c = coarse_bin(fine, 20)
    >>> c.size <= 20 * 20, bool(np.isclose(c.total_weight, fine.total_weight))
    (True, True)
    """
    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"coarse Preisach size must be an integer >= 2 (got {n!r})")
    col = _bin_index(model.alpha, n)
    row = _bin_index(model.beta, n)
    cell = col * n + row
    aw = np.abs(model.weight)
    w_b = np.bincount(cell, weights=model.weight, minlength=n * n)
    s_b = np.bincount(cell, weights=aw, minlength=n * n)
    a_b = np.bincount(cell, weights=model.alpha * aw, minlength=n * n)
    b_b = np.bincount(cell, weights=model.beta * aw, minlength=n * n)
    keep = (w_b != 0) & (s_b > 0)
    alpha = a_b[keep] / s_b[keep]
    beta = b_b[keep] / s_b[keep]
    # a |w|-weighted mean of points with alpha >= beta keeps alpha >= beta up to round-off
    beta = np.minimum(beta, alpha)
    return PreisachModel(alpha, beta, w_b[keep], chi_rev=model.chi_rev, name=f"coarse{n}")


def _bin_index(values, n):
    lo, hi = float(np.min(values)), float(np.max(values))
    width = (hi - lo) / n if hi > lo else 1.0
    return np.clip(((values - lo) / width).astype(np.int64), 0, n - 1)


def default_cache_dir() -> Path:
    """``$THESIS_CACHE/preisach`` or ``~/.cache/thesis_lib/preisach``."""
    root = os.environ.get("THESIS_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "thesis_lib"
    return base / "preisach"


_MEMORY: dict = {}


def load_model(n, cache_dir=None) -> PreisachModel:
    """The fine model (``n='fine'``) or its N × N coarse binning, cached as ``.npz``.

    Models are rebuilt deterministically from code (milliseconds to a second), so
    nothing is shipped or downloaded; the ``.npz`` cache (written atomically) only
    saves the rebuild and gives other programs the compact resource of §4.3.
    ``cache_dir=False`` keeps the model in memory only.
    """
    key = (str(n), str(cache_dir))
    if key in _MEMORY:
        return _MEMORY[key]
    name = "fine" if n == "fine" else f"coarse{int(n)}"
    path = None
    if cache_dir is not False:
        path = Path(cache_dir or default_cache_dir()) / f"preisach_{name}_seed{FINE_FIT_SEED}.npz"
        if path.is_file():
            model = PreisachModel.load(path)
            _MEMORY[key] = model
            return model
    fine = _MEMORY.setdefault(("fine-built",), fine_fit())
    model = fine if n == "fine" else coarse_bin(fine, int(n))
    if path is not None:
        try:
            model.save(path)
        except OSError:  # a read-only cache is not an error: the model is rebuilt next time
            pass
    _MEMORY[key] = model
    return model


def ac_erase_sequence(model: PreisachModel, decay: float = 0.9, floor: float = 1e-3) -> np.ndarray:
    """Extrema of the decaying alternating erase field: +A0, −A0·r, +A0·r², … down to ``floor``.

    A0 = 1.05 × the largest switching field, so the first peak saturates the
    model. Because the steps are finite, the erased state keeps a small DC offset
    (reported in the forward-model chapter).

    Examples
    --------
    >>> m = PreisachModel(np.array([1.0]), np.array([-1.0]), np.array([1.0]))
    >>> seq = ac_erase_sequence(m, decay=0.5, floor=0.1)
    >>> seq.round(4).tolist()
    [1.05, -0.525, 0.2625, -0.1312]
    """
    a0 = 1.05 * model.field_range
    k = int(np.floor(np.log(floor / a0) / np.log(decay))) + 1
    k = max(k, 1)
    return a0 * decay ** np.arange(k) * (-1.0) ** np.arange(k)
