"""Schemas that every knowledge file is validated against when it is loaded.

A knowledge file that breaks its schema (a missing citation, a band that leaves a gap, an item that a safety rule
names but the instrument lacks) stops gutwise at start-up with the file and the field, instead of scoring wrongly.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Verification = Literal["V", "S", "U"]  # as in shared/knowledge/clinical.md: verified, secondary, unverified


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- references ------------------------------------------------------------------------------------------

Design = Literal[
    "case report", "case series", "cross-sectional", "uncontrolled cohort", "controlled cohort", "RCT",
    "systematic review", "narrative review", "guideline", "regulatory opinion", "instrument development",
    "validation study", "consensus definition", "reference data", "other",
]


class Reference(_Strict):
    id: str
    authors: str
    year: int
    title: str
    journal: str | None = None
    volume: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    url: str | None = None
    design: Design
    n: int | None = None
    verified: Verification
    note: str | None = None

    def short(self) -> str:
        first = self.authors.split(",")[0].strip()
        etal = " et al." if "," in self.authors else ""
        return f"{first}{etal} {self.year}"


# --- instruments -----------------------------------------------------------------------------------------


class Option(_Strict):
    value: int | float
    label: str
    code: str | None = None  # a LOINC answer code (LA…) where one exists


class Pair(_Strict):
    """Marks an item as the frequency or severity half of a DSQ-style symptom."""

    symptom: str
    part: Literal["frequency", "severity"]


class Item(_Strict):
    id: str
    text: str
    type: Literal["choice", "integer", "number", "boolean", "text"] = "choice"
    options: str | None = None  # the name of an option set of the instrument
    min: float | None = None
    max: float | None = None
    step: float | None = None
    scored: bool = True
    section: str | None = None
    pair: Pair | None = None
    loinc: str | None = None
    hint: str | None = None


class Band(_Strict):
    min: float
    max: float
    label: str


class Subscale(_Strict):
    id: str
    label: str
    items: list[str]
    method: Literal["sum", "mean"] = "sum"


class PresenceRule(_Strict):
    frequency_min: int
    severity_min: int
    source: str  # reference id


class Scoring(_Strict):
    method: Literal["sum", "mean", "freq_sev", "none"]
    range: tuple[float, float] | None = None
    higher_is_better: bool | None = None
    recode: dict[int, float] | None = None
    missing_rule: Literal["all_required", "min_fraction", "per_pair", "not_applicable"]
    min_answered_fraction: float | None = Field(default=None, gt=0, le=1)
    missing_rule_source: str | None = None  # reference id, or "gutwise" with a note
    missing_rule_note: str | None = None
    bands: list[Band] = Field(default_factory=list)
    bands_source: str | None = None
    subscales: list[Subscale] = Field(default_factory=list)
    composite_multiplier: float | None = None  # DSQ: (frequency + severity) / 2 x this
    presence: PresenceRule | None = None


class SafetyRule(_Strict):
    id: str
    item: str
    above: float  # the alert fires when the answer is greater than this
    severity: Literal["urgent", "warning"]
    title: str
    message: str
    clinician_message: str
    source: str


class Instrument(_Strict):
    id: str
    title: str
    short_title: str
    version: str
    citation: list[str]
    licence: str
    respondent: Literal["patient", "clinician"]
    recall_period: str
    instructions: str
    loinc: str | None = None
    option_sets: dict[str, list[Option]] = Field(default_factory=dict)
    sections: dict[str, str] = Field(default_factory=dict)  # id -> heading, in display order
    items: list[Item]
    scoring: Scoring
    safety: list[SafetyRule] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        ids = [i.id for i in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.id}: duplicate item ids")
        for item in self.items:
            if item.type == "choice" and item.options not in self.option_sets:
                raise ValueError(f"{self.id}.{item.id}: option set {item.options!r} is not defined")
            if item.section is not None and item.section not in self.sections:
                raise ValueError(f"{self.id}.{item.id}: section {item.section!r} is not defined")
        known = set(ids)
        for rule in self.safety:
            if rule.item not in known:
                raise ValueError(f"{self.id}: safety rule {rule.id} names unknown item {rule.item}")
        for sub in self.scoring.subscales:
            if not set(sub.items) <= known:
                raise ValueError(f"{self.id}: subscale {sub.id} names unknown items")
        _check_bands(self.id, self.scoring)
        if self.scoring.method == "freq_sev":
            symptoms: dict[str, set[str]] = {}
            for item in self.items:
                if item.pair is None:
                    raise ValueError(f"{self.id}.{item.id}: freq_sev scoring needs every item to be a pair half")
                symptoms.setdefault(item.pair.symptom, set()).add(item.pair.part)
            incomplete = [s for s, parts in symptoms.items() if parts != {"frequency", "severity"}]
            if incomplete:
                raise ValueError(f"{self.id}: symptoms without both halves: {incomplete}")
            if self.scoring.composite_multiplier is None or self.scoring.presence is None:
                raise ValueError(f"{self.id}: freq_sev scoring needs composite_multiplier and presence")
        if self.scoring.missing_rule == "min_fraction" and self.scoring.min_answered_fraction is None:
            raise ValueError(f"{self.id}: missing_rule min_fraction needs min_answered_fraction")
        return self

    @property
    def scored_items(self) -> list[Item]:
        return [i for i in self.items if i.scored]

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def symptom_labels(self) -> dict[str, str]:
        """Plain names of a frequency/severity instrument's symptoms (its item text before the dash)."""
        return {i.pair.symptom: i.text.split(" — ")[0] for i in self.items
                if i.pair is not None and i.pair.part == "frequency"}

    def symptoms(self) -> list[str]:
        """Symptom ids of a frequency/severity instrument, in item order."""
        seen: list[str] = []
        for item in self.items:
            if item.pair is not None and item.pair.symptom not in seen:
                seen.append(item.pair.symptom)
        return seen


def _check_bands(instrument: str, scoring: Scoring) -> None:
    if not scoring.bands:
        return
    if scoring.range is None:
        raise ValueError(f"{instrument}: bands need a score range")
    bands = sorted(scoring.bands, key=lambda b: b.min)
    if bands[0].min != scoring.range[0] or bands[-1].max != scoring.range[1]:
        raise ValueError(f"{instrument}: bands do not cover the score range {scoring.range}")
    for a, b in pairwise(bands):
        if b.min != a.max + 1:
            raise ValueError(f"{instrument}: bands {a.label!r} and {b.label!r} leave a gap or overlap")


# --- screening: symptoms, case definitions, red flags ----------------------------------------------------


class SymptomSource(_Strict):
    """A DSQ-SF item that can stand in for an intake symptom when the symptom itself was not answered."""

    instrument: str
    symptom: str


class Symptom(_Strict):
    id: str
    label: str
    plain: str  # the question as the patient reads it
    dsq_sf: list[SymptomSource] = Field(default_factory=list)
    group: str
    note: str | None = None


class Condition(_Strict):
    id: str
    label: str
    kind: Literal["medical", "psychiatric", "other"]
    source: str
    verified: Verification
    note: str | None = None


class RedFlag(_Strict):
    id: str
    label: str
    plain: str
    source: str
    verified: Verification


class CheckItem(_Strict):
    id: str
    label: str
    why: str
    source: str
    verified: Verification
    before: str | None = None  # e.g. "gluten-free diet"


Logic = Literal["all", "any", "at_least"]


class Criterion(_Strict):
    """One rule of a case definition. Leaves test answers; groups combine their children."""

    id: str
    label: str
    explain: str
    logic: Logic | None = None
    count: int | None = None
    children: list[Criterion] = Field(default_factory=list)
    # leaves: exactly one of these tests
    fatigue_field: str | None = None
    expect: bool | None = None
    symptom: str | None = None
    duration_months_min: float | None = None
    duration_weeks_min: float | None = None
    duration_weeks_min_child: float | None = None  # used when the person is younger than child_age_below
    child_age_below: int | None = None
    duration_inclusive: bool = True
    pem_over_24h: bool | None = None
    must_not_predate_fatigue: bool = False
    not_excluded: list[str] | None = None
    verified: Verification = "V"

    @model_validator(mode="after")
    def _shape(self) -> Criterion:
        tests = [self.fatigue_field, self.symptom, self.duration_months_min, self.duration_weeks_min,
                 self.not_excluded]
        leaf_tests = sum(t is not None for t in tests)
        if self.children:
            if self.logic is None or leaf_tests:
                raise ValueError(f"criterion {self.id}: a group needs logic and no leaf test")
            if self.logic == "at_least" and self.count is None:
                raise ValueError(f"criterion {self.id}: at_least needs count")
        elif leaf_tests != 1:
            raise ValueError(f"criterion {self.id}: a leaf needs exactly one test")
        if self.fatigue_field is not None and self.expect is None:
            raise ValueError(f"criterion {self.id}: fatigue_field needs expect")
        return self


class CaseDefinition(_Strict):
    id: str
    title: str
    short: str
    source: list[str]
    wording_met: str
    wording_not_met: str
    root: Criterion
    suspect: Criterion | None = None  # NICE: the earlier "suspect" stage
    note: str | None = None


class ScreeningKnowledge(_Strict):
    symptom_present: PresenceRule
    symptoms: list[Symptom]
    conditions: list[Condition]
    red_flags: list[RedFlag]
    checklist: list[CheckItem]
    definitions: list[CaseDefinition]
    see_doctor_first: str
    not_a_diagnosis: str

    @model_validator(mode="after")
    def _ids(self) -> ScreeningKnowledge:
        symptom_ids = {s.id for s in self.symptoms}
        condition_ids = {c.id for c in self.conditions}

        def walk(c: Criterion) -> None:
            if c.symptom is not None and c.symptom not in symptom_ids:
                raise ValueError(f"criterion {c.id} names unknown symptom {c.symptom}")
            for ex in c.not_excluded or []:
                if ex not in condition_ids:
                    raise ValueError(f"criterion {c.id} names unknown condition {ex}")
            for child in c.children:
                walk(child)

        for d in self.definitions:
            walk(d.root)
            if d.suspect is not None:
                walk(d.suspect)
        return self


# --- schedules -------------------------------------------------------------------------------------------


class ScheduleEntry(_Strict):
    instrument: str
    every_months: int | None = Field(default=None, ge=1, le=24)
    at_months: list[int] | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> ScheduleEntry:
        if (self.every_months is None) == (self.at_months is None):
            raise ValueError(f"{self.instrument}: give either every_months or at_months")
        if self.at_months is not None and (sorted(set(self.at_months)) != self.at_months or min(self.at_months) < 0):
            raise ValueError(f"{self.instrument}: at_months must be increasing and not negative")
        return self


class ScheduleDefaults(_Strict):
    course_months: int
    source: str
    defaults: list[ScheduleEntry]


# --- analytes --------------------------------------------------------------------------------------------


class Interval(_Strict):
    low: float | None = None
    high: float | None = None
    low_exclusive: bool = False
    high_exclusive: bool = False
    source: str
    verified: Verification
    note: str | None = None


class Caveat(_Strict):
    text: str
    sources: list[str]


class Analyte(_Strict):
    id: str
    name: str
    category: Literal["lps", "permeability", "inflammation", "baseline", "body"]
    specimen: str
    unit: str
    accepted_units: list[str] = Field(default_factory=list)
    loinc: str | None = None
    loinc_verified: Verification = "V"
    research_assay: bool = False
    organism: str | None = None
    isotype: Literal["iga", "igm"] | None = None
    default_interval: Interval | None = None
    caveats: list[str] = Field(default_factory=list)


class Panel(_Strict):
    id: str
    name: str
    category: str
    research_assay: bool = False
    caveats: list[str] = Field(default_factory=list)
    profile: str | None = None
    source: str | None = None


class AnalyteCatalogue(_Strict):
    caveats: dict[str, Caveat]
    lps_profiles: dict[str, list[str]]
    panels: list[Panel]
    analytes: list[Analyte]

    @model_validator(mode="after")
    def _consistent(self) -> AnalyteCatalogue:
        ids = [a.id for a in self.analytes]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate analyte ids")
        loincs = [a.loinc for a in self.analytes if a.loinc]
        if len(loincs) != len(set(loincs)):
            raise ValueError("two analytes share a LOINC code")
        for a in self.analytes:
            unknown = set(a.caveats) - set(self.caveats)
            if unknown:
                raise ValueError(f"{a.id}: unknown caveats {sorted(unknown)}")
            if a.category == "lps" and (a.organism is None or a.isotype is None
                                        or a.id != f"lps_{a.isotype}_{a.organism}"):
                raise ValueError(f"{a.id}: LPS analytes are named lps_<isotype>_<organism>")
        for p in self.panels:
            if p.profile is not None and p.profile not in self.lps_profiles:
                raise ValueError(f"panel {p.id}: unknown profile {p.profile}")
        return self

    def by_id(self) -> dict[str, Analyte]:
        return {a.id: a for a in self.analytes}

    def by_loinc(self) -> dict[str, Analyte]:
        return {a.loinc: a for a in self.analytes if a.loinc}


# --- microbiome ------------------------------------------------------------------------------------------


class TaxonMatch(_Strict):
    rank: Literal["k", "p", "c", "o", "f", "g", "s"]
    names: list[str]
    genus: str | None = None  # for species: the genus the species must sit in


class TaxonRule(_Strict):
    id: str
    label: str
    match: TaxonMatch
    above: float | None = None  # flag when the relative abundance is above this (a cohort's control mean)
    flag_if_absent: bool = False
    message: str
    when_flagged: str = ""
    otherwise: str = ""
    source: str
    verified: Verification


class MicrobiomeKnowledge(_Strict):
    caution: str
    caution_sources: list[str]
    no_chao1_reason: str
    rules: list[TaxonRule]


# --- evidence: claims ------------------------------------------------------------------------------------

Grade = Literal["high", "moderate", "low", "very low"]


class Claim(_Strict):
    id: str
    text: str
    grade: Grade
    verdict: str
    references: list[str] = Field(min_length=1)


class Claims(_Strict):
    claims: list[Claim]

    def by_id(self) -> dict[str, Claim]:
        return {c.id: c for c in self.claims}


# --- interventions and medicines -------------------------------------------------------------------------

Severity = Literal["block", "warn"]


class StudyDose(_Strict):
    amount: float  # per day
    unit: str
    times_per_day: int = 1
    context: str
    source: str
    verified: Verification


class DefaultDose(_Strict):
    amount: float  # per day
    unit: str
    times_per_day: int = 1
    source: str
    note: str | None = None


class Limit(_Strict):
    amount: float  # per day (per kg of body weight when per_kg)
    unit: str
    per_kg: bool = False
    kind: Literal["upper_limit", "observed_safe_level", "acceptable_daily_intake"]
    severity: Severity | None = None  # overrides the kind's default from check_severity
    source: str
    verified: Verification
    note: str | None = None


class NoLimit(_Strict):
    source: str
    note: str


class Interaction(_Strict):
    drug_class: str
    severity: Severity
    message: str
    source: str
    verified: Verification


class Contraindication(_Strict):
    condition: str
    severity: Severity
    message: str
    source: str
    verified: Verification


class Requirement(_Strict):
    analyte: str
    status: Literal["normal"]
    message: str
    source: str


class Intervention(_Strict):
    id: str
    kind: Literal["self_care", "diet", "supplement", "probiotic", "clinician_note", "not_offered"]
    name: str
    plain: str
    claim: str
    supporting_claims: list[str] = Field(default_factory=list)
    propose: Literal["always", "gut", "inflammation", "clinician", "never"]
    reversible: bool
    onset_days: int | None = None
    unit: str | None = None
    restrictive: bool = False
    study_doses: list[StudyDose] = Field(default_factory=list)
    default_dose: DefaultDose | None = None
    limits: list[Limit] = Field(default_factory=list)
    no_limit: NoLimit | None = None
    no_safe_level: NoLimit | None = None
    interactions: list[Interaction] = Field(default_factory=list)
    contraindications: list[Contraindication] = Field(default_factory=list)
    requires: list[Requirement] = Field(default_factory=list)

    @property
    def plan_item(self) -> bool:
        """Can this be an item of a patient's plan? (IVIG and graded exercise never can.)"""
        return self.kind not in ("clinician_note", "not_offered")

    @model_validator(mode="after")
    def _dosed(self) -> Intervention:
        if self.kind in ("supplement", "probiotic"):
            if self.unit is None:
                raise ValueError(f"{self.id}: a supplement needs a unit")
            if not (self.limits or self.no_limit or self.no_safe_level):
                raise ValueError(f"{self.id}: give a safety limit with its source, or say that none is established")
            for dose in [*self.study_doses, *([self.default_dose] if self.default_dose else []), *self.limits]:
                if dose.unit != self.unit:
                    raise ValueError(f"{self.id}: dose and limit units must be {self.unit}")
        return self


class PlanCondition(_Strict):
    id: str
    label: str


class InterventionCatalogue(_Strict):
    stagger_days: int
    stagger_source: str
    check_severity: dict[str, Severity]
    conditions: list[PlanCondition]
    interventions: list[Intervention]

    def by_id(self) -> dict[str, Intervention]:
        return {i.id: i for i in self.interventions}


class DrugClass(_Strict):
    label: str
    implies: str | None = None


class Medicines(_Strict):
    classes: dict[str, DrugClass]
    medicines: dict[str, list[str]]

    @model_validator(mode="after")
    def _known(self) -> Medicines:
        for name, classes in self.medicines.items():
            unknown = set(classes) - set(self.classes)
            if unknown:
                raise ValueError(f"{name}: unknown drug classes {sorted(unknown)}")
        return self


# --- outcomes --------------------------------------------------------------------------------------------


class RciSettings(_Strict):
    z: float
    source: str
    sd_from_clinic_min_n: int


class Threshold(_Strict):
    below: float
    source: str
    note: str | None = None


class InstrumentOutcome(_Strict):
    higher_is_better: bool
    reliability: float = Field(gt=0, lt=1)
    reliability_kind: str
    reliability_source: str
    reliability_verified: Verification
    sd: float | None = None
    sd_source: str | None = None
    remission: Threshold | Literal["reliable_improvement_to_floor", "none"]


class DailyOutcome(_Strict):
    label: str
    higher_is_better: bool
    mid: float = Field(gt=0)
    mid_source: str
    mid_note: str
    range: tuple[float, float]


class Nof1Settings(_Strict):
    min_days_each_side: int
    min_days_between_changes: int
    min_adherence: float
    strong_autocorrelation: float
    short_phase_days: int
    bayes_grid: int
    default_lag_days: int = Field(ge=0)
    default_run_in_days: int = Field(ge=0)
    source: str
    note: str


class CohortSettings(_Strict):
    responder_instrument: str
    duration_split_years: float
    duration_split_source: str
    min_events_per_variable: int
    epv_source: str


class OutcomesKnowledge(_Strict):
    rci: RciSettings
    instruments: dict[str, InstrumentOutcome]
    classification_note: str
    daily: dict[str, DailyOutcome]
    nof1: Nof1Settings
    cohort: CohortSettings
