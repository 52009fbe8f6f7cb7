"""Use cases of the accounts step. Keyword-only, one transaction each, every patient access audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from gutwise.accounts import access
from gutwise.accounts.models import ApiToken, CareLink, Consent, Patient, User, WebSession
from gutwise.accounts.schemas import CareLinkOut, PatientCreate, PatientOut, UserCreate, UserOut
from gutwise.core import audit, security
from gutwise.core.authz import Actor, Role
from gutwise.core.db import utcnow
from gutwise.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gutwise.core.uow import UnitOfWork
from gutwise.core.validation import parse

LOGIN_FAILED = "The e-mail address or the password is not right."


def _actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, label=f"user:{user.id}")


def _require_admin(actor: Actor) -> None:
    if not access.may_manage_accounts(actor):
        raise Forbidden("only an administrator manages accounts")


# --- users -----------------------------------------------------------------------------------------------


def register_user(*, uow: UnitOfWork, actor: Actor, data: UserCreate | dict[str, Any]) -> UserOut:
    """Create an account (administrators and the CLI operator only)."""
    _require_admin(actor)
    new = parse(UserCreate, data)
    with uow:
        if uow.session.scalar(select(User.id).where(User.email == new.email)) is not None:
            raise Conflict(f"an account for {new.email} already exists")
        user = User(
            email=new.email,
            password_hash=security.hash_password(new.password),
            role=new.role,
            display_name=new.display_name,
        )
        uow.session.add(user)
        uow.flush()
        audit.record(uow, actor=actor, action="create", entity="user", entity_id=user.id)
        uow.commit()
        return UserOut.model_validate(user)


def list_users(*, uow: UnitOfWork, actor: Actor) -> list[UserOut]:
    _require_admin(actor)
    with uow:
        users = uow.session.scalars(select(User).order_by(User.id))
        return [UserOut.model_validate(u) for u in users]


def set_user_active(*, uow: UnitOfWork, actor: Actor, user_id: int, active: bool) -> UserOut:
    """Deactivate (or reactivate) an account; deactivation also ends its sessions and revokes its tokens."""
    _require_admin(actor)
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound("user")
        if actor.user_id == user_id and not active:
            raise Forbidden("you cannot deactivate your own account")
        user.active = active
        if not active:
            for s in uow.session.scalars(select(WebSession).where(WebSession.user_id == user_id)):
                uow.session.delete(s)
            for t in uow.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)):
                t.revoked_at = t.revoked_at or utcnow()
        audit.record(uow, actor=actor, action="update", entity="user", entity_id=user_id,
                     detail={"active": active})
        uow.commit()
        return UserOut.model_validate(user)


def count_users(*, uow: UnitOfWork) -> int:
    with uow:
        return int(uow.session.scalar(select(func.count(User.id))) or 0)


# --- sign-in, sessions and tokens ------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    user: UserOut
    session_token: str
    csrf_token: str


def sign_in(*, uow: UnitOfWork, email: str, password: str, session_days: int) -> SignedIn:
    """Check the password and open a web session. Any failure gives the same generic message."""
    with uow:
        user = uow.session.scalar(select(User).where(User.email == email.strip().lower()))
        ok = security.verify_password(user.password_hash if user else None, password)
        if user is None or not ok or not user.active:
            audit.record(uow, actor=Actor(None, None, "anonymous"), action="login_failed", entity="user",
                         entity_id=user.id if user else None)
            uow.commit()
            raise InvalidInput.one("email", LOGIN_FAILED)
        if security.needs_rehash(user.password_hash):
            user.password_hash = security.hash_password(password)
        token, csrf = security.new_token(), security.new_token()
        uow.session.add(WebSession(token_hash=security.token_digest(token), user_id=user.id, csrf_token=csrf,
                                   expires_at=utcnow() + timedelta(days=session_days)))
        user.last_login_at = utcnow()
        actor = _actor_of(user)
        audit.record(uow, actor=actor, action="login", entity="user", entity_id=user.id)
        uow.commit()
        return SignedIn(actor, UserOut.model_validate(user), token, csrf)


@dataclass(frozen=True)
class Session:
    actor: Actor
    user: UserOut
    csrf_token: str


def session_for(*, uow: UnitOfWork, token: str) -> Session | None:
    """The signed-in user behind a session cookie, or None when it is unknown, expired or the user inactive."""
    with uow:
        row = uow.session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == security.token_digest(token))
        ).first()
        if row is None:
            return None
        web_session, user = row
        if web_session.expires_at <= utcnow() or not user.active:
            return None
        return Session(_actor_of(user), UserOut.model_validate(user), web_session.csrf_token)


def sign_out(*, uow: UnitOfWork, token: str) -> None:
    with uow:
        web_session = uow.session.scalar(
            select(WebSession).where(WebSession.token_hash == security.token_digest(token))
        )
        if web_session is not None:
            uow.session.delete(web_session)
            audit.record(uow, actor=Actor(web_session.user_id, None, f"user:{web_session.user_id}"),
                         action="logout", entity="user", entity_id=web_session.user_id)
        uow.commit()


def create_api_token(*, uow: UnitOfWork, actor: Actor, user_email: str | None = None, name: str) -> str:
    """A new personal API token; the token is returned once and only its digest is kept.

    A signed-in user makes tokens for themselves; the CLI operator may make one for any account by e-mail.
    """
    with uow:
        if user_email is not None:
            _require_admin(actor)
            user = uow.session.scalar(select(User).where(User.email == user_email.strip().lower()))
            if user is None:
                raise NotFound("user")
            user_id = user.id
        elif actor.user_id is not None:
            user_id = actor.user_id
        else:
            raise InvalidInput.one("user", "name the account the token is for")
        token = security.new_token("gw_")
        uow.session.add(ApiToken(user_id=user_id, name=name[:80], token_hash=security.token_digest(token)))
        audit.record(uow, actor=actor, action="create", entity="api_token", entity_id=user_id)
        uow.commit()
        return token


def actor_for_api_token(*, uow: UnitOfWork, token: str) -> Actor | None:
    with uow:
        row = uow.session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == security.token_digest(token))
        ).first()
        if row is None:
            return None
        api_token, user = row
        if api_token.revoked_at is not None or not user.active:
            return None
        api_token.last_used_at = utcnow()
        uow.commit()
        return _actor_of(user)


# --- patients and care teams -----------------------------------------------------------------------------


def create_patient(
    *, uow: UnitOfWork, actor: Actor, data: PatientCreate | dict[str, Any], consent_granted: bool = True
) -> PatientOut:
    """Register a patient. A clinician who registers one is linked to them, with the consent they record."""
    if actor.is_patient:
        raise Forbidden("patients are registered by their clinic")
    new = parse(PatientCreate, data)
    with uow:
        if new.user_id is not None:
            owner = uow.session.get(User, new.user_id)
            if owner is None or owner.role is not Role.patient:
                raise InvalidInput.one("user_id", "is not a patient account")
            if uow.session.scalar(select(Patient.id).where(Patient.user_id == new.user_id)) is not None:
                raise Conflict("this account already has a patient record")
        patient = Patient(**new.model_dump())
        uow.session.add(patient)
        uow.flush()
        audit.record(uow, actor=actor, action="create", entity="patient", entity_id=patient.id,
                     patient_id=patient.id)
        if actor.is_clinician:
            assert actor.user_id is not None
            _link(uow, actor=actor, clinician_id=actor.user_id, patient_id=patient.id,
                  consent=Consent.granted if consent_granted else Consent.pending)
        uow.commit()
        return PatientOut.model_validate(patient)


def _link(uow: UnitOfWork, *, actor: Actor, clinician_id: int, patient_id: int, consent: Consent) -> CareLink:
    link = uow.session.scalar(
        select(CareLink).where(CareLink.clinician_id == clinician_id, CareLink.patient_id == patient_id)
    )
    if link is None:
        link = CareLink(clinician_id=clinician_id, patient_id=patient_id, consent=consent)
        uow.session.add(link)
    elif link.consent != consent:
        link.consent, link.consent_changed_at = consent, utcnow()
    uow.flush()
    audit.record(uow, actor=actor, action="link", entity="care_link", entity_id=link.id, patient_id=patient_id,
                 detail={"clinician_id": clinician_id, "consent": consent.value})
    return link


def link_clinician(
    *, uow: UnitOfWork, actor: Actor, clinician_id: int, patient_id: int, consent: Consent = Consent.pending
) -> CareLinkOut:
    """Put a clinician in a patient's care team (administrators and the CLI operator)."""
    _require_admin(actor)
    with uow:
        clinician = uow.session.get(User, clinician_id)
        if clinician is None or clinician.role is not Role.clinician:
            raise InvalidInput.one("clinician_id", "is not a clinician account")
        if uow.session.get(Patient, patient_id) is None:
            raise NotFound("patient")
        link = _link(uow, actor=actor, clinician_id=clinician_id, patient_id=patient_id, consent=consent)
        uow.commit()
        return CareLinkOut.model_validate(link)


def set_consent(*, uow: UnitOfWork, actor: Actor, link_id: int, consent: Consent) -> CareLinkOut:
    """The patient grants or withdraws a clinician's access to their records."""
    with uow:
        link = uow.session.get(CareLink, link_id)
        if link is None:
            raise NotFound("care link")
        patient = uow.session.get(Patient, link.patient_id)
        own = patient is not None and actor.is_patient and patient.user_id == actor.user_id
        if not (own or actor.is_system):
            raise NotFound("care link")
        link.consent, link.consent_changed_at = consent, utcnow()
        audit.record(uow, actor=actor, action="consent", entity="care_link", entity_id=link.id,
                     patient_id=link.patient_id, detail={"consent": consent.value})
        uow.commit()
        return CareLinkOut.model_validate(link)


@dataclass(frozen=True)
class CareTeamMember:
    link_id: int
    clinician_name: str
    consent: Consent


def care_team(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> list[CareTeamMember]:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        rows = uow.session.execute(
            select(CareLink.id, User.display_name, CareLink.consent)
            .join(User, User.id == CareLink.clinician_id)
            .where(CareLink.patient_id == patient_id)
            .order_by(CareLink.id)
        )
        team = [CareTeamMember(link_id, name, consent) for link_id, name, consent in rows]
        audit.record(uow, actor=actor, action="read", entity="care_team", patient_id=patient_id)
        uow.commit()
        return team


def list_patients(*, uow: UnitOfWork, actor: Actor) -> list[PatientOut]:
    """The patients whose records the actor may see (a patient: themselves)."""
    with uow:
        patients = uow.session.scalars(select(Patient).where(access.patient_scope(actor)).order_by(Patient.id))
        out = [PatientOut.model_validate(p) for p in patients]
        audit.record(uow, actor=actor, action="list", entity="patient", detail={"count": len(out)})
        uow.commit()
        return out


def get_patient(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> PatientOut:
    with uow:
        patient = access.require_patient(uow, actor=actor, patient_id=patient_id)
        audit.record(uow, actor=actor, action="read", entity="patient", entity_id=patient_id,
                     patient_id=patient_id)
        uow.commit()
        return PatientOut.model_validate(patient)


def own_patient_id(*, uow: UnitOfWork, actor: Actor) -> int | None:
    """The patient record of a patient account (None for other roles or an account without one)."""
    if not actor.is_patient:
        return None
    with uow:
        return uow.session.scalar(select(Patient.id).where(Patient.user_id == actor.user_id))


def count_patients(*, uow: UnitOfWork) -> int:
    with uow:
        return int(uow.session.scalar(select(func.count(Patient.id))) or 0)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    created_at: Any
    last_used_at: Any
    revoked: bool


def list_api_tokens(*, uow: UnitOfWork, actor: Actor) -> list[TokenInfo]:
    with uow:
        rows = uow.session.scalars(select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id))
        return [TokenInfo(t.id, t.name, t.created_at, t.last_used_at, t.revoked_at is not None) for t in rows]


def revoke_api_token(*, uow: UnitOfWork, actor: Actor, token_id: int) -> None:
    with uow:
        token = uow.session.get(ApiToken, token_id)
        if token is None or token.user_id != actor.user_id:
            raise NotFound("token")
        token.revoked_at = token.revoked_at or utcnow()
        audit.record(uow, actor=actor, action="revoke", entity="api_token", entity_id=token_id)
        uow.commit()


def me(*, uow: UnitOfWork, actor: Actor) -> UserOut:
    with uow:
        user = uow.session.get(User, actor.user_id) if actor.user_id is not None else None
        if user is None:
            raise NotFound("user")
        return UserOut.model_validate(user)
