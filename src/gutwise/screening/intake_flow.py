"""The steps of the web intake: one topic per screen, in order. Pure data about the form, not clinical rules.

Each step fills part of the ``INTAKE.json`` document (``screening/schemas.py``), so a finished web intake and a
file given to ``gutwise screen`` are the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["about", "fatigue", "instrument", "symptoms", "conditions", "red_flags"]


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    intro: str
    kind: Kind
    instrument: str | None = None
    section: str | None = None
    symptoms: tuple[str, ...] = ()
    optional: bool = False


STEPS: tuple[Step, ...] = (
    Step("about", "About you", "Two quick questions. You can stop at any point and come back later.", "about"),
    Step("fatigue", "Your fatigue", "About the tiredness itself, and how long you have had it.", "fatigue"),
    Step("energy", "Fatigue and what happens after activity", "Over the past 6 months.", "instrument",
         instrument="dsq_sf", section="energy"),
    Step("sleep_pain", "Sleep, pain and thinking", "Over the past 6 months.", "instrument",
         instrument="dsq_sf", section="sleep_pain"),
    Step("body", "Gut, balance, temperature and illness", "Over the past 6 months.", "instrument",
         instrument="dsq_sf", section="body"),
    Step("infection_pain", "Throat, glands, joints and headaches", "Over the past 6 months.", "symptoms",
         symptoms=("sore_throat", "tender_lymph_nodes", "joint_pain", "new_headaches")),
    Step("other_symptoms", "Other symptoms", "Over the past 6 months. Skip any you are unsure about.", "symptoms",
         symptoms=("orthostatic_intolerance", "confusion", "slowed_thinking", "word_finding", "sensory_overload",
                   "muscle_weakness_ataxia", "palpitations", "urinary_frequency", "breathless_on_exertion",
                   "heat_cold_intolerance", "weight_change"), optional=True),
    Step("conditions", "Other diagnoses", "Has a doctor told you that you have any of these? Tick any that apply.",
         "conditions"),
    Step("red_flags", "Warning signs", "Do any of these apply to you now? Tick any that apply.", "red_flags"),
    Step("mood", "Mood", "Over the last 2 weeks.", "instrument", instrument="phq9", optional=True),
    Step("worry", "Worry", "Over the last 2 weeks.", "instrument", instrument="gad7", optional=True),
    Step("activities", "Everyday activities", "Does your health now limit you in these activities?", "instrument",
         instrument="rand36_pf", optional=True),
)
STEP_IDS = tuple(s.id for s in STEPS)


def step(step_id: str) -> Step:
    for s in STEPS:
        if s.id == step_id:
            return s
    raise KeyError(step_id)


def next_step(done: list[str]) -> Step | None:
    """The first step not yet done (None when every step is done)."""
    for s in STEPS:
        if s.id not in done:
            return s
    return None
