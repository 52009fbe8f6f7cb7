"""Everything gutwise holds about a patient as FHIR R4 resources, validated with ``fhir.resources.R4B``.

- ``Patient`` (with its identifiers, the illness onset as an extension, synthetic records tagged HTEST);
- ``Questionnaire`` + ``QuestionnaireResponse`` for every stored questionnaire;
- ``Observation`` for lab results (LOINC where the catalogue has it, with gutwise's analyte code beside it),
  one per diary day (local code, the diary items as components, the note as a note), and one per microbiome
  sample (diversity and the genus-level composition as components);
- ``Condition`` and ``MedicationStatement`` taken in from other systems;
- the approved plan as a ``CarePlan``; a ``Provenance`` naming gutwise as the source of them all.

``patient_resources`` is pure (data in, resources out); ``export_patient`` and ``export_bulk`` read through the
services, so access rules and the audit trail apply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from gutwise import __version__, knowledge
from gutwise.interop import codes

DIARY_CODES = f"{codes.BASE}/CodeSystem/diary"
MICROBIOME_CODES = f"{codes.BASE}/CodeSystem/microbiome"
TAXON_CODES = f"{codes.BASE}/CodeSystem/taxon"
PATIENT_IDS = f"{codes.BASE}/NamingSystem/patient"
FHIR_RESOURCE_IDS = f"{codes.BASE}/NamingSystem/fhir-resource-id"
ILLNESS_ONSET = f"{codes.BASE}/StructureDefinition/illness-onset"
TEST_DATA_TAG = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST",
                 "display": "test health data"}
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
MICROBIOME_METRICS = ("shannon", "simpson", "observed", "chao1", "faith_pd", "reads")


@dataclass
class PatientData:
    """What the export needs, as plain values (filled by ``export_patient`` from the services)."""

    patient: Any  # accounts PatientOut
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)  # screening ResponseOut
    labs: list[Any] = field(default_factory=list)  # labs StoredResult
    diary: list[Any] = field(default_factory=list)  # diary DiaryDayOut
    microbiome: list[dict[str, Any]] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    medications: list[dict[str, Any]] = field(default_factory=list)
    plan: Any = None  # protocol PlanView (approved) or None


def _validated(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, after ``fhir.resources`` has accepted it (kept as built: re-serialising would cost more than
    the validation and change nothing)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def _subject(pid: int) -> dict[str, str]:
    return {"reference": f"Patient/{pid}"}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}


def _patient(d: PatientData) -> dict[str, Any]:
    p = d.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient", "id": str(p.id),
        "identifier": [{"system": PATIENT_IDS, "value": str(p.id)}]
        + [{"system": s, "value": v} for s, v in d.identifiers],
        "name": [{"text": p.label}], "gender": p.sex.value,
    }
    if p.birth_date:
        resource["birthDate"] = p.birth_date.isoformat()
    elif p.birth_year:
        resource["birthDate"] = str(p.birth_year)
    if p.illness_onset:
        resource["extension"] = [{"url": ILLNESS_ONSET, "valueDate": p.illness_onset.isoformat()}]
    if p.synthetic:
        resource["meta"] = {"tag": [TEST_DATA_TAG]}
    return resource


def _lab(pid: int, r: Any) -> dict[str, Any]:
    analyte = knowledge.analytes().by_id()[r.value.analyte]
    coding = [{"system": codes.ANALYTE_CODES, "code": analyte.id, "display": analyte.name}]
    if analyte.loinc:
        coding.insert(0, {"system": codes.LOINC, "code": analyte.loinc, "display": analyte.name})
    v = r.value
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": f"lab-{r.id}", "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": coding, "text": analyte.name}, "subject": _subject(pid),
        "effectiveDateTime": v.collected.isoformat(), "valueQuantity": _quantity(v.value, v.unit),
    }
    rng = {k: _quantity(x, v.unit) for k, x in (("low", v.ref_low), ("high", v.ref_high)) if x is not None}
    if rng:
        resource["referenceRange"] = [rng]
    if v.lab:
        resource["performer"] = [{"display": v.lab}]
    if analyte.research_assay:
        resource["note"] = [{"text": "Research assay, not a validated diagnostic test."}]
    return resource


def _diary(pid: int, day: Any) -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    if day.fatigue is not None:
        components.append({"code": {"coding": [{"system": DIARY_CODES, "code": "fatigue"}]},
                           "valueInteger": day.fatigue})
    components.append({"code": {"coding": [{"system": DIARY_CODES, "code": "crash"}]}, "valueBoolean": day.crash})
    for key, value in sorted(day.answers.items()):
        if value is None:
            continue
        code = {"coding": [{"system": DIARY_CODES, "code": key}]}
        if isinstance(value, bool):
            components.append({"code": code, "valueBoolean": value})
        elif isinstance(value, int):
            components.append({"code": code, "valueInteger": value})
        elif isinstance(value, float):
            components.append({"code": code, "valueQuantity": _quantity(value, "1")})
        else:
            components.append({"code": code, "valueString": str(value)})
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": f"diary-{pid}-{day.day.isoformat()}", "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "survey"}]}],
        "code": {"coding": [{"system": DIARY_CODES, "code": "daily-diary", "display": "gutwise daily diary"}]},
        "subject": _subject(pid), "effectiveDateTime": day.day.isoformat(), "component": components,
    }
    if day.note:
        resource["note"] = [{"text": day.note}]
    return resource


def _microbiome(pid: int, s: dict[str, Any]) -> dict[str, Any]:
    components = [{"code": {"coding": [{"system": MICROBIOME_CODES, "code": m}]}, "valueQuantity": _quantity(
        float(s[m]), "1")} for m in MICROBIOME_METRICS if s.get(m) is not None]
    components.append({"code": {"coding": [{"system": MICROBIOME_CODES, "code": "kind"}]}, "valueString": s["kind"]})
    for key, share in sorted(s["abundances"].items()):
        components.append({"code": {"coding": [{"system": TAXON_CODES, "code": " ".join(key.split())}],
                                    "text": key}, "valueQuantity": _quantity(round(float(share), 10), "1")})
    return {
        "resourceType": "Observation", "id": f"microbiome-{s['id']}", "status": "final",
        "identifier": [{"system": f"{codes.BASE}/NamingSystem/microbiome-sample", "value": s["sample_id"]}],
        "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [{"system": MICROBIOME_CODES, "code": "stool-microbiome-profile",
                             "display": "Stool microbiome profile (diversity and genus-level composition)"}]},
        "subject": _subject(pid), "effectiveDateTime": s["collected"].isoformat(), "component": components,
        "note": [{"text": f"Imported from {s['source']}"}],
    }


def _condition(pid: int, c: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Condition", "id": f"condition-{c['id']}", "subject": _subject(pid),
                                "code": {"text": c["display"]}}
    if c.get("code"):
        resource["code"]["coding"] = [{"system": c["system"], "code": c["code"], "display": c["display"]}]
    if c.get("clinical_status"):
        resource["clinicalStatus"] = {"coding": [{"system": CONDITION_STATUS, "code": c["clinical_status"]}]}
    for key, fhir_key in (("onset", "onsetDateTime"), ("abatement", "abatementDateTime"),
                          ("recorded", "recordedDate")):
        if c.get(key):
            resource[fhir_key] = c[key].isoformat()
    return resource


def _medication(pid: int, m: dict[str, Any]) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": m["display"]}
    if m.get("code"):
        concept["coding"] = [{"system": m["system"], "code": m["code"], "display": m["display"]}]
    resource: dict[str, Any] = {"resourceType": "MedicationStatement", "id": f"medication-{m['id']}",
                                "status": m["status"], "medicationCodeableConcept": concept,
                                "subject": _subject(pid)}
    period = {k: m[k].isoformat() for k in ("start", "end") if m.get(k)}
    if period:
        resource["effectivePeriod"] = period
    if m.get("dosage"):
        resource["dosage"] = [{"text": m["dosage"]}]
    return resource


def patient_resources(d: PatientData, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every resource of one patient, each validated; the Provenance last."""
    from gutwise.interop.fhir_careplan import careplan
    from gutwise.interop.fhir_questionnaire import questionnaire, questionnaire_response

    pid = d.patient.id
    out = [_patient(d)]
    for instrument_id in sorted({r.instrument for r in d.responses}):
        out.append(questionnaire(knowledge.instrument(instrument_id)))
    for r in d.responses:
        out.append(questionnaire_response(knowledge.instrument(r.instrument), response_id=r.id, patient_id=pid,
                                          answered_on=r.answered_on, answers=r.answers, total=r.total))
    out += [_lab(pid, r) for r in d.labs]
    out += [_diary(pid, day) for day in d.diary]
    out += [_microbiome(pid, s) for s in d.microbiome]
    out += [_condition(pid, c) for c in d.conditions]
    out += [_medication(pid, m) for m in d.medications]
    if d.plan is not None:
        plan = careplan(d.plan, patient_id=pid)
        plan["id"] = f"careplan-{pid}"
        out.append(plan)
    out = [_validated(r) for r in out]
    recorded = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    targets = [{"reference": f"{r['resourceType']}/{r['id']}"} for r in out if r["resourceType"] != "Questionnaire"]
    out.append(_validated({
        "resourceType": "Provenance", "id": f"provenance-{pid}", "target": targets, "recorded": recorded,
        "agent": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                        "code": "assembler"}]}, "who": {"display": f"gutwise {__version__}"}}],
    }))
    return out


def bundle(resources: Iterable[dict[str, Any]], *, now: datetime | None = None) -> dict[str, Any]:
    """A collection Bundle of already validated resources (the Bundle's own fields are validated here)."""
    entries = [{"fullUrl": f"{codes.BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    shell = _validated({"resourceType": "Bundle", "type": "collection", "timestamp": stamp})
    return {**shell, "entry": entries}


# --- reading through the services ------------------------------------------------------------------------


def collect(*, uow: Any, actor: Any, patient_id: int) -> PatientData:
    """Everything about one patient through the services (each read is access-checked and audited)."""
    from sqlalchemy import select

    from gutwise.accounts import access
    from gutwise.accounts import service as accounts_service
    from gutwise.core import audit
    from gutwise.diary import service as diary_service
    from gutwise.interop import records
    from gutwise.interop.models import PatientIdentifier
    from gutwise.labs import service as labs_service
    from gutwise.microbiome.models import MicrobiomeSample
    from gutwise.protocol import service as protocol_service
    from gutwise.screening import service as screening_service

    d = PatientData(accounts_service.get_patient(uow=uow, actor=actor, patient_id=patient_id))
    d.responses = screening_service.list_responses(uow=uow, actor=actor, patient_id=patient_id)
    d.labs = labs_service.results(uow=uow, actor=actor, patient_id=patient_id)
    d.diary = diary_service.list_diary(uow=uow, actor=actor, patient_id=patient_id)
    d.plan = protocol_service.approved_plan(uow=uow, actor=actor, patient_id=patient_id)
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        s = uow.session
        d.identifiers = [(i.system, i.value) for i in s.scalars(
            select(PatientIdentifier).where(PatientIdentifier.patient_id == patient_id,
                                            PatientIdentifier.system != PATIENT_IDS).order_by(PatientIdentifier.id))]
        d.microbiome = [{"id": m.id, "sample_id": m.sample_id, "collected": m.collected, "source": m.source,
                         "kind": m.kind, "abundances": m.abundances, **{k: getattr(m, k) for k in MICROBIOME_METRICS}}
                        for m in s.scalars(select(MicrobiomeSample).where(MicrobiomeSample.patient_id == patient_id)
                                           .order_by(MicrobiomeSample.collected, MicrobiomeSample.id))]
        d.conditions = records.conditions(s, patient_id)
        d.medications = records.medications(s, patient_id)
        for entity in ("microbiome_sample", "condition", "medication_statement"):
            audit.record(uow, actor=actor, action="read", entity=entity, patient_id=patient_id,
                         detail={"use": "export"})
        uow.commit()
    return d


def export_patient(*, uow: Any, actor: Any, patient_id: int) -> dict[str, Any]:
    """One patient as a validated FHIR R4 collection Bundle."""
    return bundle(patient_resources(collect(uow=uow, actor=actor, patient_id=patient_id)))


def export_bulk(*, uow: Any, actor: Any, folder: Path) -> dict[str, int]:
    """Every patient the actor may see as bulk-export NDJSON (one file per resource type); counts per type."""
    from gutwise.accounts import service as accounts_service

    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    handles: dict[str, Any] = {}
    seen_questionnaires: set[str] = set()
    try:
        for p in accounts_service.list_patients(uow=uow, actor=actor):
            for r in patient_resources(collect(uow=uow, actor=actor, patient_id=p.id)):
                kind = r["resourceType"]
                if kind == "Questionnaire":
                    if r["id"] in seen_questionnaires:
                        continue
                    seen_questionnaires.add(r["id"])
                if kind not in handles:
                    handles[kind] = (folder / f"{kind}.000.ndjson").open("w", encoding="utf-8")
                handles[kind].write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
                counts[kind] = counts.get(kind, 0) + 1
    finally:
        for h in handles.values():
            h.close()
    return dict(sorted(counts.items()))


