"""Use cases of the microbiome step: import a table for a patient, list samples, ordinate against the clinic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from gutwise import knowledge
from gutwise.accounts import access
from gutwise.accounts.models import Patient
from gutwise.core import audit
from gutwise.core.authz import Actor
from gutwise.core.db import utcnow
from gutwise.core.errors import FieldError, InvalidInput
from gutwise.core.uow import UnitOfWork
from gutwise.microbiome import diversity
from gutwise.microbiome.models import MicrobiomeSample
from gutwise.microbiome.reader import TableError, TaxonTable, read_table

MAX_TABLE_BYTES = 50_000_000


def _keys(table: TaxonTable) -> list[str]:
    """Taxon keys that make samples from different files comparable: the lineage down to genus when the table
    has taxonomy (OTU ids differ between pipelines), else the taxon id."""
    keys = []
    for t in table.taxa:
        lineage = table.taxonomy.get(t)
        if lineage:
            parts = [p.strip() for p in lineage.replace("|", ";").split(";") if p.strip()]
            genus = [p for p in parts if not p.startswith("s__")]
            keys.append("; ".join(genus) or t)
        else:
            keys.append(t)
    return keys


@dataclass(frozen=True)
class SampleOut:
    id: int
    sample_id: str
    collected: date
    source: str
    kind: str
    shannon: float
    simpson: float
    observed: int
    chao1: float | None
    faith_pd: float | None
    flags: list[dict[str, Any]]

    @classmethod
    def of(cls, r: MicrobiomeSample) -> SampleOut:
        return cls(r.id, r.sample_id, r.collected, r.source, r.kind, r.shannon, r.simpson, r.observed, r.chao1,
                   r.faith_pd, r.flags)


def import_table(*, uow: UnitOfWork, actor: Actor, patient_id: int, data: bytes, filename: str,
                 collected: date, tree: Any = None) -> list[SampleOut]:
    """Every sample of the table becomes one sample of this patient, collected on ``collected``."""
    if len(data) > MAX_TABLE_BYTES:
        raise InvalidInput.one("file", f"is larger than {MAX_TABLE_BYTES // 1_000_000} MB", filename)
    if collected > date.today():
        raise InvalidInput.one("collected", "is in the future", filename)
    try:
        table = read_table(data, source=filename)
    except TableError as exc:
        raise InvalidInput([FieldError("table", reason, where) for where, reason in exc.problems]) from None
    alphas = diversity.alpha(table, tree)
    flags = diversity.taxa_flags(table)
    rel = table.relative()
    keys = _keys(table)
    now = utcnow()
    rows = []
    for i, a in enumerate(alphas):
        composition: dict[str, float] = {}
        for key, value in zip(keys, rel[i], strict=True):
            if value > 0:
                composition[key] = composition.get(key, 0.0) + float(value)
        rows.append({"patient_id": patient_id, "sample_id": a.sample[:120], "collected": collected,
                     "source": filename[:255], "kind": table.kind, "reads": a.reads, "shannon": a.shannon,
                     "simpson": a.simpson, "observed": a.observed, "chao1": a.chao1, "faith_pd": a.faith_pd,
                     "abundances": composition, "flags": [f.as_json() for f in flags[a.sample]],
                     "imported_by": actor.user_id, "created_at": now})
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        uow.session.execute(insert(MicrobiomeSample.__table__), rows)
        audit.record(uow, actor=actor, action="import", entity="microbiome_sample", patient_id=patient_id,
                     detail={"source": filename, "samples": len(rows)})
        uow.commit()
    return samples(uow=uow, actor=actor, patient_id=patient_id)


def samples(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> list[SampleOut]:
    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        rows = [SampleOut.of(r) for r in uow.session.scalars(
            select(MicrobiomeSample).where(MicrobiomeSample.patient_id == patient_id)
            .order_by(MicrobiomeSample.collected, MicrobiomeSample.id))]
        audit.record(uow, actor=actor, action="read", entity="microbiome_sample", patient_id=patient_id,
                     detail={"rows": len(rows)})
        uow.commit()
        return rows


@dataclass(frozen=True)
class ClinicOrdination:
    points: list[tuple[float, float, str, bool]]  # pc1, pc2, label, this patient's sample
    explained: tuple[float, float]
    notes: list[str]
    others: int


def ordination(*, uow: UnitOfWork, actor: Actor, patient_id: int) -> ClinicOrdination:
    """Bray-Curtis PCoA of this patient's samples among every sample the viewer may see (never others')."""
    from skbio import DistanceMatrix
    from skbio.diversity import beta_diversity

    with uow:
        access.require_patient(uow, actor=actor, patient_id=patient_id)
        rows = list(uow.session.execute(
            select(MicrobiomeSample.id, MicrobiomeSample.patient_id, MicrobiomeSample.sample_id,
                   MicrobiomeSample.collected, MicrobiomeSample.abundances)
            .join(Patient, Patient.id == MicrobiomeSample.patient_id)
            .where(access.patient_scope(actor))))
        audit.record(uow, actor=actor, action="read", entity="microbiome_ordination", patient_id=patient_id,
                     detail={"samples": len(rows)})
        uow.commit()
    if len(rows) < 3:
        return ClinicOrdination([], (0.0, 0.0), ["fewer than three samples: no ordination yet"], 0)
    taxa = sorted({k for r in rows for k in r.abundances})
    index = {k: i for i, k in enumerate(taxa)}
    matrix = np.zeros((len(rows), len(taxa)))
    for i, r in enumerate(rows):
        for k, v in r.abundances.items():
            matrix[i, index[k]] = v
    ids = [str(r.id) for r in rows]
    dm: DistanceMatrix = beta_diversity("braycurtis", matrix, ids=ids)
    o = diversity.pcoa(dm)
    points = [(o.pc1[i], o.pc2[i],
               f"{r.sample_id} {r.collected.isoformat()}" if r.patient_id == patient_id else "another sample",
               r.patient_id == patient_id) for i, r in enumerate(rows)]
    others = sum(1 for r in rows if r.patient_id != patient_id)
    return ClinicOrdination(points, o.explained, o.notes, others)


def caution() -> str:
    return knowledge.microbiome().caution
