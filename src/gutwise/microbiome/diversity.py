"""Alpha and beta diversity of taxon tables through scikit-bio, and taxa flags from the knowledge file. Pure.

Alpha: Shannon (natural log), Simpson (1 - sum p^2), observed features, Chao1 (bias-corrected; counts only) and
Faith's phylogenetic diversity when a tree is given. Beta: Bray-Curtis, ordinated by principal coordinates.
Each metric is one scikit-bio call over the whole table, so gutwise adds no per-sample Python loop.

References
----------
Shannon CE. A mathematical theory of communication. Bell Syst Tech J 1948;27:379-423.
Chao A. Nonparametric estimation of the number of classes in a population. Scand J Stat 1984;11:265-270.
Faith DP. Conservation evaluation and phylogenetic diversity. Biol Conserv 1992;61:1-10.
Bray JR, Curtis JT. An ordination of the upland forest communities of southern Wisconsin. Ecol Monogr 1957.
scikit-bio 0.7: skbio.diversity.alpha_diversity, beta_diversity; skbio.stats.ordination.pcoa.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gutwise import knowledge
from gutwise.microbiome.reader import TaxonTable


@dataclass(frozen=True)
class Alpha:
    sample: str
    shannon: float
    simpson: float
    observed: int
    chao1: float | None
    faith_pd: float | None
    reads: float | None  # total count, for count tables

    def as_json(self) -> dict[str, Any]:
        return {"sample": self.sample, "shannon": self.shannon, "simpson": self.simpson, "observed": self.observed,
                "chao1": self.chao1, "faith_pd": self.faith_pd, "reads": self.reads}


def alpha(table: TaxonTable, tree: Any = None) -> list[Alpha]:
    """Alpha diversity of every sample. Chao1 is None for relative abundances (it needs singleton counts)."""
    from skbio.diversity import alpha_diversity

    ids = table.samples
    counts = table.values
    shannon = alpha_diversity("shannon", counts, ids=ids).to_numpy()
    simpson = alpha_diversity("simpson", counts, ids=ids).to_numpy()
    observed = (counts > 0).sum(axis=1)
    chao1 = alpha_diversity("chao1", counts.astype(np.int64), ids=ids).to_numpy() \
        if table.kind == "counts" else None
    faith = None
    if tree is not None:
        faith = alpha_diversity("faith_pd", counts.astype(np.int64) if table.kind == "counts" else (counts > 0)
                                .astype(np.int64), ids=ids, taxa=table.taxa, tree=tree).to_numpy()
    reads = counts.sum(axis=1) if table.kind == "counts" else None
    return [Alpha(s, float(shannon[i]), float(simpson[i]), int(observed[i]),
                  None if chao1 is None else float(chao1[i]), None if faith is None else float(faith[i]),
                  None if reads is None else float(reads[i])) for i, s in enumerate(ids)]


@dataclass(frozen=True)
class Ordination:
    samples: list[str]
    pc1: list[float]
    pc2: list[float]
    explained: tuple[float, float]
    notes: list[str] = field(default_factory=list)


def bray_curtis(table: TaxonTable) -> Any:
    """The Bray-Curtis distance matrix of the samples (on relative abundances, so depth does not dominate)."""
    from skbio.diversity import beta_diversity

    return beta_diversity("braycurtis", table.relative(), ids=table.samples)


def pcoa(distances: Any) -> Ordination:
    """First two principal coordinates. Bray-Curtis is not Euclidean, so negative eigenvalues are expected;
    scikit-bio's warning about them is kept as a note instead of being lost."""
    from skbio.stats.ordination import pcoa as skbio_pcoa

    n = distances.shape[0]
    if n < 3:
        return Ordination(list(distances.ids), [0.0] * n, [0.0] * n, (0.0, 0.0),
                          ["fewer than three samples: no ordination"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = skbio_pcoa(distances, dimensions=2, method="fsvd" if n > 300 else "eigh")
    coords = result.samples.to_numpy()
    explained = result.proportion_explained.to_numpy()
    notes = sorted({str(w.message).split(".")[0] for w in caught})
    return Ordination(list(distances.ids), [float(x) for x in coords[:, 0]], [float(x) for x in coords[:, 1]],
                      (float(explained[0]), float(explained[1]) if len(explained) > 1 else 0.0), notes)


# --- taxa flags ------------------------------------------------------------------------------------------

_RANK = re.compile(r"^\s*([kpcofgs])__(.*)$")


def _ranks(lineage: str) -> dict[str, str]:
    out = {}
    for part in re.split(r"[;|]", lineage):
        m = _RANK.match(part)
        if m and m.group(2).strip():
            out[m.group(1)] = m.group(2).strip().strip("[]")
    return out


@dataclass(frozen=True)
class TaxonFlag:
    id: str
    label: str
    relative_abundance: float
    flagged: bool
    message: str
    source: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "taxon": self.label, "relative_abundance": round(self.relative_abundance, 6),
                "flagged": self.flagged, "message": self.message, "source": self.source}


def taxa_masks(table: TaxonTable) -> dict[str, np.ndarray]:
    """For each knowledge rule, which taxa of the table it covers (from their taxonomy strings)."""
    rules = knowledge.microbiome().rules
    lineages = [_ranks(table.taxonomy.get(t, "")) for t in table.taxa]
    masks = {}
    for rule in rules:
        m = rule.match
        names = {n.lower() for n in m.names}
        masks[rule.id] = np.array([
            (r.get(m.rank, "").lower() in names) and (m.genus is None or r.get("g", "").lower() == m.genus.lower())
            for r in lineages
        ], dtype=bool)
    return masks


def taxa_flags(table: TaxonTable) -> dict[str, list[TaxonFlag]]:
    """Per sample, the knowledge file's taxa with their relative abundance and whether they differ from the
    cited cohorts. Tables without taxonomy get no flags."""
    if not table.taxonomy:
        return {s: [] for s in table.samples}
    k = knowledge.microbiome()
    rel = table.relative()
    masks = taxa_masks(table)
    out: dict[str, list[TaxonFlag]] = {s: [] for s in table.samples}
    for rule in k.rules:
        share = rel[:, masks[rule.id]].sum(axis=1)
        for i, sample in enumerate(table.samples):
            value = float(share[i])
            flagged = (rule.above is not None and value > rule.above) or (rule.flag_if_absent and value == 0.0)
            text = rule.message.format(pct=f"{value * 100:.1f}%")
            extra = rule.when_flagged if flagged else rule.otherwise
            out[sample].append(TaxonFlag(rule.id, rule.label, value, bool(flagged), f"{text} {extra}".strip(),
                                         rule.source))
    return out
