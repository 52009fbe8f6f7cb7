"""Screening: instruments and scoring, ME/CFS case definitions, red flags, the intake."""
