"""The month's image: one 16:9 master, drawn into the share card, the email's thumbnail and YouTube's.

The master is the creator's own thumbnail (``thumbnail.jpg``/``.png`` in the
month's folder, or the file topic.toml's ``thumbnail`` names), or else one is
drawn: the title and the author on the accent colour, in the Noto fonts shipped
in ``fonts/`` (so every machine draws the same pixels), shaped by Raqm (HarfBuzz
and FriBiDi, which Pillow's wheels carry) for right-to-left and complex scripts.

Pillow loads only when a month is rendered.
"""

from __future__ import annotations

import functools
import io
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from monthlypost.colors import WHITE, contrast, readable_on

if TYPE_CHECKING:
    from PIL import Image, ImageFont

SHARE = (1200, 630)  # Open Graph's and X's large card (1.91:1)
COLUMN = 536  # the email's text column: its 600 px less 32 px of padding each side
EMAIL = (2 * COLUMN, 603)  # twice the column, for sharp screens; 16:9
YOUTUBE = (1280, 720)  # YouTube's recommended thumbnail
SHARE_MOST = 1_000_000  # bytes: Facebook's and LinkedIn's limit is larger, X's is 5 MB; small loads fast
YOUTUBE_MOST = 2 * 2**20  # YouTube refuses a thumbnail over 2 MB
MOST_PIXELS = 40_000_000  # a master larger than this is refused before it is decoded (a "decompression bomb")
FORMATS = {"JPEG", "PNG"}

FONTS = Path(__file__).parent / "fonts"
_LATIN = "NotoSans-Bold.ttf"  # Latin, Greek and Cyrillic
_SCRIPT_FONTS = (  # a letter in one of these ranges is set in that script's font
    ((0x0590, 0x05FF), "NotoSansHebrew-Bold.ttf"),
    ((0xFB1D, 0xFB4F), "NotoSansHebrew-Bold.ttf"),
    ((0x0600, 0x06FF), "NotoSansArabic-Bold.ttf"),
    ((0x0750, 0x077F), "NotoSansArabic-Bold.ttf"),
    ((0x08A0, 0x08FF), "NotoSansArabic-Bold.ttf"),
    ((0xFB50, 0xFDFF), "NotoSansArabic-Bold.ttf"),
    ((0xFE70, 0xFEFF), "NotoSansArabic-Bold.ttf"),
    ((0x0900, 0x097F), "NotoSansDevanagari-Bold.ttf"),
    ((0xA8E0, 0xA8FF), "NotoSansDevanagari-Bold.ttf"),
)


class ImageProblem(Exception):
    """A creator's master that cannot be used; the message says why."""


def check_master(data: bytes) -> tuple[int, int]:
    """The master's width and height, or ImageProblem; reads only its header."""
    image = _open(data)
    return image.size


def _open(data: bytes) -> Image.Image:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MOST_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=sorted(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageProblem(
            f"is over {MOST_PIXELS // 1_000_000} megapixels; a thumbnail needs 1280×720 (save it smaller)"
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ImageProblem("is not a JPEG or PNG image that can be read") from None
    width, height = image.size
    if width * height > MOST_PIXELS:
        raise ImageProblem(f"is over {MOST_PIXELS // 1_000_000} megapixels; a thumbnail needs 1280×720")
    return image


def master_warnings(width: int, height: int) -> list[str]:
    """What a creator's master of this size loses on the way to its three uses."""
    found = []
    if width < YOUTUBE[0] or height < YOUTUBE[1]:
        found.append(f"is {width}×{height} pixels; YouTube and the share card want 1280×720 or more, so it is enlarged")
    ratio = width / height
    if abs(ratio - 16 / 9) > 0.02:
        found.append(f"is {width}×{height} pixels, not 16:9; its edges are cut to make it 16:9")
    return found


# --- The three images ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """What a drawn master shows."""

    title: str
    author: str
    accent: str


def month_images(look: Look, master: bytes | None) -> dict[str, bytes]:
    """share.jpg, email.jpg and, from a creator's master, youtube-thumbnail.jpg."""
    if master is None:
        share = _drawn(look, SHARE, play=False)
        email = _drawn(look, EMAIL, play=True)
        return {"share.jpg": _jpeg(share, SHARE_MOST), "email.jpg": _jpeg(email, SHARE_MOST)}
    from PIL import ImageOps

    try:
        image = _rgb(ImageOps.exif_transpose(_open(master)))
    except (OSError, SyntaxError, ValueError) as err:  # what its header promised is not all there
        raise ImageProblem(f"is damaged: its pixels cannot all be read ({err})") from None
    share = ImageOps.fit(image, SHARE, method=_lanczos())
    email = _with_play_button(ImageOps.fit(image, EMAIL, method=_lanczos()), (EMAIL[0] // 2, EMAIL[1] // 2))
    youtube = ImageOps.fit(image, YOUTUBE, method=_lanczos())
    return {
        "share.jpg": _jpeg(share, SHARE_MOST),
        "email.jpg": _jpeg(email, SHARE_MOST),
        "youtube-thumbnail.jpg": _jpeg(youtube, YOUTUBE_MOST),
    }


def _lanczos() -> int:
    from PIL import Image

    return Image.Resampling.LANCZOS


def _rgb(image: Image.Image) -> Image.Image:
    """Opaque RGB: a transparent PNG's see-through parts on white."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _jpeg(image: Image.Image, most: int) -> bytes:
    """A baseline JPEG under ``most`` bytes, as good as that allows."""
    for quality in (90, 80, 70, 60, 50, 40):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= most:
            return out.getvalue()
    raise AssertionError("a JPEG of at most 1280×720 at quality 40 is far under 1 MB")


# --- Drawing a master ---------------------------------------------------------------------------


def _colors(accent: str) -> tuple[str, str, str]:
    """Background, title and author colours: the accent (dark enough for white text) and white."""
    background = readable_on(accent, WHITE)  # white on it then has 4.5:1 too
    muted = "#e6edf3" if contrast("#e6edf3", background) >= 4.5 else WHITE
    return background, WHITE, muted


def _drawn(look: Look, size: tuple[int, int], play: bool) -> Image.Image:
    """The title and the author on the accent colour, at ``size``.

    Everything stays inside a margin of a tenth of the height, which is inside
    X's crop of the card to 2:1 and Facebook's to 1.91:1. With ``play`` the
    title keeps to the left three fifths and a play button stands at the right.
    """
    from PIL import Image, ImageDraw

    width, height = size
    background, ink, muted = _colors(look.accent)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    margin_x, margin_y = round(width * 0.075), round(height * 0.12)
    text_width = (width * 0.6 if play else width) - 2 * margin_x
    rtl = _right_to_left(look.title)
    author_size = round(height * 0.055)
    author = _fit(look.author, text_width, [author_size], 1)
    title_room = height - 2 * margin_y - author_size * 2.2
    sizes = [round(height * f) for f in (0.13, 0.115, 0.1, 0.088, 0.077, 0.068, 0.06)]
    title = _fit(look.title, text_width, sizes, 4, title_room)
    block = title.height + author_size * 2.2
    y = (height - block) / 2
    left = width - margin_x - text_width if rtl else margin_x
    _draw_lines(draw, title, left, y, text_width, ink, rtl)
    _draw_lines(draw, author, left, y + title.height + author_size * 0.9, text_width, muted, rtl)
    if play:
        image = _with_play_button(image, (round(width * (0.2 if rtl else 0.8)), height // 2))
    return image


@dataclass
class _Lines:
    lines: list[list[tuple[str, ImageFont.FreeTypeFont]]]  # each line: runs of text, each in its font
    size: int
    spacing: float

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * self.spacing


def _fit(text: str, width: float, sizes: list[int], most_lines: int, most_height: float | None = None) -> _Lines:
    """The text wrapped into ``width`` at the largest size that fits in ``most_lines`` (and ``most_height``);
    at the smallest size, the lines past the last end in '…'."""
    text = " ".join(_drawable(text).split())
    for size in sizes:
        lines = _wrap(text, width, size)
        spacing = 1.18
        if len(lines) <= most_lines and (most_height is None or len(lines) * size * spacing <= most_height):
            return _Lines([_runs(line, size) for line in lines], size, spacing)
    size = sizes[-1]
    lines = _wrap(text, width, size)[:most_lines]
    last = lines[-1]
    while last and _length(last + "…", size) > width:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return _Lines([_runs(line, size) for line in lines], size, 1.18)


def _wrap(text: str, width: float, size: int) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and _length(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
            continue
        while _length(word, size) > width and len(word) > 1:  # a word wider than the line: cut where it must
            cut = len(word) - 1
            while cut > 1 and _length(word[:cut], size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines


def _length(text: str, size: int) -> float:
    return sum(font.getlength(run) for run, font in _runs(text, size))


def _draw_lines(draw, lines: _Lines, left: float, top: float, width: float, ink: str, rtl: bool) -> None:  # noqa: ANN001
    y = top + lines.size  # each line's baseline, where every run of it sits whatever its font's own heights
    for runs in lines.lines:
        widths = [font.getlength(run) for run, font in runs]
        x = left + width - sum(widths) if rtl else left
        for (run, font), run_width in zip(
            reversed(runs) if rtl else runs, reversed(widths) if rtl else widths, strict=True
        ):
            draw.text((x, y), run, font=font, fill=ink, anchor="ls")
            x += run_width
        y += lines.size * lines.spacing


def _right_to_left(text: str) -> bool:
    """Whether the text's first strong letter is written right to left (Unicode's rule P2)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _font_file(char: str) -> str | None:
    """The shipped font for a letter's script; None for a letter every font lacks (a CJK one, an emoji)."""
    code = ord(char)
    if 0x20 <= code < 0x0250:  # Latin, which Noto Sans has all of: told without loading a font
        return _LATIN
    for (first, last), name in _SCRIPT_FONTS:
        if first <= code <= last:
            return name
    return _LATIN if _covers(_LATIN, char) else None


def _drawable(text: str) -> str:
    """The text without what no shipped font can draw (it would show as empty boxes)."""
    return "".join(c for c in text if c == " " or (unicodedata.category(c)[0] != "C" and _font_file(c)))


def undrawable(text: str) -> str:
    """The characters of ``text`` a drawn image leaves out, each once."""
    if text.isascii():  # Noto Sans has every printable one (and a title holds no other)
        return ""
    return "".join(dict.fromkeys(c for c in text if c != " " and c not in _drawable(c)))


def _runs(line: str, size: int) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    """A line cut where its font changes; spaces, digits and punctuation stay in the run they are in."""
    runs: list[tuple[str, str]] = []
    for char in line:
        name = _font_file(char) if unicodedata.bidirectional(char) in ("L", "R", "AL") else None
        if runs and (name is None or name == runs[-1][1]):
            runs[-1] = (runs[-1][0] + char, runs[-1][1])
        else:
            runs.append((char, name or _LATIN))
    return [(text, _font(name, size)) for text, name in runs]


@functools.cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONTS / name), size)


@functools.cache
def _covers(name: str, char: str) -> bool:
    """Whether the font has a glyph for ``char``, not the empty box it draws for one it lacks."""
    return char in " \u00a0" or _glyph(name, char) != _glyph(name, "\U0010fffd")


@functools.cache
def _glyph(name: str, char: str) -> bytes:
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (48, 48))
    ImageDraw.Draw(canvas).text((8, 4), char, font=_font(name, 24), fill=255)
    return canvas.tobytes()


def _with_play_button(image: Image.Image, centre: tuple[int, int]) -> Image.Image:
    """The image with a play button drawn into its pixels, centred on ``centre``."""
    button = _play_button(round(image.width * 0.075))
    image.paste(button, (centre[0] - button.width // 2, centre[1] - button.height // 2), button)
    return image


@functools.cache
def _play_button(radius: int) -> Image.Image:
    """A dark disc ringed in white with a white triangle, drawn four times larger and scaled down so that its
    edges are smooth."""
    from PIL import Image, ImageDraw

    scale = 4
    side = radius * 2 * scale
    button = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(button)
    ring = round(radius * 0.08) * scale
    draw.ellipse((0, 0, side - 1, side - 1), fill=(255, 255, 255, 235))
    draw.ellipse((ring, ring, side - 1 - ring, side - 1 - ring), fill=(20, 20, 20, 200))
    r = side / 2
    draw.polygon([(r - r * 0.28, r - r * 0.42), (r - r * 0.28, r + r * 0.42), (r + r * 0.46, r)], fill=WHITE)
    return button.resize((radius * 2, radius * 2), Image.Resampling.LANCZOS)
