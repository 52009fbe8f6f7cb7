"""Taking in FHIR R4: a Bundle (transaction, collection, …), a single resource, or bulk NDJSON.

One file is one transaction: every resource is validated with ``fhir.resources.R4B`` and every reference to a
patient is resolved before anything is written; any problem rejects the whole file, each listed with its path
(``file entry[3].resource.effectiveDateTime: …``). What gutwise keeps:

- ``Patient`` → a patient (found again by its identifiers and resource id, so re-importing does not duplicate);
- ``Observation`` → a lab result (LOINC or gutwise analyte code), a diary day, or a microbiome sample (gutwise's
  own codes, as exported); other codes are listed as unmapped;
- ``Condition``, ``MedicationStatement`` → kept as such;
- ``QuestionnaireResponse`` of a gutwise instrument → scored like any questionnaire; others listed as unmapped.

Other resource types are counted and listed as not imported (definitions such as ``Questionnaire`` and
gutwise's own ``Provenance`` and ``CarePlan`` are only counted: plans are made and approved in gutwise).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from gutwise import knowledge
from gutwise.core.errors import FieldError, InvalidInput
from gutwise.interop import codes
from gutwise.interop.fhir_export import (
    DIARY_CODES,
    FHIR_RESOURCE_IDS,
    ILLNESS_ONSET,
    MICROBIOME_CODES,
    MICROBIOME_METRICS,
    PATIENT_IDS,
    TAXON_CODES,
)

KEPT = {"Patient", "Observation", "Condition", "MedicationStatement", "QuestionnaireResponse"}
COUNTED_ONLY = {"Questionnaire", "Provenance", "CarePlan"}
MAX_ERRORS = 50


@dataclass
class Item:
    where: str
    full_url: str | None
    resource: dict[str, Any]


@dataclass
class NewPatient:
    key: str  # how references in this file name it
    data: dict[str, Any]
    identifiers: list[tuple[str, str]]
    existing: int | None = None  # matched to a stored patient by an identifier


@dataclass
class Plan:
    """What one file will write, by patient key (a file patient's key or ``db:<id>``)."""

    patients: list[NewPatient] = field(default_factory=list)
    labs: list[tuple[str, Any]] = field(default_factory=list)
    diary: list[tuple[str, date, dict[str, Any]]] = field(default_factory=list)
    microbiome: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    conditions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    medications: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    responses: list[tuple[str, str, date, dict[str, Any]]] = field(default_factory=list)
    resources: Counter[str] = field(default_factory=Counter)
    unmapped: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    def error(self, where: str, path: str, reason: str) -> None:
        self.errors.append(FieldError(path, reason, where))

    def skip(self, kind: str, system: str | None, code: str | None, display: str | None, reason: str) -> None:
        key = (kind, str(system), str(code))
        entry = self.unmapped.setdefault(key, {"resourceType": kind, "system": system, "code": code,
                                               "display": display, "count": 0, "reason": reason})
        entry["count"] += 1


# --- reading the file ------------------------------------------------------------------------------------


def read_items(text: str, source: str) -> list[Item]:
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise InvalidInput.one("file", "is empty", source)
    try:
        ndjson = source.lower().endswith((".ndjson", ".jsonl")) or "\n{" in stripped
        if stripped.startswith("{") and not ndjson:
            doc = json.loads(stripped)
            if not isinstance(doc, dict):
                raise InvalidInput.one("resourceType", "the file is not a FHIR resource", source)
            if doc.get("resourceType") == "Bundle":
                return [Item(f"{source} entry[{i}].resource", e.get("fullUrl"), e.get("resource") or {})
                        for i, e in enumerate(doc.get("entry") or []) if isinstance(e, dict)]
            return [Item(source, None, doc)]
        out = []
        for n, line in enumerate(stripped.splitlines(), start=1):
            if line.strip():
                value = json.loads(line)
                if not isinstance(value, dict):
                    raise InvalidInput.one("line", "is not a FHIR resource", f"{source} line {n}")
                out.append(Item(f"{source} line {n}", None, value))
        return out
    except json.JSONDecodeError as exc:
        raise InvalidInput.one(f"line {exc.lineno} column {exc.colno}", f"not valid JSON ({exc.msg})",
                               source) from None


def _validate(item: Item, plan: Plan) -> bool:
    from fhir.resources.R4B import get_fhir_model_class

    kind = item.resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(kind))
    except (ValueError, KeyError):
        plan.error(item.where, "resourceType", f"{kind!r} is not a FHIR R4 resource type")
        return False
    try:
        model.model_validate(item.resource)
    except ValidationError as exc:
        for err in exc.errors(include_url=False)[:5]:
            path = ".".join(str(p) for p in err["loc"] if p != "__root__") or str(kind)
            plan.error(item.where, path, err["msg"])
        return False
    return True


def _date(raw: Any) -> date | None:
    if not raw:
        return None
    text = str(raw)
    if len(text) == 4:
        return date(int(text), 1, 1)
    if len(text) == 7:
        return date(int(text[:4]), int(text[5:7]), 1)
    return date.fromisoformat(text[:10])


def _coding(concept: dict[str, Any] | None) -> tuple[str | None, str | None, str]:
    concept = concept or {}
    first = (concept.get("coding") or [{}])[0]
    display = first.get("display") or concept.get("text") or first.get("code") or "unnamed"
    return first.get("system"), first.get("code"), str(display)


# --- mapping ---------------------------------------------------------------------------------------------


def build_plan(items: list[Item], *, today: date, known: dict[tuple[str, str], int],
               default_patient: int | None) -> Plan:
    """Everything the file would write, or the list of errors. ``known`` maps stored (system, value) identifiers
    to patient ids, so that a Condition file finds the patients of an earlier Patient file."""
    plan = Plan()
    valid = []
    for item in items:
        plan.resources[str(item.resource.get("resourceType"))] += 1
        if _validate(item, plan):
            valid.append(item)
        if len(plan.errors) >= MAX_ERRORS:
            return plan
    # patients first: every later reference resolves against them
    keys: dict[str, str] = {}
    for item in valid:
        r = item.resource
        if r["resourceType"] != "Patient":
            continue
        key = f"file:{len(plan.patients)}"
        ids = [(i["system"], i["value"]) for i in r.get("identifier") or [] if i.get("system") and i.get("value")]
        if r.get("id"):
            ids.append((FHIR_RESOURCE_IDS, r["id"]))
        existing = next((known[i] for i in ids if i in known), None)
        own = next((int(v) for s, v in ids if s == PATIENT_IDS and v.isdigit()), None)
        plan.patients.append(NewPatient(key, _patient_fields(r), [i for i in ids if i[0] != PATIENT_IDS]
                                        + ([(FHIR_RESOURCE_IDS, f"gutwise:{own}")] if own else []), existing))
        for name in filter(None, (item.full_url, f"Patient/{r.get('id')}" if r.get("id") else None)):
            keys[name] = key
    unresolved: dict[str, list[str]] = {}
    for item in valid:
        r = item.resource
        kind = r["resourceType"]
        if kind == "Patient":
            continue
        if kind in COUNTED_ONLY:
            if kind == "Questionnaire" and not str(r.get("url", "")).startswith(codes.BASE):
                plan.skip(kind, None, r.get("url"), r.get("title"), "not a gutwise instrument")
            continue
        if kind not in KEPT:
            plan.skip(kind, None, None, None, "not a resource gutwise imports")
            continue
        ref_field = "subject"
        ref = ((r.get(ref_field) or {}).get("reference")) or ""
        owner = keys.get(ref)
        if owner is None and ref.startswith("Patient/"):
            stored = known.get((FHIR_RESOURCE_IDS, ref.split("/", 1)[1]))
            owner = f"db:{stored}" if stored else None
        if owner is None and default_patient is not None:
            owner = f"db:{default_patient}"
        if owner is None:
            unresolved.setdefault(ref, []).append(item.where)
            continue
        try:
            _map(kind, r, item.where, owner, plan, today)
        except (ValueError, KeyError, TypeError) as exc:
            plan.error(item.where, kind, f"cannot be read ({exc})")
    for ref, wheres in unresolved.items():
        more = f" (and {len(wheres) - 1} more resources with this subject)" if len(wheres) > 1 else ""
        plan.error(wheres[0], "subject.reference", f"{ref or 'no subject'!r} is not a patient in this file or among "
                   f"imported patients{more}: import the patients first, or name the gutwise patient")
    if len(plan.errors) > MAX_ERRORS:
        extra = len(plan.errors) - MAX_ERRORS
        plan.errors = [*plan.errors[:MAX_ERRORS], FieldError("file", f"and {extra} more problems", "")]
    return plan


def _patient_fields(r: dict[str, Any]) -> dict[str, Any]:
    name = next((n.get("text") or " ".join([*(n.get("given") or []), n.get("family") or ""]).strip()
                 for n in r.get("name") or []), None)
    born = r.get("birthDate")
    onset = next((e.get("valueDate") for e in r.get("extension") or [] if e.get("url") == ILLNESS_ONSET), None)
    synthetic = any(t.get("code") == "HTEST" for t in (r.get("meta") or {}).get("tag") or [])
    gender = r.get("gender") if r.get("gender") in ("female", "male", "other", "unknown") else "unknown"
    return {"label": (name or f"FHIR patient {r.get('id', '')}").strip()[:120], "sex": gender,
            "birth_date": born if born and len(born) == 10 else None,
            "birth_year": int(born[:4]) if born and len(born) in (4, 7) else None,
            "illness_onset": onset, "synthetic": synthetic}


def _map(kind: str, r: dict[str, Any], where: str, owner: str, plan: Plan, today: date) -> None:
    if kind == "Observation":
        _observation(r, where, owner, plan, today)
    elif kind == "Condition":
        system, code, display = _coding(r.get("code"))
        status = next((c.get("code") for c in (r.get("clinicalStatus") or {}).get("coding") or []), None)
        plan.conditions.append((owner, {"system": system, "code": code, "display": display[:255],
                                        "clinical_status": status, "onset": _date(r.get("onsetDateTime")),
                                        "abatement": _date(r.get("abatementDateTime")),
                                        "recorded": _date(r.get("recordedDate"))}))
    elif kind == "MedicationStatement":
        system, code, display = _coding(r.get("medicationCodeableConcept"))
        period = r.get("effectivePeriod") or {}
        start = _date(period.get("start") or r.get("effectiveDateTime"))
        dosage = "; ".join(d["text"] for d in r.get("dosage") or [] if d.get("text")) or None
        plan.medications.append((owner, {"system": system, "code": code, "display": display[:255],
                                         "status": r.get("status") or "unknown", "start": start,
                                         "end": _date(period.get("end")), "dosage": dosage}))
    elif kind == "QuestionnaireResponse":
        _questionnaire_response(r, where, owner, plan)


def _observation(r: dict[str, Any], where: str, owner: str, plan: Plan, today: date) -> None:
    from gutwise.labs.importer import Problem, lab_from_observation

    codings = (r.get("code") or {}).get("coding") or []
    if any(c.get("system") == DIARY_CODES and c.get("code") == "daily-diary" for c in codings):
        day = _date(r.get("effectiveDateTime"))
        if day is None or day > today:
            plan.error(where, "effectiveDateTime", "a diary day needs a date that is not in the future")
            return
        entry: dict[str, Any] = {"crash": False, "note": None}
        answers: dict[str, Any] = {}
        for comp in r.get("component") or []:
            key = _coding(comp.get("code"))[1] or ""
            value = next((comp[k] for k in ("valueInteger", "valueBoolean", "valueString") if k in comp),
                         (comp.get("valueQuantity") or {}).get("value"))
            if key in ("fatigue", "crash"):
                entry[key] = value
            else:
                answers[key] = value
        notes = [n["text"] for n in r.get("note") or [] if n.get("text")]
        entry["note"] = "\n".join(notes) or None
        entry.update(answers)
        plan.diary.append((owner, day, entry))
        return
    if any(c.get("system") == MICROBIOME_CODES for c in codings):
        sample: dict[str, Any] = {"abundances": {}, "kind": "relative"}
        for comp in r.get("component") or []:
            c_system, c_code, _ = _coding(comp.get("code"))
            value = (comp.get("valueQuantity") or {}).get("value")
            if c_system == TAXON_CODES:
                sample["abundances"][(comp.get("code") or {}).get("text") or c_code] = float(value)
            elif c_code in MICROBIOME_METRICS:
                sample[c_code] = value
            elif c_code == "kind":
                sample["kind"] = comp.get("valueString") or "relative"
        ident = next((i.get("value") for i in r.get("identifier") or []), None) or r.get("id") or "sample"
        sample["sample_id"] = str(ident)[:120]
        sample["collected"] = _date(r.get("effectiveDateTime"))
        note = next((n["text"] for n in r.get("note") or [] if n.get("text", "").startswith("Imported from ")), None)
        sample["source"] = note[len("Imported from "):] if note else "FHIR import"
        if sample["collected"] is None or any(sample.get(m) is None for m in ("shannon", "simpson", "observed")):
            plan.error(where, "component", "a microbiome profile needs its date, Shannon, Simpson and observed taxa")
            return
        plan.microbiome.append((owner, sample))
        return
    problems: list[Problem] = []
    unmapped: dict[tuple[str, str], dict[str, Any]] = {}
    value = lab_from_observation(r, where, today, problems, unmapped)
    for p in problems:
        plan.error(p.where, p.field, p.reason)
    for u in unmapped.values():
        for _ in range(u["count"]):
            plan.skip("Observation", u["system"], u["code"], u["display"], "not in gutwise's analyte catalogue")
    if value is not None:
        plan.labs.append((owner, value))


def _questionnaire_response(r: dict[str, Any], where: str, owner: str, plan: Plan) -> None:
    url = str(r.get("questionnaire") or "").split("|")[0]
    prefix = codes.questionnaire_url("")
    instrument_id = url[len(prefix):] if url.startswith(prefix) else None
    if not instrument_id or instrument_id not in knowledge.INSTRUMENT_IDS:
        plan.skip("QuestionnaireResponse", None, url or None, None, "not a gutwise instrument")
        return
    inst = knowledge.instrument(instrument_id)
    by_id = {i.id: i for i in inst.items}
    answers: dict[str, Any] = {}
    for entry in r.get("item") or []:
        item = by_id.get(entry.get("linkId"))
        if item is None or not entry.get("answer"):
            continue
        a = entry["answer"][0]
        if "valueCoding" in a:
            code = a["valueCoding"].get("code")
            option = next((o for o in inst.option_sets[item.options or ""] if o.code == code or str(o.value) == code),
                          None)
            if option is None:
                plan.error(where, f"item[{entry.get('linkId')}].answer", f"code {code!r} is not an option")
                return
            answers[item.id] = option.value
        else:
            answers[item.id] = next(a[k] for k in ("valueInteger", "valueDecimal", "valueBoolean", "valueString")
                                    if k in a)
    day = _date(r.get("authored"))
    if day is None:
        plan.error(where, "authored", "the date the questionnaire was answered is needed")
        return
    plan.responses.append((owner, instrument_id, day, answers))


# --- writing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    patients: list[int]
    resources: dict[str, int]
    unmapped: list[dict[str, Any]]
    import_id: int

    def as_json(self) -> dict[str, Any]:
        return {"patients": self.patients, "resources": self.resources, "unmapped": self.unmapped}


def import_text(*, uow: Any, actor: Any, text: str, filename: str, patient_id: int | None = None,
                today: date | None = None) -> ImportReport:
    """One file, all or nothing. Clinicians (and the local operator) import; new patients are linked to the
    clinician who imports them."""
    from sqlalchemy import insert, select

    from gutwise.accounts import access
    from gutwise.accounts import service as accounts_service
    from gutwise.accounts.models import Patient
    from gutwise.core import audit
    from gutwise.core.db import utcnow
    from gutwise.core.errors import Forbidden
    from gutwise.diary import service as diary_service
    from gutwise.interop.models import Condition, FhirImport, MedicationStatement, PatientIdentifier
    from gutwise.labs import service as labs_service
    from gutwise.microbiome.models import MicrobiomeSample
    from gutwise.screening import service as screening_service

    if not (actor.is_clinician or actor.is_system):
        raise Forbidden("FHIR imports are made by clinicians")
    today = today or date.today()
    items = read_items(text, filename)
    if not items:
        raise InvalidInput.one("entry", "no FHIR resources found", filename)
    with uow:
        if patient_id is not None:
            access.require_patient(uow, actor=actor, patient_id=patient_id)
        visible = select(PatientIdentifier.system, PatientIdentifier.value, PatientIdentifier.patient_id).join(
            Patient, Patient.id == PatientIdentifier.patient_id).where(access.patient_scope(actor))
        known = {(s, v): pid for s, v, pid in uow.session.execute(visible)}
        plan = build_plan(items, today=today, known=known, default_patient=patient_id)
        if plan.errors:
            raise InvalidInput(plan.errors)
        ids: dict[str, int] = {}
        for p in plan.patients:
            if p.existing is not None:
                ids[p.key] = p.existing
                continue
            created = accounts_service.create_patient(uow=uow, actor=actor, data=p.data)
            ids[p.key] = created.id
            identifiers = list(dict.fromkeys(p.identifiers))
            if identifiers:
                uow.session.execute(insert(PatientIdentifier.__table__), [
                    {"patient_id": created.id, "system": s[:255], "value": v[:255]} for s, v in identifiers])

        def pid(owner: str) -> int:
            return int(owner[3:]) if owner.startswith("db:") else ids[owner]

        touched = sorted({pid(o) for o, *_ in [*plan.labs, *plan.diary, *plan.microbiome, *plan.conditions,
                                                *plan.medications, *plan.responses]} | set(ids.values()))
        for t in touched:
            access.require_patient(uow, actor=actor, patient_id=t)
        record = FhirImport(filename=filename[:255], resources=dict(sorted(plan.resources.items())),
                            unmapped=sorted(plan.unmapped.values(), key=lambda u: (-u["count"], str(u["code"]))),
                            patient_ids=touched, imported_by=actor.user_id)
        uow.session.add(record)
        uow.session.flush()
        by_patient: dict[int, list[Any]] = {}
        for owner, value in plan.labs:
            by_patient.setdefault(pid(owner), []).append(value)
        for p_id, values in by_patient.items():
            labs_service.add_values(uow=uow, actor=actor, patient_id=p_id, values=values, source=filename,
                                    fmt="fhir")
        if plan.diary:
            diary_service.log_days(uow=uow, actor=actor, source="fhir", days=[
                diary_service.DayInput(pid(o), d, e) for o, d, e in plan.diary])
        if plan.responses:
            screening_service.import_responses(uow=uow, actor=actor, source="fhir", rows=[
                screening_service.ResponseInput(pid(o), inst, d, a) for o, inst, d, a in plan.responses])
        if plan.microbiome:
            uow.session.execute(insert(MicrobiomeSample.__table__), [
                _sample_row(pid(o), s, actor) for o, s in plan.microbiome])
        if plan.conditions:
            uow.session.execute(insert(Condition.__table__), [
                {**c, "patient_id": pid(o), "source": filename[:255], "import_id": record.id}
                for o, c in plan.conditions])
        if plan.medications:
            uow.session.execute(insert(MedicationStatement.__table__), [
                {**m, "patient_id": pid(o), "source": filename[:255], "import_id": record.id}
                for o, m in plan.medications])
        now = utcnow()
        for t in touched:
            audit.record(uow, actor=actor, action="import", entity="fhir", entity_id=record.id, patient_id=t,
                         detail={"file": filename, "at": now.isoformat()})
        uow.commit()
        return ImportReport(touched, record.resources, record.unmapped, record.id)


def _sample_row(patient_id: int, s: dict[str, Any], actor: Any) -> dict[str, Any]:
    """A microbiome sample from its exported profile; the taxa flags are computed again from the composition."""
    import numpy as np

    from gutwise.core.db import utcnow
    from gutwise.microbiome import diversity
    from gutwise.microbiome.reader import TaxonTable

    keys = sorted(s["abundances"])
    flags: list[dict[str, Any]] = []
    if keys:
        table = TaxonTable([s["sample_id"]], keys, np.array([[s["abundances"][k] for k in keys]]),
                           {k: k for k in keys if "__" in k}, "relative")
        flags = [f.as_json() for f in diversity.taxa_flags(table)[s["sample_id"]]]
    return {"patient_id": patient_id, "sample_id": s["sample_id"], "collected": s["collected"],
            "source": str(s["source"])[:255], "kind": s["kind"], "reads": s.get("reads"),
            "shannon": float(s["shannon"]), "simpson": float(s["simpson"]), "observed": int(s["observed"]),
            "chao1": s.get("chao1"), "faith_pd": s.get("faith_pd"), "abundances": s["abundances"], "flags": flags,
            "imported_by": actor.user_id, "created_at": utcnow()}
