"""Reports as HTML (self-contained: styles and SVG charts inline) and as PDF through WeasyPrint."""

from __future__ import annotations

from typing import Literal

from gutwise import __version__, knowledge
from gutwise.core.templating import make_environment
from gutwise.protocol.views import GRADE_WORDS
from gutwise.reports.content import ReportData

PageSize = Literal["a4", "letter"]
STATUS_WORDS = {"met": "met", "not_met": "not met", "cannot_tell": "cannot tell yet"}


def html(data: ReportData, *, page: PageSize = "a4") -> str:
    env = make_environment()
    template = env.get_template(f"report_{data.audience}.html")
    return template.render(d=data, page_size="A4" if page == "a4" else "Letter", version=__version__,
                           grade_words=GRADE_WORDS, status_words=STATUS_WORDS,
                           instruments={i: knowledge.instrument(i) for i in knowledge.INSTRUMENT_IDS},
                           analytes=knowledge.analytes().by_id(), caveats=knowledge.analytes().caveats,
                           outcomes=knowledge.outcomes())


def pdf(data: ReportData, *, page: PageSize = "a4") -> bytes:
    """The same HTML, laid out on ``page`` by WeasyPrint (no network: every resource is inline)."""
    from weasyprint import HTML

    return HTML(string=html(data, page=page), base_url=None).write_pdf()
