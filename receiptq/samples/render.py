"""Draw a `Draft`'s printed lines onto a clean receipt image (white paper, black ink).

Receipts are set in a monospaced font on a fixed column grid, like a thermal printer,
so right-aligned amounts line up. Fonts come from Debian packages; when the preferred
one is missing we fall back to DejaVu Sans Mono (fonts-dejavu-core) and finally to
Pillow's built-in font, so generation never fails for want of a font - it only looks
less varied.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from receiptq.samples.compose import Draft, Line, fit_lines

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
# Font styles a layout may be drawn in -> candidate (regular, bold) files, best first.
# "thermal" prefers a Courier-like face: fonts-liberation2 or fonts-freefont-ttf.
FONT_STYLES: dict[str, tuple[tuple[str, str], ...]] = {
    "dejavu": (("dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf"),),
    "thermal": (
        ("liberation2/LiberationMono-Regular.ttf", "liberation2/LiberationMono-Bold.ttf"),
        ("liberation/LiberationMono-Regular.ttf", "liberation/LiberationMono-Bold.ttf"),
        ("freefont/FreeMono.ttf", "freefont/FreeMonoBold.ttf"),
        ("dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf"),
    ),
}
MONO_FALLBACK = ("dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf")

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _find(relative: str, dirs: tuple[Path, ...]) -> Path | None:
    for base in dirs:
        if (base / relative).is_file():
            return base / relative
    return None


@lru_cache(maxsize=8)
def font_files(style: str, dirs: tuple[Path, ...] = FONT_DIRS) -> tuple[Path | None, Path | None]:
    """The (regular, bold) files for a style under ``dirs``, falling back to DejaVu, then
    to (None, None)."""
    for regular, bold in (*FONT_STYLES.get(style, ()), MONO_FALLBACK):
        found = _find(regular, dirs)
        if found is not None:
            return found, _find(bold, dirs)
    return None, None


def font_name(style: str, dirs: tuple[Path, ...] = FONT_DIRS) -> str:
    """The file actually used for a style (recorded in the ground truth: the image bytes
    depend on which font packages are installed)."""
    regular, _ = font_files(style, dirs)
    return regular.name if regular is not None else "pillow-default"


@lru_cache(maxsize=64)
def load_font(
    style: str, size: int, bold: bool = False, dirs: tuple[Path, ...] = FONT_DIRS
) -> tuple[FontT, bool]:
    """The font and whether it is really bold (if not, the caller fakes it with a stroke)."""
    regular, bold_file = font_files(style, dirs)
    if bold and bold_file is not None:
        return ImageFont.truetype(str(bold_file), size), True
    if regular is not None:
        return ImageFont.truetype(str(regular), size), False
    return ImageFont.load_default(size), False


def font_size_for(
    style: str, cols: int, text_width: int, dirs: tuple[Path, ...] = FONT_DIRS
) -> int:
    """The largest size at which `cols` characters fit in `text_width` pixels."""
    size = 40
    while size > 10 and load_font(style, size, dirs=dirs)[0].getlength("0" * cols) > text_width:
        size -= 1
    return size


def render_lines(
    draft: Draft,
    style: str,
    text_width: int,
    margin: int = 28,
    font_dirs: tuple[Path, ...] = FONT_DIRS,
) -> Image.Image:
    """Render the draft as a greyscale ("L") image: 255 paper, 0 ink, in the fonts found
    under ``font_dirs``."""
    size = font_size_for(style, draft.cols, text_width, font_dirs)
    font, _ = load_font(style, size, dirs=font_dirs)
    char_w = font.getlength("0")
    width = int(char_w * draft.cols) + 2 * margin
    line_h = round(size * 1.3)
    lines = fit_lines(draft.lines, draft.cols)
    heights = [round(line_h * line.scale) for line in lines]
    image = Image.new("L", (width, sum(heights) + 2 * margin + line_h), 255)
    draw = ImageDraw.Draw(image)
    y = margin
    for line, height in zip(lines, heights, strict=True):
        baseline = y + height - line_h // 4
        line_font, true_bold = load_font(style, round(size * line.scale), line.bold, font_dirs)
        _draw_line(draw, line, line_font, true_bold, width, margin, baseline, draft.cols)
        y += height
    return image


def _draw_line(
    draw: ImageDraw.ImageDraw,
    line: Line,
    font: FontT,
    true_bold: bool,
    width: int,
    margin: int,
    y: int,
    cols: int,
) -> None:
    stroke = 1 if line.bold and not true_bold else 0
    inner = width - 2 * margin

    def put(x: float, text: str) -> None:
        draw.text((x, y), text, font=font, fill=0, anchor="ls", stroke_width=stroke, stroke_fill=0)

    if line.rule:
        put(margin, line.rule * cols)
        return
    right_w = font.getlength(line.right) if line.right else 0.0
    left = line.left
    room = inner - (right_w + font.getlength(" ") if line.right else 0)
    while left and font.getlength(left) > room:
        left = left[:-1]
    if line.center:
        put((width - font.getlength(left)) / 2, left)
    elif left:
        put(margin, left)
    if line.right:
        put(width - margin - right_w, line.right)
