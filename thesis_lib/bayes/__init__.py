"""Task 3: Bayesian restoration by guided posterior sampling (Terna 2026, §7.2).

p(x | y) ∝ p_sur(y | x) · p_enh(x) · p_θ(x): a surrogate likelihood learned from the
emulator (:mod:`.surrogate`, trained on :mod:`.draws`), a diffusion prior
(:mod:`.diffusion`), enhancement energies (:mod:`.enhancement`), the guided reverse
process (:mod:`.guidance`), whole-recording restoration (:mod:`.restore`), posterior
summaries and calibration (:mod:`.posterior`), foreign degradation chains
(:mod:`.degradations`) and the model-misfit score (:mod:`.misfit`); training loops in
:mod:`.training`.
"""
