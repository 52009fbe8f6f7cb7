"""The plan builder: from a person's screen, labs, medicines, conditions, weight and preferences to a proposed
plan whose every item says why it is there (from the person's own data), how strong its evidence is, and what
the safety checks found. Pure. The clinician edits and approves; nothing reaches the patient unapproved.

Which items are proposed is data (``propose`` in ``knowledge/interventions.yaml``):

- ``always``: self-care and pacing;
- ``gut``: the leaky-gut diet, glutamine, NAC, zinc, probiotics, when the latest LPS panel has results above the
  lab's cut-off or gut symptoms are present (DSQ-SF bloating or irritable bowel, or the intake's irritable bowel);
- ``inflammation``: curcumin, when the latest (hs-)CRP is above the lab's interval;
- ``clinician``: only when a clinician adds them (carnitine, CoQ10, taurine, lipoic acid, quercetin: the Maes
  protocol used them "in case of shortage", which gutwise cannot measure);
- ``never``: IVIG and graded exercise.

Start dates are staggered (``stagger_days`` apart) so that each change can later be judged on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gutwise import knowledge
from gutwise.knowledge.schemas import Intervention
from gutwise.labs.interpret import interpret, lps_panel_summaries
from gutwise.protocol.safety import Context, Dose, Issue, Item, blocking, check_plan, unknown_medicines
from gutwise.screening.screen import ScreenResult

ORDER = ("self_care", "diet", "supplement", "probiotic")


@dataclass(frozen=True)
class ProposedItem:
    intervention: str
    name: str
    kind: str
    dose: Dose | None
    start_day: int
    reasons: list[str]
    evidence: dict[str, Any]
    warnings: list[Issue] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"intervention": self.intervention, "name": self.name, "kind": self.kind,
                "dose": None if self.dose is None else {"amount_per_day": self.dose.amount, "unit": self.dose.unit,
                                                        "times_per_day": self.dose.times_per_day,
                                                        "text": self.dose.text()},
                "start_day": self.start_day, "reasons": self.reasons, "evidence": self.evidence,
                "warnings": [w.as_json() for w in self.warnings]}


@dataclass(frozen=True)
class Proposal:
    items: list[ProposedItem]
    blocked: list[dict[str, Any]]
    warnings: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"items": [i.as_json() for i in self.items], "blocked": self.blocked, "warnings": self.warnings}


def evidence(iv: Intervention) -> dict[str, Any]:
    claims = knowledge.claims().by_id()
    main = claims[iv.claim]
    refs = knowledge.references()
    supporting = [claims[c] for c in iv.supporting_claims]
    return {"grade": main.grade, "claim": main.text, "verdict": main.verdict,
            "references": [{"id": r, "citation": f"{refs[r].short()}: {refs[r].title}"} for r in main.references],
            "supporting": [{"claim": c.text, "grade": c.grade, "verdict": c.verdict} for c in supporting]}


def _gut_reasons(screen: ScreenResult | None, ctx: Context) -> tuple[list[str], list[str]]:
    """(reasons for the gut items, notes when there are none), from the person's own data."""
    reasons, notes = [], []
    panels = lps_panel_summaries(ctx.labs)
    if panels:
        latest = panels[-1]
        if latest.above:
            reasons.append(f"LPS panel {latest.collected.isoformat()}: {latest.sentence()} "
                           "(a research assay, not a diagnostic test)")
        else:
            notes.append(f"LPS panel {latest.collected.isoformat()}: no result above the lab's cut-off.")
    else:
        notes.append("No LPS panel on record.")
    if screen is not None:
        dsq = screen.scores.get("dsq_sf")
        if dsq is not None:
            labels = knowledge.instrument("dsq_sf").symptom_labels()
            for sid in ("bloating", "ibs"):
                if dsq.present.get(sid):
                    f, s = dsq.items.get(f"{sid}_frequency"), dsq.items.get(f"{sid}_severity")
                    reasons.append(f"DSQ-SF: {labels[sid].lower()} (frequency {f}, severity {s})")
    return reasons, notes


def _inflammation_reasons(ctx: Context) -> list[str]:
    for analyte in ("hs_crp", "crp"):
        latest = ctx.latest(analyte)
        if latest is not None and interpret(latest).flag == "high":
            name = knowledge.analytes().by_id()[analyte].name
            return [f"{name} {latest.value:g} {latest.unit} on {latest.collected.isoformat()}, above the lab's "
                    "interval"]
    return []


def propose(*, screen: ScreenResult | None, ctx: Context, exclude: Sequence[str] = (),
            extra: Sequence[str] = ()) -> Proposal:
    """Propose a plan. ``exclude`` honours the person's preferences; ``extra`` adds clinician-chosen items."""
    catalogue = knowledge.interventions()
    warnings: list[str] = []
    unknown = unknown_medicines(ctx.medicines)
    if unknown:
        warnings.append(f"Medicines gutwise does not know, so not checked for interactions: {', '.join(unknown)}. "
                        "Check them with a pharmacist.")
    if screen is not None and screen.see_doctor_first:
        warnings.append("The screen found warning signs or a safety alert: see a doctor before starting anything.")
    gut, notes = _gut_reasons(screen, ctx)
    inflammation = _inflammation_reasons(ctx)
    if not gut:
        warnings.append("Gut items are not proposed: " + " ".join(notes) + " No gut symptoms were reported either.")
    chosen: list[tuple[Intervention, list[str]]] = []
    for iv in catalogue.interventions:
        if iv.id in exclude or not iv.plan_item:
            continue
        if iv.propose == "always":
            chosen.append((iv, ["Supportive care recommended for everyone with ME/CFS (NICE NG206)."]))
        elif iv.propose == "gut" and gut:
            chosen.append((iv, list(gut)))
        elif iv.propose == "inflammation" and inflammation:
            chosen.append((iv, inflammation))
        elif iv.id in extra:
            chosen.append((iv, ["Added by the clinician."]))
    chosen.sort(key=lambda pair: ORDER.index(pair[0].kind) if pair[0].kind in ORDER else len(ORDER))
    items: list[Item] = []
    for n, (iv, _) in enumerate(chosen):
        d = iv.default_dose
        items.append(Item(iv.id, Dose(d.amount, d.unit, d.times_per_day) if d else None,
                          n * catalogue.stagger_days))
    issues = check_plan(items, ctx)
    proposed, blocked = [], []
    for (iv, reasons), item in zip(chosen, items, strict=True):
        mine = [i for i in issues if i.intervention == iv.id]
        hard = [i for i in blocking(mine) if i.check != "dose_missing"]  # a missing dose the clinician can set
        if hard:
            blocked.append({"intervention": iv.id, "name": iv.name, "reasons": [i.message for i in hard],
                            "checks": [i.as_json() for i in hard]})
            continue
        proposed.append(ProposedItem(iv.id, iv.name, iv.kind, item.dose, item.start_day, reasons, evidence(iv),
                                     mine))
    # re-stagger after removing blocked items, so that nobody waits for a start slot that went away
    restaggered = []
    for n, p in enumerate(proposed):
        moved = ProposedItem(p.intervention, p.name, p.kind, p.dose, n * catalogue.stagger_days, p.reasons,
                             p.evidence, [w for w in p.warnings if w.check != "same_day_start"])
        restaggered.append(moved)
    warnings.append("Doses shown are doses used in studies or the source protocol, not recommendations; NICE NG206 "
                    "advises against supplements as a cure for ME/CFS. The clinician decides.")
    return Proposal(restaggered, blocked, warnings)
