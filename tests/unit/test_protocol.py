"""Safety-check tables and plan-building vignettes."""

from datetime import date

import pytest

from gutwise import knowledge
from gutwise.labs.interpret import LabValue
from gutwise.protocol.builder import propose
from gutwise.protocol.safety import Context, Dose, Item, check_item, check_plan
from gutwise.screening.schemas import Intake
from gutwise.screening.screen import screen

D = date(2026, 1, 10)


def issues(intervention, amount=None, times=1, **ctx):
    iv = knowledge.interventions().by_id()[intervention]
    dose = Dose(amount, iv.unit or "", times) if amount is not None else None
    return check_item(Item(intervention, dose, 0), Context(**ctx))


def checks(found):
    return {(i.check, i.severity) for i in found}


@pytest.mark.parametrize(("mg", "expected"), [
    (24, set()), (25, set()), (26, {("dose_above_upper_limit", "warn")}),
    (40, {("dose_above_upper_limit", "warn")}),
    (41, {("dose_above_upper_limit", "warn"), ("dose_above_upper_limit", "block")}),
])
def test_zinc_at_below_and_above_the_eu_and_us_upper_limits(mg, expected):
    assert checks(issues("zinc", mg)) == expected


@pytest.mark.parametrize(("grams", "expected"), [(13, set()), (14, set()),
                                                 (15, {("dose_above_observed_safe_level", "warn")})])
def test_glutamine_observed_safe_level_warns_but_does_not_block(grams, expected):
    assert checks(issues("glutamine", grams)) == expected


@pytest.mark.parametrize(("intervention", "limit"), [("taurine", 3), ("l_carnitine", 2000), ("coq10", 1200)])
def test_each_observed_safe_level(intervention, limit):
    assert checks(issues(intervention, limit)) == set()
    assert checks(issues(intervention, limit * 1.01)) == {("dose_above_observed_safe_level", "warn")}


@pytest.mark.parametrize(("weight", "mg", "expected"), [
    (60, 180, set()), (60, 181, {("dose_above_adi", "warn")}),
    (80, 240, set()), (80, 241, {("dose_above_adi", "warn")}),
])
def test_curcumin_per_kg_limit_uses_the_weight(weight, mg, expected):
    assert checks(issues("curcumin", mg, weight_kg=weight)) == expected


def test_a_per_kg_limit_without_a_weight_asks_for_it():
    assert checks(issues("curcumin", 100)) == {("per_kg_limit_without_weight", "warn")}


def test_a_supplement_without_a_dose_blocks_approval():
    assert checks(issues("nac")) == {("dose_missing", "block")}


def test_alpha_lipoic_acid_always_warns_and_is_blocked_on_glucose_lowering_medicines():
    assert checks(issues("alpha_lipoic_acid", 300)) == {("no_safe_level", "warn")}
    found = checks(issues("alpha_lipoic_acid", 300, medicines=["Metformin"]))
    assert ("contraindication", "block") in found


@pytest.mark.parametrize(("medicine", "intervention", "severity"), [
    ("ciprofloxacin", "zinc", "warn"), ("doxycycline", "zinc", "warn"), ("penicillamine", "zinc", "warn"),
    ("glyceryl trinitrate", "nac", "warn"), ("levofloxacin", "glutamine", None),
])
def test_each_interaction(medicine, intervention, severity):
    found = [i for i in issues(intervention, 10, medicines=[medicine]) if i.check == "interaction"]
    assert [i.severity for i in found] == ([severity] if severity else [])
    if severity:
        assert medicine in found[0].message


def test_contraindications_explicit_and_implied_by_medicines():
    immunocompromised = frozenset({"immunocompromised"})
    assert ("contraindication", "block") in checks(issues("probiotic_lcs", 24, conditions=immunocompromised))
    assert ("contraindication", "block") in checks(issues("probiotic_lcs", 24, medicines=["tacrolimus"]))
    assert ("contraindication", "warn") in checks(issues("coq10", 100, conditions=frozenset({"pregnancy"})))
    assert ("contraindication", "warn") in checks(issues("curcumin", 100, weight_kg=70,
                                                         conditions=frozenset({"liver_disease"})))


def _ttg(value, high=7.0):
    return LabValue("p", "ttg_iga", value, "U/mL", D, "Lab", None, high)


def test_gluten_free_needs_a_normal_coeliac_serology_first():
    assert ("requires_test_result", "block") in checks(issues("gluten_free"))
    assert ("requires_test_result", "block") in checks(issues("gluten_free", labs=[_ttg(25.0)]))
    assert ("requires_test_result", "block") not in checks(issues("gluten_free", labs=[_ttg(1.0)]))


def test_restrictive_diets_want_a_dietitian():
    assert ("restrictive_diet_without_dietitian", "warn") in checks(issues("dairy_free"))
    assert checks(issues("dairy_free", dietitian_referral=True)) == set()


def test_two_items_on_one_day_and_things_that_are_never_plan_items():
    found = check_plan([Item("pacing", None, 0), Item("stress_management", None, 0)], Context())
    assert {i.check for i in found} == {"same_day_start"}
    assert checks(check_item(Item("ivig", None, 0), Context())) == {("not_a_plan_item", "block")}
    assert checks(check_item(Item("graded_exercise", None, 0), Context())) == {("not_a_plan_item", "block")}


# --- plan-building vignettes ----------------------------------------------------------------------------

FATIGUE = {"duration_months": 18, "new_onset": True, "lifelong": False, "due_to_ongoing_exertion": False,
           "relieved_by_rest": False, "substantial_activity_reduction": True}


def _lps(values, cutoff=0.5):
    orgs = ["hafnia_alvei", "pseudomonas_aeruginosa", "morganella_morganii", "pseudomonas_putida",
            "citrobacter_koseri", "klebsiella_pneumoniae"]
    return [LabValue("p", f"lps_iga_{o}", v, "{OD}", D, "Lab", None, cutoff) for o, v in zip(orgs, values,
                                                                                            strict=True)]


def _plan(labs=(), medicines=(), intake=None, **kw):
    result = screen(Intake.model_validate(intake or {"fatigue": FATIGUE}))
    return propose(screen=result, ctx=Context(labs=list(labs), medicines=list(medicines), **kw))


def test_positive_lps_panel_proposes_the_gut_items_with_the_reason_traced_to_the_panel():
    p = _plan(labs=[*_lps([0.9, 0.8, 0.7, 0.1, 0.2, 0.3]), _ttg(1.0)])
    ids = [i.intervention for i in p.items]
    assert ids[:2] == ["pacing", "stress_management"]
    assert {"gluten_free", "dairy_free", "low_carbohydrate", "glutamine", "nac", "zinc", "probiotic_lcs"} <= set(ids)
    glutamine = next(i for i in p.items if i.intervention == "glutamine")
    assert glutamine.reasons[0].startswith("LPS panel 2026-01-10: IgA against 3 of 6 LPS above the lab cut-off")
    assert glutamine.evidence["grade"] == "very low"
    assert glutamine.dose == Dose(7, "g", 1)
    starts = [i.start_day for i in p.items]
    assert starts == list(range(0, 14 * len(starts), 14))  # one change at a time, 14 days apart


def test_negative_panel_and_no_gut_symptoms_propose_supportive_care_only():
    p = _plan(labs=_lps([0.1] * 6))
    assert [i.intervention for i in p.items] == ["pacing", "stress_management"]
    assert any("no result above the lab's cut-off" in w for w in p.warnings)


def test_gut_symptoms_alone_are_a_reason():
    p = _plan(intake={"fatigue": FATIGUE, "dsq_sf": {"ibs": {"frequency": 3, "severity": 3}}})
    zinc = next(i for i in p.items if i.intervention == "zinc")
    assert zinc.reasons == ["DSQ-SF: irritable bowel problems (frequency 3, severity 3)"]


def test_missing_coeliac_serology_keeps_gluten_free_out_of_the_plan():
    p = _plan(labs=_lps([0.9] * 6))
    assert "gluten_free" not in [i.intervention for i in p.items]
    [blocked] = p.blocked
    assert blocked["intervention"] == "gluten_free"
    assert "coeliac" in blocked["reasons"][0].lower()


def test_a_patient_on_ciprofloxacin_offered_zinc_is_warned():
    p = _plan(labs=[*_lps([0.9] * 6), _ttg(1.0)], medicines=["ciprofloxacin"])
    zinc = next(i for i in p.items if i.intervention == "zinc")
    assert [w.check for w in zinc.warnings if w.check == "interaction"] == ["interaction"]
    assert "quinolone" in next(w.message for w in zinc.warnings if w.check == "interaction")


def test_raised_crp_proposes_curcumin_and_preferences_are_honoured():
    crp = LabValue("p", "hs_crp", 6.0, "mg/L", D, "Lab", 0.0, 3.0)
    p = _plan(labs=[crp])
    curcumin = next(i for i in p.items if i.intervention == "curcumin")
    assert "above the lab's interval" in curcumin.reasons[0]
    result = screen(Intake.model_validate({"fatigue": FATIGUE}))
    declined = propose(screen=result, ctx=Context(labs=[crp]), exclude=["curcumin", "stress_management"])
    assert [i.intervention for i in declined.items] == ["pacing"]


def test_ivig_and_graded_exercise_are_never_proposed():
    p = _plan(labs=[*_lps([0.9] * 6), _ttg(1.0)])
    assert not {"ivig", "graded_exercise"} & {i.intervention for i in p.items}


def test_every_claim_resolves_and_every_intervention_has_a_grade_and_a_limit_or_an_explicit_none():
    refs = knowledge.references()
    claims = knowledge.claims().by_id()
    for claim in claims.values():
        assert claim.references
        assert all(r in refs for r in claim.references)
    leaky = claims["leaky_gut_causes_cfs"]
    assert leaky.grade == "very low"
    assert "unproven" in leaky.verdict.lower()
    for iv in knowledge.interventions().interventions:
        assert claims[iv.claim].grade in ("high", "moderate", "low", "very low")
        if iv.kind in ("supplement", "probiotic"):
            assert iv.limits or iv.no_limit or iv.no_safe_level
            for limit in iv.limits:
                assert limit.source in refs
    ivig = knowledge.interventions().by_id()["ivig"]
    assert not ivig.plan_item
