"""Pydantic models of the diary step."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gutwise import knowledge

NOTE_MAX = 4000
# The columns of diary_days; every other item of the ``daily`` instrument lives in ``answers``.
COLUMN_ITEMS = ("fatigue", "crash", "note")


class DiaryEntry(BaseModel):
    """What a person logs for one day. Every field is optional: a half-filled day is still saved."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    fatigue: int | None = Field(default=None, ge=0, le=10, description="0 = no fatigue, 10 = worst imaginable")
    crash: bool = Field(default=False, description="a crash day (post-exertional malaise)")
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="the rest of the `daily` instrument: symptom ratings 0-4, sleep_hours, steps (see "
                    "/api/v1/instruments/daily)",
    )

    @field_validator("answers")
    @classmethod
    def _daily_items(cls, v: dict[str, Any]) -> dict[str, Any]:
        from gutwise.screening.scoring import AnswerError, validate_answers

        misplaced = sorted(set(v) & set(COLUMN_ITEMS))
        if misplaced:
            raise ValueError(f"{', '.join(misplaced)} go at the top level, not in answers")
        try:
            return validate_answers(knowledge.instrument("daily"), v)
        except AnswerError as exc:
            raise ValueError("; ".join(f"{item}: {reason}" for item, reason in exc.problems)) from None


class DiaryDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    fatigue: int | None
    crash: bool
    note: str | None
    answers: dict[str, Any]
