"""Safety checks run on every plan change. Pure: plan items and the person's context in, issues out.

Each check's severity comes from ``knowledge/interventions.yaml`` (``check_severity``, or the limit's own):
``block`` stops approval until it is resolved, ``warn`` is shown beside the item.

1. a supplement without a dose;                 6. a test that must come first (coeliac serology before
2. a daily dose above a limit (per kg where        gluten-free), missing or abnormal;
   the limit is per kg; weight needed);         7. a restrictive diet without a dietitian referral (NICE 1.12.22);
3. a substance with no safe level (ALA);        8. more than one new item starting on the same day;
4. an interaction with a listed medicine;       9. something that can never be a plan item (IVIG, graded
5. a contraindicated condition;                    exercise).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from gutwise import knowledge
from gutwise.knowledge.schemas import Intervention
from gutwise.labs.interpret import LabValue, interpret

Severity = Literal["block", "warn"]
LIMIT_CHECK = {"upper_limit": "dose_above_upper_limit", "observed_safe_level": "dose_above_observed_safe_level",
               "acceptable_daily_intake": "dose_above_adi"}


@dataclass(frozen=True)
class Dose:
    amount: float  # per day, in the intervention's unit
    unit: str
    times_per_day: int = 1

    def text(self) -> str:
        if self.times_per_day > 1:
            return f"{self.amount / self.times_per_day:g} {self.unit} {self.times_per_day} times a day " \
                   f"({self.amount:g} {self.unit} a day)"
        return f"{self.amount:g} {self.unit} a day"


@dataclass(frozen=True)
class Item:
    intervention: str
    dose: Dose | None
    start_day: int


@dataclass(frozen=True)
class Issue:
    check: str
    severity: Severity
    intervention: str | None
    message: str
    source: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "intervention": self.intervention,
                "message": self.message, "source": self.source}


@dataclass(frozen=True)
class Context:
    """What the checks need to know about the person."""

    medicines: Sequence[str] = ()
    conditions: frozenset[str] = frozenset()
    weight_kg: float | None = None
    labs: Sequence[LabValue] = ()
    dietitian_referral: bool = False
    today: date = field(default_factory=date.today)

    def drug_classes(self) -> dict[str, list[str]]:
        """Drug class -> the listed medicines in it (unknown names are ignored here, reported by the builder)."""
        table = knowledge.medicines().medicines
        out: dict[str, list[str]] = {}
        for name in self.medicines:
            for cls in table.get(name.strip().lower(), []):
                out.setdefault(cls, []).append(name)
        return out

    def all_conditions(self) -> frozenset[str]:
        classes = knowledge.medicines().classes
        implied = {classes[c].implies for c in self.drug_classes() if classes[c].implies}
        return frozenset(self.conditions) | frozenset(x for x in implied if x)

    def latest(self, analyte: str) -> LabValue | None:
        values = [v for v in self.labs if v.analyte == analyte]
        return max(values, key=lambda v: v.collected) if values else None


def unknown_medicines(medicines: Iterable[str]) -> list[str]:
    table = knowledge.medicines().medicines
    return [m for m in medicines if m.strip().lower() not in table]


def _severity(check: str) -> Severity:
    return knowledge.interventions().check_severity[check]  # type: ignore[return-value]


def check_item(item: Item, ctx: Context) -> list[Issue]:
    """Every issue of one item in this person's context."""
    catalogue = knowledge.interventions().by_id()
    iv: Intervention | None = catalogue.get(item.intervention)
    if iv is None:
        return [Issue("unknown", "block", item.intervention, f"{item.intervention} is not in the catalogue")]
    out: list[Issue] = []
    if not iv.plan_item:
        return [Issue("not_a_plan_item", "block", iv.id, f"{iv.name} cannot be part of a plan: {iv.plain}")]
    if iv.kind in ("supplement", "probiotic"):
        if item.dose is None:
            out.append(Issue("dose_missing", _severity("dose_missing"), iv.id,
                             f"Set a dose for {iv.name}: the sources give no dose to propose."))
        else:
            out += _limits(iv, item.dose, ctx)
    if iv.no_safe_level is not None:
        out.append(Issue("no_safe_level", _severity("no_safe_level"), iv.id, iv.no_safe_level.note,
                         iv.no_safe_level.source))
    classes = ctx.drug_classes()
    for x in iv.interactions:
        if x.drug_class in classes:
            out.append(Issue("interaction", x.severity, iv.id,
                             f"{x.message} (listed: {', '.join(classes[x.drug_class])})", x.source))
    conditions = ctx.all_conditions()
    for x in iv.contraindications:
        if x.condition in conditions:
            out.append(Issue("contraindication", x.severity, iv.id, x.message, x.source))
    for req in iv.requires:
        latest = ctx.latest(req.analyte)
        analyte = knowledge.analytes().by_id()[req.analyte]
        if latest is None:
            out.append(Issue("requires_test_result", _severity("requires_test_result"), iv.id,
                             f"{req.message} No {analyte.name} result is on record.", req.source))
        else:
            flag = interpret(latest).flag
            if flag != req.status:
                out.append(Issue("requires_test_result", _severity("requires_test_result"), iv.id,
                                 f"{analyte.name} on {latest.collected.isoformat()} was {flag.replace('_', ' ')}: "
                                 "see a doctor before changing the diet.", req.source))
    if iv.restrictive and not ctx.dietitian_referral:
        out.append(Issue("restrictive_diet_without_dietitian", _severity("restrictive_diet_without_dietitian"),
                         iv.id, f"{iv.name} is a restrictive diet: NICE NG206 1.12.22 advises referral to a "
                                "dietitian.", "nice_ng206"))
    return out


def _limits(iv: Intervention, dose: Dose, ctx: Context) -> list[Issue]:
    out = []
    for limit in iv.limits:
        ceiling = limit.amount
        if limit.per_kg:
            if ctx.weight_kg is None:
                out.append(Issue("per_kg_limit_without_weight", _severity("per_kg_limit_without_weight"), iv.id,
                                 f"{iv.name}'s limit is {limit.amount:g} {limit.unit} per kg of body weight a day; "
                                 "record the weight to check this dose.", limit.source))
                continue
            ceiling = limit.amount * ctx.weight_kg
        if dose.amount > ceiling:
            check = LIMIT_CHECK[limit.kind]
            severity = limit.severity or _severity(check)
            per = f" ({limit.amount:g} {limit.unit}/kg x {ctx.weight_kg:g} kg)" if limit.per_kg else ""
            note = f"; {limit.note}" if limit.note else ""
            out.append(Issue(check, severity, iv.id,
                             f"{dose.amount:g} {dose.unit} a day is above the {limit.kind.replace('_', ' ')} of "
                             f"{ceiling:g} {limit.unit} a day{per}{note}.", limit.source))
    return out


def check_plan(items: Sequence[Item], ctx: Context) -> list[Issue]:
    """Every issue of a plan: each item's, plus new items that start on the same day."""
    out = [issue for item in items for issue in check_item(item, ctx)]
    starts = Counter(i.start_day for i in items)
    for item in items:
        if starts[item.start_day] > 1:
            out.append(Issue("same_day_start", _severity("same_day_start"), item.intervention,
                             f"{starts[item.start_day]} items start on day {item.start_day}: start one change at a "
                             "time so that each can be judged on its own."))
    return out


def blocking(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "block"]
