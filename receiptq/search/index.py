"""The in-memory FAISS index of receipt vectors (docs/search.md).

PostgreSQL's `receipt_vectors` (receiptq.search.store) is the truth; a `VectorIndex` is a
per-process cache of it that any host can build, so the API needs no shared disk. The index
keeps one exact inner-product index per user: a user's search cannot see another user's
receipts (there is nothing of theirs in the index it scans), and it scans only that user's
vectors, which is what keeps it fast (docs/search.md has the measurements against one global index).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

FILE_FORMAT = 1


@dataclass
class _Shard:
    """One user's vectors: a FAISS index plus the vector_id <-> job_id maps."""

    index: faiss.IndexIDMap2
    job_of: dict[int, str] = field(default_factory=dict)
    id_of: dict[str, int] = field(default_factory=dict)
    horizon: int | None = None  # see vectors_since; None until caught up once
    used_at: float = field(default_factory=time.monotonic)


class VectorIndex:
    """Per-user FAISS `IndexIDMap2(IndexFlatIP)` indexes, thread-safe.

    Vectors must be unit length (inner product = cosine similarity). Ids are the rows'
    `vector_id`; a job has at most one vector, so adding a job's new vector replaces the
    old one. `max_vectors` bounds memory: past it, the least recently used users are
    dropped (and rebuilt from PostgreSQL when they search again).
    """

    def __init__(self, dim: int, max_vectors: int = 0) -> None:
        self.dim = dim
        self.max_vectors = max_vectors
        self._shards: OrderedDict[str, _Shard] = OrderedDict()
        self._lock = threading.Lock()

    def _shard(self, user_id: str) -> _Shard | None:
        """The user's shard, marked as just used; None if the user has none."""
        shard = self._shards.get(user_id)
        if shard is not None:
            shard.used_at = time.monotonic()
            self._shards.move_to_end(user_id)
        return shard

    def _shard_or_new(self, user_id: str) -> _Shard:
        """The user's shard, created empty if the user has none."""
        shard = self._shard(user_id)
        if shard is None:
            faiss.omp_set_num_threads(1)  # see receiptq/pipeline/categorize.py
            shard = _Shard(faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim)))
            self._shards[user_id] = shard
        return shard

    def add(
        self,
        user_id: str,
        vector_ids: Sequence[int],
        job_ids: Sequence[str],
        vectors: np.ndarray,
        horizon: int | None = None,
    ) -> int:
        """Add rows (ids already present are skipped) and, if given, move the user's
        catch-up horizon forward. Returns how many vectors were added."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if not len(vector_ids) == len(job_ids) == len(vectors):
            raise ValueError("vector_ids, job_ids and vectors differ in length")
        with self._lock:
            shard = self._shard_or_new(user_id)
            keep, stale = [], []
            for row, (vid, job) in enumerate(zip(vector_ids, job_ids, strict=True)):
                vid = int(vid)
                if vid in shard.job_of:
                    continue
                old = shard.id_of.get(job)
                if old is not None:  # the job was indexed again: its new vector wins
                    if old > vid:
                        continue
                    stale.append(old)
                    del shard.job_of[old]
                shard.id_of[job] = vid
                shard.job_of[vid] = job
                keep.append(row)
            if stale:
                shard.index.remove_ids(np.asarray(stale, dtype=np.int64))  # type: ignore[arg-type]  # faiss's Python wrapper takes an id array; the stubs list only IDSelector
            if keep:
                ids = np.asarray([int(vector_ids[r]) for r in keep], dtype=np.int64)
                shard.index.add_with_ids(vectors[keep], ids)
            if horizon is not None:
                shard.horizon = max(horizon, shard.horizon or 0)
            self._evict(keep_user=user_id)
            return len(keep)

    def remove_jobs(self, user_id: str, job_ids: Sequence[str]) -> int:
        """Forget jobs (their receipts were deleted). Returns how many were indexed."""
        with self._lock:
            shard = self._shard(user_id)
            if shard is None:
                return 0
            ids = [shard.id_of.pop(job) for job in job_ids if job in shard.id_of]
            for vid in ids:
                del shard.job_of[vid]
            if ids:
                shard.index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]  # faiss's Python wrapper takes an id array; the stubs list only IDSelector
            return len(ids)

    def search(self, user_id: str, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The user's k nearest receipts to `query`: (job_id, cosine similarity), best
        first. Only this user's vectors are searched."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        with self._lock:
            shard = self._shard(user_id)
            if shard is None or shard.index.ntotal == 0 or k <= 0:
                return []
            scores, ids = shard.index.search(query, min(k, shard.index.ntotal))
            return [
                (shard.job_of[int(vid)], float(score))
                for score, vid in zip(scores[0], ids[0], strict=True)
                if vid >= 0
            ]

    def horizon(self, user_id: str) -> int | None:
        with self._lock:
            shard = self._shards.get(user_id)
            return None if shard is None else shard.horizon

    def size(self, user_id: str | None = None) -> int:
        with self._lock:
            if user_id is not None:
                shard = self._shards.get(user_id)
                return 0 if shard is None else shard.index.ntotal
            return sum(s.index.ntotal for s in self._shards.values())

    def users(self) -> list[str]:
        with self._lock:
            return list(self._shards)

    def _evict(self, keep_user: str) -> None:
        if not self.max_vectors:
            return
        total = sum(s.index.ntotal for s in self._shards.values())
        for user_id in list(self._shards):
            if total <= self.max_vectors:
                break
            if user_id == keep_user:
                continue
            total -= self._shards.pop(user_id).index.ntotal

    # Persistence: one .npz file (the vectors are all a flat index holds). Written to a
    # temporary name and renamed, so a reader never sees half a file.

    def save(self, path: str | os.PathLike[str]) -> None:
        with self._lock:
            users, user_of, vids, vecs, horizons = [], [], [], [], []
            jobs: list[str] = []
            for number, (user_id, shard) in enumerate(self._shards.items()):
                users.append(user_id)
                horizons.append(-1 if shard.horizon is None else shard.horizon)
                ids = faiss.vector_to_array(shard.index.id_map).astype(np.int64)
                flat = faiss.downcast_index(shard.index.index)
                vecs.append(flat.reconstruct_n(0, flat.ntotal).reshape(-1, self.dim))
                vids.append(ids)
                jobs.extend(shard.job_of[int(v)] for v in ids)
                user_of.append(np.full(len(ids), number, dtype=np.int32))
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as out:
            np.savez(
                out,
                format=np.int64(FILE_FORMAT),
                dim=np.int64(self.dim),
                users=np.asarray(users, dtype="U64"),
                horizons=np.asarray(horizons, dtype=np.int64),
                user_of=np.concatenate(user_of) if user_of else np.zeros(0, np.int32),
                vector_ids=np.concatenate(vids) if vids else np.zeros(0, np.int64),
                job_ids=np.asarray(jobs, dtype="U64"),
                vectors=np.concatenate(vecs) if vecs else np.zeros((0, self.dim), np.float32),
            )
        os.replace(tmp, target)

    @classmethod
    def load(cls, path: str | os.PathLike[str], max_vectors: int = 0) -> VectorIndex:
        with np.load(Path(path), allow_pickle=False) as data:
            if int(data["format"]) != FILE_FORMAT:
                raise ValueError(f"{path}: unknown index file format {int(data['format'])}")
            index = cls(int(data["dim"]), max_vectors)
            user_of, vids = data["user_of"], data["vector_ids"]
            jobs, vecs = data["job_ids"], data["vectors"]
            for number, (user_id, horizon) in enumerate(
                zip(data["users"], data["horizons"], strict=True)
            ):
                rows = np.flatnonzero(user_of == number)
                index.add(
                    str(user_id),
                    vids[rows].tolist(),
                    [str(j) for j in jobs[rows]],
                    vecs[rows],
                    horizon=None if horizon < 0 else int(horizon),
                )
        return index
