"""Walk every API route as every role, and as an unrelated patient, and prove that no record leaks.

The table below must name every route the app serves: a new route without an entry fails this test.
"""

from __future__ import annotations

import pytest

from gutwise.accounts import service as accounts_service
from gutwise.core.authz import Actor
from gutwise.screening import service as screening_service
from gutwise.web.app import route_table
from tests.world import build_world

ROLES = ["anonymous", "patient_a", "patient_b", "clinician", "clinician_pending", "clinician_withdrawn",
         "clinician_other", "admin"]
A_READERS = {"patient_a", "clinician"}  # who may see patient A's records
SECRETS = {"SECRET-NOTE-OF-A": A_READERS, "SECRET-NOTE-OF-B": {"patient_b"}}

# (method, path) -> (who succeeds, success status, status for everyone else signed in, request builder)
ROUTES = {
    ("GET", "/api/v1/me"): (set(ROLES) - {"anonymous"}, 200, None, lambda w: {}),
    ("GET", "/api/v1/patients"): (set(ROLES) - {"anonymous"}, 200, None, lambda w: {}),
    ("POST", "/api/v1/patients"): ({"clinician", "clinician_pending", "clinician_withdrawn", "clinician_other",
                                    "admin"}, 201, 403, lambda w: {"json": {"label": "Made in test"}}),
    ("GET", "/api/v1/patients/{patient_id}"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/care-team"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/users"): ({"admin"}, 200, 403, lambda w: {}),
    ("POST", "/api/v1/users"): ({"admin"}, 201, 403, lambda w: {
        "json": {"email": f"new-{w.counter()}@example.org", "password": "a long password", "role": "clinician",
                 "display_name": "New"}}),
    ("POST", "/api/v1/care-links"): ({"admin"}, 201, 403, lambda w: {
        "params": {"clinician_id": w.world.clinician_other.user_id, "patient_id": w.world.b_id}}),
    ("PUT", "/api/v1/care-links/{link_id}/consent"): ({"patient_a"}, 200, 404,
                                                     lambda w: {"params": {"consent": "granted"}}),
    ("GET", "/api/v1/patients/{patient_id}/diary"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/diary/{day}"): (A_READERS, 200, 404, lambda w: {}),
    ("PUT", "/api/v1/patients/{patient_id}/diary/{day}"): (A_READERS, 200, 404,
                                                          lambda w: {"json": {"fatigue": 5}}),
    ("GET", "/api/v1/instruments"): (set(ROLES) - {"anonymous"}, 200, None, lambda w: {}),
    ("GET", "/api/v1/instruments/{instrument_id}"): (set(ROLES) - {"anonymous"}, 200, None, lambda w: {}),
    ("POST", "/api/v1/screen"): (set(ROLES) - {"anonymous"}, 200, None,
                                 lambda w: {"json": {"fatigue": {"duration_months": 7}}}),
    ("GET", "/api/v1/patients/{patient_id}/responses"): (A_READERS, 200, 404, lambda w: {}),
    ("POST", "/api/v1/patients/{patient_id}/responses"): (A_READERS, 201, 404, lambda w: {
        "json": {"instrument": "gad7", "answers": [0, 1, 0, 1, 0, 1, 0]}}),
    ("GET", "/api/v1/patients/{patient_id}/screening"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/instruments/{instrument_id}/fhir"): (set(ROLES) - {"anonymous"}, 200, None, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/responses/{response_id}/fhir"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/analytes"): (set(ROLES) - {"anonymous"}, 200, None, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/labs"): (A_READERS, 200, 404, lambda w: {}),
    ("POST", "/api/v1/patients/{patient_id}/labs"): (A_READERS, 201, 404, lambda w: {"content": LAB_CSV}),
    ("GET", "/api/v1/patients/{patient_id}/microbiome"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/plan"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/plan/history"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/plan/fhir"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/evidence"): (set(ROLES) - {"anonymous"}, 200, None, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/progress"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/experiments"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/experiments/{design_id}"): (A_READERS, 200, 404, lambda w: {}),
    # cohort analytics: each clinician over their own consenting patients; not for patients or admins
    ("GET", "/api/v1/cohort"): ({"clinician", "clinician_pending", "clinician_withdrawn", "clinician_other"}, 200,
                                403, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/report"): (A_READERS, 200, 404, lambda w: {"params": {"format": "html"}}),
    ("GET", "/api/v1/patients/{patient_id}/export.zip"): (A_READERS, 200, 404, lambda w: {}),
    ("GET", "/api/v1/patients/{patient_id}/fhir"): (A_READERS, 200, 404, lambda w: {}),
    ("POST", "/api/v1/patients/{patient_id}/erasure"): (
        {"patient_a"}, 202, 404, lambda w: {}),  # A's clinician sees the record but may not ask: 403, below
    ("POST", "/api/v1/fhir/import"): (
        {"clinician", "clinician_pending", "clinician_withdrawn", "clinician_other"}, 201, 403,
        lambda w: {"content": FHIR_PATIENT, "params": {"filename": "p.json"}}),
    ("GET", "/api/v1/cohort/export.zip"): (
        {"clinician", "clinician_pending", "clinician_withdrawn", "clinician_other"}, 200, 403, lambda w: {}),
    ("GET", "/api/v1/cohort/redcap.zip"): (
        {"clinician", "clinician_pending", "clinician_withdrawn", "clinician_other"}, 200, 403, lambda w: {}),
}
SPECIAL = {("POST", "/api/v1/patients/{patient_id}/erasure"): {"clinician": 403}}

FHIR_PATIENT = b'{"resourceType": "Patient", "name": [{"text": "Imported in test"}]}'

LAB_CSV = b"patient,analyte,value,unit,ref_low,ref_high,collected,lab\nA,hs_crp,2.0,mg/L,0,3,2026-01-05,Lab\n"
TSV = b"#OTU ID\ts1\ts2\ts3\na\t10\t3\t4\nb\t5\t5\t9\n"


class _Ctx:
    def __init__(self, world):
        self.world = world
        self._n = 0

    def counter(self) -> int:
        self._n += 1
        return self._n


def test_the_table_covers_every_api_route():
    served = {(m, p) for m, p in route_table() if p.startswith("/api/")}
    assert served == set(ROUTES)


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_no_record_leaks_on(route, client, uow):
    world = build_world(uow)
    ctx = _Ctx(world)
    tokens = {role: accounts_service.create_api_token(uow=uow, actor=getattr(world, role), name="authz")
              for role in ROLES if role != "anonymous"}
    allowed, ok_status, refused_status, build = ROUTES[route]
    method, template = route
    path = template.format(patient_id=world.a_id, day="2026-01-05", link_id=world.link_ids["clinician_pending"],
                           instrument_id="phq9", response_id=world.response_id, design_id=world.design_id)
    for role in ROLES:
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
        response = client.request(method, path, headers=headers, **build(ctx))
        if role == "anonymous":
            expected = 401
        elif role in SPECIAL.get(route, {}):
            expected = SPECIAL[route][role]
        elif role in allowed:
            expected = ok_status
        else:
            expected = refused_status
        assert response.status_code == expected, (role, response.text)
        for secret, readers in SECRETS.items():
            if role not in readers:
                assert secret not in response.text, (role, secret)
        if role not in A_READERS:
            assert "Patient A" not in response.text, role


def test_a_refused_write_changes_nothing(client, uow):
    from gutwise.core.authz import Actor
    from gutwise.diary import service as diary_service

    world = build_world(uow)
    token = accounts_service.create_api_token(uow=uow, actor=world.patient_b, name="t")
    r = client.put(f"/api/v1/patients/{world.a_id}/diary/2026-01-05", json={"fatigue": 0, "note": "overwritten"},
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404
    [day] = diary_service.list_diary(uow=uow, actor=Actor.system("test"), patient_id=world.a_id)
    assert day.note == "SECRET-NOTE-OF-A"


def test_unknown_and_forbidden_records_answer_alike(client, uow):
    world = build_world(uow)
    token = accounts_service.create_api_token(uow=uow, actor=world.clinician_other, name="t")
    headers = {"Authorization": f"Bearer {token}"}
    hidden = client.get(f"/api/v1/patients/{world.a_id}/diary", headers=headers)
    missing = client.get("/api/v1/patients/424242/diary", headers=headers)
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


# --- pages: the same walk through the browser face ------------------------------------------------------

SIGNED = [r for r in ROLES if r != "anonymous"]
PATIENTS = {"patient_a", "patient_b"}
CLINICIANS = {r for r in SIGNED if r.startswith("clinician")}


def _expect(ok: set[str], ok_status: int, other: int, anon: int = 303):
    return lambda role: anon if role == "anonymous" else (ok_status if role in ok else other)


def CLINICIAN_ONLY(ok: int):  # noqa: N802 - reads as a table entry
    """A's clinician may; A may see the record but not change it (403); everyone else gets 404."""
    return lambda role: {"anonymous": 303, "patient_a": 403, "clinician": ok}.get(role, 404)


# (method, path) -> expected status per role. Paths use patient A's record, the pending link and A's token.
PAGES = {
    ("GET", "/"): _expect(set(SIGNED), 303, 303),
    ("GET", "/login"): lambda role: 200,
    ("POST", "/login"): lambda role: 400,  # posted with a wrong password; the form token is valid
    ("POST", "/logout"): _expect(set(SIGNED), 303, 303, anon=303),
    ("GET", "/patients"): _expect(CLINICIANS | {"admin"}, 200, 303),
    ("GET", "/patients/{patient_id}"): _expect(A_READERS, 200, 404),
    ("GET", "/admin/users"): _expect({"admin"}, 200, 403),
    ("POST", "/admin/users"): _expect({"admin"}, 422, 403),
    ("POST", "/admin/users/{user_id}/active"): _expect({"admin"}, 303, 403),
    ("GET", "/account"): _expect(set(SIGNED), 200, 200),
    ("POST", "/account/tokens"): _expect(set(SIGNED), 200, 200),
    ("POST", "/account/tokens/{token_id}/revoke"): _expect({"patient_a"}, 303, 404),
    ("POST", "/account/consent/{link_id}"): _expect({"patient_a"}, 303, 404),
    ("GET", "/today"): _expect(PATIENTS, 200, 404),
    ("GET", "/diary/{day}"): _expect(PATIENTS, 200, 404),
    ("POST", "/diary/{day}"): _expect(PATIENTS, 303, 404),
    ("GET", "/screening"): _expect(PATIENTS, 303, 404),
    ("GET", "/patients/{patient_id}/screening"): _expect(A_READERS, 200, 404),
    ("GET", "/patients/{patient_id}/intake"): _expect(A_READERS, 303, 404),
    ("GET", "/patients/{patient_id}/intake/review"): _expect(A_READERS, 200, 404),
    ("GET", "/patients/{patient_id}/intake/{step_id}"): _expect(A_READERS, 200, 404),
    ("POST", "/patients/{patient_id}/intake/{step_id}"): _expect(A_READERS, 303, 404),
    ("POST", "/patients/{patient_id}/intake/complete"): _expect(A_READERS, 303, 404),
    ("GET", "/patients/{patient_id}/screening/result"): _expect(A_READERS, 200, 404),
    ("GET", "/patients/{patient_id}/questionnaires/{instrument_id}"): _expect(A_READERS, 200, 404),
    ("POST", "/patients/{patient_id}/questionnaires/{instrument_id}"): _expect(A_READERS, 200, 404),
    # a patient may read their schedule but only the clinician changes it
    ("POST", "/patients/{patient_id}/schedule/{instrument_id}"):
        lambda role: {"anonymous": 303, "patient_a": 403, "clinician": 303}.get(role, 404),
    ("GET", "/patients/{patient_id}/labs"): _expect(A_READERS, 200, 404),
    ("GET", "/patients/{patient_id}/labs/manual"): _expect(A_READERS, 200, 404),
    ("POST", "/patients/{patient_id}/labs/manual"): _expect(A_READERS, 200, 404),
    ("POST", "/patients/{patient_id}/labs/import"): _expect(A_READERS, 200, 404),
    ("GET", "/my/labs"): _expect(PATIENTS, 303, 404),
    ("GET", "/patients/{patient_id}/microbiome"): _expect(A_READERS, 200, 404),
    ("POST", "/patients/{patient_id}/microbiome/import"): _expect(A_READERS, 200, 404),
    ("GET", "/patients/{patient_id}/plan"): _expect(A_READERS, 200, 404),
    ("POST", "/patients/{patient_id}/plan/propose"): CLINICIAN_ONLY(303),
    ("POST", "/patients/{patient_id}/plan/items/{item_id}"): CLINICIAN_ONLY(303),
    ("POST", "/patients/{patient_id}/plan/add"): CLINICIAN_ONLY(303),
    ("POST", "/patients/{patient_id}/plan/approve"): CLINICIAN_ONLY(303),
    ("POST", "/patients/{patient_id}/plan/stop/{intervention}"): CLINICIAN_ONLY(303),
    ("GET", "/my/plan"): _expect(PATIENTS, 303, 404),
    ("GET", "/evidence"): _expect(set(SIGNED), 200, 200),
    ("GET", "/patients/{patient_id}/progress"): _expect(A_READERS, 200, 404),
    ("GET", "/my/progress"): _expect(PATIENTS, 303, 404),
    ("GET", "/cohort"): _expect(CLINICIANS, 200, 403),
    ("GET", "/patients/{patient_id}/experiments/new"): _expect(A_READERS, 200, 404),
    ("POST", "/patients/{patient_id}/experiments"): _expect(A_READERS, 422, 404),  # posted without a design
    ("GET", "/patients/{patient_id}/experiments/{design_id}"): _expect(A_READERS, 200, 404),
    ("GET", "/patients/{patient_id}/report"): _expect(A_READERS, 200, 404),
    ("GET", "/patients/{patient_id}/data"): _expect(A_READERS, 200, 404),
    ("GET", "/my/data"): _expect(PATIENTS, 303, 404),
    ("GET", "/patients/{patient_id}/export.zip"): _expect(A_READERS, 200, 404),
    ("GET", "/patients/{patient_id}/fhir.json"): _expect(A_READERS, 200, 404),
    # only the patient asks for erasure; their clinician sees the record but may not (403)
    ("POST", "/patients/{patient_id}/erasure"): lambda role: {"anonymous": 303, "patient_a": 303,
                                                              "clinician": 403}.get(role, 404),
    ("GET", "/admin/erasure"): _expect({"admin"}, 200, 403),
    ("POST", "/admin/erasure/{request_id}/complete"): _expect({"admin"}, 404, 403),  # no such request: 404
}

# File uploads of the routes that take one.
FILES = {
    ("POST", "/patients/{patient_id}/labs/import"): {"file": ("r.csv", LAB_CSV, "text/csv")},
    ("POST", "/patients/{patient_id}/microbiome/import"): {"file": ("t.tsv", TSV, "text/tab-separated-values")},
}

# Run before each role's request, so that a one-off action (finishing an intake) can happen for every role.
PREPARE = {
    ("POST", "/patients/{patient_id}/intake/complete"): lambda uow, w: screening_service.save_intake_step(
        uow=uow, actor=Actor.system("test"), patient_id=w.a_id, step_id="about", part={"age": 41}),
    ("POST", "/patients/{patient_id}/plan/stop/{intervention}"): lambda uow, w: _fresh_plan(uow, w),
}


def _fresh_plan(uow, w):
    """An approved plan whose stress-management item is running, so that a clinician can stop it."""
    from datetime import date

    from gutwise.protocol import service as protocol_service

    system = Actor.system("test")
    protocol_service.propose_plan(uow=uow, actor=system, patient_id=w.a_id)
    protocol_service.approve(uow=uow, actor=system, patient_id=w.a_id, start_date=date(2026, 1, 1))


def test_the_page_table_covers_every_page_route():
    served = {(m, p) for m, p in route_table() if not p.startswith("/api/")}
    assert served == set(PAGES)


@pytest.mark.parametrize("route", sorted(PAGES), ids=lambda r: f"{r[0]} {r[1]}")
def test_no_record_leaks_on_page(route, client, uow):
    from tests.web_helpers import csrf_from, sign_in

    world = build_world(uow)
    a_token = accounts_service.create_api_token(uow=uow, actor=world.patient_a, name="a")
    [info] = accounts_service.list_api_tokens(uow=uow, actor=world.patient_a)
    assert a_token
    method, template = route
    path = template.format(patient_id=world.a_id, day="2026-01-05", link_id=world.link_ids["clinician_pending"],
                           token_id=info.id, user_id=world.patient_b.user_id, step_id="about",
                           instrument_id="phq9", item_id=world.draft_item_id, intervention="stress_management",
                           design_id=world.design_id, request_id=424242)
    for role in ROLES:
        if route in PREPARE:
            PREPARE[route](uow, world)
        if role == "anonymous":
            client.cookies.clear()
            csrf = csrf_from(client.get("/login").text)
        else:
            csrf = sign_in(client, world.emails[role])
        if path == "/login":
            csrf = csrf_from(client.get("/login").text)
        data = {"csrf_token": csrf, "fatigue": "4", "consent": "granted", "active": "true", "email": "bad",
                "password": "wrong password", "age": "40", "every_months": "2", "value__hs_crp": "2.5",
                "unit__hs_crp": "mg/L", "collected": "2026-01-05", "intervention": "quercetin",
                "start_date": "2026-02-01", "start_day": "3", "action": "save"}
        extra = {"files": FILES[route]} if route in FILES else {}
        response = client.request(method, path, data=data if method == "POST" else None, **extra)
        assert response.status_code == PAGES[route](role), (role, response.text[:300])
        for secret, readers in SECRETS.items():
            if role not in readers:
                assert secret not in response.text, (role, secret)
        if role not in A_READERS:
            assert "Patient A" not in response.text, role
