from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gutwise.diary.models import DiaryDay
from gutwise.web.app import route_table
from tests.web_helpers import csrf_from, sign_in
from tests.world import PASSWORD, build_world


def test_login_sets_a_safe_session_cookie_and_logout_ends_it(client, uow):
    world = build_world(uow)
    page = client.get("/login")
    r = client.post("/login", data={"email": world.emails["patient_a"], "password": PASSWORD,
                                    "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    assert r.headers["location"] == "/today"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("gutwise_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http on 127.0.0.1
    assert client.get("/today").status_code == 200
    csrf = csrf_from(client.get("/today").text)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/today").status_code == 303  # back to the login page


def test_session_cookie_is_secure_over_https(app, uow):
    world = build_world(uow)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        page = c.get("/login")
        r = c.post("/login", data={"email": world.emails["clinician"], "password": PASSWORD,
                                   "csrf_token": csrf_from(page.text)})
        cookie = next(x for x in r.headers.get_list("set-cookie") if x.startswith("gutwise_session="))
        assert "Secure" in cookie


def test_wrong_password_and_unknown_email_get_the_same_message(client, uow):
    world = build_world(uow)
    bodies = []
    for email, password in [(world.emails["patient_a"], "not the password"), ("who@example.org", PASSWORD)]:
        page = client.get("/login")
        r = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)})
        assert r.status_code == 400
        assert "The e-mail address or the password is not right." in r.text
        assert f'value="{email}"' in r.text  # what was typed is kept
        bodies.append(r.text.replace(email, "EMAIL"))
    assert csrf_from(bodies[0]) != csrf_from(bodies[1])


def test_login_without_the_form_token_is_refused(client, uow):
    world = build_world(uow)
    client.get("/login")
    r = client.post("/login", data={"email": world.emails["patient_a"], "password": PASSWORD})
    assert r.status_code == 403


def test_every_form_post_needs_the_csrf_token(app, client, uow):
    world = build_world(uow)
    sign_in(client, world.emails["admin"])
    posts = [path for method, path in route_table() if method == "POST" and not path.startswith("/api/")]
    assert len(posts) >= 8
    for route in posts:
        path = route.format(day="2026-01-05", user_id=1, token_id=1, link_id=1, patient_id=1, step_id="about",
                            instrument_id="phq9", item_id=1, intervention="pacing", request_id=1)
        r = client.post(path, data={"fatigue": "3", "active": "true", "consent": "granted"})
        assert r.status_code == 403, route


def test_patient_saves_today_and_a_second_save_updates_the_day(client, uow, engine):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["patient_a"])
    today = date.today().isoformat()
    r = client.post(f"/diary/{today}", data={"csrf_token": csrf, "fatigue": "5", "note": "first"})
    assert r.status_code == 303
    r = client.post(f"/diary/{today}", data={"csrf_token": csrf, "fatigue": "6", "crash": "on", "note": "second"})
    assert r.status_code == 303
    page = client.get("/today")
    assert 'value="6" checked' in page.text
    assert "second" in page.text
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(DiaryDay).where(DiaryDay.day == date.today())).scalar()
    assert n == 1


def test_an_invalid_field_rerenders_the_form_with_a_message_and_keeps_the_text(client, uow):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["patient_a"])
    r = client.post(f"/diary/{date.today().isoformat()}",
                    data={"csrf_token": csrf, "fatigue": "11", "note": "typed with care"})
    assert r.status_code == 422
    assert "Choose a number from 0 to 10." in r.text
    assert 'id="fatigue-error"' in r.text
    assert "typed with care" in r.text


def test_htmx_autosave_answers_with_a_status_line(client, uow):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["patient_a"])
    r = client.post(f"/diary/{date.today().isoformat()}", data={"csrf_token": csrf, "fatigue": "2"},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.startswith("Saved at")
    bad = client.post(f"/diary/{date.today().isoformat()}", data={"csrf_token": csrf, "fatigue": "x"},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert "Not saved" in bad.text


def test_clinician_list_shows_only_consenting_patients(client, uow):
    world = build_world(uow)
    sign_in(client, world.emails["clinician"])
    page = client.get("/patients")
    assert "Patient A" in page.text
    assert "Patient B" not in page.text
    sign_in(client, world.emails["clinician_pending"])
    page = client.get("/patients")
    assert "Patient A" not in page.text
    assert "No patients are linked to you" in page.text


def test_roles_land_on_their_home_and_others_pages_are_closed(client, uow):
    world = build_world(uow)
    for key, home in [("patient_a", "/today"), ("clinician", "/patients"), ("admin", "/admin/users")]:
        sign_in(client, world.emails[key])
        assert client.get("/").headers["location"] == home
    sign_in(client, world.emails["patient_a"])
    assert client.get("/admin/users").status_code == 403
    sign_in(client, world.emails["clinician"])
    assert client.get("/today").status_code == 404  # a clinician has no diary of their own


def test_admin_creates_an_account_and_bad_fields_come_back_marked(client, uow):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["admin"])
    r = client.post("/admin/users", data={"csrf_token": csrf, "email": "not-an-email", "display_name": "New",
                                          "role": "clinician", "password": "short"})
    assert r.status_code == 422
    assert 'id="email-error"' in r.text
    assert 'id="password-error"' in r.text
    assert 'value="New"' in r.text
    r = client.post("/admin/users", data={"csrf_token": csrf, "email": "new@example.org", "display_name": "New",
                                          "role": "clinician", "password": "a good long password"})
    assert r.status_code == 200
    assert "new@example.org created" in r.text


def test_pages_carry_security_headers(client):
    r = client.get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


def test_patient_page_is_open_to_linked_clinician_only(client, uow):
    world = build_world(uow)
    sign_in(client, world.emails["clinician"])
    page = client.get(f"/patients/{world.a_id}")
    assert page.status_code == 200
    assert "Patient A" in page.text
    assert "missing, not a good day" in page.text
    sign_in(client, world.emails["clinician_other"])
    assert client.get(f"/patients/{world.a_id}").status_code == 404
    assert "Patient A" not in client.get(f"/patients/{world.a_id}").text
