"""The in-memory receipt index and receipt vectors: no services needed."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from receiptq.search import reader, vectors
from receiptq.search.index import VectorIndex
from receiptq.search.store import from_bytes, to_bytes

DIM = vectors.INDEX_DIM

GROCER = {
    "merchant": {"name": "CORNER GROCER LTD", "address": "12 HIGH STREET, LEEDS LS1 4AB"},
    "date": "2024-03-14",
    "time": "10:42",
    "total": "3.60",
    "items": [
        {"description": "MILK 2L"},
        {"description": "WHOLEMEAL BREAD"},
        {"description": "BANANAS"},
    ],
}
GROCER_REREAD = {  # the same receipt photographed again: OCR slips, a line lost
    **GROCER,
    "merchant": {"name": "C0RNER GROCER LTD", "address": "12 HIGH STREET, LEEDS LSl 4AB"},
    "items": [{"description": "MILK 2L"}, {"description": "WHOLEMEAL 8READ"}],
}
GROCER_NEXT_WEEK = {**GROCER, "date": "2024-03-21", "time": "11:05"}  # same basket
PIEKARNIA = {
    "merchant": {"name": "PIEKARNIA U JANA", "address": "ul. Długa 5, Gdańsk"},
    "date": "2024-03-14",
    "total": "12.40",
    "items": [{"description": "CHLEB ŻYTNI 500G"}, {"description": "ROGAL MAŚLANY"}],
}


def unit(seed: int, n: int = 1) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_receipt_vectors_are_unit_length_and_rank_duplicates_first():
    v = vectors.receipt_vectors([GROCER, GROCER_REREAD, GROCER_NEXT_WEEK, PIEKARNIA])
    assert v.shape == (4, DIM) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    reread, next_week, other = v[1:] @ v[0]
    assert reread >= reader.DUPLICATE_THRESHOLD, reread
    assert next_week < reader.DUPLICATE_THRESHOLD, next_week
    assert other < 0.5 < next_week < reread


def test_receipt_vector_is_deterministic_and_survives_missing_fields():
    assert np.array_equal(vectors.receipt_vector(GROCER), vectors.receipt_vector(GROCER))
    empty = vectors.receipt_vector({"merchant": {}, "items": []})
    assert not empty.any()  # nothing to compare: matches nothing
    only_total = vectors.receipt_vector({"total": "9.99"})
    assert np.isclose(np.linalg.norm(only_total), 1.0)


def test_fact_words_match_only_equal_values():
    assert vectors._fact_word("qd", "2024-03-14") == vectors._fact_word("qd", "2024-03-14")
    assert vectors._fact_word("qd", "2024-03-14") != vectors._fact_word("qd", "2024-03-15")
    assert vectors._fact_word("qd", None) == ""
    assert vectors._fact_word("qs", "3.60").isalpha()


def test_add_and_search_returns_nearest_first_with_cosine_scores():
    index = VectorIndex(DIM)
    vecs = unit(1, 10)
    index.add("alice", list(range(1, 11)), [f"job-{i}" for i in range(10)], vecs)
    hits = index.search("alice", vecs[3], 3)
    assert hits[0][0] == "job-3" and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(hits) == 3 and hits[0][1] >= hits[1][1] >= hits[2][1]
    assert index.size("alice") == 10 and index.size() == 10


def test_search_sees_only_the_users_own_receipts():
    index = VectorIndex(DIM)
    vecs = unit(2, 2)
    index.add("alice", [1], ["alice-job"], vecs[:1])
    index.add("bob", [2], ["bob-job"], vecs[1:])
    assert [j for j, _ in index.search("bob", vecs[0], 10)] == ["bob-job"]
    assert [j for j, _ in index.search("alice", vecs[1], 10)] == ["alice-job"]
    assert index.search("carol", vecs[0], 10) == []


def test_adding_again_is_idempotent_and_a_newer_vector_replaces_the_jobs_old_one():
    index = VectorIndex(DIM)
    old, new = unit(3, 2)
    assert index.add("alice", [5], ["job"], old[None]) == 1
    assert index.add("alice", [5], ["job"], old[None]) == 0  # the same row read twice
    assert index.add("alice", [9], ["job"], new[None]) == 1  # re-indexed: a new vector_id
    assert index.size("alice") == 1
    assert index.search("alice", new, 1)[0] == ("job", pytest.approx(1.0, abs=1e-5))
    assert index.add("alice", [7], ["job"], old[None]) == 0  # an older row read late


def test_remove_jobs_and_horizon_only_moves_forward():
    index = VectorIndex(DIM)
    vecs = unit(4, 3)
    index.add("alice", [1, 2, 3], ["a", "b", "c"], vecs, horizon=100)
    assert index.remove_jobs("alice", ["b", "zzz"]) == 1
    assert {j for j, _ in index.search("alice", vecs[1], 5)} == {"a", "c"}
    index.add("alice", [], [], np.zeros((0, DIM), np.float32), horizon=90)
    assert index.horizon("alice") == 100
    assert index.horizon("nobody") is None


def test_least_recently_used_users_are_dropped_past_max_vectors():
    index = VectorIndex(DIM, max_vectors=4)
    index.add("old", [1, 2], ["o1", "o2"], unit(5, 2))
    index.add("mid", [3, 4], ["m1", "m2"], unit(6, 2))
    index.search("old", unit(7)[0], 1)  # "old" used more recently than "mid"
    index.add("new", [5, 6], ["n1", "n2"], unit(8, 2))
    assert set(index.users()) == {"old", "new"}
    assert index.horizon("mid") is None  # rebuilt from PostgreSQL when it searches again


def test_save_and_load_round_trip(tmp_path):
    index = VectorIndex(DIM)
    a, b = unit(9, 3), unit(10, 2)
    index.add("alice", [1, 2, 3], ["a1", "a2", "a3"], a, horizon=42)
    index.add("bob", [4, 5], ["b1", "b2"], b)
    path = tmp_path / "sub" / "index.npz"
    index.save(path)
    loaded = VectorIndex.load(path)
    assert loaded.dim == DIM and loaded.size() == 5
    assert loaded.horizon("alice") == 42 and loaded.horizon("bob") is None
    assert loaded.search("alice", a[2], 1)[0][0] == "a3"
    assert [j for j, _ in loaded.search("bob", a[0], 5)] != [] and all(
        j.startswith("b") for j, _ in loaded.search("bob", a[0], 5)
    )
    assert not list(path.parent.glob(".*tmp"))  # written under a temporary name, renamed


def test_rebuilding_from_stored_rows_gives_the_same_answers():
    """What an API process on another host does: rows (as PostgreSQL returns them) -> index."""
    vecs = vectors.receipt_vectors([GROCER, GROCER_REREAD, PIEKARNIA])
    rows = [
        {"vector_id": i + 1, "job_id": f"job-{i}", "vector": to_bytes(v)}
        for i, v in enumerate(vecs)
    ]
    rebuilt = VectorIndex(DIM)
    rebuilt.add(
        "alice",
        [r["vector_id"] for r in rows],
        [r["job_id"] for r in rows],
        np.stack([from_bytes(r["vector"]) for r in rows]),
    )
    original = VectorIndex(DIM)
    original.add("alice", [1, 2, 3], ["job-0", "job-1", "job-2"], vecs)
    assert rebuilt.search("alice", vecs[0], 3) == original.search("alice", vecs[0], 3)
    assert rebuilt.search("alice", vecs[0], 3)[1][0] == "job-1"


def test_concurrent_adds_and_searches_are_safe():
    index = VectorIndex(DIM)
    vecs = unit(11, 400)
    errors = []

    def writer(offset: int) -> None:
        for i in range(offset, 400, 4):
            index.add("alice", [i + 1], [f"j{i}"], vecs[i][None])

    def reader() -> None:
        try:
            for i in range(200):
                for job, _ in index.search("alice", vecs[i], 5):
                    assert job.startswith("j")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and index.size("alice") == 400


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        VectorIndex(DIM).add("alice", [1, 2], ["a"], unit(12, 2))
