"""How `receiptq flower` starts: never without a login unless told `--insecure`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from receiptq import cli

Started = list[tuple[list[str], dict[str, str]]]


@pytest.fixture
def started(monkeypatch) -> Started:
    """What `receiptq flower` would exec (`invoke` hands the CLI a recorder of it)."""
    monkeypatch.delenv("RECEIPTQ_FLOWER_BASIC_AUTH", raising=False)
    return []


def invoke(args: list[str], started: Started):
    record = {"exec": lambda argv, env: started.append((argv, env))}
    return CliRunner().invoke(cli.main, args, obj=record)


def test_flower_refuses_to_start_without_a_password(started):
    result = invoke(["flower"], started)
    assert result.exit_code == 2, result.output
    assert "RECEIPTQ_FLOWER_BASIC_AUTH" in result.output and "--insecure" in result.output
    assert started == []


def test_flower_starts_without_a_password_only_when_told_insecure_and_warns(started):
    result = invoke(["flower", "--insecure"], started)
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.stderr and "no login" in result.stderr
    ((argv, env),) = started
    assert "flower" in argv and "FLOWER_BASIC_AUTH" not in env


def test_flower_with_a_password_starts_quietly_and_keeps_it_out_of_argv(started, monkeypatch):
    monkeypatch.setenv("RECEIPTQ_FLOWER_BASIC_AUTH", "ops:s3cret-pw")
    result = invoke(["flower"], started)
    assert result.exit_code == 0, result.output
    assert "WARNING" not in result.output
    ((argv, env),) = started
    assert env == {"FLOWER_BASIC_AUTH": "ops:s3cret-pw"}
    assert not any("s3cret" in arg for arg in argv)
