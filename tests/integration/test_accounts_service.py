from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gutwise.accounts import service
from gutwise.accounts.models import Consent, WebSession
from gutwise.core.audit import AuditEvent
from gutwise.core.authz import Role
from gutwise.core.db import utcnow
from gutwise.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.world import PASSWORD, build_world


def test_register_hashes_with_argon2_and_refuses_duplicates(uow, system):
    user = service.register_user(uow=uow, actor=system, data={"email": "Ann@Example.org", "password": PASSWORD,
                                                              "role": "clinician", "display_name": "Ann"})
    assert user.email == "ann@example.org"
    with uow:
        from gutwise.accounts.models import User

        stored = uow.session.get(User, user.id)
        assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    with pytest.raises(Conflict):
        service.register_user(uow=uow, actor=system, data={"email": "ann@example.org", "password": PASSWORD,
                                                           "role": "patient", "display_name": "Ann 2"})


def test_only_admins_register_users(uow):
    world = build_world(uow)
    for actor in (world.patient_a, world.clinician):
        with pytest.raises(Forbidden):
            service.register_user(uow=uow, actor=actor, data={"email": "x@example.org", "password": PASSWORD,
                                                              "role": "admin", "display_name": "X"})
    made = service.register_user(uow=uow, actor=world.admin, data={"email": "x@example.org", "password": PASSWORD,
                                                                   "role": "clinician", "display_name": "X"})
    assert made.role is Role.clinician


def test_sign_in_gives_one_generic_message_for_every_failure(uow):
    world = build_world(uow)
    messages = set()
    for email, password in [(world.emails["patient_a"], "wrong password!"), ("nobody@example.org", PASSWORD)]:
        with pytest.raises(InvalidInput) as err:
            service.sign_in(uow=uow, email=email, password=password, session_days=1)
        messages.add(str(err.value))
    service.set_user_active(uow=uow, actor=world.admin, user_id=world.patient_b.user_id, active=False)
    with pytest.raises(InvalidInput) as err:
        service.sign_in(uow=uow, email=world.emails["patient_b"], password=PASSWORD, session_days=1)
    messages.add(str(err.value))
    assert len(messages) == 1
    ok = service.sign_in(uow=uow, email=world.emails["patient_a"].upper(), password=PASSWORD, session_days=1)
    assert ok.user.role is Role.patient
    with uow:
        actions = [e.action for e in uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("login_failed") == 3 and actions[-1] == "login"


def test_sessions_expire_and_end_with_sign_out_or_deactivation(uow):
    world = build_world(uow)
    s = service.sign_in(uow=uow, email=world.emails["clinician"], password=PASSWORD, session_days=1)
    assert service.session_for(uow=uow, token=s.session_token).actor == s.actor
    assert service.session_for(uow=uow, token="forged") is None
    service.sign_out(uow=uow, token=s.session_token)
    assert service.session_for(uow=uow, token=s.session_token) is None

    s2 = service.sign_in(uow=uow, email=world.emails["clinician"], password=PASSWORD, session_days=1)
    with uow:
        uow.session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    assert service.session_for(uow=uow, token=s2.session_token) is None

    s3 = service.sign_in(uow=uow, email=world.emails["clinician"], password=PASSWORD, session_days=1)
    token = service.create_api_token(uow=uow, actor=world.clinician, name="t")
    assert service.actor_for_api_token(uow=uow, token=token) == world.clinician
    service.set_user_active(uow=uow, actor=world.admin, user_id=world.clinician.user_id, active=False)
    assert service.session_for(uow=uow, token=s3.session_token) is None
    assert service.actor_for_api_token(uow=uow, token=token) is None


def test_revoked_api_tokens_stop_working(uow):
    world = build_world(uow)
    token = service.create_api_token(uow=uow, actor=world.patient_a, name="phone")
    [info] = service.list_api_tokens(uow=uow, actor=world.patient_a)
    with pytest.raises(NotFound):
        service.revoke_api_token(uow=uow, actor=world.patient_b, token_id=info.id)
    service.revoke_api_token(uow=uow, actor=world.patient_a, token_id=info.id)
    assert service.actor_for_api_token(uow=uow, token=token) is None


def test_patient_visibility_follows_role_and_consent(uow):
    world = build_world(uow)

    def ids(actor):
        return [p.id for p in service.list_patients(uow=uow, actor=actor)]

    assert ids(world.patient_a) == [world.a_id]
    assert ids(world.patient_b) == [world.b_id]
    assert ids(world.clinician) == [world.a_id]
    assert ids(world.clinician_pending) == []
    assert ids(world.clinician_withdrawn) == []
    assert ids(world.clinician_other) == []
    assert ids(world.admin) == []
    for actor in (world.patient_b, world.clinician_pending, world.clinician_other, world.admin):
        with pytest.raises(NotFound):
            service.get_patient(uow=uow, actor=actor, patient_id=world.a_id)
    with pytest.raises(NotFound):
        service.get_patient(uow=uow, actor=world.clinician, patient_id=99999)


def test_patient_grants_and_withdraws_consent(uow):
    world = build_world(uow)
    link = world.link_ids["clinician_pending"]
    with pytest.raises(NotFound):
        service.set_consent(uow=uow, actor=world.patient_b, link_id=link, consent=Consent.granted)
    with pytest.raises(NotFound):
        service.set_consent(uow=uow, actor=world.clinician_pending, link_id=link, consent=Consent.granted)
    service.set_consent(uow=uow, actor=world.patient_a, link_id=link, consent=Consent.granted)
    assert [p.id for p in service.list_patients(uow=uow, actor=world.clinician_pending)] == [world.a_id]
    service.set_consent(uow=uow, actor=world.patient_a, link_id=world.link_ids["clinician"],
                        consent=Consent.withdrawn)
    assert service.list_patients(uow=uow, actor=world.clinician) == []


def test_a_clinician_who_registers_a_patient_is_linked(uow):
    world = build_world(uow)
    p = service.create_patient(uow=uow, actor=world.clinician_other, data={"label": "New", "birth_year": 1970})
    assert [x.id for x in service.list_patients(uow=uow, actor=world.clinician_other)] == [p.id]
    with pytest.raises(Forbidden):
        service.create_patient(uow=uow, actor=world.patient_a, data={"label": "Me again"})
    with pytest.raises(InvalidInput):
        service.create_patient(uow=uow, actor=world.admin,
                               data={"label": "X", "user_id": world.clinician.user_id})
    with pytest.raises(Conflict):
        service.create_patient(uow=uow, actor=world.admin, data={"label": "X", "user_id": world.patient_a.user_id})
