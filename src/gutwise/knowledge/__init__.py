"""Clinical knowledge as data: YAML files a clinician can review, validated by ``schemas.py`` when loaded.

Every fact carries a reference id that resolves in ``references.yaml``; a dangling id is a load error. Loading is
cached: the files are read once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gutwise.knowledge.schemas import (
    AnalyteCatalogue,
    Claims,
    Criterion,
    Instrument,
    InterventionCatalogue,
    Medicines,
    MicrobiomeKnowledge,
    OutcomesKnowledge,
    Reference,
    ScheduleDefaults,
    ScreeningKnowledge,
)

HERE = Path(__file__).resolve().parent
INSTRUMENT_IDS = ("phq9", "gad7", "dsq_sf", "rand36_pf", "fibrofatigue", "daily")


class KnowledgeError(RuntimeError):
    """A knowledge file is malformed: names the file and the problem."""


def _read(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _validated(model: type, data: Any, path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError(f"{path.relative_to(HERE.parent)}: {exc}") from None


@lru_cache
def references() -> dict[str, Reference]:
    path = HERE / "references.yaml"
    refs = [_validated(Reference, r, path) for r in _read(path)]
    out = {r.id: r for r in refs}
    if len(out) != len(refs):
        raise KnowledgeError(f"{path.name}: duplicate reference ids")
    return out


def _check_refs(ids: list[str | None], where: str) -> None:
    known = references()
    missing = sorted({i for i in ids if i and i != "gutwise" and i not in known})
    if missing:
        raise KnowledgeError(f"{where}: unknown reference ids {missing}")


@lru_cache
def instruments() -> dict[str, Instrument]:
    out = {}
    for iid in INSTRUMENT_IDS:
        path = HERE / "instruments" / f"{iid}.yaml"
        inst: Instrument = _validated(Instrument, _read(path), path)
        if inst.id != iid:
            raise KnowledgeError(f"{path.name}: id {inst.id!r} does not match the file name")
        s = inst.scoring
        _check_refs([*inst.citation, s.missing_rule_source, s.bands_source,
                     s.presence.source if s.presence else None, *[r.source for r in inst.safety]], path.name)
        out[iid] = inst
    return out


def instrument(instrument_id: str) -> Instrument:
    try:
        return instruments()[instrument_id]
    except KeyError:
        raise KeyError(f"unknown instrument {instrument_id!r}; known: {', '.join(INSTRUMENT_IDS)}") from None


@lru_cache
def screening() -> ScreeningKnowledge:
    path = HERE / "screening.yaml"
    data: ScreeningKnowledge = _validated(ScreeningKnowledge, _read(path), path)
    ids: list[str | None] = [data.symptom_present.source]
    ids += [c.source for c in data.conditions] + [r.source for r in data.red_flags]
    ids += [c.source for c in data.checklist]
    for d in data.definitions:
        ids += d.source
    _check_refs(ids, path.name)
    for sym in data.symptoms:
        for src in sym.dsq_sf:
            if src.symptom not in instrument(src.instrument).symptoms():
                raise KnowledgeError(f"{path.name}: symptom {sym.id} maps to unknown {src.instrument}.{src.symptom}")
    return data


def criteria_leaves(c: Criterion) -> list[Criterion]:
    if not c.children:
        return [c]
    return [leaf for child in c.children for leaf in criteria_leaves(child)]


@lru_cache
def schedules() -> ScheduleDefaults:
    path = HERE / "schedules.yaml"
    data: ScheduleDefaults = _validated(ScheduleDefaults, _read(path), path)
    _check_refs([data.source], path.name)
    for entry in data.defaults:
        instrument(entry.instrument)
    return data


@lru_cache
def analytes() -> AnalyteCatalogue:
    """The analyte catalogue; every unit must be one pint can read (checked here, not at first use)."""
    from gutwise.labs.units import UnitError, convert

    path = HERE / "analytes.yaml"
    data: AnalyteCatalogue = _validated(AnalyteCatalogue, _read(path), path)
    ids: list[str | None] = [s for c in data.caveats.values() for s in c.sources]
    ids += [a.default_interval.source for a in data.analytes if a.default_interval]
    ids += [p.source for p in data.panels]
    _check_refs(ids, path.name)
    for a in data.analytes:
        for unit in a.accepted_units:
            try:
                convert(1.0, unit, a.unit)
            except UnitError as exc:
                raise KnowledgeError(f"{path.name}: {a.id}: {exc}") from None
    return data


@lru_cache
def microbiome() -> MicrobiomeKnowledge:
    path = HERE / "microbiome.yaml"
    data: MicrobiomeKnowledge = _validated(MicrobiomeKnowledge, _read(path), path)
    _check_refs([*data.caution_sources, *[r.source for r in data.rules]], path.name)
    return data


@lru_cache
def claims() -> Claims:
    path = HERE / "claims.yaml"
    data: Claims = _validated(Claims, _read(path), path)
    _check_refs([r for c in data.claims for r in c.references], path.name)
    return data


@lru_cache
def medicines() -> Medicines:
    path = HERE / "medicines.yaml"
    return _validated(Medicines, _read(path), path)


@lru_cache
def interventions() -> InterventionCatalogue:
    path = HERE / "interventions.yaml"
    data: InterventionCatalogue = _validated(InterventionCatalogue, _read(path), path)
    known_claims = claims().by_id()
    conditions = {c.id for c in data.conditions}
    classes = set(medicines().classes)
    analyte_ids = set(analytes().by_id())
    refs: list[str | None] = [data.stagger_source]
    for i in data.interventions:
        for cid in [i.claim, *i.supporting_claims]:
            if cid not in known_claims:
                raise KnowledgeError(f"{path.name}: {i.id}: unknown claim {cid}")
        refs += [d.source for d in i.study_doses] + [lim.source for lim in i.limits]
        refs += [x.source for x in i.interactions] + [x.source for x in i.contraindications]
        refs += [r.source for r in i.requires]
        refs += [i.default_dose.source] if i.default_dose else []
        refs += [n.source for n in (i.no_limit, i.no_safe_level) if n is not None]
        for x in i.contraindications:
            if x.condition not in conditions:
                raise KnowledgeError(f"{path.name}: {i.id}: unknown condition {x.condition}")
        for x in i.interactions:
            if x.drug_class not in classes:
                raise KnowledgeError(f"{path.name}: {i.id}: unknown drug class {x.drug_class}")
        for r in i.requires:
            if r.analyte not in analyte_ids:
                raise KnowledgeError(f"{path.name}: {i.id}: unknown analyte {r.analyte}")
    _check_refs(refs, path.name)
    return data


@lru_cache
def outcomes() -> OutcomesKnowledge:
    path = HERE / "outcomes.yaml"
    data: OutcomesKnowledge = _validated(OutcomesKnowledge, _read(path), path)
    refs: list[str | None] = [data.rci.source, data.nof1.source, data.cohort.duration_split_source,
                              data.cohort.epv_source]
    for iid, o in data.instruments.items():
        instrument(iid)
        refs += [o.reliability_source, o.sd_source]
        if not isinstance(o.remission, str):
            refs.append(o.remission.source)
    refs += [d.mid_source for d in data.daily.values()]
    _check_refs(refs, path.name)
    return data
