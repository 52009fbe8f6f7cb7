"""Every instrument exports as a valid FHIR R4 Questionnaire, and responses as QuestionnaireResponses."""

from datetime import date

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from gutwise import knowledge
from gutwise.interop.fhir_questionnaire import questionnaire, questionnaire_response
from gutwise.screening.scoring import score, validate_answers


@pytest.mark.parametrize("iid", knowledge.INSTRUMENT_IDS)
def test_each_instrument_is_a_valid_r4_questionnaire(iid):
    inst = knowledge.instrument(iid)
    q = Questionnaire.model_validate(questionnaire(inst))
    assert [i.linkId for i in q.item][: len(inst.items)] == [i.id for i in inst.items]
    assert q.status == "active"


def test_loinc_codes_where_they_exist():
    phq = questionnaire(knowledge.instrument("phq9"))
    assert phq["code"][0] == {"system": "http://loinc.org", "code": "44249-1",
                              "display": "Patient Health Questionnaire-9 (PHQ-9)"}
    assert phq["item"][8]["code"][0]["code"] == "44260-8"
    assert phq["item"][-1]["code"][0]["code"] == "44261-6"  # the total
    gad = questionnaire(knowledge.instrument("gad7"))
    assert gad["code"][0]["code"] == "69737-5"
    assert gad["item"][0]["answerOption"][3]["valueCoding"]["code"] == "LA6571-9"
    dsq = questionnaire(knowledge.instrument("dsq_sf"))
    assert dsq["code"][0]["system"].startswith("https://gutwise.invalid/")


def test_a_response_round_trips_through_fhir():
    inst = knowledge.instrument("phq9")
    answers = validate_answers(inst, [0, 1, 2, 3, 0, 1, 2, 3, 1, 2])
    result = score(inst, answers)
    fhir = questionnaire_response(inst, response_id=7, patient_id=3, answered_on=date(2026, 2, 1), answers=answers,
                                  total=result.total)
    parsed = QuestionnaireResponse.model_validate(fhir)
    assert parsed.subject.reference == "Patient/3"
    ordinal = {item.linkId: {(o.valueCoding.system, o.valueCoding.code): o.extension[0].valueDecimal
                             for o in item.answerOption}
               for item in Questionnaire.model_validate(questionnaire(inst)).item if item.answerOption}
    back = {i.linkId: ordinal[i.linkId][(i.answer[0].valueCoding.system, i.answer[0].valueCoding.code)]
            for i in parsed.item if i.linkId != "total"}
    assert back == {k: v for k, v in answers.items()}
    assert parsed.item[-1].answer[0].valueDecimal == result.total == 13
