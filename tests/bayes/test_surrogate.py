"""Surrogate likelihood: NLL gradients (eqs. 7.52–7.54) and recovery of a heteroscedastic toy."""

import numpy as np
import torch

from thesis_lib.bayes.surrogate import (
    Surrogate,
    SurrogateLikelihood,
    gaussian_nll,
    nll_gradients,
)
from thesis_lib.bayes.training import fit

torch.set_num_threads(1)


def test_nll_partial_derivatives_match_autograd_and_equations():
    gen = torch.Generator().manual_seed(0)
    y, mu, s = (torch.randn(2, 1, 30, generator=gen, dtype=torch.float64) for _ in range(3))
    mu.requires_grad_(True)
    s.requires_grad_(True)
    gaussian_nll(y, mu, s).sum().backward()
    d_mu, d_s = nll_gradients(y, mu.detach(), s.detach())
    torch.testing.assert_close(mu.grad, d_mu)
    torch.testing.assert_close(s.grad, d_s)
    # eq. 7.52 and 7.53 written out with ν = e^s
    nu = torch.exp(s.detach())
    torch.testing.assert_close(d_mu, (mu.detach() - y) / nu)
    torch.testing.assert_close(d_s, 0.5 * (1 - (y - mu.detach()) ** 2 / nu))


def test_nll_gradient_in_x_matches_chain_rule_and_finite_differences():
    torch.manual_seed(0)
    net = Surrogate(width=4, depth=2, fir=5).double()
    for p in net.parameters():  # non-trivial heads so that both terms of eq. 7.54 matter
        torch.nn.init.normal_(p, std=0.3)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 1, 24, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(1, 1, 24, generator=gen, dtype=torch.float64)
    mu, s = net(x)
    loss = gaussian_nll(y, mu, s).sum()
    (grad,) = torch.autograd.grad(loss, x)
    # eq. 7.54: J_μᵀ ∂L/∂μ + J_sᵀ ∂L/∂s, assembled from the two Jacobians
    jac_mu, jac_s = torch.autograd.functional.jacobian(lambda v: net(v), x)
    d_mu, d_s = nll_gradients(y, mu.detach(), s.detach())
    chain = (torch.einsum("t,tk->k", d_mu.flatten(), jac_mu.reshape(24, 24))
             + torch.einsum("t,tk->k", d_s.flatten(), jac_s.reshape(24, 24)))
    torch.testing.assert_close(grad.flatten(), chain)
    # central finite differences along three coordinates
    for k in (0, 11, 23):
        e = torch.zeros_like(x)
        e[0, 0, k] = 1e-6
        with torch.no_grad():
            fd = (gaussian_nll(y, *net(x + e)) - gaussian_nll(y, *net(x - e))) / 2e-6
        assert abs(float(fd) - float(grad[0, 0, k])) < 1e-5 * max(1.0, abs(float(fd)))


def test_surrogate_recovers_heteroscedastic_toy_variance():
    # y = x + noise with Var = c·p(1 − p), p = (1 + x)/2: the variance law of eq. 7.7
    c = 0.04
    gen = torch.Generator().manual_seed(0)

    def batch(_step):
        x = torch.rand(16, 1, 128, generator=gen) * 1.8 - 0.9
        p = (1 + x) / 2
        return x, x + torch.sqrt(c * p * (1 - p)) * torch.randn(x.shape, generator=gen)

    torch.manual_seed(0)
    net = Surrogate(width=8, depth=1, kernel=3, fir=1, s_min=-10, s_max=0)

    def loss(b):
        x, y = b
        return gaussian_nll(y, *net(x)).mean() / x.shape[-1]

    fit(net, loss, batch, steps=600, lr=1e-2)
    x = torch.linspace(-0.8, 0.8, 128).reshape(1, 1, -1)
    with torch.no_grad():
        mu, s = net(x)
    p = (1 + x) / 2
    ratio = torch.exp(s) / (c * p * (1 - p))
    assert 0.75 < float(ratio.median()) < 1.33
    assert float(torch.quantile(ratio, 0.9)) < 2.0 and float(torch.quantile(ratio, 0.1)) > 0.5
    assert float(torch.abs(mu - x).max()) < 0.05
    # the variance is larger at the centre than near saturation, as the law says
    assert float(torch.exp(s[..., 64])) > 2 * float(torch.exp(s[..., 4]))


def test_likelihood_curvature_uses_surrogate_gain():
    net = Surrogate(width=4, depth=1, fir=3)
    with torch.no_grad():
        net.linear.weight.fill_(0.0)
        net.linear.weight[0, 0, 1] = 2.0
    lik = SurrogateLikelihood(net)
    assert abs(lik.gain2 - 4.0) < 1e-6
    x = torch.zeros(3, 1, 40)
    _, s = net(x)
    expected = 4.0 * torch.exp(-s).mean()
    assert torch.allclose(lik.curvature(x), expected.expand(3), rtol=1e-5)
    assert np.isfinite(float(lik.terms(x, torch.zeros_like(x))[0].detach().sum()))


def test_linear_path_starts_at_the_least_squares_filter_and_residual_variance():
    from thesis_lib.bayes.training import init_linear_path

    gen = torch.Generator().manual_seed(4)
    x = torch.randn(8, 1, 2000, generator=gen)
    kernel = torch.tensor([0.25, 0.5, 0.25]).reshape(1, 1, 3)
    y = 2.0 * torch.nn.functional.conv1d(x, kernel, padding=1) + 0.1 * torch.randn(
        x.shape, generator=gen)
    net = Surrogate(width=4, depth=1, fir=5)
    init_linear_path(net, x, y)
    taps = net.linear.weight.flatten()
    torch.testing.assert_close(taps, torch.tensor([0.0, 0.5, 1.0, 0.5, 0.0]), atol=0.01,
                               rtol=0)
    with torch.no_grad():
        mu, s = net(x)
    assert float((mu - 2.0 * torch.nn.functional.conv1d(x, kernel, padding=1)).abs().max()) < 0.1
    assert 0.8 < float(torch.exp(s).median()) / 0.01 < 1.25


def test_fisher_scoring_guidance_drops_only_the_variance_term_of_eq_7_54():
    torch.manual_seed(1)
    net = Surrogate(width=4, depth=2, fir=5).double()
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.3)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(1, 1, 16, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(1, 1, 16, generator=gen, dtype=torch.float64)
    full = torch.autograd.grad(SurrogateLikelihood(net, variance_gradient=True)
                               .terms(x, y)[0].sum(), x)[0]
    fisher = torch.autograd.grad(SurrogateLikelihood(net).terms(x, y)[0].sum(), x)[0]
    jac_mu, jac_s = torch.autograd.functional.jacobian(lambda v: net(v), x)
    mu, s = net(x)
    d_mu, d_s = nll_gradients(y, mu.detach(), s.detach())
    first = torch.einsum("t,tk->k", d_mu.flatten(), jac_mu.reshape(16, 16))
    second = torch.einsum("t,tk->k", d_s.flatten(), jac_s.reshape(16, 16))
    torch.testing.assert_close(fisher.flatten(), first)
    torch.testing.assert_close(full.flatten(), first + second)


def test_one_pass_terms_and_curvature_equal_the_two_separate_calls():
    # the "x0" guidance step reads NLL, its gradient and the curvature from one forward
    # pass; they must equal terms() and curvature() evaluated separately
    torch.manual_seed(0)
    net = Surrogate(width=4, depth=2, fir=5).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    lik = SurrogateLikelihood(net)
    x = (0.3 * torch.randn(2, 1, 64)).requires_grad_(True)
    y = 0.3 * torch.randn(1, 1, 64)
    nll_a, curv_a = lik.terms_and_curvature(x, y)
    (grad_a,) = torch.autograd.grad(nll_a.sum(), x)
    nll_b, _ = lik.terms(x, y)
    (grad_b,) = torch.autograd.grad(nll_b.sum(), x)
    assert torch.allclose(nll_a, nll_b, rtol=1e-6)
    assert torch.allclose(grad_a, grad_b, rtol=1e-5, atol=1e-7)
    assert torch.allclose(curv_a, lik.curvature(x.detach()), rtol=1e-6)
