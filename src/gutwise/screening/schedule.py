"""When repeat questionnaires are due, and which occasions are done. Pure.

An occasion is *done* when a response falls on or after its due date minus the grace days and before the next
occasion; it is *due* from its date until done, and *upcoming* before its date.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

GRACE_DAYS = 7  # a questionnaire filled a few days early still counts (a usability setting)


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Occasion:
    month: int
    due: date
    status: Literal["done", "due", "upcoming"]
    answered_on: date | None


def occasions(*, start: date, every_months: int | None, at_months: Sequence[int] | None, course_months: int,
              answered: Sequence[date], today: date) -> list[Occasion]:
    months = list(at_months) if at_months is not None else list(range(0, course_months + 1, every_months or 1))
    dues = [add_months(start, m) for m in months]
    out = []
    for i, (m, due) in enumerate(zip(months, dues, strict=True)):
        until = dues[i + 1] - timedelta(days=GRACE_DAYS) if i + 1 < len(dues) else date.max
        hits = sorted(d for d in answered if due - timedelta(days=GRACE_DAYS) <= d < until)
        if hits:
            out.append(Occasion(m, due, "done", hits[0]))
        else:
            out.append(Occasion(m, due, "due" if today >= due else "upcoming", None))
    return out
