"""Reading lab results from CSV and FHIR R4 (Observation, Bundle or bulk NDJSON). Pure: text in, rows out.

Every problem is collected (file, row or resource path, column or field, reason) so that the caller can reject
the whole file at once, listing them all. FHIR observations whose codes gutwise does not know are returned as
``unmapped`` (code, system, display and count), never silently dropped.

CSV columns: ``patient, analyte, value, unit, collected`` required; ``ref_low, ref_high, lab, ref_unit,
critical_low, critical_high, rcv`` optional. ``analyte`` takes a catalogue id or a LOINC code; ``ref_low`` and
``ref_high`` are in the row's unit unless ``ref_unit`` says otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from gutwise import knowledge
from gutwise.knowledge.schemas import Analyte
from gutwise.labs.interpret import LabValue
from gutwise.labs.units import UnitError, convert

REQUIRED = ("patient", "analyte", "value", "unit", "collected")
OPTIONAL = ("ref_low", "ref_high", "lab", "ref_unit", "critical_low", "critical_high", "rcv")
LOINC_SYSTEMS = {"http://loinc.org", "urn:oid:2.16.840.1.113883.6.1"}


@dataclass(frozen=True)
class Problem:
    where: str  # "results.csv row 4" or "bundle.json entry[3].resource"
    field: str
    reason: str

    def line(self) -> str:
        return f"{self.where}: {self.field}: {self.reason}"


@dataclass
class Parsed:
    results: list[LabValue] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unmapped: list[dict[str, Any]] = field(default_factory=list)
    resources: Counter[str] = field(default_factory=Counter)


@lru_cache(maxsize=4096)
def unit_problem(unit: str, target: str) -> str | None:
    """Why ``unit`` does not convert to ``target`` (cached: an import has few distinct units)."""
    try:
        convert(1.0, unit, target)
    except UnitError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=1)
def _index() -> dict[str, Analyte]:
    catalogue = knowledge.analytes()
    return {**catalogue.by_loinc(), **catalogue.by_id()}


def resolve_analyte(code: str) -> Analyte | None:
    """A catalogue id or a LOINC code."""
    return _index().get(code)


def _number(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError
    return value


def _date(raw: str) -> date:
    raw = raw.strip()
    return datetime.fromisoformat(raw).date() if "T" in raw else date.fromisoformat(raw)


def parse_csv(text: str, *, source: str, today: date | None = None) -> Parsed:
    today = today or date.today()
    out = Parsed()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        out.problems.append(Problem(f"{source} header", ",".join(missing), "required column missing "
                                    f"(expected {', '.join(REQUIRED)})"))
        return out
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        out.problems.append(Problem(f"{source} header", ",".join(unknown), "unknown column"))
        return out
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        where = f"{source} row {line}"
        before = len(out.problems)
        result = parse_row(row, where, today, out.problems)
        if result is not None and len(out.problems) == before:
            out.results.append(result)
        out.resources["row"] += 1
    if out.resources["row"] == 0:
        out.problems.append(Problem(source, "rows", "the file has a header but no results"))
    return out


def parse_row(row: dict[str, str], where: str, today: date, problems: list[Problem]) -> LabValue | None:
    def bad(column: str, reason: str) -> None:
        problems.append(Problem(where, column, reason))

    if not row.get("patient"):
        bad("patient", "is empty")
    analyte = resolve_analyte(row.get("analyte", ""))
    if analyte is None:
        bad("analyte", f"{row.get('analyte')!r} is neither a gutwise analyte id nor a known LOINC code")
    value: float | None = None
    try:
        value = _number(row.get("value", ""))
    except ValueError:
        bad("value", f"{row.get('value')!r} is not a number")
    unit = row.get("unit", "")
    if analyte is not None:
        problem = unit_problem(unit, analyte.unit)
        if problem:
            bad("unit", f"{unit!r} does not fit {analyte.id} (expected {analyte.unit}): {problem}")
    collected: date | None = None
    try:
        collected = _date(row.get("collected", ""))
        if collected > today:
            bad("collected", f"{collected.isoformat()} is in the future")
    except ValueError:
        bad("collected", f"{row.get('collected')!r} is not a date (YYYY-MM-DD)")
    limits: dict[str, float | None] = {}
    for column in ("ref_low", "ref_high", "critical_low", "critical_high", "rcv"):
        raw = row.get(column, "")
        if raw == "":
            limits[column] = None
            continue
        try:
            limits[column] = _number(raw)
        except ValueError:
            bad(column, f"{raw!r} is not a number")
            limits[column] = None
    ref_unit = row.get("ref_unit", "")
    if ref_unit and ref_unit != unit:
        for column in ("ref_low", "ref_high"):
            if limits[column] is not None:
                try:
                    limits[column] = convert(limits[column] or 0.0, ref_unit, unit)
                except UnitError as exc:
                    bad("ref_unit", f"{ref_unit!r} cannot be converted to {unit!r}: {exc}")
                    break
    if limits["ref_low"] is not None and limits["ref_high"] is not None and limits["ref_low"] > limits["ref_high"]:
        bad("ref_low", "is greater than ref_high")
    if analyte is None or value is None or collected is None:
        return None
    return LabValue(row["patient"], analyte.id, value, unit, collected, row.get("lab") or None,
                    limits["ref_low"], limits["ref_high"], limits["critical_low"], limits["critical_high"],
                    limits["rcv"])


# --- FHIR ------------------------------------------------------------------------------------------------


def parse_fhir(text: str, *, source: str, today: date | None = None) -> Parsed:
    """A FHIR R4 Observation, a Bundle of them, or bulk NDJSON (one resource per line)."""
    today = today or date.today()
    out = Parsed()
    resources: list[tuple[str, dict[str, Any]]] = []
    stripped = text.strip()
    try:
        if stripped.startswith("{") and "\n{" not in stripped:
            doc = json.loads(stripped)
            if doc.get("resourceType") == "Bundle":
                resources = [(f"{source} entry[{i}].resource", e.get("resource") or {})
                             for i, e in enumerate(doc.get("entry") or [])]
            else:
                resources = [(source, doc)]
        else:
            resources = [(f"{source} line {n}", json.loads(line)) for n, line in
                         enumerate(stripped.splitlines(), start=1) if line.strip()]
    except json.JSONDecodeError as exc:
        out.problems.append(Problem(source, f"line {exc.lineno} column {exc.colno}", f"not valid JSON ({exc.msg})"))
        return out
    if not resources:
        out.problems.append(Problem(source, "resourceType", "no FHIR resources found"))
    unmapped: dict[tuple[str, str], dict[str, Any]] = {}
    for where, resource in resources:
        out.resources[str(resource.get("resourceType"))] += 1
        if resource.get("resourceType") != "Observation":
            continue
        value = _observation(resource, where, today, out.problems, unmapped)
        if value is not None:
            out.results.append(value)
    out.unmapped = sorted(unmapped.values(), key=lambda u: (-u["count"], u["code"]))
    return out


def _validate(resource: dict[str, Any], where: str, problems: list[Problem]) -> bool:
    from fhir.resources.R4B.observation import Observation
    from pydantic import ValidationError

    try:
        Observation.model_validate(resource)
    except ValidationError as exc:
        for err in exc.errors(include_url=False)[:5]:
            problems.append(Problem(where, ".".join(str(p) for p in err["loc"]) or "Observation", err["msg"]))
        return False
    return True


def _observation(res: dict[str, Any], where: str, today: date, problems: list[Problem],
                 unmapped: dict[tuple[str, str], dict[str, Any]]) -> LabValue | None:
    if not _validate(res, where, problems):
        return None
    return lab_from_observation(res, where, today, problems, unmapped)


def lab_from_observation(res: dict[str, Any], where: str, today: date, problems: list[Problem],
                         unmapped: dict[tuple[str, str], dict[str, Any]]) -> LabValue | None:
    """A lab value from an Observation that has already passed FHIR validation (None: a problem or unmapped)."""
    from gutwise.interop.codes import ANALYTE_CODES

    analyte = None
    codings = (res.get("code") or {}).get("coding") or []
    for coding in codings:
        system, code = coding.get("system"), coding.get("code") or ""
        if system in LOINC_SYSTEMS:
            analyte = knowledge.analytes().by_loinc().get(code)
        elif system == ANALYTE_CODES:
            analyte = knowledge.analytes().by_id().get(code)
        if analyte is not None:
            break
    if analyte is None:
        first = codings[0] if codings else {}
        key = (str(first.get("system")), str(first.get("code")))
        entry = unmapped.setdefault(key, {"system": first.get("system"), "code": first.get("code"),
                                          "display": first.get("display") or (res.get("code") or {}).get("text"),
                                          "count": 0})
        entry["count"] += 1
        return None
    quantity = res.get("valueQuantity")
    if not quantity or quantity.get("value") is None:
        problems.append(Problem(where, "valueQuantity", f"{analyte.id} has no numeric value"))
        return None
    unit = quantity.get("code") or quantity.get("unit") or ""
    problem = unit_problem(unit, analyte.unit)
    if problem:
        problems.append(Problem(where, "valueQuantity.code", f"{unit!r} does not fit {analyte.id}: {problem}"))
        return None
    when = res.get("effectiveDateTime") or (res.get("effectivePeriod") or {}).get("start") or res.get("issued")
    if not when:
        problems.append(Problem(where, "effectiveDateTime", "missing: the collection date is needed"))
        return None
    collected = _date(str(when)[:10])
    if collected > today:
        problems.append(Problem(where, "effectiveDateTime", f"{collected.isoformat()} is in the future"))
        return None
    low = high = None
    ranges = res.get("referenceRange") or []
    if ranges:
        rng = ranges[0]
        try:
            low = _range_value(rng.get("low"), unit)
            high = _range_value(rng.get("high"), unit)
        except UnitError as exc:
            problems.append(Problem(where, "referenceRange", str(exc)))
            return None
    subject = (res.get("subject") or {}).get("reference") or ""
    performer = next((p.get("display") for p in res.get("performer") or [] if p.get("display")), None)
    return LabValue(subject, analyte.id, float(quantity["value"]), unit, collected, performer, low, high)


def _range_value(q: dict[str, Any] | None, unit: str) -> float | None:
    if not q or q.get("value") is None:
        return None
    q_unit = q.get("code") or q.get("unit") or unit
    return convert(float(q["value"]), q_unit, unit)


def parse_file(text: str, *, source: str, today: date | None = None) -> Parsed:
    """Choose the reader by content: JSON/NDJSON is FHIR, anything else CSV."""
    if text.lstrip().startswith("{"):
        return parse_fhir(text, source=source, today=today)
    return parse_csv(text, source=source, today=today)
