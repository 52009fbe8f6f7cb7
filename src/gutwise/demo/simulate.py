"""The synthetic demo cohort: plausible ME/CFS courses over a year of daily diaries, fully determined by a seed.

Pure: numbers in, dataclasses out. Each patient gets a course (improving, unchanged, relapsing), an AR(1)
day-to-day wobble, crash days (post-exertional malaise, with a 1-3 day tail) and missed days that cluster around
crashes, because people skip the diary on their worst days (peers.md 4.2: a missing entry is not a good day).

These are teaching data, not a model of the illness: the parameters below are simulation settings, not clinical
facts, and every record they produce is flagged ``synthetic``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from gutwise import knowledge

COURSES = ("improving", "unchanged", "relapsing")
NOTES = (
    "Short walk, then needed to lie down.",
    "Bad night, woke up four times.",
    "Visitors in the afternoon; paying for it now.",
    "Quiet day, mostly resting.",
    "Brain fog heavy today.",
    "Felt a bit brighter in the morning.",
)


@dataclass(frozen=True)
class SimDay:
    day: date
    fatigue: int
    crash: bool
    note: str | None


@dataclass(frozen=True)
class SimResponse:
    day: date
    instrument: str
    answers: dict[str, int]


@dataclass(frozen=True)
class SimLab:
    day: date
    analyte: str
    value: float
    unit: str
    ref_low: float | None
    ref_high: float | None


DEMO_LAB = "Synthetic demo lab"
LPS_ORGANISMS = ("hafnia_alvei", "pseudomonas_aeruginosa", "morganella_morganii", "pseudomonas_putida",
                 "citrobacter_koseri", "klebsiella_pneumoniae")
# The demo lab's own cut-off for its (synthetic) anti-LPS ELISA: a lab-supplied value, not a published rule.
DEMO_LPS_CUTOFF = 0.5


# A small synthetic community (genus lineages) for demo microbiome samples; proportions are illustrative.
_TAXA = (  # phylum, class, order, family, genus, species, weight
    ("Firmicutes", "Clostridia", "Clostridiales", "Ruminococcaceae", "Faecalibacterium", "prausnitzii", 8.0),
    ("Firmicutes", "Clostridia", "Clostridiales", "Lachnospiraceae", "Roseburia", "", 4.0),
    ("Firmicutes", "Clostridia", "Clostridiales", "Lachnospiraceae", "Coprococcus", "", 2.0),
    ("Firmicutes", "Clostridia", "Clostridiales", "Lachnospiraceae", "Blautia", "", 5.0),
    ("Firmicutes", "Clostridia", "Clostridiales", "Ruminococcaceae", "Ruminococcus", "", 4.0),
    ("Firmicutes", "Erysipelotrichi", "Erysipelotrichales", "Erysipelotrichaceae", "Holdemanella", "", 1.0),
    ("Bacteroidetes", "Bacteroidia", "Bacteroidales", "Bacteroidaceae", "Bacteroides", "", 22.0),
    ("Bacteroidetes", "Bacteroidia", "Bacteroidales", "Prevotellaceae", "Prevotella", "", 6.0),
    ("Bacteroidetes", "Bacteroidia", "Bacteroidales", "Rikenellaceae", "Alistipes", "", 5.0),
    ("Actinobacteria", "Actinobacteria", "Bifidobacteriales", "Bifidobacteriaceae", "Bifidobacterium", "", 4.0),
    ("Verrucomicrobia", "Verrucomicrobiae", "Verrucomicrobiales", "Verrucomicrobiaceae", "Akkermansia",
     "muciniphila", 2.0),
    ("Proteobacteria", "Gammaproteobacteria", "Enterobacteriales", "Enterobacteriaceae", "Escherichia", "", 1.5),
    ("Proteobacteria", "Gammaproteobacteria", "Enterobacteriales", "Enterobacteriaceae", "Klebsiella", "", 0.5),
    ("Proteobacteria", "Betaproteobacteria", "Burkholderiales", "Sutterellaceae", "Sutterella", "", 1.0),
    ("Firmicutes", "Bacilli", "Lactobacillales", "Streptococcaceae", "Streptococcus", "", 1.5),
)
DEMO_TAXA = tuple((f"k__Bacteria; p__{p}; c__{c}; o__{o}; f__{f}; g__{g}; s__{sp}", w)
                  for p, c, o, f, g, sp, w in _TAXA)


@dataclass(frozen=True)
class SimSample:
    day: date
    counts: list[int]


@dataclass(frozen=True)
class SimPatient:
    index: int
    label: str
    sex: str
    birth_year: int
    illness_onset: date
    course: str
    days: list[SimDay] = field(repr=False)
    intake: dict[str, Any] = field(default_factory=dict, repr=False)
    responses: list[SimResponse] = field(default_factory=list, repr=False)
    labs: list[SimLab] = field(default_factory=list, repr=False)
    microbiome: list[SimSample] = field(default_factory=list, repr=False)
    plan: SimPlan | None = None
    adherence: list[tuple[date, str, str]] = field(default_factory=list, repr=False)


def _course_mean(course: str, n: int, start_level: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / max(n - 1, 1)
    if course == "improving":
        return start_level - rng.uniform(1.5, 3.5) * t
    if course == "relapsing":
        dip = rng.uniform(1.5, 3.0)
        turn = rng.uniform(0.45, 0.7)
        return start_level - dip * np.where(t < turn, t / turn, 1 - (t - turn) / (1 - turn) * 1.1)
    return np.full(n, start_level)


PLAN_START_DAY = 28  # the demo plan's day 0, four weeks into the diary year (a baseline period first)
DEMO_DOSES = {"nac": (600.0, 1), "zinc": (15.0, 1), "curcumin": (500.0, 2)}  # demo choices, within the limits
EFFECTS = {"helped": -1.5, "no effect": 0.0, "harmed": 1.0}  # true level change of the focal item (fatigue points)


@dataclass(frozen=True)
class SimPlan:
    """The plan the demo clinician approves, and the truth the n-of-1 analysis should recover."""

    start: date
    items: list[tuple[str, int]]  # (intervention, start day)
    focal: str  # the item with a true effect; every other item has none
    effect_kind: str
    effect: float  # change in the fatigue level (0-10) from the focal item's start on


def simulate_patient(index: int, *, end: date, n_days: int, rng: np.random.Generator) -> SimPatient:
    """One synthetic person and their diary for the ``n_days`` days ending at ``end``."""
    course = COURSES[int(rng.integers(len(COURSES)))]
    sex = "female" if rng.random() < 0.75 else "male"
    age = int(rng.integers(18, 66))
    years_ill = float(rng.uniform(0.7, 15.0))
    onset = end - timedelta(days=n_days) - timedelta(days=int(years_ill * 365.25))
    first = end - timedelta(days=n_days - 1)

    level = _course_mean(course, n_days, float(rng.uniform(5.0, 8.0)), rng)
    intake = _intake(rng, age=age, sex=sex, months_ill=years_ill * 12, flagged=index % 11 == 0)
    labs = _labs(rng, first=first, level=level, n_days=n_days, course=course)
    plan = _plan(rng, first=first, intake=intake, labs=labs, n_days=n_days)
    if plan is not None:
        offset = PLAN_START_DAY + dict(plan.items)[plan.focal]
        level = level + np.where(np.arange(n_days) >= offset, plan.effect, 0.0)

    phi, sd = 0.5, 0.8
    noise = np.empty(n_days)
    noise[0] = rng.normal(0, sd / np.sqrt(1 - phi**2))
    for i in range(1, n_days):
        noise[i] = phi * noise[i - 1] + rng.normal(0, sd)

    crash = rng.random(n_days) < 0.05
    tail = np.zeros(n_days)
    for i in np.flatnonzero(crash):
        length = int(rng.integers(1, 4))
        tail[i : i + length + 1] += np.linspace(2.5, 0.8, length + 1)[: n_days - i]
    fatigue = np.clip(np.rint(level + noise + tail), 0, 10).astype(int)

    # Missed days: a background rate, higher on and after crash days, and the odd run of several days.
    p_missing = np.full(n_days, 0.07) + np.where(tail > 1.0, 0.25, 0.0)
    missing = rng.random(n_days) < p_missing
    for start in np.flatnonzero(rng.random(n_days) < 0.01):
        missing[start : start + int(rng.integers(3, 8))] = True

    days = [
        SimDay(
            day=first + timedelta(days=i),
            fatigue=int(fatigue[i]),
            crash=bool(crash[i] or tail[i] > 2.0),
            note=NOTES[int(rng.integers(len(NOTES)))] if rng.random() < 0.08 else None,
        )
        for i in range(n_days)
        if not missing[i]
    ]
    responses = _responses(rng, first=first, level=level, n_days=n_days, intake=intake)
    microbiome = _microbiome(rng, first=first, level=level, n_days=n_days)
    adherence = _adherence(rng, plan=plan, days=days)
    return SimPatient(
        index=index,
        label=f"Demo patient {index:03d}",
        sex=sex,
        birth_year=end.year - age,
        illness_onset=onset,
        course=course,
        days=days,
        intake=intake,
        responses=responses,
        labs=labs,
        microbiome=microbiome,
        plan=plan,
        adherence=adherence,
    )


def _plan(rng: np.random.Generator, *, first: date, intake: dict[str, Any], labs: list[SimLab],
          n_days: int) -> SimPlan | None:
    """What gutwise's builder proposes for this person (the demo service will propose the same), with a true
    effect drawn for one item: some people are helped, some not, some harmed."""
    from gutwise.labs.interpret import LabValue
    from gutwise.protocol.builder import propose
    from gutwise.protocol.safety import Context
    from gutwise.screening.schemas import Intake
    from gutwise.screening.screen import screen

    values = [LabValue("demo", lab.analyte, lab.value, lab.unit, lab.day, DEMO_LAB, lab.ref_low, lab.ref_high)
              for lab in labs]
    weight = next((lab.value for lab in labs if lab.analyte == "body_weight"), None)
    proposal = propose(screen=screen(Intake.model_validate(intake)), ctx=Context(labs=values, weight_kg=weight))
    items = [(i.intervention, i.start_day) for i in proposal.items if PLAN_START_DAY + i.start_day < n_days - 60]
    if not items:
        return None
    names = [name for name, _ in items]
    dosed = [name for name in names if name not in ("pacing", "stress_management")]
    focal = "glutamine" if "glutamine" in names else dosed[0] if dosed else names[-1]
    kind = ("helped", "no effect", "harmed")[int(rng.choice(3, p=[0.45, 0.35, 0.20]))]
    effect = EFFECTS[kind] + (float(rng.normal(0, 0.3)) if kind != "no effect" else 0.0)
    return SimPlan(first + timedelta(days=PLAN_START_DAY), items, focal, kind, round(effect, 2))


def _rating(rng: np.random.Generator, centre: float, top: int) -> int:
    return int(np.clip(np.rint(centre + rng.normal(0, 0.7)), 0, top))


def _intake(rng: np.random.Generator, *, age: int, sex: str, months_ill: float, flagged: bool) -> dict[str, Any]:
    """A baseline screening intake typical of people referred for ME/CFS (most meet criteria, some do not)."""
    dsq = knowledge.instrument("dsq_sf")
    severity = float(rng.uniform(1.6, 3.2))
    answers = {item.id: _rating(rng, severity, 4) for item in dsq.items}
    symptoms = {sid: {"frequency": _rating(rng, severity - 0.6, 4), "severity": _rating(rng, severity - 0.6, 4)}
                for sid in ("sore_throat", "tender_lymph_nodes", "joint_pain", "new_headaches",
                            "orthostatic_intolerance")}
    return {
        "age": age - 1, "sex": sex,
        "fatigue": {"duration_months": round(months_ill, 1), "new_onset": bool(rng.random() < 0.9),
                    "lifelong": False, "due_to_ongoing_exertion": False, "relieved_by_rest": bool(rng.random() < 0.1),
                    "substantial_activity_reduction": True},
        "pem_lasts_over_24h": bool(rng.random() < 0.85),
        "dsq_sf": answers, "symptoms": symptoms, "conditions": [],
        "red_flags": ["weight_loss"] if flagged else [],
        "questionnaires": {"phq9": [_rating(rng, 1.2, 3) for _ in range(8)] + [0],
                           "gad7": [_rating(rng, 0.9, 3) for _ in range(7)],
                           "rand36_pf": [_rating(rng, 1.6, 3) or 1 for _ in range(10)]},
    }


def _responses(rng: np.random.Generator, *, first: date, level: np.ndarray, n_days: int,
               intake: dict[str, Any]) -> list[SimResponse]:
    """FibroFatigue at baseline, 3, 6 and 10 months and PHQ-9 every 3 months, following the course."""
    out = []
    for month in (0, 3, 6, 10):
        i = min(int(month * 30.44), n_days - 1)
        centre = float(level[i]) * 0.55  # the clinician's 0-6 ratings follow the diary's fatigue level
        out.append(SimResponse(first + timedelta(days=i), "fibrofatigue",
                               {f.id: _rating(rng, centre, 6) for f in knowledge.instrument("fibrofatigue").items}))
    for month in (3, 6, 9):
        i = min(int(month * 30.44), n_days - 1)
        answers = [_rating(rng, float(level[i]) / 5, 3) for _ in range(8)] + [0]
        out.append(SimResponse(first + timedelta(days=i), "phq9", dict(zip(
            [f"phq9_{n}" for n in range(1, 10)], answers, strict=True))))
    return out


def simulate_cohort(n_patients: int, *, seed: int, end: date, n_days: int = 365) -> list[SimPatient]:
    """``n_patients`` synthetic people; the same seed and end date give the same cohort."""
    root = np.random.SeedSequence(seed)
    return [
        simulate_patient(i + 1, end=end, n_days=n_days, rng=np.random.default_rng(child))
        for i, child in enumerate(root.spawn(n_patients))
    ]


def _labs(rng: np.random.Generator, *, first: date, level: np.ndarray, n_days: int, course: str) -> list[SimLab]:
    """LPS panels at baseline, 6 and 12 months whose optical densities follow the course, plus baseline bloods."""
    out: list[SimLab] = []
    translocation = float(rng.uniform(-0.15, 0.9))  # how far from the cut-off this person starts
    for month in (0, 6, 12):
        i = min(int(month * 30.44), n_days - 1)
        drift = (float(level[i]) - float(level[0])) * 0.15  # falls as fatigue falls, rises with a relapse
        for iso, scale in (("iga", 1.0), ("igm", 0.7)):
            for org in LPS_ORGANISMS:
                od = max(0.05, 0.25 + translocation * scale + drift + rng.normal(0, 0.12))
                out.append(SimLab(first + timedelta(days=i), f"lps_{iso}_{org}", round(od, 2), "{OD}", None,
                                  DEMO_LPS_CUTOFF))
    base = first
    out += [
        SimLab(base, "hs_crp", round(float(rng.lognormal(0.3, 0.6)), 2), "mg/L", None, 3.0),
        SimLab(base, "faecal_calprotectin", round(float(rng.lognormal(3.2, 0.5))), "ug/g", None, 50.0),
        SimLab(base, "ferritin", round(float(rng.lognormal(4.0, 0.6))), "ug/L", 15.0, 300.0),
        SimLab(base, "tsh", round(float(rng.lognormal(0.6, 0.35)), 2), "mIU/L", 0.4, 4.0),
        SimLab(base, "ttg_iga", round(float(rng.lognormal(0.3, 0.5)), 1), "U/mL", None, 7.0),
        SimLab(base, "haemoglobin", round(float(rng.normal(135, 10))), "g/L", 120.0, 160.0),
        SimLab(base, "body_weight", round(float(rng.normal(70, 12)), 1), "kg", None, None),
    ]
    if course == "improving":  # a repeat CRP where the course improved
        out.append(SimLab(first + timedelta(days=min(int(6 * 30.44), n_days - 1)), "hs_crp",
                          round(float(rng.lognormal(0.0, 0.5)), 2), "mg/L", None, 3.0))
    return out


def _microbiome(rng: np.random.Generator, *, first: date, level: np.ndarray, n_days: int) -> list[SimSample]:
    """Two stool samples (baseline and 12 months) drawn from a Dirichlet-multinomial around a shared community;
    the gut-barrier-related taxa shift a little with the course."""
    base = np.array([w for _, w in DEMO_TAXA])
    tilt = float(rng.normal(0, 0.4))  # this person's own departure from the shared community
    out = []
    for month in (0, 12):
        i = min(int(month * 30.44), n_days - 1)
        worse = (float(level[i]) - 5.0) / 5.0 + tilt
        weights = base.copy()
        weights[0] *= np.exp(-0.8 * worse)  # Faecalibacterium lower when worse
        weights[11:13] *= np.exp(0.8 * worse)  # Enterobacteriaceae higher when worse
        proportions = rng.dirichlet(weights / weights.sum() * 60)
        counts = rng.multinomial(int(rng.integers(8000, 20000)), proportions)
        out.append(SimSample(first + timedelta(days=i), [int(c) for c in counts]))
    return out


def microbiome_tsv(sample_id: str, counts: list[int]) -> bytes:
    """One sample in the classic ``biom convert`` TSV layout."""
    lines = ["# Constructed from biom file", f"#OTU ID\t{sample_id}\ttaxonomy"]
    lines += [f"demo_otu_{n}\t{c}\t{lineage}" for n, ((lineage, _), c) in enumerate(zip(DEMO_TAXA, counts,
                                                                                          strict=True))]
    return ("\n".join(lines) + "\n").encode()


def _adherence(rng: np.random.Generator, *, plan: SimPlan | None, days: list[SimDay]) -> list[tuple[date, str, str]]:
    """The diary checklist on the days the person filled the diary: mostly taken, sometimes partly or skipped."""
    if plan is None:
        return []
    out = []
    statuses = ("taken", "partly", "skipped")
    for d in days:
        for name, start in plan.items:
            if d.day >= plan.start + timedelta(days=start):
                out.append((d.day, name, statuses[int(rng.choice(3, p=[0.82, 0.1, 0.08]))]))
    return out
