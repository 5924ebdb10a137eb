"""Exact inner-product search over sparse vectors: the categorizer's catalog.

The catalog's vectors (hashed character n-grams, `receiptq.pipeline.embed`) have about 32
non-zero values of 2,048, and so have the queries, so the catalog is kept by column (an
inverted index, 0.6 MB instead of a 19 MB dense matrix) and a query touches only the
columns where it is not zero. numpy alone: a worker process does not load FAISS (22 MB)
for it. Results are those of a flat inner-product index (``faiss.IndexFlatIP``) up to the
order of tied scores (docs/categorization.md).
"""

from __future__ import annotations

import numpy as np


class SparseIndex:
    """Rows of ``vectors`` stored by column; `search` finds each query's k best rows."""

    def __init__(self, vectors: np.ndarray) -> None:
        if not len(vectors):
            raise ValueError("no vectors")
        vectors = np.asarray(vectors, dtype=np.float32)
        self.ntotal, self.dim = vectors.shape
        rows, cols = np.nonzero(vectors)
        order = np.argsort(cols, kind="stable")  # column by column, rows ascending in each
        self.rows = rows[order].astype(np.int32)
        self.values = vectors[rows[order], cols[order]]
        self.lengths = np.bincount(cols, minlength=self.dim)
        self.colptr = np.concatenate(([0], np.cumsum(self.lengths)))

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Inner products of one query vector with every stored row (float64)."""
        dims = np.flatnonzero(query)
        starts, lengths = self.colptr[dims], self.lengths[dims]
        # The positions of the stored values of those columns, one run per column.
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        at = offsets + np.arange(int(lengths.sum()))
        weights = self.values[at] * np.repeat(query[dims], lengths)
        return np.bincount(self.rows[at], weights=weights, minlength=self.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k highest inner products of each query (rows of ``queries``) and their rows,
        best first, ties by row; rows of -1 and scores of -inf past the rows stored."""
        kept = min(k, self.ntotal)
        sims = np.full((len(queries), k), -np.inf, dtype=np.float32)
        idx = np.full((len(queries), k), -1, dtype=np.int64)
        for q, query in enumerate(np.asarray(queries, dtype=np.float32)):
            scores = self.scores(query).astype(np.float32)
            top = np.argpartition(-scores, kept - 1)[:kept]
            order = np.lexsort((top, -scores[top]))
            idx[q, :kept] = top[order]
            sims[q, :kept] = scores[top[order]]
        return sims, idx
