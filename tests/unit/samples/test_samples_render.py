"""Rendering survives a machine without the preferred fonts (fonts are Debian packages)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from receiptq.samples import render
from receiptq.samples.layout_pl import build_pl_fiscal


@pytest.fixture
def no_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(render, "FONT_DIRS", (tmp_path,))
    render.font_files.cache_clear()
    render.load_font.cache_clear()
    yield
    render.font_files.cache_clear()
    render.load_font.cache_clear()


def test_falls_back_to_pillow_font(no_fonts) -> None:
    assert render.font_files("thermal") == (None, None)
    assert render.font_name("thermal") == "pillow-default"
    image = render.render_lines(build_pl_fiscal(random.Random(0)), "thermal", text_width=600)
    assert image.width > 300 and image.getextrema()[0] == 0  # some ink was drawn


def test_missing_preferred_font_uses_dejavu() -> None:
    regular, _ = render.font_files("no-such-style")
    if regular is None:
        pytest.skip("fonts-dejavu-core not installed")
    assert regular.name == "DejaVuSansMono.ttf"
