"""Colours that stay readable: contrast as WCAG 2 measures it, and the accent made dark enough where needed."""

from __future__ import annotations

import functools

AA = 4.5  # WCAG AA contrast for body text
WHITE = "#ffffff"
TINT = "#f4f7fa"  # the panels behind the key points and chapters, in the post and the email


def _rgb(color: str) -> tuple[int, int, int]:
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio, 1 to 21."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@functools.cache  # the same accent on the same panel, month after month
def readable_on(color: str, background: str, ratio: float = AA) -> str:
    """``color``, darkened in small steps until it has ``ratio`` against ``background`` (as it is, if it has)."""
    r, g, b = _rgb(color)
    shade = f"#{r:02x}{g:02x}{b:02x}"
    while contrast(shade, background) < ratio:
        r, g, b = (int(v * 0.94) for v in (r, g, b))
        shade = f"#{r:02x}{g:02x}{b:02x}"
    return shade
