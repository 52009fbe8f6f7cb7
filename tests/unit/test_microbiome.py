"""Diversity checked against scikit-bio called directly, SciPy's Bray-Curtis, and QIIME 1.9.1 Faith's PD."""

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import braycurtis
from skbio import TreeNode
from skbio.diversity import alpha_diversity

from gutwise.microbiome import diversity
from gutwise.microbiome.reader import TableError, read_table

DATA = Path(__file__).resolve().parents[1] / "data" / "microbiome"


def _table(name):
    return read_table((DATA / name).read_bytes(), source=name)


@pytest.mark.parametrize("name", ["rich_sparse_otu_table.biom", "rich_sparse_otu_table_hdf5.biom",
                                  "qiime-191-tt-otu-table.tsv"])
def test_alpha_matches_scikit_bio_called_directly(name):
    table = _table(name)
    assert table.kind == "counts"
    got = diversity.alpha(table)
    counts = table.values.astype(int)
    for metric, attr in [("shannon", "shannon"), ("simpson", "simpson"), ("observed_features", "observed"),
                         ("chao1", "chao1")]:
        expected = alpha_diversity(metric, counts, ids=table.samples).to_numpy()
        assert [getattr(a, attr) for a in got] == pytest.approx(expected, rel=1e-12)


def test_shannon_uses_the_natural_log():
    table = read_table(b"#OTU ID\ts1\na\t1\nb\t1\n", source="two.tsv")
    [a] = diversity.alpha(table)
    assert a.shannon == pytest.approx(np.log(2))
    assert a.simpson == pytest.approx(0.5)


def test_biom_json_and_hdf5_give_the_same_table():
    a, b = _table("rich_sparse_otu_table.biom"), _table("rich_sparse_otu_table_hdf5.biom")
    assert a.samples == b.samples
    assert a.taxa == b.taxa
    assert np.array_equal(a.values, b.values)
    assert a.taxonomy["GG_OTU_1"].startswith("k__Bacteria; p__Proteobacteria")


def test_faith_pd_matches_qiime_191():
    table = _table("qiime-191-tt-otu-table.tsv")
    tree = TreeNode.read(str(DATA / "qiime-191-tt-tree.nwk"))
    reference = {}
    for line in (DATA / "qiime-191-tt-faith-pd.txt").read_text().splitlines()[1:]:
        sample, value = line.split("\t")
        reference[sample] = float(value)
    got = {a.sample: a.faith_pd for a in diversity.alpha(table, tree)}
    assert got == pytest.approx(reference, abs=1e-5)


def test_bray_curtis_matches_scipy_on_relative_abundances():
    table = _table("qiime-191-tt-otu-table.tsv")
    dm = diversity.bray_curtis(table)
    rel = table.relative()
    for i in range(len(table.samples)):
        for j in range(len(table.samples)):
            assert dm[i, j] == pytest.approx(braycurtis(rel[i], rel[j]) if i != j else 0.0, abs=1e-12)
    o = diversity.pcoa(dm)
    assert len(o.pc1) == len(table.samples)
    assert 0 < o.explained[0] <= 1


def test_relative_abundances_get_no_chao1():
    table = read_table(b"#OTU ID\ts1\ts2\na\t0.5\t0.2\nb\t0.25\t0.8\nc\t0.25\t0\n", source="rel.tsv")
    assert table.kind == "relative"
    assert [a.chao1 for a in diversity.alpha(table)] == [None, None]
    assert [a.reads for a in diversity.alpha(table)] == [None, None]


def test_taxa_flags_from_the_knowledge_file():
    table = _table("rich_sparse_otu_table.biom")
    flags = diversity.taxa_flags(table)
    # by hand: the share of the OTUs whose lineage names the family (GG_OTU_1 and GG_OTU_5)
    entero_otus = [i for i, t in enumerate(table.taxa) if "f__Enterobacteriaceae" in table.taxonomy[t]]
    assert [table.taxa[i] for i in entero_otus] == ["GG_OTU_1", "GG_OTU_5"]
    rel = table.values[:, entero_otus].sum(axis=1) / table.values.sum(axis=1)
    for i, sample in enumerate(table.samples):
        entero = next(f for f in flags[sample] if f.id == "enterobacteriaceae")
        assert entero.relative_abundance == pytest.approx(rel[i])
        assert entero.flagged == (rel[i] > 0.03)
    assert diversity.taxa_flags(_table("qiime-191-tt-otu-table.tsv"))["f1"] == []  # no taxonomy, no flags


@pytest.mark.parametrize(("content", "reason"), [
    (b"OTU\ts1\na\t1\n", "the header must start with '#OTU ID'"),
    (b"#OTU ID\ts1\na\tx\n", "a value is not a number"),
    (b"#OTU ID\ts1\ts2\na\t1\n", "2 columns, expected 3"),
    (b"#OTU ID\ts1\na\t-1\n", "values must be finite and not negative"),
    (b"#OTU ID\ts1\ts2\na\t0.3\t1.5\nb\t0.2\t7.1\n", "neither whole counts nor relative abundances"),
    (b'{"id": "x", "format": "nope"}', "not a readable BIOM table"),
])
def test_bad_tables_are_refused_with_a_reason(content, reason):
    with pytest.raises(TableError) as err:
        read_table(content, source="t")
    assert reason in str(err.value)
