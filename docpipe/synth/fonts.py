"""TrueType fonts for synthetic pages: DejaVu and Liberation, as shipped by Debian under /usr/share/fonts.

Sizes are in pixels (the em size at 300 dpi): 10 pt = 10 * 300 / 72 ≈ 42 px.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))

# family -> (regular, bold) file names
FAMILIES: dict[str, tuple[str, str]] = {
    "dejavu-sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "dejavu-condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    "dejavu-serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "dejavu-mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "liberation-sans": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "liberation-narrow": ("LiberationSansNarrow-Regular.ttf", "LiberationSansNarrow-Bold.ttf"),
    "liberation-serif": ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    "liberation-mono": ("LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf"),
}
SANS = ("dejavu-sans", "dejavu-condensed", "liberation-sans", "liberation-narrow")
SERIF = ("dejavu-serif", "liberation-serif")
MONO = ("dejavu-mono", "liberation-mono")
# Fonts with Ø, ±, °, ⌀: the drawing generator uses only these.
TECHNICAL = ("dejavu-sans", "dejavu-condensed")

PT = 300 / 72  # pixels per point at 300 dpi


def _find(name: str) -> Path:
    for d in FONT_DIRS:
        if (d / name).exists():
            return d / name
    raise FileNotFoundError(
        f"font {name} not found under {', '.join(map(str, FONT_DIRS))}; install fonts-dejavu-core and fonts-liberation"
    )


@dataclass(frozen=True)
class Font:
    """A font file at a pixel size. ``pil`` is the cached Pillow font (basic layout, no kerning, so that the
    same text replayed in a PDF by reportlab lands on the same pixels)."""

    path: str
    size: int

    @property
    def pil(self) -> ImageFont.FreeTypeFont:
        return _load(self.path, self.size)

    def length(self, s: str) -> float:
        return self.pil.getlength(s)


@lru_cache(maxsize=512)
def _load(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


def font(family: str, size: float, bold: bool = False) -> Font:
    regular, heavy = FAMILIES[family]
    return Font(str(_find(heavy if bold else regular)), max(6, int(round(size))))


def available() -> list[str]:
    """Families whose files exist on this machine."""
    out = []
    for fam, (reg, bold) in FAMILIES.items():
        try:
            _find(reg), _find(bold)
            out.append(fam)
        except FileNotFoundError:
            pass
    return out
