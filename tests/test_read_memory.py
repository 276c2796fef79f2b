"""The reader's page-sized helpers in fewer bytes (flattening in bands of rows, 16-bit component labels) give
the same results as the whole-page arithmetic they replace."""

import cv2
import numpy as np
from PIL import Image

from docpipe.ingest import gray_pixels
from docpipe.read import (
    _FLATTEN_ROWS,
    component_stats,
    flatten_background,
    text_heights,
)


def _page(h: int, w: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    light = np.linspace(110, 250, w)[None, :] * np.ones((h, 1))
    g = light - rng.integers(0, 2, (h, w)) * rng.uniform(40, 100, (h, w)) * (rng.random((h, w)) < 0.08)
    return Image.fromarray(np.clip(g, 0, 255).astype(np.uint8))


def test_flattening_in_bands_equals_the_whole_page_formula():
    page = _page(2 * _FLATTEN_ROWS + 77, 640)  # two whole bands and a short one
    gray = np.asarray(page)
    k = max(15, (min(gray.shape) // 40) | 1)
    bg = cv2.medianBlur(gray, k).astype(np.float32)
    whole = np.clip(gray.astype(np.float32) / np.maximum(bg, 1.0) * 255.0, 0, 255).astype(np.uint8)
    assert np.array_equal(np.asarray(flatten_background(page)), whole)
    # an RGB photo is flattened in grey
    assert np.array_equal(np.asarray(flatten_background(page.convert("RGB"))), whole)


def test_component_stats_match_opencv_and_fall_back_past_16_bit_labels():
    ink = np.zeros((300, 400), np.uint8)
    ink[10:40, 10:30] = 255
    ink[100:103, 50:300] = 255
    ink[::7, 350::7] = 255
    n, stats = component_stats(ink)
    n32, _, stats32, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    assert n == n32 and np.array_equal(stats, stats32)
    many = np.zeros((1040, 1040), np.uint8)
    many[::4, ::4] = 255  # 67,600 separate dots: more labels than 16 bits hold
    n, stats = component_stats(many)
    assert n == 260 * 260 + 1 and stats.shape == (n, 5)


def test_text_heights_read_letters_and_gray_pixels_take_any_mode():
    page = Image.new("L", (600, 300), 255)
    arr = np.array(page)
    for i in range(30):  # letter-like blobs 12 px tall, 6 px wide
        x = 20 + i * 18
        arr[100:112, x:x + 6] = 0
    page = Image.fromarray(arr)
    assert text_heights(page) == (12.0, 6.0)
    assert text_heights(page.convert("RGB")) == (12.0, 6.0)
    assert gray_pixels(page.convert("RGB")).shape == (300, 600)
    assert np.array_equal(gray_pixels(page), arr)
