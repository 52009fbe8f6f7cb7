"""The learn step on a real database (SQLite and PostgreSQL): progress, experiments, cohort, the demo's truth."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from gutwise.accounts import service as accounts_service
from gutwise.core.audit import AuditEvent
from gutwise.core.authz import Actor
from gutwise.core.errors import Forbidden, InvalidInput
from gutwise.demo.service import load_demo
from gutwise.demo.simulate import simulate_cohort
from gutwise.diary import service as diary_service
from gutwise.outcomes import experiments, service
from gutwise.outcomes.design import DesignSpec
from gutwise.protocol import service as protocol_service

SYSTEM = Actor.system("test")
END = date(2026, 6, 30)


def _diary(uow, patient_id, start, values):
    rows = [diary_service.DayInput(patient_id, start + timedelta(days=i), {"fatigue": int(v)})
            for i, v in enumerate(values) if v is not None]
    diary_service.log_days(uow=uow, actor=SYSTEM, days=rows, source="test")


def _series(rng, n, shifts, phi=0.3):
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0, 0.6)
    y = 6 + e
    for day, size in shifts:
        y[day:] += size
    return [None if rng.random() < 0.08 else float(np.clip(np.rint(v), 0, 10)) for v in y]


def test_progress_finds_a_known_effect_of_a_plan_change(uow):
    patient = accounts_service.create_patient(uow=uow, actor=SYSTEM,
                                              data={"label": "Known effect", "birth_year": 1980})
    start = date(2026, 1, 1)
    protocol_service.propose_plan(uow=uow, actor=SYSTEM, patient_id=patient.id)
    plan = protocol_service.approve(uow=uow, actor=SYSTEM, patient_id=patient.id, start_date=start + timedelta(60))
    first_day = min(i.start_date for i in plan.items)
    offset = (first_day - start).days
    # the patient's fatigue drops by 2 points from the plan's first change on; nothing else changes
    _diary(uow, patient.id, start, _series(np.random.default_rng(4), 200, [(offset, -2.0)]))
    p = service.progress(uow=uow, actor=SYSTEM, patient_id=patient.id)
    first = p.changes[0]
    assert first.change.day == first_day
    assert first.result.ci95[0] <= -2.0 <= first.result.ci95[1]
    assert first.result.p_benefit_gt_mid > 0.9
    assert "lower (better)" in first.words
    out = p.as_json()
    assert out["nof1"]["changes"][0]["label"] == first.change.label
    with uow:
        reads = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.patient_id == patient.id,
                                                                  AuditEvent.action == "read")))
    assert {"diary_day", "plan_event", "adherence", "questionnaire_response"} <= {r.entity for r in reads}


def test_progress_without_a_plan_says_so(uow):
    patient = accounts_service.create_patient(uow=uow, actor=SYSTEM, data={"label": "No plan"})
    _diary(uow, patient.id, date(2026, 1, 1), [5] * 20)
    p = service.progress(uow=uow, actor=SYSTEM, patient_id=patient.id)
    assert p.nof1 is None and p.changes == []
    assert "No plan changes yet" in p.notes[0]


def test_an_experiment_is_fixed_before_its_data_and_reported(uow):
    patient = accounts_service.create_patient(uow=uow, actor=SYSTEM, data={"label": "Experimenter"})
    spec = DesignSpec("coq10", "ABAB", 28, 7, 1, "fatigue", 1.0, date(2026, 2, 1))
    with pytest.raises(InvalidInput, match="before its data"):
        experiments.create_design(uow=uow, actor=SYSTEM, patient_id=patient.id, spec=spec, today=date(2026, 2, 1))
    with pytest.raises(InvalidInput, match="use the AB design"):
        experiments.create_design(uow=uow, actor=SYSTEM, patient_id=patient.id, today=date(2026, 1, 1),
                                  spec=DesignSpec("pacing", "ABAB", 28, 7, 1, "fatigue", 1.0, date(2026, 2, 1)))
    design = experiments.create_design(uow=uow, actor=SYSTEM, patient_id=patient.id, spec=spec,
                                       today=date(2026, 1, 20))
    assert [p.arm for p in design.periods] == ["A", "B", "A", "B"]
    assert design.end == date(2026, 2, 1) + timedelta(days=112)
    # with CoQ10, fatigue is 1.5 lower: B periods are days 28-55 and 84-111
    rng = np.random.default_rng(6)
    values = []
    for i in range(112):
        b = 28 <= i < 56 or i >= 84
        values.append(float(np.clip(np.rint(6 - 1.5 * b + rng.normal(0, 0.7)), 0, 10)))
    _diary(uow, patient.id, date(2026, 2, 1), values)
    running = experiments.report(uow=uow, actor=SYSTEM, patient_id=patient.id, design_id=design.id,
                                 today=date(2026, 3, 1))
    assert running.status == "running" and running.result.effect is None
    done = experiments.report(uow=uow, actor=SYSTEM, patient_id=patient.id, design_id=design.id,
                              today=date(2026, 6, 1))
    assert done.status == "complete" and done.result.adequate
    assert done.result.ci95[0] <= -1.5 <= done.result.ci95[1]
    # washouts are left out after each switch (not before the first period)
    assert (done.result.days_before, done.result.days_after) == (28 + 21, 21 + 21)
    assert any("not recorded" in line for line in done.limitations)
    assert json.dumps(done.as_json())


def test_random_pairs_store_their_seed_and_parse_form_reports_every_problem(uow):
    patient = accounts_service.create_patient(uow=uow, actor=SYSTEM, data={"label": "Random"})
    d = experiments.create_design(uow=uow, actor=SYSTEM, patient_id=patient.id, today=date(2026, 1, 1),
                                  spec=DesignSpec("coq10", "random_pairs", 14, 3, 3, "fatigue", 1.0,
                                                  date(2026, 2, 1)))
    assert d.spec.seed is not None and sorted(d.periods[0:2], key=lambda p: p.arm)[0].arm == "A"
    assert [sorted(p.arm for p in d.periods[i:i + 2]) for i in (0, 2, 4)] == [["A", "B"]] * 3
    with pytest.raises(InvalidInput) as exc:
        experiments.parse_form({"intervention": "unicorn", "design": "XYZ", "period_days": "400", "mid": "-1",
                                "start": "soon"})
    fields = {e.field for e in exc.value.errors}
    assert fields == {"intervention", "design", "period_days", "mid", "start"}


def test_cohort_over_the_demo(uow):
    # 21 patients: just enough baselines (20) for the clinic SD that the FibroFatigue RCI needs
    load_demo(uow=uow, n_patients=21, seed=7, end=END)
    out = service.cohort(uow=uow, actor=SYSTEM)
    assert out["patients"] == 21 and out["responder_sd"]["source"] == "clinic baseline"
    assert {"observational", "responders", "by_group", "logistic", "time_to_response", "pooled_effects",
            "table"} <= set(out)
    assert out["responders"]["n"] == sum(1 for t in out["table"] if t["status"] in ("improved", "unchanged",
                                                                                    "worse"))
    assert "glutamine" in out["pooled_effects"]
    assert out["responders"]["n"] == 21
    assert any("per variable" in w for w in out["logistic"]["warnings"])  # 21 patients: few events per variable
    clinician = accounts_service.sign_in(uow=uow, email="clinician@demo.gutwise.invalid",
                                         password="demo-clinician-pass", session_days=1).actor
    seen = service.cohort(uow=uow, actor=clinician, pool=False)
    assert seen["patients"] == 19  # demo patients 10 and 20 have not consented
    patient = accounts_service.sign_in(uow=uow, email="patient@demo.gutwise.invalid", password="demo-patient-pass",
                                       session_days=1).actor
    with pytest.raises(Forbidden):
        service.cohort(uow=uow, actor=patient)


def test_the_analysis_recovers_the_demo_truth():
    """The simulator draws a true effect of one item per patient (helped, no effect, harmed); the n-of-1 analysis
    of the simulated diary must cover it with its 95% interval for most patients and order the groups."""
    from gutwise.outcomes.nof1 import Change, analyse

    cohort = [p for p in simulate_cohort(40, seed=7, end=END) if p.plan]
    covered, by_kind = 0, {"helped": [], "no effect": [], "harmed": []}
    for p in cohort:
        changes = [Change(p.plan.start + timedelta(days=s), name) for name, s in p.plan.items]
        result = analyse([d.day for d in p.days], [d.fatigue for d in p.days], changes)
        focal = next(c for c in result.changes if c.label == p.plan.focal)
        covered += focal.ci95[0] <= p.plan.effect <= focal.ci95[1]
        by_kind[p.plan.effect_kind].append(focal.effect)
    # the simulator is not the model (rounded 0-10 scores, crash tails, curved courses): 95% is not expected
    assert covered >= 0.85 * len(cohort), (covered, len(cohort))
    means = {k: float(np.mean(v)) for k, v in by_kind.items() if v}
    assert means["helped"] < means["no effect"] < means["harmed"]


def test_progress_cohort_and_experiment_pages(client, uow):
    from tests.web_helpers import sign_in
    from tests.world import build_world

    world = build_world(uow)
    sign_in(client, world.emails["patient_a"])
    page = client.get(f"/patients/{world.a_id}/progress")
    assert page.status_code == 200
    assert "Your progress" in page.text and "not a trial" in page.text
    assert "<svg" in page.text and "Pacing and energy management" in page.text
    assert "no verdict yet" in page.text  # one diary day: not enough data, said plainly
    assert client.get("/cohort").status_code == 403

    csrf = sign_in(client, world.emails["clinician"])
    cohort = client.get("/cohort")
    assert cohort.status_code == 200 and "Observational" in cohort.text and "Patient A" in cohort.text
    assert "Patient B" not in cohort.text  # not linked to this clinician
    bad = client.post(f"/patients/{world.a_id}/experiments", data={
        "csrf_token": csrf, "intervention": "pacing", "design": "ABAB", "period_days": "21", "washout_days": "7",
        "pairs": "1", "outcome": "fatigue", "mid": "1", "start": (date.today() + timedelta(days=3)).isoformat()})
    assert bad.status_code == 422 and "use the AB design" in bad.text
    ok = client.post(f"/patients/{world.a_id}/experiments", data={
        "csrf_token": csrf, "intervention": "coq10", "design": "ABBA", "period_days": "21", "washout_days": "7",
        "pairs": "1", "outcome": "fatigue", "mid": "1", "start": (date.today() + timedelta(days=3)).isoformat()})
    assert ok.status_code == 303
    report = client.get(ok.headers["location"])
    assert report.status_code == 200 and "Planned" in report.text and "A B B A" in report.text
    assert "Limitations" in report.text and "<svg" in report.text
    api = client.get(f"/api/v1/patients/{world.a_id}/experiments")
    assert api.status_code == 401  # the API takes tokens, not the page session
