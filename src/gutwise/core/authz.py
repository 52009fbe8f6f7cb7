"""Who is acting: the ``Actor`` every service receives, and the roles.

The record-level rules (which patients an actor may see) live in one place, ``gutwise.accounts.access``; every
service that touches patient data calls it before reading or writing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    patient = "patient"
    clinician = "clinician"
    admin = "admin"


@dataclass(frozen=True)
class Actor:
    """A signed-in user (web or API token) or the local operator running the CLI (``system``)."""

    user_id: int | None
    role: Role | None
    label: str

    @classmethod
    def system(cls, label: str = "cli") -> Actor:
        """The operator at the command line: they hold the database file, so they see everything (audited)."""
        return cls(user_id=None, role=None, label=f"system:{label}")

    @property
    def is_system(self) -> bool:
        return self.role is None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin or self.is_system

    @property
    def is_clinician(self) -> bool:
        return self.role is Role.clinician

    @property
    def is_patient(self) -> bool:
        return self.role is Role.patient
