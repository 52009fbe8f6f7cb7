"""The intake (``INTAKE.json``): what screening takes in. Documented in docs/intake.md.

Every field is optional: a missing answer makes a criterion "cannot tell", never "not met".
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gutwise import knowledge


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FatigueAnswers(_Model):
    duration_months: float | None = Field(default=None, ge=0, le=1200)
    duration_weeks: float | None = Field(default=None, ge=0, le=5200)
    new_onset: bool | None = None
    lifelong: bool | None = None
    due_to_ongoing_exertion: bool | None = None
    relieved_by_rest: bool | None = None
    substantial_activity_reduction: bool | None = None


class SymptomAnswer(_Model):
    frequency: int | None = Field(default=None, ge=0, le=4, description="0 none of the time … 4 all of the time")
    severity: int | None = Field(default=None, ge=0, le=4, description="0 not present … 4 very severe")
    predates_fatigue: bool = Field(default=False, description="the symptom was there before the fatigue began")


class PlanInputs(_Model):
    """What the plan builder needs beyond the screen (all optional)."""

    conditions: list[str] = Field(default_factory=list, description="pregnancy, immunocompromised, ...")
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    exclude: list[str] = Field(default_factory=list, description="interventions the person does not want")
    dietitian_referral: bool = False

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, v: list[str]) -> list[str]:
        known = {c.id for c in knowledge.interventions().conditions}
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown plan conditions {unknown}; known: {sorted(known)}")
        return v

    @field_validator("exclude")
    @classmethod
    def _known_interventions(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(knowledge.interventions().by_id()))
        if unknown:
            raise ValueError(f"unknown interventions {unknown}")
        return v


class Intake(_Model):
    age: int | None = Field(default=None, ge=0, le=120)
    sex: str | None = None
    fatigue: FatigueAnswers = Field(default_factory=FatigueAnswers)
    pem_lasts_over_24h: bool | None = Field(default=None, description="post-exertional malaise lasts more than 24 h")
    dsq_sf: dict[str, Any] | None = Field(default=None, description="DSQ-SF answers, as for `gutwise score`")
    symptoms: dict[str, SymptomAnswer] = Field(default_factory=dict)
    conditions: list[str] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list)
    questionnaires: dict[str, Any] = Field(default_factory=dict, description="other instruments' answers, by id")
    plan: PlanInputs | None = Field(default=None, description="inputs of `gutwise plan` beyond the screen")

    @field_validator("symptoms")
    @classmethod
    def _known_symptoms(cls, v: dict[str, SymptomAnswer]) -> dict[str, SymptomAnswer]:
        known = {s.id for s in knowledge.screening().symptoms}
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown symptom ids {unknown}; known: {sorted(known)}")
        return v

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, v: list[str]) -> list[str]:
        known = {c.id for c in knowledge.screening().conditions}
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown condition ids {unknown}; known: {sorted(known)}")
        return v

    @field_validator("red_flags")
    @classmethod
    def _known_flags(cls, v: list[str]) -> list[str]:
        known = {r.id for r in knowledge.screening().red_flags}
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown red flag ids {unknown}; known: {sorted(known)}")
        return v

    @field_validator("questionnaires")
    @classmethod
    def _known_instruments(cls, v: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(v) - set(knowledge.INSTRUMENT_IDS))
        if unknown:
            raise ValueError(f"unknown instruments {unknown}")
        return v
