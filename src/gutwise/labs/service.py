"""Use cases of the labs step: import a file for a patient (all or nothing), enter a panel by hand, review."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from gutwise import knowledge
from gutwise.accounts import access
from gutwise.core import audit
from gutwise.core.authz import Actor
from gutwise.core.db import utcnow
from gutwise.core.errors import FieldError, InvalidInput
from gutwise.core.uow import UnitOfWork
from gutwise.labs import importer
from gutwise.labs.interpret import (
    Change,
    Interpretation,
    LabValue,
    PanelSummary,
    changes,
    interpret,
    lps_panel_summaries,
)
from gutwise.labs.models import LabImport, LabResult
from gutwise.labs.units import convert

MAX_FILE_BYTES = 20_000_000


@dataclass(frozen=True)
class ImportReport:
    import_id: int
    format: str
    rows: int
    unmapped: list[dict[str, Any]]
    resources: dict[str, int]


def _problems(parsed: importer.Parsed) -> InvalidInput:
    return InvalidInput([FieldError(p.field, p.reason, p.where) for p in parsed.problems])


def _store(uow: UnitOfWork, *, actor: Actor, patient_id: int, values: list[LabValue], source: str, fmt: str,
           unmapped: list[dict[str, Any]]) -> int:
    record = LabImport(patient_id=patient_id, source=source[:255], format=fmt, rows=len(values), unmapped=unmapped,
                       imported_by=actor.user_id)
    uow.session.add(record)
    uow.flush()
    now = utcnow()
    analytes = knowledge.analytes().by_id()
    rows = [{"patient_id": patient_id, "analyte": v.analyte, "value": v.value, "unit": v.unit,
             "canonical_value": _canonical(v, analytes[v.analyte].unit), "ref_low": v.ref_low,
             "ref_high": v.ref_high, "critical_low": v.critical_low, "critical_high": v.critical_high,
             "rcv": v.rcv, "collected": v.collected, "lab": v.lab, "source": fmt, "import_id": record.id,
             "created_at": now} for v in values]
    if rows:
        uow.session.execute(insert(LabResult.__table__), rows)  # Core, not the ORM bulk path (which splits batches)
    audit.record(uow, actor=actor, action="import", entity="lab_result", entity_id=record.id,
                 patient_id=patient_id, detail={"source": source, "format": fmt, "rows": len(rows),
                                                "unmapped": len(unmapped)})
    return record.id


_CANONICAL_CACHE: dict[tuple[str, str], float] = {}


def _canonical(v: LabValue, unit: str) -> float | None:
    """The value in the catalogue unit (the conversion factor is cached per unit pair: imports are big)."""
    key = (v.unit, unit)
    if key not in _CANONICAL_CACHE:
        try:
            _CANONICAL_CACHE[key] = convert(1.0, v.unit, unit)
        except ValueError:
            return None
    # pint conversions between these units are all linear (no offsets), so a factor is exact
    return v.value * _CANONICAL_CACHE[key]


def import_file(*, uow: UnitOfWork, actor: Actor, patient_id: int, text: str, filename: str) -> ImportReport:
    """Import a CSV or FHIR file of one patient's results. One bad row rejects the file, with every problem."""
    if len(text.encode()) > MAX_FILE_BYTES:
        raise InvalidInput.one("file", f"is larger than {MAX_FILE_BYTES // 1_000_000} MB", filename)
    parsed = importer.parse_file(text, source=filename)
    subjects = sorted({v.patient for v in parsed.results})
    if len(subjects) > 1:
        parsed.problems.append(importer.Problem(
            filename, "patient", f"holds results of {len(subjects)} patients ({', '.join(subjects[:5])}); "
                                 "import one patient's results at a time"))
    if parsed.problems:
        raise _problems(parsed)
    if not parsed.results:
        raise InvalidInput.one("file", "has no results gutwise knows (see the unmapped codes)", filename)
    fmt = "fhir" if text.lstrip().startswith("{") else "csv"
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        import_id = _store(uow, actor=actor, patient_id=patient_id, values=parsed.results, source=filename,
                           fmt=fmt, unmapped=parsed.unmapped)
        uow.commit()
    return ImportReport(import_id, fmt, len(parsed.results), parsed.unmapped, dict(parsed.resources))


def add_panel(*, uow: UnitOfWork, actor: Actor, patient_id: int, rows: list[dict[str, str]],
              source: str = "manual entry") -> ImportReport:
    """Results typed in by hand (one dict per analyte, CSV column names); checked like an imported file."""
    parsed = importer.Parsed()
    for n, row in enumerate(rows, start=1):
        before = len(parsed.problems)
        value = importer.parse_row({"patient": str(patient_id), **row}, f"{source} line {n}", date.today(),
                                  parsed.problems)
        if value is not None and len(parsed.problems) == before:
            parsed.results.append(value)
    if parsed.problems:
        raise _problems(parsed)
    if not parsed.results:
        raise InvalidInput.one("results", "no values were entered")
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        import_id = _store(uow, actor=actor, patient_id=patient_id, values=parsed.results, source=source,
                           fmt="manual", unmapped=[])
        uow.commit()
    return ImportReport(import_id, "manual", len(parsed.results), [], {})


# --- review ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredResult:
    id: int
    value: LabValue
    interpretation: Interpretation
    source: str


@dataclass(frozen=True)
class LabOverview:
    by_analyte: dict[str, list[StoredResult]]
    panels: list[PanelSummary]
    changes: list[Change]
    imports: list[dict[str, Any]]

    def lps_grid(self) -> dict[date, dict[str, StoredResult]]:
        """LPS results by collection date, keyed by analyte id (for the organism x isotype grid)."""
        grid: dict[date, dict[str, StoredResult]] = defaultdict(dict)
        for analyte, results in self.by_analyte.items():
            if analyte.startswith("lps_"):
                for r in results:
                    grid[r.value.collected][analyte] = r
        return dict(sorted(grid.items()))


def _value(row: LabResult) -> LabValue:
    return LabValue(str(row.patient_id), row.analyte, row.value, row.unit, row.collected, row.lab, row.ref_low,
                    row.ref_high, row.critical_low, row.critical_high, row.rcv)


def results(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> list[StoredResult]:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        rows = list(uow.session.scalars(select(LabResult).where(LabResult.patient_id == patient_id)
                                        .order_by(LabResult.collected, LabResult.analyte, LabResult.id)))
        audit.record(uow, actor=actor, action="read", entity="lab_result", patient_id=patient_id,
                     detail={"rows": len(rows)})
        uow.commit()
    return [StoredResult(r.id, _value(r), interpret(_value(r)), r.source) for r in rows]


def overview(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> LabOverview:
    stored = results(uow=uow, actor=actor, patient_id=patient_id)
    by_analyte: dict[str, list[StoredResult]] = defaultdict(list)
    for r in stored:
        by_analyte[r.value.analyte].append(r)
    values = [r.value for r in stored]
    with uow:
        imports = [{"id": i.id, "source": i.source, "format": i.format, "rows": i.rows,
                    "unmapped": i.unmapped, "imported_at": i.imported_at}
                   for i in uow.session.scalars(select(LabImport).where(LabImport.patient_id == patient_id)
                                                .order_by(LabImport.id.desc()))]
    return LabOverview(dict(by_analyte), lps_panel_summaries(values), changes(values), imports)


def add_values(*, uow: UnitOfWork, actor: Actor, patient_id: int, values: list[LabValue], source: str,
               fmt: str | None = None) -> int:
    """Keep already-parsed results (the demo simulator, other services); units are checked like an import."""
    analytes = knowledge.analytes().by_id()
    problems = [FieldError("unit", f"{v.unit!r} does not fit {v.analyte}", f"{source} #{n}")
                for n, v in enumerate(values, start=1)
                if v.analyte not in analytes or importer.unit_problem(v.unit, analytes[v.analyte].unit)]
    if problems:
        raise InvalidInput(problems)
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        _store(uow, actor=actor, patient_id=patient_id, values=values, source=source,
               fmt=fmt or ("demo" if source == "demo" else "manual"), unmapped=[])
        uow.commit()
    return len(values)
