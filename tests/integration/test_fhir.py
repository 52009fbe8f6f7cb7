"""FHIR R4 exchange on a real database: every shared test file imports, exports validate, the round trip keeps
the clinical content, and a malformed file is refused whole with the path of each problem."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import func, select

from gutwise.accounts.models import Patient
from gutwise.core.authz import Actor
from gutwise.core.errors import Forbidden, InvalidInput
from gutwise.demo.service import load_demo
from gutwise.diary.models import DiaryDay
from gutwise.interop.fhir_export import export_bulk, export_patient
from gutwise.interop.fhir_import import import_text
from gutwise.interop.models import Condition
from gutwise.labs.models import LabResult
from tests.conftest import SHARED

SYSTEM = Actor.system("test")
FHIR = SHARED / "data" / "fhir"


def _count(uow, model):
    with uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def _import(uow, name, **kw):
    return import_text(uow=uow, actor=SYSTEM, text=(FHIR / name).read_text(), filename=name, **kw)


def test_every_shared_file_imports(uow):
    synthea = _import(uow, "synthea-bundle-clemente.json")
    assert len(synthea.patients) == 1 and synthea.resources["Observation"] == 48
    # Synthea's LOINC haemoglobin, ferritin ... map to the catalogue; BMI and blood pressure are listed, not dropped
    assert _count(uow, LabResult) > 0
    listed = {(u["resourceType"], u.get("code")) for u in synthea.unmapped}
    assert ("Observation", "39156-5") in listed and ("Claim", None) in listed
    kept = _count(uow, LabResult) + sum(u["count"] for u in synthea.unmapped if u["resourceType"] == "Observation")
    assert kept == 48  # every Observation is either kept or listed

    patients = _import(uow, "bulk-Patient.000.ndjson")
    assert len(patients.patients) == 13
    conditions = _import(uow, "bulk-Condition.000.ndjson")
    assert conditions.resources == {"Condition": 555}
    assert _count(uow, Condition) == 555 + 1  # the bulk file's and Synthea's one
    again = _import(uow, "bulk-Patient.000.ndjson")  # identifiers find the same people again
    assert sorted(again.patients) == sorted(patients.patients)
    assert _count(uow, Patient) == 14

    qr = _import(uow, "questionnaireresponse-f201.json", patient_id=synthea.patients[0])
    assert qr.unmapped[0]["reason"] == "not a gutwise instrument"


def test_export_validates_and_round_trips(uow, engine, tmp_path):
    load_demo(uow=uow, n_patients=2, seed=5, end=date(2026, 6, 30))
    _import(uow, "bulk-Patient.000.ndjson")
    _import(uow, "bulk-Condition.000.ndjson")
    first = export_patient(uow=uow, actor=SYSTEM, patient_id=1)
    kinds = {e["resource"]["resourceType"] for e in first["entry"]}
    assert {"Patient", "Questionnaire", "QuestionnaireResponse", "Observation", "CarePlan", "Provenance"} <= kinds
    get_fhir_model_class("Bundle").model_validate(first)  # the whole bundle, every entry, validates
    with_conditions = export_patient(uow=uow, actor=SYSTEM, patient_id=3)
    assert any(e["resource"]["resourceType"] == "Condition" for e in with_conditions["entry"])

    # into an empty database, and out again
    from gutwise.core import migrate
    from gutwise.core.db import make_engine
    from gutwise.core.uow import UnitOfWork

    other = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    migrate.upgrade(other)
    empty = UnitOfWork(other)
    report = import_text(uow=empty, actor=SYSTEM, text=json.dumps(first), filename="p1.json")
    second = export_patient(uow=empty, actor=SYSTEM, patient_id=report.patients[0])
    assert _clinical(first) == _clinical(second)
    assert len(_clinical(first)) > 300  # diary days, labs, questionnaires, microbiome: not a trivial comparison

    counts = export_bulk(uow=uow, actor=SYSTEM, folder=tmp_path / "bulk")
    assert counts["Patient"] == 15
    for path in (tmp_path / "bulk").glob("*.ndjson"):
        for line in path.read_text().splitlines():
            r = json.loads(line)
            get_fhir_model_class(r["resourceType"]).model_validate(r)


def _clinical(bundle):
    """Resources without ids, record references and identifiers; plans are made in gutwise, not imported."""
    out = []
    for e in bundle["entry"]:
        r = dict(e["resource"])
        if r["resourceType"] in ("Provenance", "CarePlan"):
            continue
        r.pop("id", None)
        if r["resourceType"] == "Patient":
            r.pop("identifier", None)
        out.append(re.sub(r'"Patient/[^"]*"', '"Patient"', json.dumps(r, sort_keys=True)))
    return sorted(out)


BAD = {
    "resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "female"}},
        {"resource": {"resourceType": "Observaton", "status": "final"}},
        {"resource": {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/nobody"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "30522-7"}]},
                      "valueQuantity": {"value": 1.2, "unit": "mg/L", "system": "http://unitsofmeasure.org",
                                        "code": "mg/L"}, "effectiveDateTime": "2026-01-05"}},
        {"resource": {"resourceType": "Observation", "status": "final", "subject": {"reference": "urn:uuid:p1"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "30522-7"}]},
                      "valueQuantity": {"value": 1.2, "unit": "mg/L"}, "effectiveDateTime": "2026-13-45"}},
    ]}


def test_a_malformed_bundle_is_refused_whole_with_each_path(uow):
    before = (_count(uow, Patient), _count(uow, LabResult))
    with pytest.raises(InvalidInput) as exc:
        import_text(uow=uow, actor=SYSTEM, text=json.dumps(BAD), filename="bad.json")
    lines = [e.line() for e in exc.value.errors]
    assert any(line.startswith("bad.json entry[1].resource: resourceType: 'Observaton' is not") for line in lines)
    assert any(line.startswith("bad.json entry[3].resource: effectiveDateTime") for line in lines)
    assert any(line.startswith("bad.json entry[2].resource: subject.reference: 'Patient/nobody'") for line in lines)
    assert (_count(uow, Patient), _count(uow, LabResult)) == before  # nothing written, not even the good Patient
    with pytest.raises(InvalidInput, match="not valid JSON"):
        import_text(uow=uow, actor=SYSTEM, text='{"resourceType": "Bundle",', filename="cut.json")


def test_a_failure_while_writing_leaves_nothing(uow):
    """A diary day in the future passes FHIR validation but not gutwise's rules: the patient is not kept."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "id": "p"}},
        {"resource": {"resourceType": "Observation", "status": "final", "subject": {"reference": "urn:uuid:p"},
                      "code": {"coding": [{"system": "https://gutwise.invalid/fhir/CodeSystem/diary",
                                           "code": "daily-diary"}]},
                      "effectiveDateTime": "2026-01-05",
                      "component": [{"code": {"coding": [{"system": "https://gutwise.invalid/fhir/CodeSystem/diary",
                                                          "code": "fatigue"}]}, "valueInteger": 14}]}}]}
    with pytest.raises(InvalidInput):
        import_text(uow=uow, actor=SYSTEM, text=json.dumps(bundle), filename="f.json", today=date(2026, 6, 1))
    assert (_count(uow, Patient), _count(uow, DiaryDay)) == (0, 0)


def test_only_clinicians_import(uow):
    from gutwise.core.authz import Role

    for role in (Role.patient, Role.admin):
        with pytest.raises(Forbidden):
            import_text(uow=uow, actor=Actor(1, role, "someone"), text="{}", filename="x.json")
