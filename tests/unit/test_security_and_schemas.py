from datetime import date

import pytest

from gutwise.accounts.schemas import PatientCreate, UserCreate
from gutwise.core import security
from gutwise.core.errors import InvalidInput
from gutwise.core.settings import Settings, database_url_from
from gutwise.core.validation import parse
from gutwise.diary.schemas import DiaryEntry


def test_argon2_hash_verifies_only_the_right_password():
    h = security.hash_password("a long passphrase")
    assert h.startswith("$argon2id$")
    assert security.verify_password(h, "a long passphrase")
    assert not security.verify_password(h, "a long passphrasE")
    assert not security.verify_password(None, "anything at all")
    assert not security.verify_password("not-a-hash", "anything at all")


def test_tokens_are_random_and_stored_as_digests():
    t1, t2 = security.new_token("gw_"), security.new_token("gw_")
    assert t1 != t2 and t1.startswith("gw_") and len(t1) > 40
    assert security.token_digest(t1) != t1 and len(security.token_digest(t1)) == 64


@pytest.mark.parametrize(("value", "ok"), [(0, True), (10, True), (-1, False), (11, False), ("7", True),
                                           ("seven", False), (None, True)])
def test_diary_fatigue_range(value, ok):
    if ok:
        assert parse(DiaryEntry, {"fatigue": value}).fatigue == (None if value is None else int(value))
    else:
        with pytest.raises(InvalidInput) as err:
            parse(DiaryEntry, {"fatigue": value})
        assert err.value.errors[0].field == "fatigue"


def test_diary_rejects_unknown_fields_and_overlong_notes():
    with pytest.raises(InvalidInput) as err:
        parse(DiaryEntry, {"fatigue": 3, "mood": 2, "note": "x" * 5000})
    fields = {e.field for e in err.value.errors}
    assert fields == {"mood", "note"}


def test_patient_birth_date_fills_year_and_rejects_contradictions():
    p = parse(PatientCreate, {"label": "x", "birth_date": "1980-02-03"})
    assert p.birth_year == 1980
    with pytest.raises(InvalidInput):
        parse(PatientCreate, {"label": "x", "birth_date": "1980-02-03", "birth_year": 1981})
    with pytest.raises(InvalidInput):
        parse(PatientCreate, {"label": "x", "birth_date": "1980-02-03", "illness_onset": date(1979, 1, 1)})


def test_user_email_and_password_rules():
    u = parse(UserCreate, {"email": " Ann@Example.ORG ", "password": "0123456789", "role": "patient",
                           "display_name": "Ann"})
    assert u.email == "ann@example.org"
    with pytest.raises(InvalidInput) as err:
        parse(UserCreate, {"email": "nope", "password": "short", "role": "boss", "display_name": "Ann"})
    assert {e.field for e in err.value.errors} == {"email", "password", "role"}


def test_db_option_takes_a_path_or_a_url(tmp_path):
    assert database_url_from("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url_from(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    s = Settings(data_dir=tmp_path, database_url=None)
    assert s.resolved_database_url() == f"sqlite:///{tmp_path / 'gutwise.db'}"
    assert s.resolved_database_url("postgresql+psycopg://x/y") == "postgresql+psycopg://x/y"
