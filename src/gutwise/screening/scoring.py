"""Scoring of questionnaires from their knowledge files: answers in, a ``ScoreResult`` out. Pure.

The rules (sum or mean, recodes, bands, missing-item rule, frequency/severity composites, safety alerts) all come
from the instrument's YAML; this module only interprets them.

References
----------
Kroenke K, Spitzer RL, Williams JB. The PHQ-9. J Gen Intern Med 2001;16(9):606-613.
Spitzer RL, et al. The GAD-7. Arch Intern Med 2006;166(10):1092-1097.
Sunnquist M, Lazarus S, Jason LA. A short form of the DePaul Symptom Questionnaire. Rehabil Psychol 2019.
Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item Health Survey 1.0. Health Econ 1993;2(3):217-227.
Zachrisson O, et al. The FibroFatigue scale. J Psychosom Res 2002;52(6):501-509.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gutwise.knowledge.schemas import Instrument, Item

Answer = int | float | bool | str | None


class AnswerError(ValueError):
    """Answers that do not fit the instrument: every problem as (item id, reason)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{item}: {reason}" for item, reason in problems))
        self.problems = problems


@dataclass(frozen=True)
class Alert:
    id: str
    severity: str
    item: str
    title: str
    message: str
    clinician_message: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "severity": self.severity, "item": self.item, "title": self.title,
                "message": self.message, "clinician_message": self.clinician_message}


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    total: float | None
    band: str | None
    subscales: dict[str, float | None]
    items: dict[str, Answer]
    alerts: list[Alert]
    missing: list[str]
    present: dict[str, bool | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "subscales": self.subscales,
            "items": self.items,
            "alerts": [a.as_json() for a in self.alerts],
            "missing": self.missing,
        }
        if self.present:
            out["present"] = self.present
        if self.notes:
            out["notes"] = self.notes
        return out


def normalise_answers(instrument: Instrument, raw: Any) -> dict[str, Answer]:
    """Accept ``[v1, v2, …]`` in item order, ``{"item_id": v}``, or for DSQ-style instruments
    ``{"symptom": {"frequency": f, "severity": s}}``; return ``{item_id: value}`` (missing items absent).
    """
    answers, problems = _normalise(instrument, raw)
    if problems:
        raise AnswerError(problems)
    return answers


def _normalise(instrument: Instrument, raw: Any) -> tuple[dict[str, Answer], list[tuple[str, str]]]:
    items = instrument.items
    problems: list[tuple[str, str]] = []
    if isinstance(raw, Sequence) and not isinstance(raw, str | bytes):
        if len(raw) > len(items):
            return {}, [("answers", f"{len(raw)} answers given but {instrument.id} has {len(items)} items")]
        return {item.id: value for item, value in zip(items, raw, strict=False) if value is not None}, []
    if not isinstance(raw, Mapping):
        return {}, [("answers", "must be a list in item order or an object keyed by item id")]
    known = {i.id for i in items}
    symptoms = set(instrument.symptoms())
    out: dict[str, Answer] = {}
    for key, value in raw.items():
        if key in symptoms and isinstance(value, Mapping):
            for part, v in value.items():
                item_id = f"{key}_{part}"
                if item_id not in known:
                    problems.append((f"{key}.{part}", "unknown part (use frequency and severity)"))
                elif v is not None:
                    out[item_id] = v
        elif key not in known:
            problems.append((str(key), f"unknown item of {instrument.id}"))
        elif value is not None:
            out[key] = value
    return out, problems


def _check(instrument: Instrument, item: Item, value: Answer) -> str | None:
    """The reason a value does not fit an item, or None."""
    if item.type == "choice":
        allowed = [o.value for o in instrument.option_sets[item.options or ""]]
        if isinstance(value, bool) or not isinstance(value, int | float) or value not in allowed:
            return f"{value!r} is not one of {', '.join(str(a) for a in allowed)}"
        return None
    if item.type == "boolean":
        return None if isinstance(value, bool) else f"{value!r} is not true or false"
    if item.type == "text":
        if not isinstance(value, str):
            return f"{value!r} is not text"
        if item.max is not None and len(value) > item.max:
            return f"is longer than {int(item.max)} characters"
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"{value!r} is not a number"
    if item.type == "integer" and value != int(value):
        return f"{value!r} is not a whole number"
    if item.min is not None and value < item.min:
        return f"{value!r} is below {item.min:g}"
    if item.max is not None and value > item.max:
        return f"{value!r} is above {item.max:g}"
    return None


def validate_answers(instrument: Instrument, raw: Any) -> dict[str, Answer]:
    """The answers as ``{item_id: value}``; ``AnswerError`` lists every unknown item and every bad value."""
    answers, problems = _normalise(instrument, raw)
    for item in instrument.items:
        if item.id in answers:
            reason = _check(instrument, item, answers[item.id])
            if reason:
                problems.append((item.id, reason))
    if problems:
        raise AnswerError(problems)
    return answers


def _band(instrument: Instrument, total: float | None) -> str | None:
    if total is None:
        return None
    for band in instrument.scoring.bands:
        if band.min <= total <= band.max:
            return band.label
    return None


def _alerts(instrument: Instrument, answers: Mapping[str, Answer]) -> list[Alert]:
    out = []
    for rule in instrument.safety:
        value = answers.get(rule.item)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > rule.above:
            out.append(Alert(rule.id, rule.severity, rule.item, rule.title, rule.message, rule.clinician_message))
    return out


def _number(x: float) -> float:
    return int(x) if float(x).is_integer() else x


def score(instrument: Instrument, raw: Any) -> ScoreResult:
    """Score one set of answers. Raises ``AnswerError`` listing every unknown item and out-of-range value."""
    answers = validate_answers(instrument, raw)
    s = instrument.scoring
    scored = instrument.scored_items
    values: dict[str, Answer] = {}
    for item in instrument.items:
        if item.id in answers:
            value = answers[item.id]
            if item.scored and s.recode is not None and isinstance(value, int | float):
                value = s.recode[int(value)]
            values[item.id] = value
    missing = [i.id for i in scored if i.id not in answers]
    alerts = _alerts(instrument, answers)

    if s.method == "freq_sev":
        return _score_freq_sev(instrument, answers, missing, alerts)

    total: float | None = None
    numeric = ([float(values[i.id]) for i in scored if i.id in values]  # type: ignore[arg-type]
               if s.method in ("sum", "mean") else [])
    if numeric:
        enough = (not missing) if s.missing_rule == "all_required" else (
            len(numeric) / len(scored) >= (s.min_answered_fraction or 1.0))
        if enough:
            total = _number(sum(numeric) if s.method == "sum" else sum(numeric) / len(numeric))
    subscales: dict[str, float | None] = {}
    for sub in s.subscales:
        got = [float(values[i]) for i in sub.items if i in values]  # type: ignore[arg-type]
        complete = len(got) == len(sub.items)
        subscales[sub.id] = (_number(sum(got) if sub.method == "sum" else sum(got) / len(got))
                             if complete else None)
    notes = []
    if total is None and s.method in ("sum", "mean") and missing:
        notes.append(s.missing_rule_note or "not enough items answered for a total")
    return ScoreResult(instrument.id, total, _band(instrument, total), subscales, values, alerts, missing,
                       notes=notes)


def _score_freq_sev(instrument: Instrument, answers: Mapping[str, Answer], missing: list[str],
                    alerts: list[Alert]) -> ScoreResult:
    s = instrument.scoring
    assert s.presence is not None and s.composite_multiplier is not None
    subscales: dict[str, float | None] = {}
    present: dict[str, bool | None] = {}
    for symptom in instrument.symptoms():
        f = answers.get(f"{symptom}_frequency")
        v = answers.get(f"{symptom}_severity")
        if isinstance(f, int | float) and isinstance(v, int | float):
            subscales[symptom] = _number((f + v) / 2 * s.composite_multiplier)
            present[symptom] = f >= s.presence.frequency_min and v >= s.presence.severity_min
        else:
            subscales[symptom] = None
            present[symptom] = None
    items = {i.id: answers[i.id] for i in instrument.items if i.id in answers}
    return ScoreResult(instrument.id, None, None, subscales, items, alerts, missing, present=present,
                       notes=[s.missing_rule_note] if s.missing_rule_note else [])
