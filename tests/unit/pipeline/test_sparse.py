"""The sparse inner-product index against a dense reference (numpy's matrix product)."""

from __future__ import annotations

import numpy as np
import pytest

from receiptq.pipeline.embed import embed
from receiptq.pipeline.sparse import SparseIndex


def test_scores_equal_the_dense_product() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 64)).astype(np.float32)
    vectors[rng.random(vectors.shape) < 0.8] = 0.0  # mostly zeros, like hashed n-grams
    vectors[7] = 0.0  # a row with nothing stored
    queries = rng.normal(size=(5, 64)).astype(np.float32)
    queries[queries < 0.5] = 0.0
    index = SparseIndex(vectors)
    for query in queries:
        np.testing.assert_allclose(index.scores(query), vectors @ query, rtol=1e-5, atol=1e-6)


def test_search_finds_the_best_rows_in_order() -> None:
    names = ["mleko uht", "chleb zytni", "spring water", "mineral water", "cream crackers"]
    index = SparseIndex(embed(names))
    sims, idx = index.search(embed(["MLEK0 UHT 1L", "WATER"]), 3)
    assert idx[0, 0] == 0 and sims[0, 0] > 0.5
    assert set(idx[1, :2]) == {2, 3}  # both waters before anything else
    assert list(sims[1]) == sorted(sims[1], reverse=True)
    dense = embed(names) @ embed(["MLEK0 UHT 1L"])[0]
    assert sims[0, 0] == pytest.approx(dense.max(), abs=1e-6)


def test_fewer_rows_than_k_and_an_empty_query() -> None:
    index = SparseIndex(embed(["kefir", "maslo"]))
    sims, idx = index.search(embed(["kefir", "*****"]), 4)
    assert idx[0, 0] == 0 and list(idx[0, 2:]) == [-1, -1]
    assert np.isneginf(sims[0, 2:]).all()
    assert (sims[1, :2] == 0).all()  # nothing to match on: every stored row scores 0
