from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from gutwise.core.audit import AuditEvent
from gutwise.core.errors import InvalidInput, NotFound
from gutwise.diary import service
from gutwise.diary.models import DiaryDay
from gutwise.diary.service import DayInput
from tests.world import build_world

D = date(2026, 2, 1)


def _count(uow, model=DiaryDay):
    with uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_second_entry_for_a_date_updates_the_day(uow):
    world = build_world(uow)
    before = _count(uow)
    service.log_day(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=D, entry={"fatigue": 4})
    saved = service.log_day(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=D,
                            entry={"fatigue": 6, "crash": True, "note": "later"})
    assert _count(uow) == before + 1
    assert (saved.fatigue, saved.crash, saved.note) == (6, True, "later")
    assert service.get_day(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=D) == saved


def test_bad_entries_are_refused_with_the_field_and_nothing_is_written(uow):
    world = build_world(uow)
    before = _count(uow)
    with pytest.raises(InvalidInput) as err:
        service.log_day(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=D, entry={"fatigue": 12})
    assert err.value.errors[0].field == "fatigue"
    with pytest.raises(InvalidInput) as err:
        service.log_day(uow=uow, actor=world.patient_a, patient_id=world.a_id,
                        day=date.today() + timedelta(days=5), entry={"fatigue": 1})
    assert err.value.errors[0].field == "day"
    assert _count(uow) == before


def test_bulk_write_lists_every_bad_row_and_writes_nothing(uow, system):
    world = build_world(uow)
    before = _count(uow)
    rows = [DayInput(world.a_id, D + timedelta(days=i), {"fatigue": f}) for i, f in enumerate([1, 99, 2, -3, 4])]
    rows.append(DayInput(world.a_id, D, {"fatigue": 5, "sleepy": True}))
    with pytest.raises(InvalidInput) as err:
        service.log_days(uow=uow, actor=system, days=rows, source="test.csv")
    lines = [e.line() for e in err.value.errors]
    assert lines == [
        "test.csv row 2: fatigue: Input should be less than or equal to 10",
        "test.csv row 4: fatigue: Input should be greater than or equal to 0",
        "test.csv row 6: sleepy: Extra inputs are not permitted",
    ]
    assert _count(uow) == before


def test_bulk_write_upserts_and_checks_access_for_every_patient(uow):
    world = build_world(uow)
    days = [DayInput(world.a_id, D + timedelta(days=i), {"fatigue": i % 11}) for i in range(30)]
    assert service.log_days(uow=uow, actor=world.patient_a, days=days) == 30
    assert service.log_days(uow=uow, actor=world.patient_a, days=days[:5]) == 5  # same days again: updates
    got = service.list_diary(uow=uow, actor=world.patient_a, patient_id=world.a_id, start=D,
                             end=D + timedelta(days=29))
    assert len(got) == 30 and [g.day for g in got] == sorted(g.day for g in got)
    before = _count(uow)
    with pytest.raises(NotFound):
        service.log_days(uow=uow, actor=world.patient_a,
                         days=[DayInput(world.a_id, D - timedelta(days=1), {"fatigue": 1}),
                               DayInput(world.b_id, D, {"fatigue": 1})])
    assert _count(uow) == before


def test_every_read_and_write_is_audited(uow):
    world = build_world(uow)
    with uow:
        start = uow.session.scalar(select(func.max(AuditEvent.id)))
    service.log_day(uow=uow, actor=world.clinician, patient_id=world.a_id, day=D, entry={"fatigue": 2})
    service.list_diary(uow=uow, actor=world.clinician, patient_id=world.a_id)
    service.get_day(uow=uow, actor=world.patient_a, patient_id=world.a_id, day=D)
    with uow:
        events = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.id > start).order_by(AuditEvent.id)))
    assert [(e.actor_user_id, e.action, e.entity, e.patient_id) for e in events] == [
        (world.clinician.user_id, "write", "diary_day", world.a_id),
        (world.clinician.user_id, "read", "diary_day", world.a_id),
        (world.patient_a.user_id, "read", "diary_day", world.a_id),
    ]
    assert events[0].entity_id == D.isoformat() and events[0].at is not None


def test_a_refused_read_leaves_no_trace_of_data(uow):
    world = build_world(uow)
    for actor in (world.patient_b, world.clinician_pending, world.clinician_withdrawn, world.admin):
        with pytest.raises(NotFound):
            service.list_diary(uow=uow, actor=actor, patient_id=world.a_id)
        with pytest.raises(NotFound):
            service.log_day(uow=uow, actor=actor, patient_id=world.a_id, day=D, entry={"fatigue": 1})


def test_summaries_cover_only_visible_patients(uow):
    world = build_world(uow)
    out = service.summaries(uow=uow, actor=world.clinician, patient_ids=[world.a_id, world.b_id],
                            since=date(2026, 1, 1), until=date(2026, 1, 31))
    assert set(out) == {world.a_id}
    assert (out[world.a_id].logged, out[world.a_id].crash_days, out[world.a_id].mean_fatigue) == (1, 1, 7.0)
