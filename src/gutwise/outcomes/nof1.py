"""Did a change help this person? A segmented regression of a daily outcome with AR(1) errors. Pure.

Model, for observed days ``t`` (missing days are simply absent; never filled in):

    y_t = b0 + b1 * t + sum_k d_k * [t >= T_k + lag_k] + e_t,    e_t = phi * e_(t-1) + u_t

``d_k`` is the change in level at change ``k`` (after minus before, in the outcome's own units). Days in the
run-in window after each change are left out of the fit. Because the AR(1) process is Markov, gaps of ``g`` days
whiten exactly: ``(e_t - phi^g e_(t-g)) / sqrt(1 - phi^(2g))`` are independent with equal variance, so the model
is fitted by maximum likelihood over ``phi`` and then by ordinary least squares (statsmodels) on the whitened
data. That is exact for gappy diaries, where Cochrane-Orcutt style fits (GLSAR) would pair non-adjacent days.
The likelihood at any ``phi`` comes from per-gap cross-product sums (``_Moments``), computed once per series:
the search over ``phi``, the posterior grid and the cohort's many-series fit all reuse them.

Bayesian version of the same model: flat priors on the regression coefficients, p(sigma) ~ 1/sigma and a
uniform prior on phi in (-1, 1). Given phi the posterior of each d_k is a Student t; phi is integrated over a
grid, so the posterior is a mixture of t's, computed exactly (no sampling): its mean, 95% credible interval,
P(benefit > MID) and P(harm: worse by more than the MID).

References
----------
Huitema BE, McKean JW. Design specification issues in time-series intervention models. 2000.
Schmid CH, Yang J. Bayesian models for N-of-1 trials. Harvard Data Science Review 2022.
Vohra S, et al. CONSORT extension for reporting N-of-1 trials (CENT) 2015. BMJ 2015;350:h1738.
Box GEP, Tiao GC. Bayesian Inference in Statistical Analysis. 1973 (normal linear model posteriors).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, stats

from gutwise import knowledge


@dataclass(frozen=True)
class Change:
    day: date
    label: str
    lag_days: int = 0
    run_in_days: int = 0
    adherence: float | None = None  # share of answered checklist days taken (partly = half), if known


@dataclass(frozen=True)
class ChangeResult:
    label: str
    day: date
    effect: float | None
    ci95: tuple[float, float] | None
    p_benefit_gt_mid: float | None
    p_harm: float | None
    bayes_mean: float | None
    ci95_fixed_phi: tuple[float, float] | None
    se: float | None  # standard error at the fitted phi (what cohort pooling uses)
    days_before: int
    days_after: int
    adherence: float | None
    adequate: bool
    warnings: list[str]

    def as_json(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"label": self.label, "date": self.day.isoformat(), "effect": r(self.effect),
                "ci95": None if self.ci95 is None else [r(self.ci95[0]), r(self.ci95[1])],
                "p_benefit_gt_mid": r(self.p_benefit_gt_mid), "p_harm": r(self.p_harm),
                "posterior_mean": r(self.bayes_mean),
                "ci95_fixed_phi": None if self.ci95_fixed_phi is None else [r(self.ci95_fixed_phi[0]),
                                                                             r(self.ci95_fixed_phi[1])],
                "days_before": self.days_before, "days_after": self.days_after, "adherence": r(self.adherence),
                "adequate": self.adequate, "warnings": self.warnings}


@dataclass(frozen=True)
class Nof1Result:
    outcome: str
    n_days: int
    changes: list[ChangeResult]
    model: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "n_days": self.n_days, "changes": [c.as_json() for c in self.changes],
                "model": self.model, "warnings": self.warnings}


# --- the likelihood --------------------------------------------------------------------------------------


def _whiten(t: np.ndarray, y: np.ndarray, x: np.ndarray, phi: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Whitened (y, X) and the log-Jacobian term  -1/2 * sum log(1 - phi^(2g)) of the transformation."""
    gaps = np.diff(t)
    rho = phi ** gaps
    scale = np.sqrt(1.0 - rho**2)
    yw = np.empty_like(y)
    xw = np.empty_like(x)
    yw[0], xw[0] = y[0], x[0]
    yw[1:] = (y[1:] - rho * y[:-1]) / scale
    xw[1:] = (x[1:] - rho[:, None] * x[:-1]) / scale[:, None]
    return yw, xw, float(np.log(scale).sum())


class _Moments:
    """Sufficient statistics of one series for the AR(1) likelihood at any phi.

    With z = [X, y] and gap g_i between observed days i-1 and i, the whitened cross-product matrix is
    z_0 z_0' + sum_g [A_g - r (B_g + B_g') + r^2 C_g] / (1 - r^2), r = phi^g, where A_g, B_g and C_g sum
    z_i z_i', z_i z_(i-1)' and z_(i-1) z_(i-1)' over the days with gap g. Building them costs one pass over the
    data; each phi then costs O(gaps x columns^2), which makes the likelihood search and the posterior grid cheap.
    """

    def __init__(self, t: np.ndarray, y: np.ndarray, x: np.ndarray) -> None:
        z = np.column_stack([x, y])
        self.n, self.p = len(y), x.shape[1]
        gaps = np.diff(t)
        values, inverse = np.unique(gaps, return_inverse=True)
        k = z.shape[1]
        self.gaps = values.astype(float)
        self.counts = np.bincount(inverse, minlength=len(values)).astype(float)
        self.first = np.outer(z[0], z[0])
        self.a = np.empty((len(values), k, k))
        self.b = np.empty((len(values), k, k))
        self.c = np.empty((len(values), k, k))
        cur, prev = z[1:], z[:-1]
        for j in range(len(values)):
            m = inverse == j
            cj, pj = cur[m], prev[m]
            self.a[j] = cj.T @ cj
            cross = cj.T @ pj
            self.b[j] = cross + cross.T
            self.c[j] = pj.T @ pj


@dataclass
class _Stacked:
    """Many series' moments of the same width, padded to the same number of distinct gaps (zero counts)."""

    n: np.ndarray
    p: int
    gaps: np.ndarray
    counts: np.ndarray
    first: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray

    @classmethod
    def of(cls, moments: Sequence[_Moments]) -> _Stacked:
        g = max(len(m.gaps) for m in moments)
        k = moments[0].first.shape[0]
        size = len(moments)
        gaps, counts = np.ones((size, g)), np.zeros((size, g))
        a, b, c = (np.zeros((size, g, k, k)) for _ in range(3))
        for i, m in enumerate(moments):
            j = len(m.gaps)
            gaps[i, :j], counts[i, :j], a[i, :j], b[i, :j], c[i, :j] = m.gaps, m.counts, m.a, m.b, m.c
        return cls(np.array([m.n for m in moments], dtype=float), moments[0].p, gaps, counts,
                   np.stack([m.first for m in moments]), a, b, c)

    def profile(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per series at its phi: (concentrated log-likelihood, RSS, beta, X'X of the whitened data, log-Jacobian)."""
        r = phi[:, None] ** self.gaps
        one_minus = 1.0 - r**2
        w = 1.0 / one_minus
        zz = (self.first + np.einsum("sg,sgij->sij", w, self.a) - np.einsum("sg,sgij->sij", w * r, self.b)
              + np.einsum("sg,sgij->sij", w * r * r, self.c))
        log_scale = 0.5 * (self.counts * np.log(one_minus)).sum(axis=1)
        p = self.p
        xtx, xty, yty = zz[:, :p, :p], zz[:, :p, p], zz[:, p, p]
        beta = np.linalg.solve(xtx, xty[..., None])[..., 0]
        rss = np.maximum(yty - (xty * beta).sum(axis=1), 1e-300)
        loglik = -0.5 * self.n * np.log(rss / self.n) - log_scale
        return loglik, rss, beta, xtx, log_scale


def _profile(t: np.ndarray, y: np.ndarray, x: np.ndarray, phi: float) -> tuple[float, float, float]:
    """(concentrated log-likelihood, RSS, log|X'X|) at phi, with beta and the variance profiled out."""
    st = _Stacked.of([_Moments(t, y, x)])
    loglik, rss, _, xtx, _ = st.profile(np.array([phi]))
    return float(loglik[0]), float(rss[0]), float(np.linalg.slogdet(xtx[0])[1])


_EPOCH = float(date(1970, 1, 1).toordinal())


@lru_cache(maxsize=1024)
def _t975(df: int) -> float:
    return float(stats.t.ppf(0.975, df))


def _design(t: np.ndarray, changes: Sequence[tuple[int, int]]) -> np.ndarray:
    """Intercept, trend (per 100 days), and one step per change starting at its day + lag."""
    cols = [np.ones_like(t, dtype=float), t / 100.0]
    for start, lag in changes:
        cols.append((t >= start + lag).astype(float))
    return np.column_stack(cols)


@dataclass(frozen=True)
class _Fit:
    phi: float
    params: np.ndarray
    bse: np.ndarray
    df: int
    loglik: float


def _fit_frequentist(t: np.ndarray, y: np.ndarray, x: np.ndarray) -> _Fit:
    import statsmodels.api as sm

    st = _Stacked.of([_Moments(t, y, x)])
    res = optimize.minimize_scalar(lambda p: -float(st.profile(np.array([p]))[0][0]), bounds=(-0.95, 0.95),
                                   method="bounded", options={"xatol": 1e-6})
    phi = float(res.x)
    yw, xw, _ = _whiten(t, y, x, phi)
    ols = sm.OLS(yw, xw).fit()
    return _Fit(phi, np.asarray(ols.params), np.asarray(ols.bse), int(ols.df_resid), -float(res.fun))


def _bayes(t: np.ndarray, y: np.ndarray, x: np.ndarray, columns: Sequence[int], grid: int, mid: float,
           lower_is_better: bool) -> list[tuple[float, tuple[float, float], float, float]]:
    """Per column: (posterior mean, 95% credible interval, P(benefit > MID), P(worse by more than MID))."""
    n, p = x.shape
    df = n - p
    phis = np.linspace(-0.98, 0.98, grid)
    mom = _Moments(t, y, x)
    st = _Stacked.of([mom] * grid)
    _, rss, beta, xtx, log_scale = st.profile(phis)
    _, logdet = np.linalg.slogdet(xtx)
    # marginal likelihood of phi with beta and sigma integrated out (flat, 1/sigma priors)
    logpost = -0.5 * logdet - 0.5 * df * np.log(rss) - log_scale
    inv = np.linalg.inv(xtx)
    cols = list(columns)
    locs = beta[:, cols]
    scales = np.sqrt(inv[:, cols, cols] * (rss / df)[:, None])
    w = np.exp(logpost - logpost.max())
    w /= w.sum()
    out = []
    for j in range(len(columns)):
        loc, scale = locs[:, j], scales[:, j]

        def cdf(v: float, loc: np.ndarray = loc, scale: np.ndarray = scale) -> float:
            return float((w * stats.t.cdf((v - loc) / scale, df)).sum())

        mean = float((w * loc).sum())
        spread = float(scale.max()) * 20 + abs(mean)
        lo = optimize.brentq(lambda v: cdf(v) - 0.025, mean - spread, mean + spread)
        hi = optimize.brentq(lambda v: cdf(v) - 0.975, mean - spread, mean + spread)
        if lower_is_better:
            benefit, harm = cdf(-mid), 1.0 - cdf(mid)
        else:
            benefit, harm = 1.0 - cdf(mid), cdf(-mid)
        out.append((mean, (lo, hi), benefit, harm))
    return out


# --- the analysis ----------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    """One diary and its changes, ready to fit: the kept days, the design and the adequacy so far."""

    outcome: str
    changes: list[Change]
    model: dict[str, Any]
    t: np.ndarray
    y: np.ndarray
    x: np.ndarray
    counts: list[tuple[int, int]]
    per_change: list[list[str]]
    mid: float | None
    lower_is_better: bool


def _model_text(changes: Sequence[Change], spec: Any, mid: float | None, lower_is_better: bool) -> dict[str, Any]:
    return {"name": "segmented regression with AR(1) errors", "fit": "exact maximum likelihood over phi "
            "(whitening handles missing days), then OLS by statsmodels on the whitened data",
            "bayes": "flat priors on coefficients, 1/sigma, uniform phi in (-1, 1); exact grid posterior",
            "effect": "maximum-likelihood level change (after minus before, in the outcome's units)",
            "ci95": "95% posterior interval, which integrates over the uncertainty in phi",
            "terms": ["intercept", "linear trend", *[f"level change at {c.label}" for c in changes]],
            "assumptions": ["the change shifts the level (not the slope) and stays", "errors follow an AR(1)",
                            "missing days are missing at random given the model (crash days are kept)",
                            "no other change coincides with the one being tested"],
            "mid": mid, "lower_is_better": lower_is_better, "mid_note": spec.mid_note if spec else None,
            "observational": "a personal before/after analysis, not a controlled trial: it cannot rule out "
                             "chance coincidences, natural course or other changes made at the same time"}


def _prepare(days: Sequence[date] | np.ndarray, values: Sequence[float | None] | np.ndarray,
             changes: Sequence[Change], outcome: str) -> _Prepared | Nof1Result:
    """Keep the observed days outside run-ins, build the design and check adequacy; a result when nothing fits."""
    defs = knowledge.outcomes()
    spec = defs.daily.get(outcome)
    settings = defs.nof1
    mid = spec.mid if spec else None
    lower_is_better = not spec.higher_is_better if spec else True
    if len(days) != len(values):
        raise ValueError("days and values differ in length")
    if isinstance(days, np.ndarray):  # datetime64[D] (the cohort reads whole columns at once)
        ordinals = days.astype("datetime64[D]").astype(float) + _EPOCH
    else:
        ordinals = np.fromiter((d.toordinal() for d in days), dtype=float, count=len(days))
    y_raw = np.array(values, dtype=float)  # None becomes NaN: a missing day, dropped below
    seen = ~np.isnan(y_raw)
    order = np.argsort(ordinals[seen], kind="stable")
    changes = sorted(changes, key=lambda c: c.day)
    model = _model_text(changes, spec, mid, lower_is_better)
    if not seen.any():
        return Nof1Result(outcome, 0, [_empty(c, 0, 0, ["no diary values"]) for c in changes], model,
                          ["not enough data: the diary has no values for this outcome"])
    t_abs = ordinals[seen][order]
    origin = int(t_abs[0])
    t_all = t_abs - origin
    y_all = y_raw[seen][order]
    starts = [(c.day.toordinal() - origin, c.lag_days, c.run_in_days) for c in changes]
    keep = np.ones(len(t_all), dtype=bool)
    for start, lag, run_in in starts:
        if lag + run_in:
            keep &= ~((t_all >= start) & (t_all < start + lag + run_in))
    t, y = t_all[keep], y_all[keep]

    # adequacy per change: observed days in the segment before and after it
    per_change: list[list[str]] = []
    counts = []
    positions = [float(s + lag) for s, lag, _ in starts]
    for i, (start, lag, _run_in) in enumerate(starts):
        prev = positions[i - 1] if i else -math.inf
        nxt = starts[i + 1][0] if i + 1 < len(starts) else math.inf
        before = int(np.searchsorted(t, start) - np.searchsorted(t, prev))
        after = int(np.searchsorted(t, nxt) - np.searchsorted(t, start + lag))
        counts.append((before, after))
        problems = []
        if before < settings.min_days_each_side or after < settings.min_days_each_side:
            problems.append(f"not enough data: {before} observed days before and {after} after "
                            f"(at least {settings.min_days_each_side} each are needed)")
        for j, (other, _, _) in enumerate(starts):
            if j != i and abs(other - start) < settings.min_days_between_changes:
                problems.append(f"too close to '{changes[j].label}' ({abs(other - start)} days apart): the two "
                                "changes cannot be told apart")
        adherence = changes[i].adherence
        if adherence is not None and adherence < settings.min_adherence:
            problems.append(f"adherence {adherence:.0%} is below {settings.min_adherence:.0%}: the change was not "
                            "really made")
        per_change.append(problems)

    x = _design(t, [(s, lag) for s, lag, _ in starts])
    identifiable = len(y) > x.shape[1] + 2 and np.linalg.matrix_rank(x) == x.shape[1]
    if not identifiable:
        return Nof1Result(outcome, len(y), [_empty(c, *counts[i], per_change[i] or ["not enough data"])
                                            for i, c in enumerate(changes)], model,
                          ["not enough data to fit the model"])
    return _Prepared(outcome, changes, model, t, y, x, counts, per_change, mid, lower_is_better)


def _finish(pr: _Prepared, fit: _Fit, *, bayes: bool, fit_text: str | None = None) -> Nof1Result:
    settings = knowledge.outcomes().nof1
    model = dict(pr.model)
    if fit_text:
        model["fit"] = fit_text
    warnings: list[str] = []
    per_change = [list(p) for p in pr.per_change]
    model.update({"phi": round(fit.phi, 4), "trend_per_100_days": round(float(fit.params[1]), 4),
                  "df_resid": fit.df})
    phases = [b for pair in pr.counts for b in pair]
    if fit.phi > settings.strong_autocorrelation and min(phases or [0]) < settings.short_phase_days:
        warnings.append(f"strong autocorrelation (phi = {fit.phi:.2f}) with phases shorter than "
                        f"{settings.short_phase_days} days: intervals are unreliable")
        for problems in per_change:
            problems.append("strong autocorrelation with short phases")
    posterior = _bayes(pr.t, pr.y, pr.x, range(2, pr.x.shape[1]), settings.bayes_grid, pr.mid or 0.0,
                       pr.lower_is_better) if bayes else None
    if not bayes:
        model["ci95"] = "t interval at the fitted phi (no posterior computed)"
    q = _t975(fit.df)
    results = []
    for i, c in enumerate(pr.changes):
        est, se = float(fit.params[2 + i]), float(fit.bse[2 + i])
        fixed = (est - q * se, est + q * se)
        # ci95 integrates over phi (the posterior); the t interval at the fitted phi is kept for comparison:
        # it ignores the uncertainty in phi and covered 93-94% in gutwise's simulations instead of 95%.
        b_mean, b_ci, p_benefit, p_harm = posterior[i] if posterior else (None, fixed, None, None)
        results.append(ChangeResult(c.label, c.day, est, b_ci,
                                    p_benefit if pr.mid is not None else None,
                                    p_harm if pr.mid is not None else None,
                                    b_mean, fixed, se, pr.counts[i][0], pr.counts[i][1], c.adherence,
                                    not per_change[i], per_change[i]))
    return Nof1Result(pr.outcome, len(pr.y), results, model, warnings)


def analyse(days: Sequence[date], values: Sequence[float | None], changes: Sequence[Change], *,
            outcome: str = "fatigue", bayes: bool = True) -> Nof1Result:
    """Estimate the level change at each dated change, with intervals, probabilities and adequacy checks.

    ``bayes=False`` skips the posterior (for cohort pooling, which needs only estimates and standard errors):
    then ``ci95`` is the t interval at the fitted phi and the probabilities are None."""
    pr = _prepare(days, values, changes, outcome)
    if isinstance(pr, Nof1Result):
        return pr
    return _finish(pr, _fit_frequentist(pr.t, pr.y, pr.x), bayes=bayes)


def analyse_many(series: Sequence[tuple[Sequence[date] | np.ndarray, Sequence[float | None] | np.ndarray,
                                        Sequence[Change]]], *,
                 outcome: str = "fatigue") -> list[Nof1Result]:
    """``analyse(..., bayes=False)`` for many diaries at once (the cohort): the same likelihood, maximised for all
    series together from their sufficient statistics, so that thousands of patients take seconds."""
    prepared = [_prepare(d, v, c, outcome) for d, v, c in series]
    todo = [i for i, p in enumerate(prepared) if isinstance(p, _Prepared)]
    fits: dict[int, _Fit] = {}
    by_width: dict[int, list[int]] = {}
    for i in todo:
        by_width.setdefault(prepared[i].x.shape[1], []).append(i)  # type: ignore[union-attr]
    for idx in by_width.values():
        for chunk in range(0, len(idx), 1000):
            part = idx[chunk:chunk + 1000]
            moments = [_Moments(p.t, p.y, p.x) for p in (prepared[i] for i in part)]  # type: ignore[union-attr]
            for i, fit in zip(part, _fit_batch(moments), strict=True):
                fits[i] = fit
    text = ("exact maximum likelihood over phi, maximised for many series together (golden section on the same "
            "likelihood), then the GLS solution at that phi")
    return [p if isinstance(p, Nof1Result) else _finish(p, fits[i], bayes=False, fit_text=text)
            for i, p in enumerate(prepared)]


def _empty(c: Change, before: int, after: int, warnings: list[str]) -> ChangeResult:
    return ChangeResult(c.label, c.day, None, None, None, None, None, None, None, before, after, c.adherence,
                        False, warnings)


def plain_words(r: ChangeResult, *, label: str, unit_name: str = "points", lower_is_better: bool = True) -> str:
    """One sentence for the patient: the estimate with its interval, or why there is no verdict."""
    if not r.adequate or r.effect is None or r.ci95 is None:
        reason = r.warnings[0] if r.warnings else "not enough data"
        return f"{label}: no verdict yet ({reason})."
    better = (r.effect < 0) == lower_is_better
    size = abs(r.effect)
    lo, hi = r.ci95
    direction = "lower" if r.effect < 0 else "higher"
    verdict = "better" if better else "worse"
    chance = "" if r.p_benefit_gt_mid is None else (
        f" The chance that it helped by at least the smallest change that matters is "
        f"{round(100 * r.p_benefit_gt_mid)}%; that it made things worse by that much, {round(100 * (r.p_harm or 0))}%.")
    if size < 0.05:
        return (f"{label}: since this change your level has been about the same; it could plausibly be anywhere "
                f"from {lo:+.1f} to {hi:+.1f}.{chance}")
    return (f"{label}: since this change your level has been {size:.1f} {unit_name} {direction} ({verdict}); "
            f"it could plausibly be anywhere from {lo:+.1f} to {hi:+.1f}.{chance}")


# --- planned experiments: A (without) and B (with) periods ----------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    arm: str  # "A" (without) or "B" (with)
    washout_days: int = 0  # days at the start of the period left out (carry-over from the previous period)


def analyse_periods(days: Sequence[date], values: Sequence[float | None], periods: Sequence[Period], *,
                    outcome: str = "fatigue", label: str = "B vs A", adherence: float | None = None) -> ChangeResult:
    """The difference between B and A periods of a planned experiment (B minus A, in the outcome's units),
    with the same AR(1) model, trend and Bayesian posterior as ``analyse``; washout days are left out."""
    defs = knowledge.outcomes()
    spec = defs.daily.get(outcome)
    settings = defs.nof1
    mid = spec.mid if spec else 0.0
    lower_is_better = not spec.higher_is_better if spec else True
    obs = sorted((d, float(v)) for d, v in zip(days, values, strict=True) if v is not None and not math.isnan(v))
    first = periods[0].start if periods else None
    kept: list[tuple[int, float, float]] = []
    for d, v in obs:
        p = next((p for p in periods if p.start <= d < p.end), None)
        if p is None or first is None or d < p.start + timedelta(days=p.washout_days):
            continue
        kept.append(((d - first).days, v, 1.0 if p.arm == "B" else 0.0))
    n_a = sum(1 for _, _, b in kept if b == 0.0)
    n_b = len(kept) - n_a
    problems = []
    if n_a < settings.min_days_each_side or n_b < settings.min_days_each_side:
        problems.append(f"not enough data: {n_a} observed days without and {n_b} with (at least "
                        f"{settings.min_days_each_side} each are needed)")
    if adherence is not None and adherence < settings.min_adherence:
        problems.append(f"adherence {adherence:.0%} is below {settings.min_adherence:.0%}: the change was not "
                        "really made")
    day0 = periods[0].start if periods else date.min
    if not kept or n_a < 2 or n_b < 2 or len(kept) < 6:
        return ChangeResult(label, day0, None, None, None, None, None, None, None, n_a, n_b, adherence, False,
                            problems or ["not enough data"])
    t = np.array([k[0] for k in kept], dtype=float)
    y = np.array([k[1] for k in kept])
    x = np.column_stack([np.ones_like(t), t / 100.0, np.array([k[2] for k in kept])])
    fit = _fit_frequentist(t, y, x)
    shortest = min((p.end - p.start).days - p.washout_days for p in periods)
    if fit.phi > settings.strong_autocorrelation and shortest < settings.short_phase_days:
        problems.append(f"strong autocorrelation (phi = {fit.phi:.2f}) with periods shorter than "
                        f"{settings.short_phase_days} days: intervals are unreliable")
    (b_mean, b_ci, p_benefit, p_harm), = _bayes(t, y, x, [2], settings.bayes_grid, mid, lower_is_better)
    est, se = float(fit.params[2]), float(fit.bse[2])
    q = stats.t.ppf(0.975, fit.df)
    return ChangeResult(label, day0, est, b_ci, p_benefit, p_harm, b_mean, (est - q * se, est + q * se), se, n_a,
                        n_b, adherence, not problems, problems)


def _fit_batch(moments: Sequence[_Moments]) -> list[_Fit]:
    """Maximum likelihood over phi for many series at once: a golden-section search run in lockstep (the
    profile likelihood of an AR(1) coefficient is unimodal in practice), then each series' GLS solution."""
    st = _Stacked.of(moments)
    size = len(moments)
    lo, hi = np.full(size, -0.95), np.full(size, 0.95)
    ratio = (math.sqrt(5) - 1) / 2
    c, d = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fc, fd = st.profile(c)[0], st.profile(d)[0]
    for _ in range(40):  # 1.9 * 0.618^40 < 1e-8
        left = fc > fd  # the maximum lies in [lo, d]
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        new_c, new_d = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        c, d = np.where(left, new_c, d), np.where(left, c, new_d)
        f_new = st.profile(np.where(left, c, d))[0]
        fc, fd = np.where(left, f_new, fd), np.where(left, fc, f_new)
    phi = (lo + hi) / 2
    loglik, rss, beta, xtx, _ = st.profile(phi)
    df = st.n - st.p
    bse = np.sqrt(np.diagonal(np.linalg.inv(xtx), axis1=1, axis2=2) * (rss / df)[:, None])
    return [_Fit(float(phi[i]), beta[i], bse[i], int(df[i]), float(loglik[i])) for i in range(size)]
