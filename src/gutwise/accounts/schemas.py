"""Pydantic models of the accounts step: what the API, forms and CLI exchange."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gutwise.accounts.models import Consent, Sex
from gutwise.core.authz import Role
from gutwise.core.security import MIN_PASSWORD_LENGTH

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    role: Role
    display_name: str = Field(min_length=1, max_length=120)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not _EMAIL.match(v):
            raise ValueError("is not an e-mail address")
        return v.lower()

    @field_validator("password")
    @classmethod
    def _password(cls, v: str) -> str:
        if len(v) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
        return v


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: Role
    display_name: str
    active: bool


class PatientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(min_length=1, max_length=120)
    birth_date: date | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    sex: Sex = Sex.unknown
    illness_onset: date | None = None
    user_id: int | None = None
    synthetic: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> PatientCreate:
        if self.birth_date is not None:
            if self.birth_year is not None and self.birth_year != self.birth_date.year:
                raise ValueError("birth_year does not match birth_date")
            self.birth_year = self.birth_date.year
        if self.birth_date and self.illness_onset and self.illness_onset < self.birth_date:
            raise ValueError("illness_onset is before birth_date")
        return self


class PatientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    synthetic: bool
    birth_date: date | None
    birth_year: int | None
    sex: Sex
    illness_onset: date | None


class CareLinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    clinician_id: int
    patient_id: int
    consent: Consent
