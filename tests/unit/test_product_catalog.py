"""The shipped product catalog is what its generator makes of the catalog data."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "build_products", ROOT / "scripts/build_products.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_products_csv_is_the_generated_catalog_byte_for_byte():
    generator = _generator()
    catalog = json.loads(generator.SOURCE.read_text(encoding="utf-8"))
    expected = io.StringIO(newline="")
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(["name", "category", "lang"])
    writer.writerows(generator.unique_rows(generator.build(catalog)))
    assert generator.OUT.read_text(encoding="utf-8") == expected.getvalue()
