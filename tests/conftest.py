"""Shared fixtures: text rendering for synthetic test pages, and paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_docs"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def render_lines(lines: list[tuple[int, int, str]], size=(2480, 3508), font_px: int = 42) -> Image.Image:
    """A white grayscale page with each (x, y, text) drawn in DejaVu Sans at ``font_px`` pixels."""
    img = Image.new("L", size, 255)
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(FONT, font_px)
    for x, y, text in lines:
        d.text((x, y), text, font=f, fill=0)
    return img


@pytest.fixture
def text_page() -> Image.Image:
    return render_lines([(200, 200 + i * 90, f"Line {i}: the quick brown fox jumps over the lazy dog")
                         for i in range(20)])


TEXT_H = 32  # text height in px of pages built from words; a character is ~0.55 TEXT_H wide


def page_from_items(items, number=1, size=(2480, 3508)):
    """A read ``Page`` built from (x, y, text) items without OCR: each token becomes a word with an estimated
    box, grouped into lines as the OCR stage would."""
    from docpipe.ocr import group_lines
    from docpipe.types import Page, Word

    words = []
    for x, y, text in items:
        for token in text.split(" "):
            if token:
                w = max(8, int(len(token) * 0.55 * TEXT_H))
                words.append(Word(text=token, bbox=(x, y, x + w, y + TEXT_H), confidence=0.95))
            x += int((len(token) + 1) * 0.55 * TEXT_H)
    return Page(number=number, width=size[0], height=size[1], dpi=300, text_source="ocr",
                lines=group_lines(words))
