"""Exchange with other systems: FHIR R4 (validated with ``fhir.resources.R4B``), CSV, REDCap."""
