"""Synthetic receipts with exact ground truth, for tests, demos and benchmarks.

    python -m receiptq.samples.generate OUTDIR --count N --lang en|pl|mixed --seed S
                                        [--noise 0..3] [--clean]

writes NAME.jpg (NAME.png when clean) and NAME.json per receipt. The JSON has the
SROIE-style keys the team's scorer reads (company, address, date as YYYY-MM-DD, total as
"12.30"), the full receipt in the project's receipt shape under "receipt", and "meta"
(layout, noise level, seed, degradation parameters) plus layout details (PTU table,
rounding adjustment, ...) under "details". Everything is invented; receipt i depends
only on (seed, i), so a set can be regrown or extended without changing earlier files.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from receiptq.samples.compose import Draft
from receiptq.samples.degrade import MAX_LEVEL, degrade, params_for_level
from receiptq.samples.layout_en import build_my_sdnbhd, build_uk_till, build_us_till
from receiptq.samples.layout_pl import build_pl_fiscal
from receiptq.samples.layout_pl_chain import build_pl_chain
from receiptq.samples.layout_us_restaurant import build_us_restaurant
from receiptq.samples.render import FONT_STYLES, font_name, render_lines

LAYOUTS: dict[str, Callable[[random.Random], Draft]] = {
    "pl_fiscal": build_pl_fiscal,
    "pl_chain": build_pl_chain,
    "my_sdnbhd": build_my_sdnbhd,
    "uk_till": build_uk_till,
    "us_till": build_us_till,
    "us_restaurant": build_us_restaurant,
}
LAYOUTS_BY_LANG = {"pl": ("pl_fiscal", "pl_chain"), "en": ("my_sdnbhd", "uk_till", "us_till")}
LANGS = ("en", "pl", "mixed")
MAX_FILE_BYTES = 240_000
#: EXIF's orientation tag, and the values a phone held sideways or upside down writes.
EXIF_ORIENTATION = 0x0112
EXIF_TURNS = (6, 3, 8)
#: How the pixels of an upright page are stored under each tag (6: show turned 90
#: degrees clockwise, so stored turned 90 anticlockwise).
_STORED = {
    6: Image.Transpose.ROTATE_90,
    3: Image.Transpose.ROTATE_180,
    8: Image.Transpose.ROTATE_270,
}


def generate_receipt(
    rng: random.Random,
    lang: str,
    *,
    layout: str | None = None,
    noise: int | None = None,
    turned: tuple[float, float, float] | None = None,
) -> tuple[Image.Image, dict]:
    """Draw one receipt: its (degraded) image and its ground truth.

    `lang` is en, pl or mixed; `layout` and `noise` (0..3) are drawn from `rng` when not
    given. The same rng state gives the same image and ground truth. `turned` = (least
    and most degrees, largest perspective) makes a photo (noise 2 or 3) turned and slanted
    more than its level draws: a phone held at an angle.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    if layout is None:
        pool = LAYOUTS_BY_LANG["pl"] + LAYOUTS_BY_LANG["en"] if lang == "mixed" else None
        layout = rng.choice(pool or LAYOUTS_BY_LANG[lang])
    if noise is None:
        noise = rng.randint(0, MAX_LEVEL)
    draft = LAYOUTS[layout](rng)
    style = rng.choice(sorted(FONT_STYLES))
    clean = render_lines(draft, style, text_width=rng.randint(560, 720))
    params = params_for_level(rng, noise)
    if turned is not None and params.background is not None:
        least, most, slant = turned
        params = dataclasses.replace(
            params,
            angle=rng.choice((-1, 1)) * rng.uniform(least, most),
            perspective=rng.uniform(slant / 2, slant),
        )
    image = degrade(clean, params, rng)
    receipt = draft.receipt
    truth = {
        "company": receipt["merchant"]["name"],
        "address": receipt["merchant"]["address"],
        "date": receipt["date"],
        "total": receipt["total"],
        "receipt": receipt,
        "meta": {
            "synthetic": True,
            "generator": "receiptq.samples.generate",
            "layout": layout,
            "font_style": style,
            "font": font_name(style),
            "noise": noise,
            "width": image.width,
            "height": image.height,
            "degradation": params.as_dict(),
        },
        "details": draft.extras,
    }
    return image, truth


def encode(
    image: Image.Image, noise: int, quality: int | None, orientation: int = 1
) -> tuple[bytes, str]:
    """PNG for clean receipts, JPEG otherwise, shrunk until under MAX_FILE_BYTES. An EXIF
    ``orientation`` other than 1 makes a JPEG whatever the noise, tagged with it."""
    if noise == 0 and orientation == 1:
        buffer = io.BytesIO()
        image.save(buffer, "PNG", optimize=True)
        if buffer.tell() <= MAX_FILE_BYTES:
            return buffer.getvalue(), ".png"
    quality = quality or 90
    tags = {}
    if orientation != 1:
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = orientation
        tags["exif"] = exif.tobytes()
    while True:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, **tags)
        if buffer.tell() <= MAX_FILE_BYTES:
            return buffer.getvalue(), ".jpg"
        if quality > 50:
            quality -= 10
        else:
            image = image.resize(
                (image.width * 9 // 10, image.height * 9 // 10), Image.Resampling.LANCZOS
            )


def as_phone_stores(
    image: Image.Image, index: int, small: int | None, exif: bool
) -> tuple[Image.Image, int]:
    """``image`` as a phone or a messenger may store it, and its EXIF orientation tag:
    scaled down so its longer side is ``small`` px (a photo sent on, 750 x 1000), and with
    ``exif`` its pixels kept as the sensor saw them, turned 90, 180 or 270 degrees in turn
    by ``index``, the tag saying how to show them upright (6, 3, 8)."""
    if small is not None and max(image.size) > small:
        f = small / max(image.size)
        size = (max(1, round(image.width * f)), max(1, round(image.height * f)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    if not exif:
        return image, 1
    orientation = EXIF_TURNS[index % len(EXIF_TURNS)]
    return image.transpose(_STORED[orientation]), orientation


def plan(index: int, lang: str, noise: int | None) -> tuple[str, int]:
    """Layout and noise of receipt `index`: cycled, so even a set of 6 covers them all.

    mixed alternates Polish and English; noise cycles 0,1,3,0,2,3,... so each language
    gets clean and rough images.
    """
    if lang == "mixed":
        pool = LAYOUTS_BY_LANG["pl"] if index % 2 == 0 else LAYOUTS_BY_LANG["en"]
        layout = pool[(index // 2) % len(pool)]
    else:
        pool = LAYOUTS_BY_LANG[lang]
        layout = pool[index % len(pool)]
    return layout, (index + index // 2) % (MAX_LEVEL + 1) if noise is None else noise


def write_samples(
    outdir: str | Path,
    count: int,
    lang: str,
    seed: int,
    clean: bool = False,
    noise: int | None = None,
    turned: tuple[float, float, float] | None = None,
    layout: str | None = None,
    small: int | None = None,
    exif: bool = False,
) -> list[Path]:
    """Write `count` image + JSON pairs into `outdir`; returns the image paths.

    `clean` first deletes the images and JSON files already in `outdir` (nothing else);
    `layout` (a key of LAYOUTS) draws every receipt in that layout instead of `lang`'s;
    `small` and `exif` store each image as `as_phone_stores` says (the receipt drawn is
    the same).
    """
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {sorted(LAYOUTS)}, got {layout!r}")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    if clean:
        for old in (*out.glob("*.jpg"), *out.glob("*.png"), *out.glob("*.json")):
            old.unlink()
    written = []
    for index in range(count):
        planned, level = plan(index, lang, noise)
        drawn = layout or planned
        rng = random.Random(f"receiptq-samples:{seed}:{index}")
        image, truth = generate_receipt(rng, lang, layout=drawn, noise=level, turned=turned)
        image, orientation = as_phone_stores(image, index, small, exif)
        quality = truth["meta"]["degradation"]["jpeg_quality"]
        data, ext = encode(image, level, quality, orientation)
        name = f"{drawn}_{seed}_{index:03d}"
        truth["meta"].update({"file": name + ext, "seed": seed, "index": index})
        if small is not None or exif:
            stored = {"width": image.width, "height": image.height, "exif_orientation": orientation}
            truth["meta"]["stored"] = stored
        (out / (name + ext)).write_bytes(data)
        text = json.dumps(truth, ensure_ascii=False, indent=2) + "\n"
        (out / (name + ".json")).write_text(text, encoding="utf-8")
        written.append(out / (name + ext))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render synthetic receipts with ground truth.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--lang", choices=LANGS, default="mixed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--noise",
        type=int,
        choices=range(MAX_LEVEL + 1),
        default=None,
        help="degradation level 0 (clean) .. 3 (rough photo); default: cycle through all",
    )
    parser.add_argument("--clean", action="store_true", help="delete old images/JSON first")
    args = parser.parse_args(argv)
    paths = write_samples(args.outdir, args.count, args.lang, args.seed, args.clean, args.noise)
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
