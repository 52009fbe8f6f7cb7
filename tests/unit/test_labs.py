"""Units, interpretation tables (interval edges, lab intervals over defaults), LPS panel, changes, CSV/FHIR reading."""

from datetime import date

import pytest

from gutwise import knowledge
from gutwise.labs.importer import parse_csv, parse_fhir, parse_file
from gutwise.labs.interpret import LabValue, change, interpret, lps_panel_summaries
from gutwise.labs.units import UnitError, convert

D1, D2 = date(2026, 1, 10), date(2026, 7, 10)


@pytest.mark.parametrize(("value", "src", "dst", "expected"), [
    (1.2, "mg/dL", "mg/L", 12.0), (12, "mg/L", "mg/dL", 1.2), (1, "ug/mL", "ng/mL", 1000.0),
    (6.5, "10*3/uL", "10*9/L", 6.5), (14, "g/dL", "g/L", 140.0), (2.5, "mIU/L", "uIU/mL", 2.5),
    (50, "ug/g", "mg/kg", 50.0), (0.7, "{OD}", "{OD}", 0.7),
])
def test_unit_conversions(value, src, dst, expected):
    assert convert(value, src, dst) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("src", "dst"), [("{OD}", "mg/L"), ("mg/L", "U/L"), ("mg/L", "nonsense"), ("", "mg/L")])
def test_units_that_do_not_convert(src, dst):
    with pytest.raises(UnitError):
        convert(1, src, dst)


def v(analyte, value, unit, **kw):
    return LabValue("p", analyte, value, unit, kw.pop("collected", D1), **kw)


@pytest.mark.parametrize(("value", "flag"), [(0.99, "low"), (1.0, "normal"), (3.0, "normal"), (3.01, "high")])
def test_lab_interval_edges_are_inclusive(value, flag):
    assert interpret(v("hs_crp", value, "mg/L", ref_low=1.0, ref_high=3.0)).flag == flag


def test_a_lab_interval_overrides_the_default():
    # WHO default: ferritin < 15 ug/L is iron deficiency; this lab says 30-400
    assert interpret(v("ferritin", 20, "ug/L")).flag == "normal"
    with_lab = interpret(v("ferritin", 20, "ug/L", ref_low=30, ref_high=400))
    assert (with_lab.flag, with_lab.interval_source) == ("low", "lab")
    default = interpret(v("ferritin", 14, "ng/mL"))  # default converted into the result's unit
    assert (default.flag, default.interval_source, default.low) == ("low", "who2020_ferritin", 15.0)


@pytest.mark.parametrize(("value", "flag"), [(47.9, "normal"), (48, "high"), (52, "high")])
def test_an_exclusive_default_limit(value, flag):
    assert interpret(v("hba1c", value, "mmol/mol")).flag == flag


def test_critical_and_no_interval():
    assert interpret(v("haemoglobin", 62, "g/L", ref_low=120, ref_high=160, critical_low=70)).flag == "critical"
    assert interpret(v("hs_crp", 0.4, "mg/dL")).flag == "no_interval"
    crp = interpret(v("hs_crp", 0.4, "mg/dL", ref_high=0.3))
    assert crp.flag == "high"
    assert crp.canonical_value == pytest.approx(4.0)
    assert any("cardiovascular risk" in c for c in crp.caveats)


def _panel(iga, igm, cutoff=0.5, collected=D1):
    orgs = ["hafnia_alvei", "pseudomonas_aeruginosa", "morganella_morganii", "pseudomonas_putida",
            "citrobacter_koseri", "klebsiella_pneumoniae"]
    out = [v(f"lps_iga_{o}", x, "{OD}", ref_high=cutoff, collected=collected) for o, x in zip(orgs, iga, strict=True)]
    out += [v(f"lps_igm_{o}", x, "{OD}", ref_high=cutoff, collected=collected) for o, x in zip(orgs, igm, strict=True)]
    return out


def test_lps_panel_counts_organisms_above_the_lab_cut_off():
    [summary] = lps_panel_summaries(_panel([0.8, 0.51, 0.5, 0.2, 0.9, 0.1], [0.1] * 6))
    assert summary.by_isotype == {"iga": {"above": 3, "of": 6}, "igm": {"above": 0, "of": 6}}
    assert summary.above == ["lps_iga_citrobacter_koseri", "lps_iga_hafnia_alvei", "lps_iga_pseudomonas_aeruginosa"]
    assert summary.sentence().startswith("IgA against 3 of 6 LPS above the lab cut-off")
    assert summary.not_reported == []
    assert "not a validated diagnostic test" in summary.caveat.lower()


def test_lps_results_without_a_cut_off_are_not_counted():
    values = [v("lps_iga_hafnia_alvei", 0.9, "{OD}"), v("lps_iga_klebsiella_pneumoniae", 0.9, "{OD}", ref_high=1.0)]
    [summary] = lps_panel_summaries(values)
    assert (summary.reported, summary.with_cutoff, summary.above) == (2, 1, [])
    assert "(1 without a cut-off)" in summary.sentence()


def test_changes_between_two_tests():
    a = v("hs_crp", 4.0, "mg/L", ref_high=3.0)
    b = v("hs_crp", 0.2, "mg/dL", ref_high=0.3, collected=D2)  # 2.0 mg/L
    ch = change(a, b)
    assert (ch.direction, ch.status, ch.to_value) == ("fell", "normalised", 2.0)
    up = change(v("ferritin", 40, "ug/L", ref_low=15), v("ferritin", 10, "ug/L", ref_low=15, collected=D2))
    assert (up.direction, up.status) == ("fell", "became abnormal")
    noise = change(v("hs_crp", 2.0, "mg/L", ref_high=3, rcv=60), v("hs_crp", 2.8, "mg/L", ref_high=3, rcv=60,
                                                                     collected=D2))
    assert noise.within_assay_variation is True
    assert "not a real change" in noise.note
    real = change(v("hs_crp", 2.0, "mg/L", rcv=20), v("hs_crp", 2.8, "mg/L", collected=D2))
    assert real.within_assay_variation is False
    assert change(v("hs_crp", 1, "mg/L"), v("hs_crp", 1, "mg/L", collected=D2)).within_assay_variation is None


CSV = """patient,analyte,value,unit,ref_low,ref_high,collected,lab
p1,lps_iga_hafnia_alvei,0.82,{OD},,0.5,2026-01-10,Lab A
p1,30522-7,0.45,mg/dL,0,0.3,2026-01-10,Lab B
"""


def test_csv_reads_ids_and_loinc_codes():
    parsed = parse_csv(CSV, source="r.csv", today=date(2026, 2, 1))
    assert parsed.problems == []
    assert [r.analyte for r in parsed.results] == ["lps_iga_hafnia_alvei", "hs_crp"]
    assert parsed.results[1].ref_high == 0.3


def test_csv_ref_unit_converts_the_interval():
    text = ("patient,analyte,value,unit,ref_low,ref_high,ref_unit,collected,lab\n"
            "p,hs_crp,4,mg/L,0,0.3,mg/dL,2026-01-01,X\n")
    [row] = parse_csv(text, source="r.csv", today=date(2026, 2, 1)).results
    assert (row.ref_low, row.ref_high) == (0.0, 3.0)


def test_csv_lists_every_problem_with_row_and_column():
    text = CSV + ("p1,lps_iga_nowhere,1,{OD},,,2026-01-10,X\n"
                  "p1,hs_crp,high,mg/L,,,2026-01-10,X\n"
                  "p1,hs_crp,1,mg/L,,,2026-13-40,X\n"
                  "p1,hs_crp,1,{OD},5,1,2026-01-10,X\n")
    parsed = parse_csv(text, source="r.csv", today=date(2026, 2, 1))
    lines = [p.line() for p in parsed.problems]
    assert lines[0] == ("r.csv row 4: analyte: 'lps_iga_nowhere' is neither a gutwise analyte id nor a known "
                        "LOINC code")
    assert lines[1] == "r.csv row 5: value: 'high' is not a number"
    assert lines[2] == "r.csv row 6: collected: '2026-13-40' is not a date (YYYY-MM-DD)"
    assert lines[3].startswith("r.csv row 7: unit: '{OD}' does not fit hs_crp")
    assert lines[4] == "r.csv row 7: ref_low: is greater than ref_high"
    assert len(lines) == 5


def test_csv_header_problems():
    assert parse_csv("patient,value\n", source="x.csv").problems[0].reason.startswith("required column missing")
    assert parse_csv("patient,analyte,value,unit,collected,colour\n", source="x.csv").problems[0].field == "colour"


def _observation(**over):
    obs = {"resourceType": "Observation", "status": "final",
           "code": {"coding": [{"system": "http://loinc.org", "code": "30522-7"}]},
           "subject": {"reference": "Patient/1"}, "effectiveDateTime": "2026-01-02T09:00:00Z",
           "valueQuantity": {"value": 2.5, "unit": "mg/L", "system": "http://unitsofmeasure.org", "code": "mg/L"},
           "referenceRange": [{"high": {"value": 3, "unit": "mg/L", "code": "mg/L"}}]}
    obs.update(over)
    return obs


def test_fhir_observation_maps_loinc_to_the_catalogue():
    import json

    parsed = parse_fhir(json.dumps(_observation()), source="o.json", today=date(2026, 2, 1))
    [r] = parsed.results
    assert (r.analyte, r.value, r.unit, r.ref_high, r.patient) == ("hs_crp", 2.5, "mg/L", 3.0, "Patient/1")


def test_fhir_problems_name_the_resource_and_field():
    import json

    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": _observation(effectiveDateTime="not-a-date")},
        {"resource": _observation(valueQuantity=None)},
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                      "valueQuantity": {"value": "many"}}},
    ]}
    parsed = parse_fhir(json.dumps(bundle), source="b.json", today=date(2026, 2, 1))
    wheres = {p.where for p in parsed.problems}
    assert wheres == {"b.json entry[0].resource", "b.json entry[1].resource", "b.json entry[2].resource"}
    assert parsed.results == []


def test_the_synthea_bundle_maps_known_codes_and_lists_the_rest(shared_data):
    text = (shared_data / "fhir" / "synthea-bundle-clemente.json").read_text()
    parsed = parse_file(text, source="clemente.json")
    assert parsed.problems == []
    mapped = {r.analyte for r in parsed.results}
    assert {"haemoglobin", "wbc", "platelets", "mcv", "haematocrit", "body_weight", "body_height"} <= mapped
    unmapped = {u["code"] for u in parsed.unmapped}
    assert {"2093-3", "39156-5", "72166-2"} <= unmapped  # cholesterol, BMI, smoking: reported, not dropped
    observations = parsed.resources["Observation"]
    assert len(parsed.results) + sum(u["count"] for u in parsed.unmapped) == observations
    hb = next(r for r in parsed.results if r.analyte == "haemoglobin")
    assert hb.unit == "g/dL"
    assert interpret(hb).canonical_value == pytest.approx(hb.value * 10)


def test_catalogue_rules():
    cat = knowledge.analytes()
    lps = [a for a in cat.analytes if a.category == "lps"]
    assert len(lps) == 14
    assert all(a.research_assay and a.unit == "{OD}" for a in lps)
    assert cat.by_id()["hs_crp"].loinc == "30522-7"
    assert cat.by_id()["faecal_calprotectin"].loinc == "38445-3"
    assert cat.by_id()["lactulose_mannitol_ratio"].loinc == "74899-6"
    assert "zonulin" in cat.by_id()["zonulin"].caveats
    for a in cat.analytes:
        if a.default_interval:
            assert a.default_interval.source in knowledge.references()
