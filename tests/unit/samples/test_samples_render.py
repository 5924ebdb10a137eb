"""Rendering survives a machine without the preferred fonts (fonts are Debian packages)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from receiptq.samples import render
from receiptq.samples.layout_pl import build_pl_fiscal


def test_falls_back_to_pillow_font(tmp_path: Path) -> None:
    no_fonts = (tmp_path,)
    assert render.font_files("thermal", no_fonts) == (None, None)
    assert render.font_name("thermal", no_fonts) == "pillow-default"
    draft = build_pl_fiscal(random.Random(0))
    image = render.render_lines(draft, "thermal", text_width=600, font_dirs=no_fonts)
    assert image.width > 300 and image.getextrema()[0] == 0  # some ink was drawn


def test_missing_preferred_font_uses_dejavu() -> None:
    regular, _ = render.font_files("no-such-style")
    if regular is None:
        pytest.skip("fonts-dejavu-core not installed")
    assert regular.name == "DejaVuSansMono.ttf"
