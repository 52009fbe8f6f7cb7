from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gutwise.accounts import service as accounts_service
from gutwise.core.authz import Actor
from gutwise.core.errors import InvalidInput, NotFound
from gutwise.labs import service as labs_service
from gutwise.labs.models import LabImport, LabResult
from gutwise.microbiome import service as microbiome_service
from gutwise.microbiome.models import MicrobiomeSample
from tests.web_helpers import sign_in
from tests.world import build_world

DATA = Path(__file__).resolve().parents[1] / "data" / "microbiome"
GOOD = "patient,analyte,value,unit,ref_low,ref_high,collected,lab\n"
GOOD += "".join(f"A,lps_iga_{o},{x},{{OD}},,0.5,2026-01-05,Lab\n" for o, x in
                [("hafnia_alvei", 0.8), ("pseudomonas_aeruginosa", 0.4), ("morganella_morganii", 0.9)])
GOOD += "A,hs_crp,0.45,mg/dL,0,0.3,2026-01-05,Lab\nA,hs_crp,2.0,mg/L,0,3,2026-06-05,Lab\n"
THREE_BAD = GOOD + ("A,hs_crp,lots,mg/L,,,2026-01-05,Lab\n"
                    "A,unknown_thing,1,mg/L,,,2026-01-05,Lab\n"
                    "A,hs_crp,1,mg/L,,,2026-02-31,Lab\n")


def _count(engine, model):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar()


def test_a_file_with_three_bad_rows_is_refused_whole_with_all_three_listed(uow, engine):
    world = build_world(uow)
    with pytest.raises(InvalidInput) as err:
        labs_service.import_file(uow=uow, actor=world.clinician, patient_id=world.a_id, text=THREE_BAD,
                                 filename="results.csv")
    assert [(e.location, e.field) for e in err.value.errors] == [
        ("results.csv row 7", "value"), ("results.csv row 8", "analyte"), ("results.csv row 9", "collected")]
    assert _count(engine, LabResult) == 0
    assert _count(engine, LabImport) == 0


def test_import_then_review_with_panel_summary_and_changes(uow):
    world = build_world(uow)
    report = labs_service.import_file(uow=uow, actor=world.clinician, patient_id=world.a_id, text=GOOD,
                                      filename="results.csv")
    assert (report.rows, report.format) == (5, "csv")
    overview = labs_service.overview(uow=uow, actor=world.patient_a, patient_id=world.a_id)
    [panel] = overview.panels
    assert panel.sentence() == "IgA against 2 of 3 LPS above the lab cut-off (cut-off 0.5)"
    [crp_change] = overview.changes
    assert (crp_change.direction, crp_change.status) == ("fell", "normalised")
    assert [r.interpretation.flag for r in overview.by_analyte["hs_crp"]] == ["high", "normal"]
    with pytest.raises(NotFound):
        labs_service.overview(uow=uow, actor=world.clinician_other, patient_id=world.a_id)


def test_one_file_per_patient(uow):
    world = build_world(uow)
    with pytest.raises(InvalidInput, match="holds results of 2 patients"):
        labs_service.import_file(uow=uow, actor=world.clinician, patient_id=world.a_id,
                                 text=GOOD + "B,hs_crp,1,mg/L,,,2026-01-05,Lab\n", filename="two.csv")


def test_web_import_shows_every_error_and_keeps_nothing(client, uow, engine):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["clinician"])
    url = f"/patients/{world.a_id}/labs/import"
    r = client.post(url, data={"csrf_token": csrf}, files={"file": ("bad.csv", THREE_BAD.encode(), "text/csv")})
    assert r.status_code == 422
    assert "Nothing was imported" in r.text
    for row in ("bad.csv row 7", "bad.csv row 8", "bad.csv row 9"):
        assert row in r.text
    assert _count(engine, LabResult) == 0
    r = client.post(url, data={"csrf_token": csrf}, files={"file": ("good.csv", GOOD.encode(), "text/csv")})
    assert r.status_code == 200
    assert "Imported 5 results" in r.text
    assert "IgA against 2 of 3 LPS above the lab cut-off" in r.text
    assert "Research assay, not a validated diagnostic test" in r.text


def test_manual_panel_entry(client, uow, engine):
    world = build_world(uow)
    csrf = sign_in(client, world.emails["clinician"])
    url = f"/patients/{world.a_id}/labs/manual"
    assert "Hafnia alvei" in client.get(url, params={"panel": "lps_panel"}).text
    bad = client.post(url, data={"csrf_token": csrf, "panel": "inflammation", "collected": "2026-01-05",
                                 "value__hs_crp": "abc", "unit__hs_crp": "mg/L"})
    assert bad.status_code == 422
    assert "value: &#39;abc&#39; is not a number" in bad.text
    ok = client.post(url, data={"csrf_token": csrf, "panel": "inflammation", "collected": "2026-01-05", "lab": "L",
                                "value__hs_crp": "4.2", "unit__hs_crp": "mg/L", "ref_high__hs_crp": "3"})
    assert "Imported 1 result" in ok.text
    assert _count(engine, LabResult) == 1


def test_fhir_import_over_the_api_reports_unmapped_codes(client, uow, shared_data):
    world = build_world(uow)
    token = accounts_service.create_api_token(uow=uow, actor=world.clinician, name="t")
    body = (shared_data / "fhir" / "synthea-bundle-clemente.json").read_bytes()
    r = client.post(f"/api/v1/patients/{world.a_id}/labs", content=body,
                    headers={"Authorization": f"Bearer {token}", "X-Filename": "clemente.json"})
    assert r.status_code == 201
    report = r.json()
    assert report["format"] == "fhir"
    assert report["rows"] > 10
    assert {u["code"] for u in report["unmapped"]} >= {"2093-3", "39156-5"}
    labs = client.get(f"/api/v1/patients/{world.a_id}/labs", headers={"Authorization": f"Bearer {token}"}).json()
    assert {r["analyte"] for r in labs["results"]} >= {"haemoglobin", "body_weight"}


def test_microbiome_import_and_a_pcoa_limited_to_visible_patients(client, uow, engine):
    world = build_world(uow)
    system = Actor.system("test")
    data = (DATA / "rich_sparse_otu_table.biom").read_bytes()
    mine = microbiome_service.import_table(uow=uow, actor=world.clinician, patient_id=world.a_id, data=data,
                                           filename="a.biom", collected=date(2026, 1, 5))
    assert len(mine) == 6
    assert mine[0].chao1 is not None
    microbiome_service.import_table(uow=uow, actor=system, patient_id=world.b_id, data=data, filename="b.biom",
                                    collected=date(2026, 1, 5))
    as_clinician = microbiome_service.ordination(uow=uow, actor=world.clinician, patient_id=world.a_id)
    assert len(as_clinician.points) == 6  # B's samples are not visible to A's clinician
    assert as_clinician.others == 0
    with pytest.raises(NotFound):
        microbiome_service.ordination(uow=uow, actor=world.patient_b, patient_id=world.a_id)
    with pytest.raises(InvalidInput) as err:
        microbiome_service.import_table(uow=uow, actor=world.clinician, patient_id=world.a_id, data=b"OTU\tx\n",
                                        filename="bad.tsv", collected=date(2026, 1, 5))
    assert err.value.errors[0].location == "bad.tsv line 1"
    assert _count(engine, MicrobiomeSample) == 12
    csrf = sign_in(client, world.emails["clinician"])
    page = client.get(f"/patients/{world.a_id}/microbiome")
    assert "Bray-Curtis" in page.text
    assert "This is not a diagnosis" in page.text
    r = client.post(f"/patients/{world.a_id}/microbiome/import", data={"csrf_token": csrf, "collected": "2026-02-01"},
                    files={"file": ("rel.tsv", b"#OTU ID\ts1\na\t0.5\nb\t0.5\n", "text/plain")})
    assert "Imported 1 sample" in r.text
    assert "Chao1 estimates unseen taxa" in r.text
