from sqlalchemy import func, select

from gutwise.accounts import service as accounts_service
from gutwise.diary.models import DiaryDay
from tests.world import build_world


def _auth(uow, actor):
    return {"Authorization": f"Bearer {accounts_service.create_api_token(uow=uow, actor=actor, name='t')}"}


def test_openapi_document_at_api_docs(client):
    doc = client.get("/api/docs", headers={"Accept": "application/json"})
    assert doc.status_code == 200
    spec = doc.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/patients/{patient_id}/diary/{day}" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    ui = client.get("/api/docs")
    assert "swagger-ui" in ui.text
    assert "/static/swagger/swagger-ui-bundle.js" in ui.text  # served locally, no CDN


def test_missing_or_wrong_token_is_401(client):
    assert client.get("/api/v1/patients").status_code == 401
    r = client.get("/api/v1/patients", headers={"Authorization": "Bearer gw_nope"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_put_twice_updates_and_422_names_field_and_reason(client, uow, engine):
    world = build_world(uow)
    headers = _auth(uow, world.patient_a)
    url = f"/api/v1/patients/{world.a_id}/diary/2026-03-04"
    assert client.put(url, json={"fatigue": 3}, headers=headers).status_code == 200
    r = client.put(url, json={"fatigue": 4, "crash": True}, headers=headers)
    assert r.json() == {"day": "2026-03-04", "fatigue": 4, "crash": True, "note": None, "answers": {}}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DiaryDay).where(
            DiaryDay.patient_id == world.a_id)).scalar() == 2  # the world's day + this one
    bad = client.put(url, json={"fatigue": 11, "colour": "red"}, headers=headers)
    assert bad.status_code == 422
    problems = {tuple(d["loc"]): d["msg"] for d in bad.json()["detail"]}
    assert problems[("body", "fatigue")] == "Input should be less than or equal to 10"
    assert ("body", "colour") in problems
    baddate = client.put(f"/api/v1/patients/{world.a_id}/diary/2026-02-30", json={"fatigue": 1}, headers=headers)
    assert baddate.status_code == 422
    assert baddate.json()["detail"][0]["loc"] == ["path", "day"]
    future = client.put(f"/api/v1/patients/{world.a_id}/diary/2999-01-01", json={"fatigue": 1}, headers=headers)
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "day"]


def test_diary_range_query(client, uow):
    world = build_world(uow)
    headers = _auth(uow, world.clinician)
    for day in ("2026-03-01", "2026-03-02", "2026-03-09"):
        client.put(f"/api/v1/patients/{world.a_id}/diary/{day}", json={"fatigue": 2}, headers=headers)
    r = client.get(f"/api/v1/patients/{world.a_id}/diary", params={"start": "2026-03-01", "end": "2026-03-05"},
                   headers=headers)
    assert [d["day"] for d in r.json()] == ["2026-03-01", "2026-03-02"]
