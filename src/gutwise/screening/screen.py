"""The whole screen of one intake: red flags and safety alerts first, then exclusions, the four case definitions,
and the clinician's checklist. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gutwise import knowledge
from gutwise.screening.criteria import DefinitionResult, evaluate_definition
from gutwise.screening.schemas import Intake
from gutwise.screening.scoring import Alert, ScoreResult, score


@dataclass(frozen=True)
class ScreenResult:
    definitions: dict[str, DefinitionResult]
    exclusions: list[dict[str, str]]
    red_flags: list[dict[str, str]]
    alerts: list[Alert]
    advice: list[str]
    scores: dict[str, ScoreResult]
    checklist: list[dict[str, str]]

    @property
    def see_doctor_first(self) -> bool:
        return bool(self.red_flags or self.alerts)

    def as_json(self) -> dict[str, Any]:
        return {
            "definitions": {k: v.as_json() for k, v in self.definitions.items()},
            "exclusions": self.exclusions,
            "red_flags": self.red_flags,
            "alerts": [a.as_json() for a in self.alerts],
            "advice": self.advice,
            "scores": {k: v.as_json() for k, v in self.scores.items()},
            "checklist": self.checklist,
        }


def screen(intake: Intake) -> ScreenResult:
    """Screen an intake. Raises ``scoring.AnswerError`` if a questionnaire inside it has invalid answers."""
    k = knowledge.screening()
    scores: dict[str, ScoreResult] = {}
    if intake.dsq_sf:
        scores["dsq_sf"] = score(knowledge.instrument("dsq_sf"), intake.dsq_sf)
    for iid, answers in intake.questionnaires.items():
        scores[iid] = score(knowledge.instrument(iid), answers)
    alerts = [a for s in scores.values() for a in s.alerts]

    flags = [{"id": r.id, "label": r.label, "plain": r.plain} for r in k.red_flags if r.id in intake.red_flags]
    exclusions = [{"id": c.id, "label": c.label, "kind": c.kind} for c in k.conditions if c.id in intake.conditions]
    definitions = {d.id: evaluate_definition(intake, d, k) for d in k.definitions}

    advice: list[str] = []
    if alerts:
        advice += [f"{a.title}. {a.message}" for a in alerts]
    if flags:
        advice.append(f"{k.see_doctor_first} Warning signs: {', '.join(f['label'].lower() for f in flags)}.")
    if exclusions:
        advice.append("A doctor should review these recorded conditions, which some definitions exclude: "
                      f"{', '.join(e['label'] for e in exclusions)}.")
    advice.append(k.not_a_diagnosis)
    coeliac = next((c for c in k.checklist if c.before), None)
    if coeliac is not None:
        advice.append(f"Before starting a {coeliac.before}, test for coeliac disease ({coeliac.label.lower()}): "
                      "going gluten-free first can hide it.")
    checklist = [{"id": c.id, "label": c.label, "why": c.why, **({"before": c.before} if c.before else {})}
                 for c in k.checklist]
    return ScreenResult(definitions, exclusions, flags, alerts, advice, scores, checklist)
