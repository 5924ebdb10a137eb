"""Same seed, same files: committed samples and benchmarks must be reproducible."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from receiptq.samples import generate_receipt, write_samples
from receiptq.samples.generate import main


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    # count=6 covers every noise level and all four layouts.
    write_samples(tmp_path / "a", count=6, lang="mixed", seed=5)
    main([str(tmp_path / "b"), "--count", "6", "--lang", "mixed", "--seed", "5"])
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(first) == 12
    assert first == second


def test_different_seed_differs() -> None:
    _, a = generate_receipt(random.Random(1), "en")
    _, b = generate_receipt(random.Random(2), "en")
    assert a != b


def test_image_depends_only_on_rng_state() -> None:
    one = generate_receipt(random.Random(9), "pl", noise=3)
    two = generate_receipt(random.Random(9), "pl", noise=3)
    assert one[1] == two[1]
    assert one[0].tobytes() == two[0].tobytes()


def test_clean_removes_only_generated_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("keep me")
    (tmp_path / "stale.json").write_text("{}")
    paths = write_samples(tmp_path, count=1, lang="en", seed=0, clean=True, noise=0)
    names = {p.name for p in tmp_path.iterdir()}
    assert "README.md" in names and "stale.json" not in names
    assert names == {"README.md", paths[0].name, paths[0].with_suffix(".json").name}


def test_files_stay_small(tmp_path: Path) -> None:
    for path in write_samples(tmp_path, count=2, lang="pl", seed=2, noise=3):
        assert path.stat().st_size < 250_000


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate_receipt(random.Random(0), "de")
    with pytest.raises(ValueError):
        generate_receipt(random.Random(0), "en", noise=4)


def test_a_set_of_one_layout(tmp_path: Path) -> None:
    # a layout outside the language's cycle (en cycles my_sdnbhd, uk_till, us_till)
    paths = write_samples(tmp_path, count=2, lang="en", seed=3, noise=1, layout="us_restaurant")
    assert [p.name.rsplit("_", 2)[0] for p in paths] == ["us_restaurant"] * 2
    with pytest.raises(ValueError):
        write_samples(tmp_path, count=1, lang="en", seed=3, layout="no_such_layout")
