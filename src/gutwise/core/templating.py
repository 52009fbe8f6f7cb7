"""One Jinja2 environment for every step: templates live next to the step that renders them.

A template is looked up in ``core/templates`` (layout, errors) and then each step's ``templates`` folder, so each
step's ``views.py`` renders its own pages with the shared layout.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

_PACKAGE = Path(__file__).resolve().parent.parent
STEPS = ("core", "accounts", "screening", "labs", "microbiome", "protocol", "diary", "outcomes", "reports",
         "interop", "web")


def _loader() -> ChoiceLoader:
    return ChoiceLoader(
        [FileSystemLoader(_PACKAGE / step / "templates") for step in STEPS if (_PACKAGE / step / "templates").is_dir()]
    )


def _nice_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value:%A} {value.day} {value:%B %Y}"


def _short_date(value: date | None) -> str:
    """"Sat 22 Nov", with the year when it is not this year."""
    if value is None:
        return ""
    year = f" {value.year}" if value.year != date.today().year else ""
    return f"{value:%a} {value.day} {value:%b}{year}"


def make_environment() -> Environment:
    env = Environment(
        loader=_loader(),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["nice_date"] = _nice_date
    env.filters["short_date"] = _short_date
    return env


templates = Jinja2Templates(env=make_environment())
