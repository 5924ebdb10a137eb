"""Tests for receiptq.pipeline.embed: the hashed character n-gram vectors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receiptq.pipeline.embed import DIM, embed, normalize

ROOT = Path(__file__).resolve().parents[3]


def sim(a: str, b: str) -> float:
    va, vb = embed([a, b])
    return float(va @ vb)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MLEKO UHT 3,2% 1L", "mleko uht"),
        ("CHLEB ŻYTNI 500G", "chleb zytni"),
        ("SEMI SKIMMED MILK 2PT", "semi skimmed milk"),
        ("PŁYN D/NACZYŃ", "plyn naczyn"),
        ("TOILET ROLL 9PK", "toilet roll"),
        ("LAGER 4X440ML", "lager"),
        ("WODA N/GAZ 6X1,5L", "woda gaz"),
        ("MLEK0 UHT", "mleko uht"),  # OCR 0 for O inside a word
        ("SKIRNMED MILK", "skimmed milk"),  # OCR rn for m
        ("*****", ""),
        ("12.30", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_shape_dtype_and_unit_norm() -> None:
    v = embed(["MLEKO UHT 1L", "BANANAS LOOSE", "PŁYN DO NACZYŃ"])
    assert v.shape == (3, DIM)
    assert v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)


def test_empty_input_and_nothing_left_give_zeros() -> None:
    assert embed([]).shape == (0, DIM)
    assert not embed(["*****", "", "1,99"]).any()


def test_deterministic_within_and_across_processes() -> None:
    """crc32, not Python's per-process salted hash: the index built in one worker must mean
    the same thing in another."""
    texts = ["CHLEB ŻYTNI 500G", "TOILET ROLL 9PK"]
    a = embed(texts)
    np.testing.assert_array_equal(a, embed(texts))
    code = (
        "import sys, numpy as np; from receiptq.pipeline.embed import embed; "
        "sys.stdout.write(embed(['CHLEB ŻYTNI 500G', 'TOILET ROLL 9PK']).tobytes().hex())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    np.testing.assert_array_equal(np.frombuffer(bytes.fromhex(out), dtype=np.float32), a.ravel())


def test_sizes_case_and_diacritics_do_not_matter() -> None:
    assert sim("CHLEB ŻYTNI 500G", "chleb zytni") == pytest.approx(1.0, abs=1e-5)
    assert sim("MLEKO UHT 3,2% 1L", "Mleko UHT 2% 0,5L") == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    ("clean", "typo", "unrelated"),
    [
        ("WHOLEMEAL BREAD", "WH0LEMEAL BRFAD", "WASHING POWDER"),
        ("KIEŁBASA ŚLĄSKA", "KIEBASA SLASKA", "KAWA MIELONA"),
        ("TOILET ROLL", "TOILFT ROL", "TOMATO SOUP"),
        ("PAPRYKA CZERWONA", "PAPRYK CZERW0NA", "PAPIER TOALETOWY"),
        ("STRAWBERRY YOGURT", "STRAWBERY Y0GHURT", "SALTED PEANUTS"),
    ],
)
def test_typos_stay_close_unrelated_stay_far(clean: str, typo: str, unrelated: str) -> None:
    # Two OCR edits in two short words ("TOILFT ROL") still leave ~0.37; unrelated lines sit
    # near 0. The categorizer's unknown-threshold is 0.25.
    close, far = sim(clean, typo), sim(clean, unrelated)
    assert close > 0.3
    assert close > far + 0.25


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=5))
def test_any_text_gives_finite_unit_or_zero_rows(texts: list[str]) -> None:
    v = embed(texts)
    assert v.shape == (len(texts), DIM)
    norms = np.linalg.norm(v, axis=1)
    assert np.all(np.isfinite(v))
    assert np.all((np.abs(norms - 1.0) < 1e-4) | (norms == 0.0))
