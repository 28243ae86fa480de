"""Guided sampling against the closed-form posterior of a Gaussian prior and linear observation."""

import pytest
import torch

from thesis_lib.bayes.diffusion import Schedule, sample_prior
from thesis_lib.bayes.guidance import GuidanceSettings, LinearGaussian, guided_sample

torch.set_num_threads(1)

# a correlated 3-D Gaussian prior observed through a 2×3 linear map with Gaussian noise
MEAN = torch.tensor([0.5, -0.3, 0.2], dtype=torch.float64)
L = torch.tensor([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.3, 0.4, 0.7]], dtype=torch.float64)
COV = L @ L.T
A = torch.tensor([[1.0, 0.5, 0.0], [0.0, -0.7, 1.2]], dtype=torch.float64)
NOISE_VAR = 0.3
Y = torch.tensor([[1.1, -0.4]], dtype=torch.float64)
SCHEDULE = Schedule.cosine(1000)


def marginal_cov(t):
    a = SCHEDULE.alpha_bar[t]
    return a * COV + (1 - a) * torch.eye(3, dtype=torch.float64)


def analytic_eps(x, t):
    # ε = −√(1 − ᾱ) ∇ log p_t(x) for the Gaussian marginal N(√ᾱ m, ᾱ C + (1 − ᾱ) I)
    t = int(t[0])
    a = SCHEDULE.alpha_bar[t]
    prec = torch.linalg.inv(marginal_cov(t))
    return (1 - a) ** 0.5 * (x - a ** 0.5 * MEAN) @ prec


def x0_cov(t):
    a = SCHEDULE.alpha_bar[t]
    return COV - a * COV @ torch.linalg.inv(marginal_cov(t)) @ COV


def closed_form_posterior():
    prec = torch.linalg.inv(COV) + A.T @ A / NOISE_VAR
    cov = torch.linalg.inv(prec)
    mean = cov @ (torch.linalg.solve(COV, MEAN) + A.T @ Y[0] / NOISE_VAR)
    return mean, cov


def assert_matches_gaussian(samples, mean, cov, z=4.5):
    """Sample mean and covariance within ``z`` Monte-Carlo standard errors of the target."""
    n = samples.shape[0]
    se_mean = torch.sqrt(torch.diagonal(cov) / n)
    assert torch.all(torch.abs(samples.mean(0) - mean) < z * se_mean), (samples.mean(0), mean)
    emp = torch.cov(samples.T)
    d = torch.diagonal(cov)
    se_cov = torch.sqrt((torch.outer(d, d) + cov ** 2) / n)  # Wishart standard error
    assert torch.all(torch.abs(emp - cov) < z * se_cov), (emp, cov)


def test_exact_guidance_reproduces_closed_form_posterior():
    gen = torch.Generator().manual_seed(0)
    samples = guided_sample(analytic_eps, SCHEDULE, LinearGaussian(A, NOISE_VAR), Y,
                            shape=(4000, 3), settings=GuidanceSettings(1000, mode="exact"),
                            x0_var=x0_cov,
                            generator=gen, dtype=torch.float64)
    mean, cov = closed_form_posterior()
    assert_matches_gaussian(samples, mean, cov)


def test_unguided_sampler_reproduces_prior():
    gen = torch.Generator().manual_seed(1)
    samples = sample_prior(analytic_eps, SCHEDULE, (4000, 3), generator=gen, dtype=torch.float64)
    assert_matches_gaussian(samples, MEAN, COV)


def test_dropping_the_x0_covariance_makes_the_posterior_over_confident():
    # DPS's approximation p(y | x_t) ≈ p(y | x̂_0(x_t)) makes the likelihood too sharp at
    # large t: with ζ = 1 the samples' spread is markedly below the exact posterior's
    gen = torch.Generator().manual_seed(2)
    samples = guided_sample(analytic_eps, SCHEDULE, LinearGaussian(A, NOISE_VAR), Y,
                            shape=(4000, 3), settings=GuidanceSettings(1000, mode="exact"),
                            x0_var=lambda t: torch.zeros(3, dtype=torch.float64),
                            generator=gen, dtype=torch.float64)
    _, cov = closed_form_posterior()
    ratio = torch.det(torch.cov(samples.T)) / torch.det(cov)
    assert ratio < 0.5, float(ratio)


def test_same_seed_same_samples_and_different_seed_differs():
    kw = {"shape": (8, 3), "settings": GuidanceSettings(50, mode="dps", zeta=0.5),
          "dtype": torch.float64}
    lik = LinearGaussian(A, NOISE_VAR)
    def run(seed):
        gen = torch.Generator().manual_seed(seed)
        return guided_sample(analytic_eps, SCHEDULE, lik, Y, generator=gen, **kw)

    a, b, c = run(5), run(5), run(6)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_x0_mode_with_identity_observation_moves_towards_the_data():
    # a Kalman-scaled eq. 7.49 update: for y = x + noise the posterior mean lies between
    # the prior mean and y, close to the closed form
    eye = torch.eye(3, dtype=torch.float64)
    y = torch.tensor([[2.0, -1.0, 1.5]], dtype=torch.float64)
    lik = LinearGaussian(eye, 0.05)
    gen = torch.Generator().manual_seed(3)
    samples = guided_sample(analytic_eps, SCHEDULE, lik, y, shape=(2000, 3),
                            settings=GuidanceSettings(200, mode="x0"),
                            x0_var=lambda t: torch.diagonal(x0_cov(t)),
                            generator=gen, dtype=torch.float64)
    prec = torch.linalg.inv(COV) + eye / 0.05
    exact = torch.linalg.solve(prec, torch.linalg.solve(COV, MEAN) + y[0] / 0.05)
    assert torch.all(torch.abs(samples.mean(0) - exact) < 0.1), (samples.mean(0), exact)


@pytest.mark.parametrize("bad", [{"shape": (0, 3)}, {"mode": "magic"}, {"steps": 0}])
def test_bad_sampler_options_raise_clear_errors(bad):
    kw = {"steps": 5, "mode": "dps"}
    shape = bad.pop("shape", (2, 3))
    kw.update(bad)
    with pytest.raises(ValueError, match="K ≥ 1|mode|at least one step"):
        guided_sample(analytic_eps, SCHEDULE, LinearGaussian(A, NOISE_VAR), Y, shape=shape,
                      settings=GuidanceSettings(**kw))
