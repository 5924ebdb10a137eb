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


def test_a_child_told_a_profile_builds_that_profile(monkeypatch):
    """A stack's environment writes out the default profile's values; a worker started with
    another profile gets every field that profile sets, not RECEIPTQ_PROFILE alone."""
    fast, default = Settings(profile="fast"), Settings(profile="default")
    alone = testing.service_env(default, RECEIPTQ_PROFILE="fast")
    told = testing.service_env(default, **testing.settings_env(fast, {"profile"}))
    built = {}
    for label, env in (("alone", alone), ("told", told)):
        for name in list(os.environ):
            if name.startswith("RECEIPTQ_") or name == "PROMETHEUS_MULTIPROC_DIR":
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        built[label] = Settings()
    assert built["alone"].ocr_langs == default.ocr_langs != fast.ocr_langs  # why it is so
    for field in ("profile", "ocr_langs", "line_recognizer", "line_model", "second_reading"):
        assert getattr(built["told"], field) == getattr(fast, field)
