"""The job state machine (receiptq.lifecycle): the table of allowed moves, spelled out."""

from __future__ import annotations

import itertools

import pytest

from receiptq import lifecycle
from receiptq.api.models import JOB_STATUSES
from receiptq.lifecycle import InvalidTransition, JobStatus

Q, P, CI, CO, F, CA, D = (
    JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.CANCELLING, JobStatus.COMPLETED,
    JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.DELETED,
)  # fmt: skip

# What the service does: start, restart after a crash, cancel (at once or via cancelling),
# finish, fail from any unfinished state, delete from anywhere.
EXPECTED = {
    (Q, P), (Q, CA), (Q, F), (Q, D),
    (P, P), (P, CI), (P, CO), (P, F), (P, CA), (P, D),
    (CI, CA), (CI, F), (CI, D),
    (CO, D), (F, D), (CA, D), (D, D),
}  # fmt: skip
ALL_PAIRS = set(itertools.product(JobStatus, repeat=2))


@pytest.mark.parametrize(("from_", "to"), sorted(EXPECTED))
def test_allowed_move(from_: JobStatus, to: JobStatus) -> None:
    assert lifecycle.allowed(from_, to)
    assert lifecycle.check(to, (from_,)) == (from_,)
    assert from_ in lifecycle.sources(to)


@pytest.mark.parametrize(("from_", "to"), sorted(ALL_PAIRS - EXPECTED))
def test_forbidden_move(from_: JobStatus, to: JobStatus) -> None:
    assert not lifecycle.allowed(from_, to)
    with pytest.raises(InvalidTransition, match=f"from {from_} to {to}"):
        lifecycle.check(to, (from_,))


def test_one_forbidden_source_refuses_the_whole_move() -> None:
    with pytest.raises(InvalidTransition, match="from completed to processing"):
        lifecycle.check(P, (Q, CO))


def test_default_sources_are_every_allowed_one() -> None:
    assert set(lifecycle.check(CA)) == {Q, P, CI}
    assert set(lifecycle.check(D)) == set(JobStatus)
    assert set(lifecycle.check(CO)) == {P}


def test_a_finished_job_only_moves_to_deleted() -> None:
    for status in lifecycle.TERMINAL:
        assert lifecycle.ALLOWED[status] == {D}
    assert {Q, P, CI} == lifecycle.UNFINISHED


def test_strings_are_accepted_and_unknown_ones_refused() -> None:
    assert lifecycle.allowed("queued", "processing")
    with pytest.raises(ValueError):
        lifecycle.check("archived")


def test_the_api_documents_exactly_these_statuses() -> None:
    assert set(JOB_STATUSES) == {status.value for status in JobStatus}
