"""The thesis's qualitative claims (chapters 5 and 6), each judged on our chapters' results.

Every claim is a function of the results files (``{chapter: {"values": ...}}``) that returns a
:class:`ClaimVerdict`: *holds*, *does not hold* or *cannot be tested here*, with the numbers it
rests on and the chapter that holds the evidence. A claim whose chapter has not produced the
needed value cannot be tested; a claim about measured data cannot be tested on synthetic
stand-ins that were built to agree with the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import lookup

HOLDS, FAILS, UNTESTABLE = "holds", "does not hold", "cannot be tested here"
#: Largest 48→44.1 kHz SI-SDR penalty (dB) still called "small": a quarter of the smallest
#: ΔSI-SDR gain the thesis reports for its denoisers (3.85 dB, Table 6.2), rounded down.
SMALL_PENALTY_DB = 0.5


@dataclass(frozen=True)
class ClaimVerdict:
    claim: str
    thesis: str
    verdict: str
    evidence: str
    chapter: str


class _Missing(Exception):
    pass


def _get(results, chapter, key):
    try:
        return lookup(results[chapter]["values"], key)
    except KeyError:
        raise _Missing(f"chapter `{chapter}` has not produced `{key}`") from None


def _synthetic(results, chapter) -> bool:
    used = str(results.get(chapter, {}).get("values", {}).get("data_used", ""))
    return "synthetic" in used or "stand-in" in used


def _kmeans_most_compact(r):
    # compactness as the mask chapter measures it: selected area over its convex hull's area
    scores = {}
    for m in ("kmeans", "gmm", "dbscan"):
        try:
            scores[m] = float(_get(r, "mask_comparison", f"{m}.compactness"))
        except _Missing:
            continue
    if "kmeans" not in scores or len(scores) < 2:
        raise _Missing("chapter `mask_comparison` has no k-means compactness to compare")
    best = max(scores, key=scores.get)
    text = ", ".join(f"{m} {s:.3f}" for m, s in scores.items())
    return (HOLDS if best == "kmeans" else FAILS), ("compactness (area over convex-hull area, "
                                                   f"higher is more compact): {text}")


def _weighted_less_noisy(r):
    noise = float(_get(r, "waveforms", "weighted_vs_binary.noise_change_pct"))
    hf = float(_get(r, "waveforms", "weighted_vs_binary.hf_change_pct"))
    verdict = HOLDS if noise < 0 and hf < 0 else FAILS
    return verdict, (f"weighted against binary: noise {noise:+.1f} %, HF ratio {hf:+.1f} % "
                     "(thesis −56.95 %, −36.96 %)")


def _moving_mask_not_needed(r):
    decisions = _get(r, "registration", "decision")
    on = sorted(s for s, d in decisions.items() if d.get("enabled"))
    verdict = FAILS if len(on) > len(decisions) / 2 else HOLDS
    return verdict, (f"the moving-mask rule switches the mask on for {len(on)} of {len(decisions)} "
                     "series" + (f" ({', '.join(on)})" if on else ""))


def _n250_at_knee(r):
    values = r.get("preisach_ablation", {}).get("values", {})
    sizes = sorted(int(k[1:]) for k in values if k[:1] == "n" and k[1:].isdigit())
    if 250 not in sizes or sizes[0] >= 250 or sizes[-1] <= 250:
        raise _Missing("chapter `preisach_ablation` needs sizes below and above N = 250")
    gain = {n: float(_get(r, "preisach_ablation", f"n{n}.delta_si_sdr_db")) for n in sizes}
    below, above = gain[250] - gain[sizes[0]], gain[sizes[-1]] - gain[250]
    verdict = HOLDS if above < below and above < SMALL_PENALTY_DB else FAILS
    return verdict, (f"ΔSI-SDR gain N={sizes[0]}→250: {below:+.2f} dB; 250→{sizes[-1]}: "
                     f"{above:+.2f} dB (knee: the second smaller than the first and under "
                     f"{SMALL_PENALTY_DB} dB)")


def _resampling_penalty_small(r):
    gap = _get(r, "sample_rate", "gap_44_minus_48_si_sdr_db")
    mean, ci = float(gap["mean"]), float(gap["ci95"])
    # judged on the 95 % interval of the paired gap, not on its mean alone
    if mean + ci < SMALL_PENALTY_DB:
        verdict = HOLDS
    elif mean - ci > SMALL_PENALTY_DB:
        verdict = FAILS
    else:
        verdict = UNTESTABLE
    return verdict, (f"SI-SDR(44.1→44.1) − SI-SDR(48→44.1) = {mean:+.2f} ± {ci:.2f} dB "
                     f"(95 % interval; thesis +0.19 dB from one run each); small means under "
                     f"{SMALL_PENALTY_DB} dB, so an interval that straddles it cannot decide")


def _unet_improves(r):
    parts, ok = [], True
    for subset in ("classical", "mixed"):
        delta = float(_get(r, "denoiser", f"{subset}.unet_release.delta_si_sdr_db"))
        parts.append(f"{subset} {delta:+.2f} dB")
        ok &= delta > 0
    return (HOLDS if ok else FAILS), ("ΔSI-SDR of the released U-Net on held-out test clips: "
                                      + ", ".join(parts))


def _classical_easier(r):
    cl = float(_get(r, "denoiser", "classical.unet_release.si_sdr_db"))
    mx = float(_get(r, "denoiser", "mixed.unet_release.si_sdr_db"))
    return (HOLDS if cl > mx else FAILS), (f"SI-SDR after the released U-Net: classical "
                                          f"{cl:.2f} dB, mixed {mx:.2f} dB (thesis −31.41, "
                                          "−33.60)")


def _emulator_matches(r):
    rho = float(_get(r, "calibration", "match.rho"))
    if _synthetic(r, "calibration"):
        return UNTESTABLE, (f"ρ = {rho:.3f}, but against synthetic-beamline waveforms recorded "
                            "with the emulator's own stages; no measured waveform is public")
    return (HOLDS if rho >= 0.8 else FAILS), f"ρ = {rho:.3f} against the user's measurements"


CLAIMS = [
    ("k-means gives the most compact mask", "§5.1, Table 5.1", "mask_comparison",
     _kmeans_most_compact),
    ("The weighted mask is less noisy than the binary one (−56.95 % noise, −36.96 % HF)",
     "§5.3", "waveforms", _weighted_less_noisy),
    ("A moving mask is not needed", "§5.2", "registration", _moving_mask_not_needed),
    ("N = 250 sits at the knee of quality against cost", "§6.2, Table 6.2",
     "preisach_ablation", _n250_at_knee),
    ("Generating at 48 kHz and training at 44.1 kHz costs little", "§6.2, Table 6.3",
     "sample_rate", _resampling_penalty_small),
    ("The U-Net improves held-out clips", "§6.2, Table 6.4", "denoiser", _unet_improves),
    ("Classical-1602 is easier than FMA-small", "§6.2, Table 6.4", "denoiser",
     _classical_easier),
    ("The calibrated emulator matches measured waveforms (ρ = 0.83)", "§6.3, Table 6.6",
     "calibration", _emulator_matches),
]


def judge_claims(results: dict) -> list[ClaimVerdict]:
    """Judge every claim of :data:`CLAIMS` on ``results`` (as read by ``read_results``)."""
    out = []
    for claim, where, chapter, judge in CLAIMS:
        try:
            verdict, evidence = judge(results)
        except _Missing as exc:
            verdict, evidence = UNTESTABLE, str(exc)
        out.append(ClaimVerdict(claim, where, verdict, evidence, chapter))
    return out
