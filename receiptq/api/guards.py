"""Request guards that run before any view: refuse what no view should have to read; and
the headers every answer carries."""

from __future__ import annotations

from flask import Flask, Response, request

from receiptq.errors import ReceiptqError

MAX_HEADER_BYTES = 16 * 1024


class HeadersTooLarge(ReceiptqError):
    status, code, title = 431, "headers-too-large", "Request header fields too large"


def register(app: Flask) -> None:
    @app.before_request
    def _header_size() -> None:
        # gunicorn caps each header line far above this (receiptq api), so oversized
        # headers reach us and get a problem+json answer instead of a server error page.
        size = sum(len(name) + len(value) + 4 for name, value in request.headers.items())
        if size > MAX_HEADER_BYTES:
            raise HeadersTooLarge(
                f"The request headers are {size} bytes; at most {MAX_HEADER_BYTES} are accepted."
            )

    @app.after_request
    def _nosniff(response: Response) -> Response:
        # Every answer (JSON, problem+json, pages, CSV) is read as the type it declares.
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
