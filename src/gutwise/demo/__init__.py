"""The synthetic demo cohort (simulator + loader). Every record it writes is flagged synthetic."""
