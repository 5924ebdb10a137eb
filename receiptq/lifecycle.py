"""The job state machine: every status a job can have and the moves allowed between them.

Every status change goes through `receiptq.store.jobs.transition` (or its in-transaction
form), which refuses a move this table does not allow; callers may ask for fewer
from-states (the API cancels only a queued job outright), never for more.

    queued ──> processing ──> completed
      │  │        │  │  └──> cancelling ──> cancelled
      │  │        │  └─────────────────────> cancelled / failed
      │  └────────┴──> failed
      └──> cancelled
    any ──> deleted (a privacy delete; a second one answers the tombstone again)
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETED = "deleted"


# Terminal states a job ends in by running (or being cancelled): webhooks and metrics.
OUTCOMES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
TERMINAL = frozenset({*OUTCOMES, JobStatus.DELETED})
UNFINISHED = frozenset(JobStatus) - TERMINAL

_S = JobStatus
ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    # processing -> processing: a job redelivered after its worker died starts again.
    _S.QUEUED: frozenset({_S.PROCESSING, _S.CANCELLED, _S.FAILED, _S.DELETED}),
    _S.PROCESSING: frozenset(
        {_S.PROCESSING, _S.CANCELLING, _S.COMPLETED, _S.FAILED, _S.CANCELLED, _S.DELETED}
    ),
    _S.CANCELLING: frozenset({_S.CANCELLED, _S.FAILED, _S.DELETED}),
    _S.COMPLETED: frozenset({_S.DELETED}),
    _S.FAILED: frozenset({_S.DELETED}),
    _S.CANCELLED: frozenset({_S.DELETED}),
    _S.DELETED: frozenset({_S.DELETED}),
}


# stage and message a job ends with, unless the move says otherwise
ENDINGS: dict[JobStatus, tuple[str, str]] = {
    _S.COMPLETED: ("completed", "Done"),
    _S.FAILED: ("failed", "Failed"),
    _S.CANCELLED: ("cancelled", "Cancelled"),
    _S.DELETED: ("deleted", "Deleted"),
}


class InvalidTransition(ValueError):
    """A status change the state machine does not allow (a programming error)."""


def allowed(from_: str, to: str) -> bool:
    return JobStatus(to) in ALLOWED[JobStatus(from_)]


def sources(to: str) -> frozenset[JobStatus]:
    """Every status a job may move to `to` from."""
    target = JobStatus(to)
    return frozenset(status for status, targets in ALLOWED.items() if target in targets)


def check(to: str, from_: tuple[str, ...] | None = None) -> tuple[JobStatus, ...]:
    """The from-states for a move to `to`: all the table allows when `from_` is None, else
    `from_` itself after checking that the table allows each; raises InvalidTransition."""
    allowed_from = sources(to)
    if from_ is None:
        return tuple(sorted(allowed_from))
    wanted = tuple(JobStatus(status) for status in from_)
    refused = [status.value for status in wanted if status not in allowed_from]
    if refused:
        raise InvalidTransition(f"a job cannot move from {', '.join(refused)} to {to}")
    return wanted
