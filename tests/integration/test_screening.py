from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from gutwise.core.errors import Forbidden, InvalidInput, NotFound
from gutwise.screening import intake_flow, service
from gutwise.screening.models import QuestionnaireResponse
from tests.web_helpers import sign_in
from tests.world import build_world

FULL = {
    "about": {"age": "34", "sex": "female"},
    "fatigue": {"duration": "18", "duration_unit": "months", "new_onset": "yes", "lifelong": "no",
                "due_to_ongoing_exertion": "no", "relieved_by_rest": "no", "substantial_activity_reduction": "yes",
                "pem_lasts_over_24h": "yes"},
    "energy": {"fatigue_frequency": "4", "fatigue_severity": "3", "soreness_frequency": "3",
               "soreness_severity": "3", "minexercise_frequency": "3", "minexercise_severity": "2"},
    "sleep_pain": {"unrefreshed_frequency": "4", "unrefreshed_severity": "3", "pain_frequency": "2",
                   "pain_severity": "2", "memory_frequency": "3", "memory_severity": "2",
                   "attention_frequency": "2", "attention_severity": "2"},
    "body": {},
    "infection_pain": {"sore_throat__frequency": "1", "sore_throat__severity": "1",
                       "tender_lymph_nodes__frequency": "0", "tender_lymph_nodes__severity": "0",
                       "joint_pain__frequency": "2", "joint_pain__severity": "3",
                       "new_headaches__frequency": "2", "new_headaches__severity": "2"},
    "other_symptoms": {"orthostatic_intolerance__frequency": "3", "orthostatic_intolerance__severity": "2"},
    "conditions": {},
    "red_flags": {"ids": ["weight_loss"]},
    "mood": {f"phq9_{i}": "1" for i in range(1, 10)},
    "worry": {f"gad7_{i}": "0" for i in range(1, 8)},
    "activities": {f"pf{i:02d}": "2" for i in range(3, 13)},
}


def test_a_patient_saves_questionnaires_but_not_the_clinician_rated_scale(uow):
    world = build_world(uow)
    saved = service.save_response(uow=uow, actor=world.patient_a, patient_id=world.a_id, instrument_id="gad7",
                                  answers=[1, 1, 1, 1, 1, 1, 1])
    assert (saved.total, saved.band) == (7, "mild")
    with pytest.raises(Forbidden):
        service.save_response(uow=uow, actor=world.patient_a, patient_id=world.a_id,
                              instrument_id="fibrofatigue", answers=[3] * 12)
    ff = service.save_response(uow=uow, actor=world.clinician, patient_id=world.a_id,
                               instrument_id="fibrofatigue", answers=[3] * 12)
    assert ff.total == 36
    with pytest.raises(NotFound):
        service.save_response(uow=uow, actor=world.clinician_other, patient_id=world.a_id,
                              instrument_id="gad7", answers=[0] * 7)
    with pytest.raises(InvalidInput) as err:
        service.save_response(uow=uow, actor=world.patient_a, patient_id=world.a_id, instrument_id="gad7",
                              answers={"gad7_1": 9})
    assert err.value.errors[0].field == "answers.gad7_1"
    with pytest.raises(InvalidInput):
        service.save_response(uow=uow, actor=world.patient_a, patient_id=world.a_id, instrument_id="gad7",
                              answers=[0] * 7, answered_on=date.today() + timedelta(days=3))
    assert [r.instrument for r in service.list_responses(uow=uow, actor=world.clinician, patient_id=world.a_id)
            if r.source == "web"] == ["gad7", "fibrofatigue"]


def test_a_bad_step_is_refused_whole_and_the_intake_keeps_its_earlier_answers(uow):
    world = build_world(uow)
    before = service.current_intake(uow=uow, actor=world.patient_a, patient_id=world.a_id)
    with pytest.raises(InvalidInput) as err:
        service.save_intake_step(uow=uow, actor=world.patient_a, patient_id=world.a_id, step_id="about",
                                 part={"age": 300, "sex": "female"})
    assert err.value.errors[0].field == "age"
    after = service.current_intake(uow=uow, actor=world.patient_a, patient_id=world.a_id)
    assert after.data == before.data


def test_schedule_defaults_and_a_clinician_change(uow):
    world = build_world(uow)
    rows = {r.instrument: r for r in service.schedule(uow=uow, actor=world.patient_a, patient_id=world.a_id)}
    assert rows["phq9"].every_months == 1
    assert [o.month for o in rows["fibrofatigue"].occasions] == [0, 3, 6, 10, 14]
    # the world's patient A answered a PHQ-9 today but no GAD-7: the first GAD-7 is due, the PHQ-9 is done
    assert rows["gad7"].due_now is not None
    assert rows["phq9"].occasions[0].status == "done"
    with pytest.raises(Forbidden):
        service.set_schedule(uow=uow, actor=world.patient_a, patient_id=world.a_id, instrument_id="phq9",
                             every_months=2)
    service.set_schedule(uow=uow, actor=world.clinician, patient_id=world.a_id, instrument_id="phq9",
                         every_months=2)
    rows = {r.instrument: r for r in service.schedule(uow=uow, actor=world.patient_a, patient_id=world.a_id)}
    assert rows["phq9"].custom
    assert [o.month for o in rows["phq9"].occasions][:3] == [0, 2, 4]
    with pytest.raises(InvalidInput):
        service.set_schedule(uow=uow, actor=world.clinician, patient_id=world.a_id, instrument_id="phq9",
                             every_months=2, at_months=[0, 3])


def test_the_web_intake_end_to_end_with_stop_and_resume(client, uow, engine):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["patient_b"])
    base = f"/patients/{world.b_id}/intake"
    assert client.get(base).headers["location"] == f"{base}/about"
    r = client.post(f"{base}/about", data={"csrf_token": csrf, "action": "stop", **FULL["about"]})
    assert r.headers["location"].endswith("/screening?saved=1")
    assert "Continue where you stopped" in client.get(f"/patients/{world.b_id}/screening").text
    assert client.get(base).headers["location"] == f"{base}/fatigue"  # resumes at the next page
    bad = client.post(f"{base}/fatigue", data={"csrf_token": csrf, **FULL["fatigue"], "duration": "-3"})
    assert bad.status_code == 422
    assert 'id="duration_months-error"' in bad.text
    for step in intake_flow.STEPS[1:]:
        r = client.post(f"{base}/{step.id}", data={"csrf_token": csrf, "action": "next", **FULL[step.id]})
        assert r.status_code == 303, (step.id, r.text[:400])
    assert r.headers["location"] == f"{base}/review"
    assert "See my results" in client.get(f"{base}/review").text
    r = client.post(f"{base}/complete", data={"csrf_token": csrf})
    assert r.headers["location"] == f"/patients/{world.b_id}/screening/result"
    page = client.get(r.headers["location"]).text
    # red flags come before the definitions, which are explained criterion by criterion
    assert page.index("See a doctor before anything else") < page.index("The case definitions")
    assert "Meets the research criteria" in page
    assert "dsq_sf.soreness: frequency 3, severity 3" in page
    assert "you have me/cfs" not in page.lower()
    with engine.connect() as conn:
        filed = dict(conn.execute(select(QuestionnaireResponse.instrument, QuestionnaireResponse.total)
                                  .where(QuestionnaireResponse.patient_id == world.b_id)).all())
    assert filed == {"dsq_sf": None, "phq9": 9, "gad7": 0, "rand36_pf": 50}


def test_phq9_item9_alert_is_shown_first_on_the_result(client, uow):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["patient_b"])
    base = f"/patients/{world.b_id}/intake"
    client.post(f"{base}/mood", data={"csrf_token": csrf, **{f"phq9_{i}": "0" for i in range(1, 9)},
                                      "phq9_9": "1"})
    client.post(f"{base}/complete", data={"csrf_token": csrf})
    page = client.get(f"/patients/{world.b_id}/screening/result").text
    assert page.index("thoughts of being better off dead") < page.index("The case definitions")
    assert "116 123" in page
    sign_in(client, world.emails["clinician"])  # B is not linked to this clinician
    assert client.get(f"/patients/{world.b_id}/screening/result").status_code == 404


def test_clinician_rates_fibrofatigue_in_the_web_app(client, uow, engine):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["clinician"])
    url = f"/patients/{world.a_id}/questionnaires/fibrofatigue"
    assert "Rate each item" in client.get(url).text
    r = client.post(url, data={"csrf_token": csrf, **{i.id: "2" for i in _ff_items()}})
    assert r.status_code == 200
    assert "Score 24" in r.text
    sign_in(client, world.emails["patient_a"])
    assert "rated by your clinician" in client.get(url).text
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(QuestionnaireResponse)
                            .where(QuestionnaireResponse.instrument == "fibrofatigue")).scalar() == 1


def _ff_items():
    from gutwise import knowledge

    return knowledge.instrument("fibrofatigue").items


def test_api_scores_and_keeps_a_response_and_names_bad_items(client, uow):
    from gutwise.accounts import service as accounts_service

    world = build_world(uow)
    token = accounts_service.create_api_token(uow=uow, actor=world.patient_a, name="t")
    headers = {"Authorization": f"Bearer {token}"}
    r = client.post(f"/api/v1/patients/{world.a_id}/responses", headers=headers,
                    json={"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 2], "answered_on": "2026-01-02"})
    assert r.status_code == 201
    body = r.json()
    assert (body["total"], body["band"]) == (2, "minimal")
    assert body["result"]["alerts"][0]["id"] == "phq9_item9"
    bad = client.post(f"/api/v1/patients/{world.a_id}/responses", headers=headers,
                      json={"instrument": "phq9", "answers": {"phq9_1": 4, "phq9_99": 1}})
    assert bad.status_code == 422
    assert {tuple(d["loc"]) for d in bad.json()["detail"]} == {("body", "answers", "phq9_1"),
                                                              ("body", "answers", "phq9_99")}
    screened = client.post("/api/v1/screen", headers=headers, json={"fatigue": {"duration_months": 2}})
    assert set(screened.json()) >= {"definitions", "exclusions", "red_flags", "advice"}
