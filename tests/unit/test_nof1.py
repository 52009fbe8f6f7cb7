"""n-of-1 analysis: exactness against independent implementations, interval coverage, adequacy checks."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import integrate, stats

from gutwise import knowledge
from gutwise.outcomes import nof1
from gutwise.outcomes.nof1 import Change, analyse, plain_words

START = date(2026, 1, 1)


def simulate(rng: np.random.Generator, *, n: int, change_days: list[int], effects: list[float], phi: float,
             sigma: float = 1.0, trend: float = 0.0, missing: float = 0.0, level: float = 6.0):
    """Daily values with AR(1) noise, a linear trend per day, level shifts, and missing days (None)."""
    e = np.empty(n)
    e[0] = rng.normal(0, sigma / math.sqrt(1 - phi**2))
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0, sigma)
    t = np.arange(n)
    y = level + trend * t + e
    for d, eff in zip(change_days, effects, strict=True):
        y = y + eff * (t >= d)
    values = [None if rng.random() < missing else float(v) for v in y]
    return [START + timedelta(days=i) for i in range(n)], values


def test_whitening_is_exact_for_gappy_series():
    """The concentrated likelihood equals a GLS with the full AR(1) correlation matrix, up to a constant."""
    rng = np.random.default_rng(3)
    t = np.sort(rng.choice(200, size=120, replace=False)).astype(float)
    x = nof1._design(t, [(80, 0), (140, 0)])
    y = x @ np.array([5, -0.5, -1.2, 0.4]) + rng.normal(size=len(t))
    diffs = []
    for phi in (-0.4, 0.0, 0.3, 0.7, 0.9):
        ours, rss, _ = nof1._profile(t, y, x, phi)
        sigma = phi ** np.abs(t[:, None] - t[None, :])
        gls = sm.GLS(y, x, sigma=sigma).fit()
        assert rss == pytest.approx(gls.ssr, rel=1e-8)
        diffs.append(gls.llf - ours)
    assert np.ptp(diffs) < 1e-6  # the same function of phi


def test_maximum_likelihood_matches_statsmodels_sarimax_with_missing_days():
    """SARIMAX fits AR(1) errors with missing days by the Kalman filter: an independent exact likelihood."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    rng = np.random.default_rng(11)
    days, values = simulate(rng, n=240, change_days=[90, 170], effects=[-1.5, 0.8], phi=0.5, trend=0.004,
                            missing=0.2)
    values[0] = values[0] if values[0] is not None else 6.0  # the first day observed: both fits start there
    ours = analyse(days, values, [Change(days[90], "a"), Change(days[170], "b")])
    t = np.arange(len(days), dtype=float)
    y = np.array([np.nan if v is None else v for v in values])
    exog = nof1._design(t, [(90, 0), (170, 0)])
    # SARIMAX's likelihood starts at the first observed value; our origin is the first observed day (day 0 here)
    assert not np.isnan(y[0])
    fit = SARIMAX(y, exog=exog, order=(1, 0, 0), trend="n").fit(disp=False, method="lbfgs", maxiter=500)
    assert ours.model["phi"] == pytest.approx(fit.params[-2], abs=2e-3)
    assert ours.changes[0].effect == pytest.approx(fit.params[2], abs=2e-3)
    assert ours.changes[1].effect == pytest.approx(fit.params[3], abs=2e-3)


def test_bayes_posterior_matches_numerical_integration():
    """The mixture-of-t posterior equals brute-force 2-D integration over (phi, effect) of the exact likelihood."""
    rng = np.random.default_rng(5)
    days, values = simulate(rng, n=60, change_days=[30], effects=[-1.0], phi=0.3, missing=0.1)
    t = np.array([(d - START).days for d, v in zip(days, values, strict=True) if v is not None], dtype=float)
    y = np.array([v for v in values if v is not None])
    x = nof1._design(t, [(30, 0)])
    (mean, (lo, hi), p_benefit, p_harm), = nof1._bayes(t, y, x, [2], 399, 1.0, True)

    # independent: for each phi, the marginal posterior of the effect after integrating beta_0, beta_1 and sigma out
    # is computed here from the GLS fit of statsmodels (full correlation matrix), then integrated over phi
    # with scipy's quadrature.
    def given_phi(phi):
        sigma = phi ** np.abs(t[:, None] - t[None, :])
        fit = sm.GLS(y, x, sigma=sigma).fit()
        n, p = x.shape
        xtx = x.T @ np.linalg.solve(sigma, x)
        _, logdet_x = np.linalg.slogdet(xtx)
        _, logdet_s = np.linalg.slogdet(sigma)
        logml = -0.5 * logdet_s - 0.5 * logdet_x - 0.5 * (n - p) * math.log(fit.ssr)
        return logml, fit.params[2], math.sqrt(fit.cov_params()[2, 2]), n - p

    phis = np.linspace(-0.98, 0.98, 99)
    parts = [given_phi(p) for p in phis]
    logw = np.array([q[0] for q in parts])
    w = np.exp(logw - logw.max())
    norm = integrate.trapezoid(w, phis)

    def cdf(v):
        return integrate.trapezoid(w * np.array([stats.t.cdf((v - b) / s, df) for _, b, s, df in parts]), phis) / norm

    assert cdf(lo) == pytest.approx(0.025, abs=2e-3)
    assert cdf(hi) == pytest.approx(0.975, abs=2e-3)
    assert p_benefit == pytest.approx(cdf(-1.0), abs=2e-3)
    assert p_harm == pytest.approx(1 - cdf(1.0), abs=2e-3)
    assert mean == pytest.approx(integrate.trapezoid(w * np.array([b for _, b, _, _ in parts]), phis) / norm,
                                 abs=2e-3)


def test_intervals_cover_the_true_effect_in_93_to_97_percent_of_500_simulations():
    """Known effects, AR(1) noise, trends and missing days; seeded, so the count is reproducible."""
    rng = np.random.default_rng(2026)
    covered = 0
    runs = 500
    for _ in range(runs):
        effect = float(rng.normal(-1, 1))
        phi = float(rng.uniform(0, 0.7))
        days, values = simulate(rng, n=120, change_days=[60], effects=[effect], phi=phi, sigma=1.0,
                                trend=float(rng.normal(0, 0.005)), missing=float(rng.uniform(0, 0.3)))
        r = analyse(days, values, [Change(days[60], "x")]).changes[0]
        lo, hi = r.ci95
        covered += lo <= effect <= hi
    assert 0.93 * runs <= covered <= 0.97 * runs, covered


def test_lag_and_run_in_are_honoured():
    rng = np.random.default_rng(8)
    # the effect starts 10 days after the change; with the lag the estimate is unbiased, without it shrinks
    days, values = simulate(rng, n=200, change_days=[110], effects=[-3.0], phi=0.2, sigma=0.5)
    with_lag = analyse(days, values, [Change(days[100], "diet", lag_days=10)]).changes[0]
    without = analyse(days, values, [Change(days[100], "diet")]).changes[0]
    assert with_lag.ci95[0] <= -3.0 <= with_lag.ci95[1]
    assert abs(without.effect) < abs(with_lag.effect)
    run_in = analyse(days, values, [Change(days[100], "diet", run_in_days=10)])
    assert run_in.n_days == 190  # the ten run-in days are left out of the fit
    assert run_in.changes[0].days_after == 90


def test_missing_days_are_missing_not_good_days():
    rng = np.random.default_rng(9)
    days, values = simulate(rng, n=160, change_days=[80], effects=[0.0], phi=0.3, missing=0.0)
    # blank out the worst days after the change: an analysis that filled them with 0 (a "good day") would see benefit
    after = [i for i in range(80, 160)]
    worst = sorted(after, key=lambda i: values[i], reverse=True)[:20]
    gappy = [None if i in worst else v for i, v in enumerate(values)]
    r = analyse(days, gappy, [Change(days[80], "x")])
    assert r.n_days == 140
    filled = analyse(days, [0.0 if v is None else v for v in gappy], [Change(days[80], "x")])
    assert abs(r.changes[0].effect) < abs(filled.changes[0].effect)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"change_at": [8]}, "not enough data: 8 observed days before"),
    ({"change_at": [60, 65]}, "too close to"),
    ({"change_at": [60], "adherence": 0.3}, "adherence 30% is below 60%"),
])
def test_adequacy_checks_say_not_enough_data(kwargs, message):
    rng = np.random.default_rng(1)
    days, values = simulate(rng, n=120, change_days=[], effects=[], phi=0.2)
    changes = [Change(days[d], f"c{d}", adherence=kwargs.get("adherence")) for d in kwargs["change_at"]]
    r = analyse(days, values, changes)
    assert not r.changes[0].adequate
    assert any(message in w for w in r.changes[0].warnings), r.changes[0].warnings
    assert "no verdict yet" in plain_words(r.changes[0], label="x")


def test_strong_autocorrelation_with_short_phases_is_flagged():
    # slow swings of fatigue over weeks: neighbouring days are strongly correlated
    rng = np.random.default_rng(4)
    days = [START + timedelta(days=i) for i in range(50)]
    values = [5 + 2 * math.sin(i / 6) + rng.normal(0, 0.1) for i in range(50)]
    r = analyse(days, values, [Change(days[22], "x")])
    assert r.model["phi"] > knowledge.outcomes().nof1.strong_autocorrelation
    assert any("strong autocorrelation" in w for w in r.warnings)
    assert not r.changes[0].adequate


def test_empty_and_json_contract():
    r = analyse([START], [None], [Change(START, "x")])
    assert r.n_days == 0 and not r.changes[0].adequate
    rng = np.random.default_rng(2)
    days, values = simulate(rng, n=100, change_days=[50], effects=[-2.0], phi=0.1)
    out = analyse(days, values, [Change(days[50], "glutamine")]).as_json()
    assert set(out) >= {"outcome", "n_days", "changes", "model"}
    c = out["changes"][0]
    assert set(c) >= {"label", "date", "effect", "ci95", "p_benefit_gt_mid", "p_harm", "adequate", "warnings"}
    assert c["p_benefit_gt_mid"] > 0.5 and c["p_harm"] < 0.05 and c["adequate"] is True
    words = plain_words(analyse(days, values, [Change(days[50], "glutamine")]).changes[0], label="Glutamine")
    assert "lower (better)" in words and "could plausibly be anywhere from" in words


def test_the_batch_fit_equals_one_fit_at_a_time():
    """The cohort's lockstep golden-section search finds the same maximum as scipy's bounded Brent per series."""
    from gutwise.outcomes.nof1 import analyse_many

    rng = np.random.default_rng(17)
    series = []
    for k in range(12):
        n_changes = 1 + k % 3
        days_at = [40 + 30 * j for j in range(n_changes)]
        days, values = simulate(rng, n=150, change_days=days_at, effects=[-1.0] * n_changes,
                                phi=float(rng.uniform(-0.2, 0.8)), missing=0.15)
        series.append((days, values, [Change(days[d], f"c{d}") for d in days_at]))
    series.append(([START], [None], [Change(START, "empty")]))  # nothing to fit: same answer either way
    batch = analyse_many(series)
    for (days, values, changes), many in zip(series, batch, strict=True):
        one = analyse(days, values, changes, bayes=False)
        assert many.n_days == one.n_days
        assert many.model.get("phi") == pytest.approx(one.model.get("phi"), abs=2e-4)
        for a, b in zip(many.changes, one.changes, strict=True):
            assert (a.effect is None) == (b.effect is None) and a.adequate == b.adequate
            if a.effect is not None:
                assert a.effect == pytest.approx(b.effect, abs=1e-4)
                assert a.se == pytest.approx(b.se, rel=1e-3)
