"""Who responds in this clinic? Responder rates, predictors, time to response, pooled n-of-1 effects. Pure.

Every number here is observational: patients were not randomised, so a difference between groups can come from
anything that differs between them. The outputs say so.

- Responder rate with a Wilson score interval (statsmodels ``proportion_confint``).
- Response by age group, by illness duration (under vs 5 years or more, the split of Maes & Leunis 2008) and by
  baseline LPS panel status.
- Logistic regression of response on age, illness duration and baseline panel (statsmodels ``Logit``): odds
  ratios with 95% intervals, with a warning when events per variable are fewer than 10 (Peduzzi 1996).
- Time to response: Kaplan-Meier (statsmodels ``SurvfuncRight``), censored at the last rating.
- A normal-normal hierarchical model of the individual n-of-1 effects of one intervention (DerSimonian-Laird
  random effects; the moment estimator is written out and checked against statsmodels ``combine_effects``):
  population effect, between-patient SD (tau) and shrunken individual estimates.

References
----------
Wilson EB. J Am Stat Assoc 1927;22:209-212. Peduzzi P, et al. J Clin Epidemiol 1996;49:1373-1379.
Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-481. DerSimonian R, Laird N. Control Clin Trials 1986;7:177-188.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gutwise import knowledge

OBSERVATIONAL = ("Observational: these patients were not randomised; differences between groups may come from "
                 "anything else that differs between them, and improvement may be natural course.")


@dataclass(frozen=True)
class PatientOutcome:
    patient_id: int
    age: float | None
    illness_years: float | None
    lps_positive: bool | None
    responder: bool | None  # reliable improvement on the responder instrument; None when it cannot be told
    days_to_response: float | None
    followup_days: float | None


@dataclass(frozen=True)
class Effect:
    patient_id: int
    estimate: float
    se: float


def wilson(successes: int, n: int) -> tuple[float, float] | None:
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return None
    lo, hi = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return float(lo), float(hi)


def _rate(rows: Sequence[PatientOutcome]) -> dict[str, Any]:
    known = [r for r in rows if r.responder is not None]
    k = sum(1 for r in known if r.responder)
    ci = wilson(k, len(known))
    return {"n": len(known), "responders": k, "rate": None if not known else round(k / len(known), 4),
            "ci95": None if ci is None else [round(ci[0], 4), round(ci[1], 4)]}


def groups(rows: Sequence[PatientOutcome]) -> dict[str, list[dict[str, Any]]]:
    split = knowledge.outcomes().cohort.duration_split_years
    ages = sorted(r.age for r in rows if r.age is not None)
    age_cut = float(np.median(ages)) if ages else None

    def table(key: Any, labels: dict[Any, str]) -> list[dict[str, Any]]:
        out = []
        for value, label in labels.items():
            out.append({"group": label, **_rate([r for r in rows if key(r) == value])})
        return out

    return {
        "age": table(lambda r: None if r.age is None or age_cut is None else r.age < age_cut,
                     {True: f"younger than {age_cut:g}" if age_cut is not None else "younger",
                      False: f"{age_cut:g} or older" if age_cut is not None else "older"}),
        "illness_duration": table(lambda r: None if r.illness_years is None else r.illness_years < split,
                                  {True: f"ill under {split:g} years", False: f"ill {split:g} years or more"}),
        "lps_panel": table(lambda r: r.lps_positive, {True: "LPS panel above cut-off at baseline",
                                                      False: "LPS panel not above cut-off at baseline"}),
    }


def logistic(rows: Sequence[PatientOutcome]) -> dict[str, Any]:
    """Odds ratios of response for age (per 10 years), illness of 5 years or more, and a positive baseline panel."""
    import statsmodels.api as sm

    cfg = knowledge.outcomes().cohort
    data = [r for r in rows if None not in (r.responder, r.age, r.illness_years, r.lps_positive)]
    out: dict[str, Any] = {"n": len(data), "variables": ["age per 10 years", f"ill {cfg.duration_split_years:g} "
                                                         "years or more", "LPS panel above cut-off"],
                           "odds_ratios": [], "warnings": []}
    if len(data) < 8:
        out["warnings"].append(f"only {len(data)} patients with every variable: no model")
        return out
    y = np.array([1.0 if r.responder else 0.0 for r in data])
    x = np.column_stack([np.ones(len(data)), [(r.age or 0) / 10 for r in data],
                         [1.0 if (r.illness_years or 0) >= cfg.duration_split_years else 0.0 for r in data],
                         [1.0 if r.lps_positive else 0.0 for r in data]])
    events = int(min(y.sum(), len(y) - y.sum()))
    epv = events / 3
    if epv < cfg.min_events_per_variable:
        out["warnings"].append(f"{events} events for 3 variables ({epv:.1f} per variable, fewer than "
                               f"{cfg.min_events_per_variable}): odds ratios are unstable and may be biased")
    if events == 0:
        out["warnings"].append("everyone had the same outcome: no model")
        return out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.Logit(y, x).fit(disp=0, maxiter=200)
        except (np.linalg.LinAlgError, ValueError) as exc:
            out["warnings"].append(f"the model could not be fitted ({exc.__class__.__name__})")
            return out
    for w in caught:
        out["warnings"].append(f"fit: {str(w.message).splitlines()[0]}")
    ci = np.asarray(fit.conf_int(alpha=0.05))
    limit = math.log(1e6)  # beyond this the data separate the groups and the odds ratio is not estimable

    def odds(v: float) -> float | None:
        return round(math.exp(v), 4) if math.isfinite(v) and abs(v) < limit else None

    for i, name in enumerate(out["variables"], start=1):
        row = {"variable": name, "odds_ratio": odds(float(fit.params[i])),
               "ci95": [odds(float(ci[i, 0])), odds(float(ci[i, 1]))],
               "p": None if not math.isfinite(fit.pvalues[i]) else round(float(fit.pvalues[i]), 4)}
        if row["odds_ratio"] is None or None in row["ci95"]:
            out["warnings"].append(f"{name}: the groups are (almost) perfectly separated; the odds ratio cannot "
                                   "be estimated")
        out["odds_ratios"].append(row)
    return out


def kaplan_meier(rows: Sequence[PatientOutcome]) -> dict[str, Any]:
    """Time to the first reliable improvement, censored at the last rating of those without one."""
    from statsmodels.duration.survfunc import SurvfuncRight

    data = [(r.days_to_response, 1) if r.responder and r.days_to_response is not None else
            (r.followup_days, 0) for r in rows if r.followup_days is not None or r.days_to_response is not None]
    data = [(t, e) for t, e in data if t is not None]
    if not data:
        return {"n": 0, "events": 0, "max_followup_days": None, "times": [], "survival": [], "median_days": None}
    times = np.array([t for t, _ in data], dtype=float)
    status = np.array([e for _, e in data], dtype=float)
    sf = SurvfuncRight(times, status)
    med = sf.quantile(0.5)
    return {"n": len(data), "events": int(status.sum()), "max_followup_days": float(times.max()),
            "times": [float(t) for t in sf.surv_times], "survival": [round(float(s), 4) for s in sf.surv_prob],
            "median_days": None if med is None or not np.isfinite(med) else float(med)}


def pooled(effects: Sequence[Effect]) -> dict[str, Any]:
    """Random-effects (DerSimonian-Laird) pooling: population effect, tau, and each patient's shrunken estimate."""
    usable = [e for e in effects if e.se > 0 and math.isfinite(e.estimate)]
    if len(usable) < 2:
        return {"k": len(usable), "population_effect": None, "ci95": None, "tau": None, "individual": []}
    est = np.array([e.estimate for e in usable])
    var = np.array([e.se**2 for e in usable])
    # DerSimonian-Laird moment estimate of tau^2, truncated at zero (statsmodels' combine_effects does not
    # truncate, and then warns on a negative variance; the unit test checks this against the formulas and
    # against statsmodels where tau^2 > 0)
    w = 1.0 / var
    fixed = float((w * est).sum() / w.sum())
    q = float((w * (est - fixed) ** 2).sum())
    df = len(usable) - 1
    tau2 = max(0.0, (q - df) / float(w.sum() - (w**2).sum() / w.sum()))
    w_re = 1.0 / (var + tau2)
    mu = float((w_re * est).sum() / w_re.sum())
    se_mu = math.sqrt(1.0 / float(w_re.sum()))
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    individual = []
    for e, v in zip(usable, var, strict=True):
        w = tau2 / (tau2 + v) if tau2 + v > 0 else 0.0
        shrunk = w * e.estimate + (1 - w) * mu
        individual.append({"patient_id": e.patient_id, "estimate": round(e.estimate, 4), "se": round(e.se, 4),
                           "shrunken": round(shrunk, 4), "weight_own_data": round(w, 4)})
    return {"k": len(usable), "population_effect": round(mu, 4),
            "ci95": [round(mu - 1.959964 * se_mu, 4), round(mu + 1.959964 * se_mu, 4)],
            "tau": round(math.sqrt(tau2), 4), "i2": round(i2, 4), "method": "DerSimonian-Laird",
            "individual": individual}


def summarise(rows: Sequence[PatientOutcome], effects: dict[str, Sequence[Effect]] | None = None) -> dict[str, Any]:
    cfg = knowledge.outcomes().cohort
    return {
        "observational": OBSERVATIONAL,
        "responder_definition": f"a reliable improvement (RCI, Jacobson & Truax 1991) on {cfg.responder_instrument} "
                                "from the first to the latest rating; gutwise's rule, since the Maes study did not "
                                "publish its own",
        "patients": len(rows),
        "responders": _rate(rows),
        "by_group": groups(rows),
        "logistic": logistic(rows),
        "time_to_response": kaplan_meier(rows),
        "pooled_effects": {name: pooled(list(e)) for name, e in (effects or {}).items()},
    }
