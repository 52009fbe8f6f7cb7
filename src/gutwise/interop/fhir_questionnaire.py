"""Instruments as FHIR R4 ``Questionnaire`` and responses as ``QuestionnaireResponse``. Pure builders.

Every resource is validated with ``fhir.resources.R4B`` (wire-compatible with R4 for these resources) before it
leaves. LOINC codes are used where they exist (PHQ-9 44249-1, GAD-7 69737-5 and their items), a gutwise code system
otherwise; each answer option carries its numeric value as the ``ordinalValue`` extension so scoring can be
reproduced elsewhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from gutwise.interop import codes
from gutwise.knowledge.schemas import Instrument, Item

_TYPES = {"choice": "choice", "integer": "integer", "number": "decimal", "boolean": "boolean", "text": "text"}


def _coding_for_option(instrument: Instrument, item: Item, value: Any) -> dict[str, Any]:
    option = next(o for o in instrument.option_sets[item.options or ""] if o.value == value)
    if option.code:
        return {"system": codes.LOINC, "code": option.code, "display": option.label}
    return {"system": codes.option_system(instrument.id, item.options or ""), "code": str(option.value),
            "display": option.label}


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """The instrument as a validated FHIR R4 Questionnaire (JSON-ready dict)."""
    items = []
    for item in instrument.items:
        entry: dict[str, Any] = {"linkId": item.id, "text": item.text, "type": _TYPES[item.type]}
        if item.loinc:
            entry["code"] = [{"system": codes.LOINC, "code": item.loinc}]
        if item.type == "choice":
            entry["answerOption"] = [
                {"valueCoding": _coding_for_option(instrument, item, o.value),
                 "extension": [{"url": codes.ORDINAL_VALUE, "valueDecimal": o.value}]}
                for o in instrument.option_sets[item.options or ""]
            ]
        items.append(entry)
    if instrument.scoring.method in ("sum", "mean"):
        total: dict[str, Any] = {"linkId": "total", "text": f"{instrument.short_title} total score",
                                 "type": "decimal", "readOnly": True}
        if instrument.id in codes.TOTAL_LOINC:
            code, display = codes.TOTAL_LOINC[instrument.id]
            total["code"] = [{"system": codes.LOINC, "code": code, "display": display}]
        items.append(total)
    code = ({"system": codes.LOINC, "code": instrument.loinc} if instrument.loinc
            else {"system": codes.INSTRUMENT_CODES, "code": instrument.id})
    resource = {
        "resourceType": "Questionnaire",
        "id": instrument.id.replace("_", "-"),
        "url": codes.questionnaire_url(instrument.id),
        "version": instrument.version,
        "name": instrument.short_title.replace("-", "").replace(" ", "").replace("/", ""),
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "code": [{**code, "display": instrument.title}],
        "description": instrument.instructions,
        "copyright": instrument.licence,
        "item": items,
    }
    return Questionnaire.model_validate(resource).model_dump(mode="json", exclude_none=True)


def questionnaire_response(instrument: Instrument, *, response_id: int, patient_id: int, answered_on: date,
                           answers: dict[str, Any], total: float | None) -> dict[str, Any]:
    """One stored response as a validated FHIR R4 QuestionnaireResponse (JSON-ready dict)."""
    items = []
    for item in instrument.items:
        if item.id not in answers or answers[item.id] is None:
            continue
        value = answers[item.id]
        if item.type == "choice":
            answer = {"valueCoding": _coding_for_option(instrument, item, value)}
        elif item.type == "boolean":
            answer = {"valueBoolean": bool(value)}
        elif item.type == "text":
            answer = {"valueString": str(value)}
        elif item.type == "integer":
            answer = {"valueInteger": int(value)}
        else:
            answer = {"valueDecimal": value}
        items.append({"linkId": item.id, "text": item.text, "answer": [answer]})
    if total is not None:
        items.append({"linkId": "total", "text": f"{instrument.short_title} total score",
                      "answer": [{"valueDecimal": total}]})
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": f"{instrument.id.replace('_', '-')}-{response_id}",
        "questionnaire": f"{codes.questionnaire_url(instrument.id)}|{instrument.version}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "authored": answered_on.isoformat(),
        "item": items,
    }
    return QuestionnaireResponse.model_validate(resource).model_dump(mode="json", exclude_none=True)
