from datetime import date

from sqlalchemy import select

from gutwise.accounts import service as accounts_service
from gutwise.accounts.models import CareLink, Consent, Patient
from gutwise.core.authz import Actor
from gutwise.demo.service import DEMO_LOGINS, load_demo
from gutwise.diary import service as diary_service
from gutwise.diary.models import DiaryDay

END = date(2026, 6, 30)


def _content(uow):
    with uow:
        patients = [(p.label, p.sex, p.birth_year, p.illness_onset, p.synthetic)
                    for p in uow.session.scalars(select(Patient).order_by(Patient.id))]
        days = [(d.patient_id, d.day, d.fatigue, d.crash, d.note)
                for d in uow.session.scalars(select(DiaryDay).order_by(DiaryDay.patient_id, DiaryDay.day))]
    return patients, days


def test_demo_is_synthetic_linked_and_reproducible(uow, engine, tmp_path):
    result = load_demo(uow=uow, n_patients=12, seed=42, end=END)
    assert result.patients == 12
    patients, days = _content(uow)
    assert all(p[-1] for p in patients)
    assert len(days) == result.diary_days
    assert 12 * 200 < len(days) < 12 * 365
    with uow:
        links = list(uow.session.scalars(select(CareLink)))
    assert len(links) == 12
    assert sum(link.consent is Consent.pending for link in links) == 1  # patient 10 has not consented yet

    # The demo patient can sign in and sees only their own record.
    email, password = DEMO_LOGINS[0][:2]
    signed = accounts_service.sign_in(uow=uow, email=email, password=password, session_days=1)
    assert [p.label for p in accounts_service.list_patients(uow=uow, actor=signed.actor)] == ["Demo patient 001"]

    # Same seed and end date, fresh database: the same data.
    from gutwise.core import migrate
    from gutwise.core.db import make_engine
    from gutwise.core.uow import UnitOfWork

    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    migrate.upgrade(other)
    load_demo(uow=UnitOfWork(other), n_patients=12, seed=42, end=END)
    assert _content(UnitOfWork(other)) == (patients, days)


def test_demo_diaries_read_back_through_the_service(uow):
    load_demo(uow=uow, n_patients=2, seed=1, end=END)
    rows = diary_service.list_diary(uow=uow, actor=Actor.system("test"), patient_id=1)
    assert rows[-1].day <= END
    assert all(0 <= r.fatigue <= 10 for r in rows)
