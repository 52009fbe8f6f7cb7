"""Patient and clinician reports: Jinja2 -> HTML -> WeasyPrint PDF."""
