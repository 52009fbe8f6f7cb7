"""Reading taxon tables: BIOM (JSON 1.0 or HDF5 2.x, through biom-format) and the classic TSV layout that
``biom convert`` writes (an optional ``# Constructed from biom file`` line, then ``#OTU ID``, one column per
sample, an optional ``taxonomy`` column). Pure: bytes in, a ``TaxonTable`` out, or every problem found.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Kind = Literal["counts", "relative"]


class TableError(ValueError):
    """The table cannot be read: lists (where, reason) problems."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{w}: {r}" for w, r in problems))
        self.problems = problems


@dataclass(frozen=True)
class TaxonTable:
    samples: list[str]
    taxa: list[str]
    values: np.ndarray  # samples x taxa, float
    taxonomy: dict[str, str]  # taxon id -> "k__Bacteria; p__...; ..." (empty when the table has none)
    kind: Kind

    def relative(self) -> np.ndarray:
        totals = self.values.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, self.values / totals, 0.0)


def _kind(values: np.ndarray, source: str) -> Kind:
    if values.size and np.all(np.equal(np.mod(values, 1), 0)):
        return "counts"
    sums = values.sum(axis=1)
    if np.all(np.isclose(sums, 1.0, atol=0.02)) or np.all(np.isclose(sums, 100.0, atol=2.0)):
        return "relative"
    raise TableError([(source, "values are neither whole counts nor relative abundances (each sample summing "
                               "to 1 or 100)")])


def _check(values: np.ndarray, samples: list[str], taxa: list[str], source: str) -> None:
    problems = []
    if not samples:
        problems.append((source, "no samples"))
    if not taxa:
        problems.append((source, "no taxa"))
    if len(set(samples)) != len(samples):
        problems.append((source, "duplicate sample ids"))
    if len(set(taxa)) != len(taxa):
        problems.append((source, "duplicate taxon ids"))
    if values.size and (not np.all(np.isfinite(values)) or values.min() < 0):
        problems.append((source, "values must be finite and not negative"))
    if problems:
        raise TableError(problems)


def _from_biom(data: bytes, source: str) -> TaxonTable:
    import biom

    try:
        if data[:8] == b"\x89HDF\r\n\x1a\n":
            import h5py

            with h5py.File(io.BytesIO(data), "r") as handle:
                table = biom.Table.from_hdf5(handle)
        else:
            table = biom.parse.parse_biom_table(io.StringIO(data.decode("utf-8")))
    except Exception as exc:  # biom raises many types for malformed files
        raise TableError([(source, f"not a readable BIOM table ({exc.__class__.__name__}: {exc})")]) from None
    samples = [str(s) for s in table.ids(axis="sample")]
    taxa = [str(t) for t in table.ids(axis="observation")]
    values = np.asarray(table.matrix_data.toarray(), dtype=float).T
    taxonomy = {}
    for tid, meta in zip(taxa, table.metadata(axis="observation") or [None] * len(taxa), strict=True):
        tax = (meta or {}).get("taxonomy")
        if tax:
            taxonomy[tid] = "; ".join(tax) if isinstance(tax, list | tuple) else str(tax)
    _check(values, samples, taxa, source)
    return TaxonTable(samples, taxa, values, taxonomy, _kind(values, source))


def _from_tsv(text: str, source: str) -> TaxonTable:
    lines = [line for line in text.splitlines() if line.strip()]
    while lines and lines[0].startswith("#") and not lines[0].startswith("#OTU ID"):
        lines.pop(0)
    if not lines or not lines[0].startswith("#OTU ID"):
        raise TableError([(f"{source} line 1", "the header must start with '#OTU ID' (the layout of biom convert)")])
    header = lines[0].rstrip("\n").split("\t")
    has_taxonomy = header[-1].strip().lower() in ("taxonomy", "consensus lineage")
    samples = [h.strip() for h in header[1:-1 if has_taxonomy else None]]
    taxa, rows, taxonomy, problems = [], [], {}, []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        expected = len(samples) + 1 + (1 if has_taxonomy else 0)
        if len(cells) != expected:
            problems.append((f"{source} line {n}", f"{len(cells)} columns, expected {expected}"))
            continue
        tid = cells[0].strip()
        try:
            row = [float(c) for c in cells[1:1 + len(samples)]]
        except ValueError:
            problems.append((f"{source} line {n}", "a value is not a number"))
            continue
        if any(not math.isfinite(v) or v < 0 for v in row):
            problems.append((f"{source} line {n}", "values must be finite and not negative"))
            continue
        taxa.append(tid)
        rows.append(row)
        if has_taxonomy and cells[-1].strip():
            taxonomy[tid] = cells[-1].strip()
    if problems:
        raise TableError(problems)
    values = np.asarray(rows, dtype=float).T if rows else np.zeros((len(samples), 0))
    _check(values, samples, taxa, source)
    return TaxonTable(samples, taxa, values, taxonomy, _kind(values, source))


def read_table(data: bytes, *, source: str) -> TaxonTable:
    """A BIOM (JSON or HDF5) or classic TSV taxon table; the format is recognised from the content."""
    head = data[:200].lstrip()
    if data[:8] == b"\x89HDF\r\n\x1a\n" or head.startswith(b"{"):
        return _from_biom(data, source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError([(source, "neither a BIOM file nor a UTF-8 text table")]) from None
    return _from_tsv(text, source)
