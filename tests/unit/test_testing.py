"""receiptq.testing, the throwaway stack: what its child processes are told."""

from __future__ import annotations

import os

from receiptq import testing
from receiptq.config import Settings


def test_a_child_builds_exactly_the_parents_settings(monkeypatch):
    settings = Settings(
        redis_url="redis://127.0.0.1:6379/7",
        rate_limit="5/second",
        webhook_allow_private=True,
        sweep_seconds=2.5,
        prometheus_multiproc_dir="/tmp/prom-x",
    )
    monkeypatch.setenv("RECEIPTQ_LOG_FORMAT", "text")  # the parent's own: not passed on
    env = testing.service_env(settings, EXTRA="1")
    assert env["EXTRA"] == "1" and env["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prom-x"
    for name in list(os.environ):
        if name.startswith("RECEIPTQ_") or name == "PROMETHEUS_MULTIPROC_DIR":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings
