from datetime import date, timedelta

import pytest
from fhir.resources.R4B.careplan import CarePlan

from gutwise.accounts import service as accounts_service
from gutwise.core.errors import Forbidden, InvalidInput
from gutwise.interop.fhir_careplan import careplan
from gutwise.labs import service as labs_service
from gutwise.protocol import service
from tests.web_helpers import sign_in
from tests.world import build_world

PANEL = "patient,analyte,value,unit,ref_low,ref_high,collected,lab\n" + "".join(
    f"A,lps_iga_{o},0.9,{{OD}},,0.5,2026-01-05,Lab\n" for o in
    ("hafnia_alvei", "pseudomonas_aeruginosa", "morganella_morganii")) + "A,ttg_iga,1.0,U/mL,,7,2026-01-05,Lab\n" \
    + "A,body_weight,64,kg,,,2026-01-05,Lab\n"


def _with_labs(uow):
    world = build_world(uow)
    labs_service.import_file(uow=uow, actor=world.clinician, patient_id=world.a_id, text=PANEL, filename="p.csv")
    return world


def test_build_check_edit_and_approve(uow):
    world = _with_labs(uow)
    draft = service.propose_plan(uow=uow, actor=world.clinician, patient_id=world.a_id, medicines=["ciprofloxacin"],
                                 dietitian_referral=True)
    names = [i.intervention for i in draft.items]
    assert "gluten_free" in names  # coeliac serology is on record and normal
    assert not draft.can_approve  # NAC and zinc have no dose yet
    zinc = next(i for i in draft.items if i.intervention == "zinc")
    assert {i.check for i in zinc.issues} >= {"dose_missing", "interaction"}
    with pytest.raises(InvalidInput, match="cannot be approved yet"):
        service.approve(uow=uow, actor=world.clinician, patient_id=world.a_id, start_date=date(2026, 2, 1))
    # the patient still sees the older approved plan only, never the draft
    seen = service.current_plan(uow=uow, actor=world.patient_a, patient_id=world.a_id)
    assert seen.status == "approved"
    assert "zinc" not in [i.intervention for i in seen.items]

    for item in draft.items:
        if item.intervention in ("nac", "zinc"):
            draft = service.edit_item(uow=uow, actor=world.clinician, patient_id=world.a_id, item_id=item.id,
                                      dose_amount=600 if item.intervention == "nac" else 45, times_per_day=1,
                                      start_day=item.start_day)
    zinc = next(i for i in draft.items if i.intervention == "zinc")
    assert ("dose_above_upper_limit", "block") in {(i.check, i.severity) for i in zinc.issues}
    draft = service.edit_item(uow=uow, actor=world.clinician, patient_id=world.a_id, item_id=zinc.id,
                              dose_amount=15, times_per_day=1, start_day=zinc.start_day)
    assert draft.can_approve
    with pytest.raises(Forbidden):
        service.approve(uow=uow, actor=world.patient_a, patient_id=world.a_id, start_date=date(2026, 2, 1))
    approved = service.approve(uow=uow, actor=world.clinician, patient_id=world.a_id, start_date=date(2026, 2, 1))
    assert approved.status == "approved"
    seen = service.current_plan(uow=uow, actor=world.patient_a, patient_id=world.a_id)
    assert seen.id == approved.id
    history = service.history(uow=uow, actor=world.patient_a, patient_id=world.a_id)
    starts = [(e.on_date, e.intervention) for e in history if e.kind == "start" and e.on_date >= date(2026, 2, 1)]
    assert starts[0] == (date(2026, 2, 1), "pacing")
    assert len({d for d, _ in starts}) == len(starts)  # one new item per date
    stops = [e for e in history if e.kind == "stop"]
    assert {e.intervention for e in stops} == {"pacing", "stress_management"}  # the superseded plan's items


def test_adherence_checklist_and_weekly_percentages(uow):
    world = build_world(uow)  # approved plan from 2026-01-01: pacing (day 0), stress management (day 14)
    with pytest.raises(InvalidInput, match="not active"):
        service.record_adherence(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=date(2026, 1, 5),
                                 statuses={"stress_management": "taken"})
    for offset, status in enumerate(["taken", "taken", "partly", "skipped"]):
        service.record_adherence(uow=uow, actor=world.patient_a, patient_id=world.a_id,
                                 day=date(2026, 1, 5) + timedelta(days=offset), statuses={"pacing": status})
    service.record_adherence(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=date(2026, 1, 5),
                             statuses={"pacing": "skipped"})  # a second answer for a day replaces the first
    weeks = service.weekly_adherence(uow=uow, actor=world.clinician, patient_id=world.a_id, today=date(2026, 1, 11))
    week2 = next(w for w in weeks["pacing"] if w["week"] == "2026-W02")
    assert week2 == {"week": "2026-W02", "days": 7, "answered": 4, "percent": round(100 * 1.5 / 4)}
    with pytest.raises(InvalidInput):
        service.record_adherence(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=date(2026, 1, 6),
                                 statuses={"pacing": "yes"})


def test_careplan_export_is_valid_fhir(uow):
    world = _with_labs(uow)
    draft = service.propose_plan(uow=uow, actor=world.clinician, patient_id=world.a_id, exclude=["nac", "zinc"],
                                 dietitian_referral=True)
    approved = service.approve(uow=uow, actor=world.clinician, patient_id=world.a_id, start_date=date(2026, 2, 1))
    assert draft.id == approved.id
    resource = careplan(approved, patient_id=world.a_id)
    parsed = CarePlan.model_validate(resource)
    kinds = {c.get_resource_type() for c in parsed.contained}
    assert kinds == {"MedicationStatement", "NutritionOrder"}
    glutamine = next(c for c in parsed.contained if c.id == "ms-glutamine")
    assert glutamine.dosage[0].text == "7 g a day"
    assert "very low certainty" in glutamine.note[0].text


def test_the_web_journey_clinician_builds_and_patient_reads(client, uow):
    world = _with_labs(uow)
    csrf = sign_in(client, world.emails["clinician"])
    r = client.post(f"/patients/{world.a_id}/plan/propose", data={"csrf_token": csrf, "medicines": "warfarin",
                                                                   "exclude": ["nac", "zinc"],
                                                                   "dietitian_referral": "on"})
    assert r.status_code == 303
    page = client.get(f"/patients/{world.a_id}/plan").text
    assert "Why this is in the plan" in page
    assert "IgA against 3 of 3 LPS above the lab cut-off" in page
    assert "Approve the plan" in page
    r = client.post(f"/patients/{world.a_id}/plan/approve", data={"csrf_token": csrf, "start_date": "2026-02-01"})
    assert r.status_code == 303
    sign_in(client, world.emails["patient_a"])
    page = client.get(f"/patients/{world.a_id}/plan").text
    assert "Your plan" in page
    assert "Why this is in my plan" in page
    assert "How sure is this?" in page
    assert "Approve the plan" not in page
    evidence = client.get("/evidence").text
    assert "Leaky gut causes chronic fatigue syndrome." in evidence
    assert 'id="ref-maes_leunis2008"' in evidence
    token = accounts_service.create_api_token(uow=uow, actor=world.patient_a, name="t")
    fhir = client.get(f"/api/v1/patients/{world.a_id}/plan/fhir", headers={"Authorization": f"Bearer {token}"})
    assert fhir.json()["resourceType"] == "CarePlan"


def test_the_diary_shows_todays_checklist_and_saves_it(client, uow):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["patient_a"])
    page = client.get("/today").text
    assert "Your plan today" in page
    assert 'name="plan__pacing"' in page
    r = client.post(f"/diary/{date.today().isoformat()}", data={"csrf_token": csrf, "fatigue": "4",
                                                                "plan__pacing": "partly"})
    assert r.status_code == 303
    assert service.adherence_on(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=date.today()) == {
        "pacing": "partly"}


def test_all_done_as_planned_marks_the_whole_checklist(client, uow):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["patient_a"])
    client.post(f"/diary/{date.today().isoformat()}", data={"csrf_token": csrf, "fatigue": "4", "plan_all": "taken"})
    statuses = service.adherence_on(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=date.today())
    assert statuses == {"pacing": "taken", "stress_management": "taken"}
