"""Domain errors that the web and CLI faces translate into answers (404, 422, exit 2 ...).

``NotFound`` is also what an unauthorised read raises: a record the user may not see is indistinguishable from one
that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class GutwiseError(Exception):
    """Base of every error gutwise raises on purpose."""


class NotFound(GutwiseError):
    def __init__(self, what: str = "record") -> None:
        super().__init__(f"{what} not found")
        self.what = what


class Forbidden(GutwiseError):
    """An action on a record the user *can* see but may not change (e.g. a patient approving their own plan)."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``location`` names the file/row when the input came from a file."""

    field: str
    reason: str
    location: str | None = None

    def line(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.field}: {self.reason}"


@dataclass
class InvalidInput(GutwiseError):
    """Bad input, with every problem found (imports list all of them, not just the first)."""

    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("; ".join(e.line() for e in self.errors))

    @classmethod
    def one(cls, field_name: str, reason: str, location: str | None = None) -> InvalidInput:
        return cls([FieldError(field_name, reason, location)])

    def __str__(self) -> str:
        return "; ".join(e.line() for e in self.errors)


class Conflict(GutwiseError):
    """The request clashes with existing data (e.g. an e-mail address already registered)."""
