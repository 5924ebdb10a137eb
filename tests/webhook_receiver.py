"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records requests."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Records every request; answers with the next status of `script` (then the last)."""

    def __init__(self, script: list[int]) -> None:
        self.script = list(script)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                     "path": self.path, "at": time.monotonic()}
                )  # fmt: skip
                code = receiver.script.pop(0) if len(receiver.script) > 1 else receiver.script[0]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook?src=receiptq"

    def wait_for_requests(self, count: int, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.requests) < count:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"{len(self.requests)} requests, wanted {count}"
        return self.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
