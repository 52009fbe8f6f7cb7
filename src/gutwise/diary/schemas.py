"""Pydantic models of the diary step."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NOTE_MAX = 4000


class DiaryEntry(BaseModel):
    """What a person logs for one day. Every field is optional: a half-filled day is still saved."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    fatigue: int | None = Field(default=None, ge=0, le=10, description="0 = no fatigue, 10 = worst imaginable")
    crash: bool = Field(default=False, description="a crash day (post-exertional malaise)")
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    answers: dict[str, Any] = Field(default_factory=dict)


class DiaryDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    fatigue: int | None
    crash: bool
    note: str | None
    answers: dict[str, Any]
