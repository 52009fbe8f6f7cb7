"""Code systems and canonical URLs that gutwise mints where no standard code exists.

The base is reserved (``.invalid``) so that nobody mistakes these for resolvable URLs; a deployment may keep them,
since FHIR only needs canonical URLs to be stable and unique.
"""

from __future__ import annotations

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
BASE = "https://gutwise.invalid/fhir"
INSTRUMENT_CODES = f"{BASE}/CodeSystem/instrument"
ANALYTE_CODES = f"{BASE}/CodeSystem/analyte"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

# LOINC codes of instrument totals, where LOINC has one.
TOTAL_LOINC = {"phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
               "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]")}


def questionnaire_url(instrument_id: str) -> str:
    return f"{BASE}/Questionnaire/{instrument_id}"


def option_system(instrument_id: str, option_set: str) -> str:
    return f"{BASE}/CodeSystem/{instrument_id}-{option_set}"
INTERVENTION_CODES = f"{BASE}/CodeSystem/intervention"
