from __future__ import annotations

import pytest

from receiptq.config import Settings, parse_rate


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10/minute", (10, 60)), ("5 / second", (5, 1)), ("100/hour", (100, 3600)),
     ("3/2minutes", (3, 120)), ("1000/day", (1000, 86400))],
)  # fmt: skip
def test_rate_limits_parse(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["ten per minute", "10/fortnight", "", "/minute"])
def test_bad_rate_limits_are_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_settings_come_from_receiptq_environment(monkeypatch):
    monkeypatch.setenv("RECEIPTQ_MAX_UPLOAD_MB", "2.5")
    monkeypatch.setenv("RECEIPTQ_OCR_LANGS", "pol")
    settings = Settings()
    assert settings.max_upload_bytes == int(2.5 * 1024 * 1024)
    assert settings.ocr_langs == "pol"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


def test_every_setting_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    def variable(name: str, field) -> str:  # an alias names another program's variable
        alias = field.validation_alias
        return alias.choices[0] if alias is not None else f"RECEIPTQ_{name.upper()}"

    names = [variable(name, field) for name, field in Settings.model_fields.items()]
    assert "PROMETHEUS_MULTIPROC_DIR" in names
    assert [name for name in names if f"`{name}`" not in readme] == []


def test_a_profile_sets_what_is_not_set_on_its_own(monkeypatch):
    monkeypatch.setenv("RECEIPTQ_PROFILE", "fast")
    fast = Settings()
    assert (fast.ocr_langs, fast.line_recognizer, fast.second_reading) == ("eng", False, False)
    monkeypatch.setenv("RECEIPTQ_LINE_RECOGNIZER", "true")  # one setting of it overridden
    assert Settings().line_recognizer is True and Settings().ocr_langs == "eng"
    default = Settings(profile="default")
    assert (default.ocr_langs, default.line_recognizer, default.second_reading) == (
        "eng+pol",
        True,
        True,
    )


def test_the_default_profile_reads_key_rows_with_pp_ocrv6_small(monkeypatch):
    default = Settings()
    assert (default.line_model, default.line_recognizer, default.ocr_langs) == (
        "v6-small", True, "eng+pol",
    )  # fmt: skip
    assert Settings(profile="best").line_model == "v6-small"
    monkeypatch.setenv("RECEIPTQ_LINE_MODEL", "v4")  # its line model overridden on its own
    assert Settings().line_model == "v4" and Settings(profile="best").line_model == "v4"


def test_the_target_character_height_comes_from_the_environment_within_bounds(monkeypatch):
    from pydantic import ValidationError

    from receiptq.pipeline.preprocess import TARGET_CHAR_HEIGHT

    assert Settings().target_char_height == TARGET_CHAR_HEIGHT  # the render's own default
    monkeypatch.setenv("RECEIPTQ_TARGET_CHAR_HEIGHT", "22")
    assert Settings().target_char_height == 22.0
    with pytest.raises(ValidationError, match="target_char_height"):
        Settings(target_char_height=2)


def test_an_unknown_profile_is_refused():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="profile"):
        Settings(profile="turbo")


def test_the_line_model_is_chosen_by_name(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("RECEIPTQ_LINE_MODEL", "v6-tiny")
    assert Settings().line_model == "v6-tiny"
    monkeypatch.setenv("RECEIPTQ_LINE_MODEL", "v7")
    with pytest.raises(ValidationError, match="line_model"):
        Settings()
