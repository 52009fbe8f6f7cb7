"""An approved plan as a FHIR R4 ``CarePlan``. Pure builder, validated with ``fhir.resources.R4B``.

Supplements and probiotics become contained ``MedicationStatement`` resources (what the patient takes) and
``MedicationRequest``-kind activities with the daily amount; diet items become a contained ``NutritionOrder``
referenced by an activity; self-care items are activities with a plain description. Each activity says why it is
in the plan and carries the evidence grade as text, so a receiving system keeps the honesty of the original.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fhir.resources.R4B.careplan import CarePlan

from gutwise.interop import codes


def careplan(plan: Any, *, patient_id: int) -> dict[str, Any]:
    """``plan`` is a ``protocol.service.PlanView`` of an approved plan."""
    subject = {"reference": f"Patient/{patient_id}"}
    contained: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    for item in plan.items:
        concept = {"coding": [{"system": codes.INTERVENTION_CODES, "code": item.intervention, "display": item.name}],
                   "text": item.name}
        start = item.start_date.isoformat() if item.start_date else None
        period = {k: v for k, v in {"start": start,
                                    "end": (item.stopped_on - timedelta(days=1)).isoformat()
                                    if item.stopped_on else None}.items() if v}
        why = f"Why: {'; '.join(item.reasons)}. Evidence: {item.evidence['grade']} certainty."
        status = "stopped" if item.stopped_on else "in-progress"
        if item.kind in ("supplement", "probiotic"):
            ref = f"ms-{item.intervention.replace('_', '-')}"
            statement: dict[str, Any] = {"resourceType": "MedicationStatement", "id": ref, "status":
                                         "stopped" if item.stopped_on else "active",
                                         "medicationCodeableConcept": concept, "subject": subject,
                                         "note": [{"text": why}]}
            if period:
                statement["effectivePeriod"] = period
            if item.dose is not None:
                statement["dosage"] = [{"text": item.dose.text(),
                                        "timing": {"repeat": {"frequency": item.dose.times_per_day, "period": 1,
                                                              "periodUnit": "d"}}}]
            contained.append(statement)
            detail: dict[str, Any] = {"kind": "MedicationRequest", "status": status, "productCodeableConcept": concept,
                                      "description": why}
            if item.dose is not None:
                detail["dailyAmount"] = {"value": item.dose.amount, "unit": item.dose.unit}
            if period:
                detail["scheduledPeriod"] = period
            activities.append({"detail": detail, "outcomeReference": [{"reference": f"#{ref}"}]})
        elif item.kind == "diet":
            ref = f"no-{item.intervention.replace('_', '-')}"
            order: dict[str, Any] = {"resourceType": "NutritionOrder", "id": ref, "status": "active", "intent": "plan",
                                     "patient": subject, "dateTime": start or plan.start_date.isoformat(),
                                     "oralDiet": {"type": [concept], "instruction": item.plain},
                                     "note": [{"text": why}]}
            contained.append(order)
            activities.append({"reference": {"reference": f"#{ref}", "display": item.name}})
        else:
            detail = {"kind": "Task", "status": status, "code": concept, "description": f"{item.plain} {why}"}
            if period:
                detail["scheduledPeriod"] = period
            activities.append({"detail": detail})
    resource = {
        "resourceType": "CarePlan",
        "id": f"plan-{plan.id}",
        "contained": contained,
        "status": "active",
        "intent": "plan",
        "title": "Personalised ME/CFS protocol",
        "description": "Approved by the clinician. gutwise does not prescribe; every item carries its evidence grade.",
        "subject": subject,
        "period": {"start": plan.start_date.isoformat()},
        "activity": activities,
    }
    return CarePlan.model_validate(resource).model_dump(mode="json", exclude_none=True)
