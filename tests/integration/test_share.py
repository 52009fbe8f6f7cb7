"""Reports (HTML and PDF), the CSV, research and REDCap exports, the right of access and erasure."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from gutwise.accounts import service as accounts_service
from gutwise.accounts.models import Patient, User
from gutwise.core.audit import AuditEvent
from gutwise.core.authz import Actor
from gutwise.core.db import Base
from gutwise.core.errors import Conflict, Forbidden
from gutwise.demo.service import load_demo
from gutwise.interop import rights, tabular
from gutwise.reports import content, render

SYSTEM = Actor.system("test")
END = date(2026, 6, 30)


@pytest.fixture
def demo(uow):
    load_demo(uow=uow, n_patients=3, seed=11, end=END)
    return uow


def _pdf_text(data: bytes) -> tuple[str, pdfium.PdfDocument]:
    doc = pdfium.PdfDocument(data)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))), doc


def test_patient_report_for_a_demo_patient_has_every_section(demo):
    data = content.gather(uow=demo, actor=SYSTEM, patient_id=1, audience="patient")
    html = render.html(data)
    for heading in ("My screening", "My plan and why", "How I have been", "My test results",
                    "Questions to ask my doctor"):
        assert f">{heading}</h2>" in html
    assert "<svg" in html and "<title>" in html  # charts carry their own accessible title
    assert "Synthetic demo data" in html
    text, doc = _pdf_text(render.pdf(data, page="a4"))
    assert "My gutwise report" in text and "Did each change help?" in text and "not a diagnosis" in text
    assert "could plausibly be anywhere from" in text
    width, height = doc[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    image = doc[0].render(scale=2).to_pil()
    assert abs(image.size[0] - 1190) <= 2 and abs(image.size[1] - 1684) <= 2
    assert len(image.convert("L").getcolors(maxcolors=256) or range(257)) > 20  # text and colour, not blank
    doc.close()


def test_clinician_report_sections_and_letter_paper(demo):
    data = content.gather(uow=demo, actor=SYSTEM, patient_id=1, audience="clinician")
    text, doc = _pdf_text(render.pdf(data, page="letter"))
    for part in ("Screening: case definitions", "Instrument scores over time", "LPS IgA/IgM panel over time",
                 "Microbiome diversity", "Plan, adherence, medicines and safety", "n-of-1 results (CENT layout)",
                 "Data provenance", "Reliable change"):
        assert part in text, part
    assert tuple(round(x) for x in doc[0].get_size()) == (612, 792)  # US Letter
    doc.close()


def test_a_new_patient_gets_a_sensible_report(uow):
    p = accounts_service.create_patient(uow=uow, actor=SYSTEM, data={"label": "Brand new"})
    for audience in ("patient", "clinician"):
        data = content.gather(uow=uow, actor=SYSTEM, patient_id=p.id, audience=audience)  # type: ignore[arg-type]
        text, doc = _pdf_text(render.pdf(data))
        doc.close()
        assert "Not done yet" in text or "No completed screening intake" in text
        assert "not much here yet" in text or "Almost no data yet" in text


def test_a_patient_cannot_get_the_clinician_report_and_dates_filter(demo):
    patient = accounts_service.sign_in(uow=demo, email="patient@demo.gutwise.invalid", password="demo-patient-pass",
                                       session_days=1).actor
    with pytest.raises(Forbidden):
        content.gather(uow=demo, actor=patient, patient_id=1, audience="clinician")
    window = content.gather(uow=demo, actor=SYSTEM, patient_id=1, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert window.progress.diary and all(date(2026, 3, 1) <= d <= date(2026, 3, 31) for d, _ in
                                         window.progress.diary)
    assert window.diary_days == len(window.progress.diary)


def test_patient_zip_holds_everything_and_the_audit_trail(demo):
    data = tabular.patient_zip(uow=demo, actor=SYSTEM, patient_id=1)
    z = zipfile.ZipFile(io.BytesIO(data))
    names = set(z.namelist())
    assert {"README.txt", "patients.csv", "diary.csv", "questionnaire_answers.csv", "lab_results.csv",
            "microbiome_abundances.csv", "plan_items.csv", "adherence.csv", "audit_trail.csv",
            "fhir_bundle.json"} <= names
    diary = list(csv.DictReader(io.StringIO(z.read("diary.csv").decode())))
    assert diary and {"patient_id", "date", "fatigue", "crash", "note"} <= set(diary[0])
    assert {r["patient_id"] for r in diary} == {"1"}
    assert json.loads(z.read("fhir_bundle.json"))["resourceType"] == "Bundle"
    research = zipfile.ZipFile(io.BytesIO(tabular.cohort_zip(uow=demo, actor=SYSTEM)))
    assert "audit_trail.csv" not in research.namelist()
    header = research.read("patients.csv").decode().splitlines()[0]
    assert "label" not in header and "note" not in research.read("diary.csv").decode().splitlines()[0]


def test_redcap_dictionary_and_records_agree(demo):
    dictionary = list(csv.DictReader(io.StringIO(tabular.redcap_dictionary())))
    assert list(dictionary[0]) == tabular.REDCAP_COLUMNS
    assert dictionary[0]["Variable / Field Name"] == "record_id"
    names = [r["Variable / Field Name"] for r in dictionary]
    assert len(names) == len(set(names)) and all(n.replace("_", "").isalnum() and n[0].isalpha() for n in names)
    radios = [r for r in dictionary if r["Field Type"] == "radio"]
    assert all(" | " in r["Choices, Calculations, OR Slider Labels"] for r in radios)
    records = list(csv.DictReader(io.StringIO(tabular.redcap_records(uow=demo, actor=SYSTEM))))
    fields = set(records[0]) - {"redcap_repeat_instrument", "redcap_repeat_instance"}
    assert fields == set(names)
    ff = [r for r in records if r["redcap_repeat_instrument"] == "fibrofatigue"]
    assert ff and all(r["fibrofatigue_total"] for r in ff)
    forms = {r["Form Name"] for r in dictionary}
    assert {r["redcap_repeat_instrument"] for r in records} - {""} <= forms


def test_erasure_removes_everything_and_keeps_only_that_it_happened(demo):
    patient = accounts_service.sign_in(uow=demo, email="patient@demo.gutwise.invalid", password="demo-patient-pass",
                                       session_days=1).actor
    clinician = accounts_service.sign_in(uow=demo, email="clinician@demo.gutwise.invalid",
                                         password="demo-clinician-pass", session_days=1).actor
    with pytest.raises(Forbidden):
        rights.request_erasure(uow=demo, actor=clinician, patient_id=1)
    req = rights.request_erasure(uow=demo, actor=patient, patient_id=1)
    assert rights.request_erasure(uow=demo, actor=patient, patient_id=1).id == req.id  # asking twice: one request
    with pytest.raises(Forbidden):
        rights.complete_erasure(uow=demo, actor=clinician, request_id=req.id)
    admin = accounts_service.sign_in(uow=demo, email="admin@demo.gutwise.invalid", password="demo-admin-pass",
                                     session_days=1).actor
    done = rights.complete_erasure(uow=demo, actor=admin, request_id=req.id)
    assert done.status == "completed" and done.summary["rows_removed"]["diary_days"] > 200
    with demo:
        s = demo.session
        for table in Base.metadata.sorted_tables:
            if "patient_id" in table.c and table.name not in ("audit_events", "erasure_requests"):
                assert s.scalar(select(func.count()).select_from(table).where(table.c.patient_id == 1)) == 0, \
                    table.name
        assert s.get(Patient, 1) is None
        assert s.scalar(select(User).where(User.email == "patient@demo.gutwise.invalid")) is None
        trail = list(s.scalars(select(AuditEvent).where(AuditEvent.patient_id == 1)))
        assert [(e.action, e.entity) for e in trail] == [("erase", "patient")]
        assert s.scalar(select(func.count()).select_from(Patient)) == 2  # the others are untouched
    with pytest.raises(Conflict):
        rights.complete_erasure(uow=demo, actor=admin, request_id=req.id)
