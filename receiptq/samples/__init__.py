"""Synthetic receipt generator: realistic receipt images with exact ground truth.

See `receiptq.samples.generate` for the command line; the function API is
`generate_receipt(rng, lang)` and `write_samples(outdir, count, lang, seed)`. They are
imported lazily so `python -m receiptq.samples.generate` does not import itself twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from receiptq.samples.generate import generate_receipt, write_samples

__all__ = ["generate_receipt", "write_samples"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from receiptq.samples import generate

        return getattr(generate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
