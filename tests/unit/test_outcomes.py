"""Reliable change and cohort statistics, each checked against an independent implementation or a hand formula."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from scipy import stats

from gutwise import knowledge
from gutwise.outcomes import cohort
from gutwise.outcomes.change import Score, change_score, clinic_sd, rci
from gutwise.outcomes.cohort import Effect, PatientOutcome


def test_rci_by_hand():
    # Jacobson & Truax 1991: SE = SD * sqrt(1 - r); S_diff = sqrt(2 * SE^2)
    value, s_diff = rci(40, 28, sd=8.0, reliability=0.91)
    se = 8.0 * math.sqrt(1 - 0.91)
    assert s_diff == pytest.approx(math.sqrt(2 * se**2))
    assert value == pytest.approx(-12 / 3.394112549695428)


def test_fibrofatigue_classification_uses_the_clinic_sd_and_says_so():
    scores = [Score(date(2026, 1, 1), 40), Score(date(2026, 6, 1), 30), Score(date(2026, 11, 1), 20)]
    assert change_score("fibrofatigue", scores[:1]) is None
    no_sd = change_score("fibrofatigue", scores)
    assert no_sd.status == "cannot tell" and "baseline scores" in no_sd.note
    improved = change_score("fibrofatigue", scores, clinic_baseline_sd=8.0)
    assert (improved.status, improved.change, improved.sd_source) == ("improved", -20, "clinic baseline")
    # remission (gutwise's rule): reliable improvement to within 1.96 S_diff of the floor (1.96 * 3.39 = 6.65)
    assert improved.remission is False
    to_floor = change_score("fibrofatigue", [scores[0], Score(date(2026, 11, 1), 6)], clinic_baseline_sd=8.0)
    assert to_floor.remission is True
    worse = change_score("fibrofatigue", [Score(date(2026, 1, 1), 20), Score(date(2026, 3, 1), 30)],
                         clinic_baseline_sd=8.0)
    assert worse.status == "worse"
    small = change_score("fibrofatigue", [Score(date(2026, 1, 1), 20), Score(date(2026, 3, 1), 23)],
                         clinic_baseline_sd=8.0)
    assert small.status == "unchanged"


def test_higher_is_better_instruments_flip_the_direction():
    # RAND-36 PF: higher is better; published SD is not in the file, so the clinic SD is given
    up = change_score("rand36_pf", [Score(date(2026, 1, 1), 30), Score(date(2026, 9, 1), 55)],
                      clinic_baseline_sd=20.0)
    assert up.status == "improved" and up.remission is None
    phq = change_score("phq9", [Score(date(2026, 1, 1), 14), Score(date(2026, 9, 1), 3)], clinic_baseline_sd=5.0)
    assert phq.status == "improved" and phq.remission is True


def test_clinic_sd_needs_enough_baselines():
    n = knowledge.outcomes().rci.sd_from_clinic_min_n
    assert clinic_sd([10.0] * (n - 1)) is None
    values = [float(i) for i in range(n)]
    assert clinic_sd(values) == pytest.approx(float(np.std(values, ddof=1)))


@pytest.mark.parametrize(("k", "n"), [(24, 41), (0, 10), (10, 10), (3, 7)])
def test_wilson_interval_against_the_formula(k, n):
    # Wilson 1927, written out here independently of statsmodels
    z = stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo, hi = cohort.wilson(k, n)
    assert lo == pytest.approx(max(0.0, centre - half), abs=1e-12)
    assert hi == pytest.approx(min(1.0, centre + half), abs=1e-12)


def test_maes_responder_rate():
    rows = [PatientOutcome(i, 40, 3, True, i < 24, 100 if i < 24 else None, 300) for i in range(41)]
    # by hand: centre (p + z²/2n)/(1 + z²/n) = 0.5781, half-width 0.1444
    r = cohort.summarise(rows)["responders"]
    assert (r["responders"], r["n"], r["rate"]) == (24, 41, round(24 / 41, 4))
    assert r["ci95"][0] == pytest.approx(0.4337, abs=1e-3) and r["ci95"][1] == pytest.approx(0.7225, abs=1e-3)


def test_kaplan_meier_against_scipy():
    rng = np.random.default_rng(7)
    rows = []
    for i in range(60):
        t_event = float(rng.integers(30, 420))
        t_cens = float(rng.integers(60, 420))
        responded = t_event <= t_cens
        rows.append(PatientOutcome(i, 40, 3, None, responded, t_event if responded else None, t_cens))
    km = cohort.kaplan_meier(rows)
    times = np.array([r.days_to_response if r.responder else r.followup_days for r in rows])
    observed = np.array([bool(r.responder) for r in rows])
    data = stats.CensoredData(uncensored=times[observed], right=times[~observed])
    ref = stats.ecdf(data).sf
    for t, s in zip(km["times"], km["survival"], strict=True):
        assert s == pytest.approx(float(ref.evaluate(t)), abs=1e-4)
    assert km["events"] == int(observed.sum())


def test_dersimonian_laird_against_the_formulas():
    est = np.array([-1.8, -0.2, -1.1, 0.4, -2.5, -0.9])
    se = np.array([0.5, 0.4, 0.6, 0.5, 0.9, 0.3])
    out = cohort.pooled([Effect(i, float(e), float(s)) for i, (e, s) in enumerate(zip(est, se, strict=True))])
    w = 1 / se**2
    fixed = (w * est).sum() / w.sum()
    q = (w * (est - fixed) ** 2).sum()
    tau2 = max(0.0, (q - (len(est) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    wr = 1 / (se**2 + tau2)
    mu = (wr * est).sum() / wr.sum()
    se_mu = math.sqrt(1 / wr.sum())
    assert out["population_effect"] == pytest.approx(mu, abs=1e-4)
    assert out["tau"] == pytest.approx(math.sqrt(tau2), abs=1e-4)
    assert out["ci95"][0] == pytest.approx(mu - 1.959964 * se_mu, abs=1e-4)
    # and against statsmodels (which agrees whenever tau^2 > 0, as here)
    from statsmodels.stats.meta_analysis import combine_effects

    sm = combine_effects(est, se**2, method_re="dl")
    assert tau2 > 0
    assert out["population_effect"] == pytest.approx(float(sm.mean_effect_re), abs=1e-4)
    assert out["tau"] == pytest.approx(math.sqrt(float(sm.tau2)), abs=1e-4)
    for row, e, s in zip(out["individual"], est, se, strict=True):
        b = tau2 / (tau2 + s**2)
        assert row["shrunken"] == pytest.approx(b * e + (1 - b) * mu, abs=1e-4)
        # shrinkage pulls every estimate towards the population effect
        assert abs(row["shrunken"] - mu) <= abs(e - mu) + 1e-9


def test_pooling_homogeneous_effects_truncates_tau_at_zero():
    out = cohort.pooled([Effect(i, -1.0 + 0.01 * i, 0.5) for i in range(5)])
    assert out["tau"] == 0.0 and out["i2"] == 0.0
    assert all(r["weight_own_data"] == 0.0 for r in out["individual"])  # no spread: everyone gets the mean
    assert cohort.pooled([Effect(1, -1.0, 0.5)])["population_effect"] is None


def test_logistic_odds_ratios_and_the_events_per_variable_warning():
    rng = np.random.default_rng(12)
    rows = []
    for i in range(300):
        age = float(rng.uniform(20, 65))
        years = float(rng.uniform(0.5, 15))
        lps = bool(rng.random() < 0.5)
        logit = 1.5 - 0.4 * (age / 10 - 4) - 1.0 * (years >= 5) + 0.5 * lps
        rows.append(PatientOutcome(i, age, years, lps, bool(rng.random() < 1 / (1 + math.exp(-logit))), None, None))
    out = cohort.logistic(rows)
    ors = {o["variable"]: o for o in out["odds_ratios"]}
    assert ors["age per 10 years"]["ci95"][0] < math.exp(-0.4) < ors["age per 10 years"]["ci95"][1]
    assert ors["ill 5 years or more"]["odds_ratio"] < 1
    assert not any("per variable" in w for w in out["warnings"])
    small = cohort.logistic(rows[:25])
    assert any("per variable" in w for w in small["warnings"])
    assert "no model" in cohort.logistic(rows[:5])["warnings"][0]


def test_groups_split_by_the_maes_illness_duration():
    rows = [PatientOutcome(1, 30, 2, True, True, 90, 300), PatientOutcome(2, 50, 8, False, False, None, 300),
            PatientOutcome(3, 35, 4, None, None, None, None)]
    g = cohort.groups(rows)
    duration = {r["group"]: r for r in g["illness_duration"]}
    assert duration["ill under 5 years"]["n"] == 1 and duration["ill under 5 years"]["responders"] == 1
    assert duration["ill 5 years or more"]["responders"] == 0
    assert "Observational" in cohort.summarise(rows)["observational"]
