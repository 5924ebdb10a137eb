"""Write a synthetic receipt set in the SROIE layout, so extraction.py can score it.

    python benchmarks/synthetic_set.py /tmp/synth-pl --lang pl --count 30 --seed 7
    python benchmarks/extraction.py /tmp/synth-pl

img/ holds the rendered receipts (receiptq.samples, noise levels 0-3 in turn; with
--turned, phone photos turned and slanted more than those levels draw; --small and
--exif store them as a phone or a messenger may: scaled down, pixels turned sideways or
upside down under an EXIF orientation tag), key/ the
company, address, date and total of each one's ground truth, as the shared scorer reads
them. The full ground truth (items, tax, ...) stays in img/*.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from receiptq.samples import write_samples  # noqa: E402

KEY_FIELDS = ("company", "address", "date", "total")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--lang", choices=["en", "pl", "mixed"], default="en")
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--turned",
        metavar="LEAST,MOST,SLANT",
        help="phone photos only (noise 2), turned LEAST to MOST degrees either way and "
        "seen in perspective up to SLANT (corner jitter as a share of the width), e.g. "
        "6,12,0.08",
    )
    parser.add_argument(
        "--layout",
        help="every receipt in this layout (e.g. us_restaurant), not in --lang's cycle",
    )
    parser.add_argument(
        "--small",
        type=int,
        metavar="PX",
        help="store each image scaled down to a longer side of PX (e.g. 1000: 750 x 1000)",
    )
    parser.add_argument(
        "--exif",
        action="store_true",
        help="store each image's pixels turned 90, 180 or 270 degrees in turn, with the EXIF "
        "orientation tag that shows them upright (JPEG)",
    )
    args = parser.parse_args()
    turned = tuple(float(x) for x in args.turned.split(",")) if args.turned else None
    if turned is not None and len(turned) != 3:
        parser.error("--turned takes three numbers: LEAST,MOST,SLANT")
    if args.small is not None and args.small < 100:
        parser.error("--small takes a longer side of at least 100 px")
    img, key = args.outdir / "img", args.outdir / "key"
    key.mkdir(parents=True, exist_ok=True)
    for old in key.glob("*.json"):
        old.unlink()
    noise = 2 if turned else None
    written = write_samples(img, args.count, args.lang, args.seed, clean=True, noise=noise,
                            turned=turned, layout=args.layout, small=args.small,
                            exif=args.exif)  # fmt: skip
    for path in written:
        truth = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        fields = {name: truth[name] for name in KEY_FIELDS}
        (key / f"{path.stem}.json").write_text(json.dumps(fields, ensure_ascii=False) + "\n")
    print(f"{args.count} receipts ({args.lang}, seed {args.seed}) in {img}, keys in {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
