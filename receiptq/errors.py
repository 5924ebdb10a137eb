"""Domain errors: each carries a stable code, an HTTP status and a sentence for the user.

One handler in the API renders them as RFC 9457 problem+json; the worker stores the
message as the job's `error`.
"""

from __future__ import annotations

#: Every problem's `type` is this plus its code (the API's handler and gunicorn's own).
PROBLEM_TYPE_BASE = "https://receiptq.dev/problems/"


class ReceiptqError(Exception):
    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class Unauthorized(ReceiptqError):
    status, code, title = 401, "unauthorized", "Unauthorized"


class NotFound(ReceiptqError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(ReceiptqError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(ReceiptqError):
    status, code, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(ReceiptqError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(ReceiptqError):
    status, code, title = 422, "unprocessable", "Unprocessable content"


class RateLimited(ReceiptqError):
    status, code, title = 429, "rate-limited", "Too many requests"

    def __init__(self, message: str, retry_after: int | None = None, **extra: object) -> None:
        super().__init__(message, **extra)
        self.retry_after = retry_after  # seconds, sent as Retry-After


class ServiceUnavailable(ReceiptqError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


class PoorQuality(Unprocessable):
    """The image was read but not well enough to trust: the user should retake it."""

    code = "poor-quality"


class Cancelled(Exception):
    """Raised at a stage boundary when the job's cancel flag is set."""
