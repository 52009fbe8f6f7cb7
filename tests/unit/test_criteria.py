"""Case-definition vignettes that sit on each criterion's edge."""

import pytest

from gutwise import knowledge
from gutwise.screening.criteria import evaluate_definition
from gutwise.screening.schemas import Intake
from gutwise.screening.screen import screen

FATIGUE = {"duration_months": 18, "new_onset": True, "lifelong": False, "due_to_ongoing_exertion": False,
           "relieved_by_rest": False, "substantial_activity_reduction": True}
YES = {"frequency": 2, "severity": 2}
NO = {"frequency": 0, "severity": 0}
FUKUDA8 = ["memory_concentration", "sore_throat", "tender_lymph_nodes", "muscle_pain", "joint_pain",
           "new_headaches", "unrefreshing_sleep", "post_exertional_malaise"]


def _definition(did):
    return next(d for d in knowledge.screening().definitions if d.id == did)


def run(did, **intake):
    data = {"fatigue": dict(FATIGUE), **intake}
    return evaluate_definition(Intake.model_validate(data), _definition(did))


def fukuda_symptoms(n_present, **overrides):
    out = {s: (YES if i < n_present else NO) for i, s in enumerate(FUKUDA8)}
    out.update(overrides)
    return out


def _criterion(result, cid):
    return next(c for c in result.criteria if c.id == cid)


def test_fukuda_exactly_4_of_8_symptoms_meets_and_3_does_not():
    assert run("fukuda_1994", symptoms=fukuda_symptoms(4)).status == "met"
    r = run("fukuda_1994", symptoms=fukuda_symptoms(3))
    assert r.status == "not_met"
    assert _criterion(r, "symptoms").decided_by == ["3 of 8 met (needs 4), 0 cannot tell"]


def test_frequency_1_is_not_present_and_2_is():
    low = fukuda_symptoms(3, joint_pain={"frequency": 1, "severity": 4})
    assert run("fukuda_1994", symptoms=low).status == "not_met"
    edge = fukuda_symptoms(3, joint_pain={"frequency": 2, "severity": 2})
    assert run("fukuda_1994", symptoms=edge).status == "met"
    sev1 = fukuda_symptoms(3, joint_pain={"frequency": 4, "severity": 1})
    assert run("fukuda_1994", symptoms=sev1).status == "not_met"


@pytest.mark.parametrize(("months", "fukuda", "iom"), [(5, "not_met", "not_met"), (5.9, "not_met", "not_met"),
                                                       (6, "met", "not_met"), (6.5, "met", "met"),
                                                       (7, "met", "met")])
def test_duration_edges_fukuda_6_months_iom_more_than_6(months, fukuda, iom):
    fatigue = {**FATIGUE, "duration_months": months}
    symptoms = fukuda_symptoms(8, orthostatic_intolerance=YES)
    assert run("fukuda_1994", fatigue=fatigue, symptoms=symptoms, pem_lasts_over_24h=True).status == fukuda
    assert run("iom_2015", fatigue=fatigue, symptoms=symptoms).status == iom


def test_an_exclusion_present_makes_fukuda_not_met_and_names_it():
    r = run("fukuda_1994", symptoms=fukuda_symptoms(8), pem_lasts_over_24h=True, conditions=["sleep_apnoea"])
    assert r.status == "not_met"
    assert _criterion(r, "exclusions").decided_by == ["conditions: sleep_apnoea recorded"]
    # IOM lists no exclusions
    assert run("iom_2015", symptoms=fukuda_symptoms(8), conditions=["sleep_apnoea"]).status == "met"


def test_missing_answers_give_cannot_tell_not_no():
    r = run("fukuda_1994", symptoms={s: YES for s in FUKUDA8[:3]})
    assert r.status == "cannot_tell"
    assert "cannot tell" in r.wording
    blank = evaluate_definition(Intake(), _definition("iom_2015"))
    assert blank.status == "cannot_tell"
    # but a definite "no" wins over unknowns in an all-of group
    r = run("iom_2015", fatigue={**FATIGUE, "lifelong": True})
    assert r.status == "not_met"


def test_pem_over_24h_unknown_leaves_that_fukuda_symptom_undecided():
    symptoms = fukuda_symptoms(3, post_exertional_malaise=YES)  # PEM is the 8th; 3 others + PEM = 4
    assert run("fukuda_1994", symptoms=symptoms).status == "cannot_tell"
    assert run("fukuda_1994", symptoms=symptoms, pem_lasts_over_24h=True).status == "met"
    assert run("fukuda_1994", symptoms=symptoms, pem_lasts_over_24h=False).status == "not_met"


def test_a_symptom_that_predates_the_fatigue_does_not_count_for_fukuda():
    symptoms = fukuda_symptoms(4, sore_throat={"frequency": 3, "severity": 3, "predates_fatigue": True})
    assert run("fukuda_1994", symptoms=symptoms).status == "not_met"


def test_iom_needs_pem_sleep_and_one_of_cognition_or_orthostatic():
    base = {"post_exertional_malaise": YES, "unrefreshing_sleep": YES}
    assert run("iom_2015", symptoms={**base, "memory_concentration": NO, "orthostatic_intolerance": YES}).status \
        == "met"
    assert run("iom_2015", symptoms={**base, "memory_concentration": NO, "orthostatic_intolerance": NO}).status \
        == "not_met"
    assert run("iom_2015", symptoms={**base, "memory_concentration": NO}).status == "cannot_tell"
    assert run("iom_2015", symptoms={"unrefreshing_sleep": YES, "post_exertional_malaise": NO,
                                     "memory_concentration": YES}).status == "not_met"


def test_dsq_sf_answers_stand_in_for_unasked_symptoms():
    dsq = {"soreness": {"frequency": 3, "severity": 3}, "minexercise": {"frequency": 0, "severity": 0},
           "unrefreshed": {"frequency": 4, "severity": 3}, "memory": {"frequency": 2, "severity": 2},
           "attention": {"frequency": 1, "severity": 1}}
    r = run("iom_2015", dsq_sf=dsq)
    assert r.status == "met"
    pem = _criterion(r, "r2_pem")
    assert pem.decided_by[0].startswith("dsq_sf.soreness: frequency 3, severity 3 (present")
    # an explicit symptom answer wins over the DSQ-SF
    r = run("iom_2015", dsq_sf=dsq, symptoms={"post_exertional_malaise": NO})
    assert r.status == "not_met"


def test_nice_suspects_at_6_weeks_and_meets_at_3_months():
    key = {"post_exertional_malaise": YES, "unrefreshing_sleep": YES, "memory_concentration": YES}
    early = run("nice_2021", fatigue={**FATIGUE, "duration_months": None, "duration_weeks": 6}, symptoms=key)
    assert (early.status, early.suspected) == ("not_met", True)
    too_early = run("nice_2021", age=34, fatigue={**FATIGUE, "duration_months": None, "duration_weeks": 5},
                    symptoms=key)
    unknown_age = run("nice_2021", fatigue={**FATIGUE, "duration_months": None, "duration_weeks": 5},
                      symptoms=key)
    assert unknown_age.suspected is None  # 5 weeks: enough for a child (4), not for an adult (6)
    assert (too_early.status, too_early.suspected) == ("not_met", False)
    child = run("nice_2021", age=12, fatigue={**FATIGUE, "duration_months": None, "duration_weeks": 4},
                symptoms=key)
    assert child.suspected is True
    three = run("nice_2021", fatigue={**FATIGUE, "duration_months": 3}, symptoms=key)
    assert (three.status, three.suspected) == ("met", True)
    explained = run("nice_2021", symptoms=key, conditions=["untreated_hypothyroidism"])
    assert explained.status == "not_met"


def test_ccc_needs_two_neurocognitive_and_two_categories():
    core = {"post_exertional_malaise": YES, "unrefreshing_sleep": YES, "muscle_pain": YES,
            "memory_concentration": YES, "confusion": YES, "orthostatic_intolerance": YES,
            "cold_extremities": YES}
    full = {s.id: NO for s in knowledge.screening().symptoms} | core
    assert run("ccc_2003", symptoms=full).status == "met"
    one_category = dict(full, cold_extremities=NO)
    assert run("ccc_2003", symptoms=one_category).status == "not_met"
    one_neuro = dict(full, confusion=NO)
    assert run("ccc_2003", symptoms=one_neuro).status == "not_met"


def test_screen_puts_red_flags_and_the_phq9_alert_first():
    intake = Intake.model_validate({"fatigue": FATIGUE, "red_flags": ["weight_loss"],
                                    "questionnaires": {"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 2]}})
    result = screen(intake)
    assert result.see_doctor_first
    assert result.advice[0].startswith("You said you have had thoughts")
    assert result.advice[1].startswith("See a doctor before anything else")
    assert any("coeliac" in a for a in result.advice)
    assert [c["id"] for c in result.checklist if c.get("before")] == ["coeliac_serology"]
    assert result.scores["phq9"].total == 2


def test_wording_never_claims_a_diagnosis():
    for d in knowledge.screening().definitions:
        for text in (d.wording_met, d.wording_not_met):
            assert "you have me/cfs" not in text.lower()
            assert "criteria" in text.lower()


def test_intake_rejects_unknown_ids():
    with pytest.raises(ValueError, match="unknown symptom"):
        Intake.model_validate({"symptoms": {"brain_fog": YES}})
    with pytest.raises(ValueError, match="unknown condition"):
        Intake.model_validate({"conditions": ["hypothyroid"]})
    with pytest.raises(ValueError, match="less than or equal to 4"):
        Intake.model_validate({"symptoms": {"sore_throat": {"frequency": 5, "severity": 1}}})


def test_docs_list_every_symptom_condition_and_red_flag_id():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "intake.md").read_text()
    k = knowledge.screening()
    for ident in [s.id for s in k.symptoms] + [c.id for c in k.conditions] + [r.id for r in k.red_flags]:
        assert f"`{ident}`" in text, ident
