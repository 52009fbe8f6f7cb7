"""Users, patients, clinician links with consent, sessions and API tokens."""
