"""Turn pydantic validation errors into gutwise's ``InvalidInput`` (field + plain reason)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gutwise.core.errors import FieldError, InvalidInput

M = TypeVar("M", bound=BaseModel)


def field_errors(exc: ValidationError, location: str | None = None) -> list[FieldError]:
    out = []
    for err in exc.errors(include_url=False):
        name = ".".join(str(p) for p in err["loc"]) or "input"
        reason = err["msg"]
        if reason.startswith("Value error, "):
            reason = reason[len("Value error, "):]
        out.append(FieldError(name, reason, location))
    return out


def parse(model: type[M], data: Any, *, location: str | None = None) -> M:
    """Validate ``data`` against ``model``; raise ``InvalidInput`` listing every bad field."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc, location)) from None
