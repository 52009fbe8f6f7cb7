"""A small cast of accounts with every relationship the authorization rules distinguish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gutwise.accounts import service
from gutwise.accounts.models import Consent
from gutwise.core.authz import Actor, Role
from gutwise.core.uow import UnitOfWork
from gutwise.diary import service as diary_service

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class World:
    patient_a: Actor
    patient_b: Actor
    clinician: Actor  # linked to A with consent granted
    clinician_pending: Actor  # linked to A, consent pending
    clinician_withdrawn: Actor  # linked to A, consent withdrawn
    clinician_other: Actor  # linked to nobody
    admin: Actor
    a_id: int  # patient A's record
    response_id: int  # a questionnaire response of patient A
    draft_item_id: int  # an item of patient A's draft plan
    design_id: int  # an n-of-1 experiment of patient A
    b_id: int  # patient B's record
    link_ids: dict[str, int]
    emails: dict[str, str]


def build_world(uow: UnitOfWork) -> World:
    system = Actor.system("test")
    emails, actors = {}, {}
    for key, role in [("patient_a", Role.patient), ("patient_b", Role.patient), ("clinician", Role.clinician),
                      ("clinician_pending", Role.clinician), ("clinician_withdrawn", Role.clinician),
                      ("clinician_other", Role.clinician), ("admin", Role.admin)]:
        email = f"{key.replace('_', '.')}@example.org"
        user = service.register_user(uow=uow, actor=system,
                                     data={"email": email, "password": PASSWORD, "role": role,
                                           "display_name": f"Account {key}"})
        emails[key] = email
        actors[key] = Actor(user.id, role, f"user:{user.id}")
    a = service.create_patient(uow=uow, actor=system, data={"label": "Patient A", "birth_year": 1985, "sex": "female",
                                                           "illness_onset": date(2020, 3, 1),
                                                           "user_id": actors["patient_a"].user_id})
    b = service.create_patient(uow=uow, actor=system, data={"label": "Patient B", "birth_year": 1990,
                                                           "user_id": actors["patient_b"].user_id})
    links = {}
    for key, consent in [("clinician", Consent.granted), ("clinician_pending", Consent.pending),
                         ("clinician_withdrawn", Consent.withdrawn)]:
        link = service.link_clinician(uow=uow, actor=system, clinician_id=actors[key].user_id, patient_id=a.id,
                                      consent=consent)
        links[key] = link.id
    diary_service.log_day(uow=uow, actor=system, patient_id=a.id, day=date(2026, 1, 5),
                          entry={"fatigue": 7, "crash": True, "note": "SECRET-NOTE-OF-A"})
    diary_service.log_day(uow=uow, actor=system, patient_id=b.id, day=date(2026, 1, 5),
                          entry={"fatigue": 3, "note": "SECRET-NOTE-OF-B"})
    # Patient A has a finished screening and a second one in progress.
    from gutwise.screening import service as screening_service

    screening_service.save_intake_step(uow=uow, actor=system, patient_id=a.id, step_id="about",
                                       part={"age": 40, "sex": "female"})
    screening_service.complete_intake(uow=uow, actor=system, patient_id=a.id)
    screening_service.save_intake_step(uow=uow, actor=system, patient_id=a.id, step_id="about",
                                       part={"age": 41, "sex": "female"})
    # Patient A has an approved plan (from day 0 = 2026-01-01) and a newer draft.
    from gutwise.protocol import service as protocol_service

    protocol_service.propose_plan(uow=uow, actor=actors["clinician"], patient_id=a.id)
    protocol_service.approve(uow=uow, actor=actors["clinician"], patient_id=a.id, start_date=date(2026, 1, 1))
    draft = protocol_service.propose_plan(uow=uow, actor=actors["clinician"], patient_id=a.id,
                                          medicines=["warfarin"])
    response = screening_service.save_response(uow=uow, actor=system, patient_id=a.id, instrument_id="phq9",
                                               answers=[1, 0, 0, 0, 0, 0, 0, 0, 0], source="test")
    from gutwise.outcomes import experiments
    from gutwise.outcomes.design import DesignSpec

    design = experiments.create_design(
        uow=uow, actor=system, patient_id=a.id, today=date(2026, 2, 1),
        spec=DesignSpec("coq10", "ABAB", 14, 3, 1, "fatigue", 1.0, date(2026, 3, 1)))
    return World(a_id=a.id, b_id=b.id, response_id=response.id, draft_item_id=draft.items[0].id, link_ids=links,
                 design_id=design.id, emails=emails, **actors)
