"""Lab results: the analyte catalogue in use, unit conversion, interpretation, import and trends."""
