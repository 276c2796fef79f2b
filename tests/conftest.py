"""Shared fixtures: text rendering for synthetic test pages, and paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_docs"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


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
