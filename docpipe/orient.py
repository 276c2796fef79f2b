"""Orient: make a page upright. Quarter turns by Tesseract OSD, small skew by a projection-profile search.

Angles are degrees the image is rotated *clockwise* to become upright; coordinates after this stage refer to
the upright image. Quarter turns change the canvas (width and height swap); deskew keeps the canvas size and
fills with white, so that ground truth drawn on an unskewed page keeps its coordinates.
"""

from __future__ import annotations

import re

import cv2
import numpy as np
from PIL import Image

from .ingest import gray_pixels
from .ocr import TesseractFailed, run_tesseract
from .options import OrientOptions

_PROFILE_WIDTH = 1000  # px; skew search runs on a downscaled copy


def estimate_skew(image: Image.Image, max_skew: float) -> float:
    """The clockwise rotation in degrees (within ±max_skew) that makes text lines horizontal.

    Maximises the variance of row sums of the binarised page (text lines become sharp peaks when they are
    level): a coarse search at 0.5°, then a fine one at 0.1°.
    """
    if max_skew <= 0:
        return 0.0
    gray = gray_pixels(image)
    scale = _PROFILE_WIDTH / max(gray.shape[1], 1)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ys, xs = np.nonzero(ink)
    if len(ys) < 50:  # blank page: nothing to align
        return 0.0
    h, w = ink.shape
    # Row sums of the page turned by each angle, as a histogram of the turned ink coordinates: the same
    # profile as warping the image (nearest neighbour) without touching the blank pixels.
    xs = xs.astype(np.float32) - w / 2
    ys = ys.astype(np.float32) - h / 2

    def score(angle: float) -> float:
        a = np.deg2rad(angle)  # clockwise in image coordinates (y down)
        rows = np.rint(xs * np.sin(a) + ys * np.cos(a) + h / 2).astype(np.int32)
        rows = rows[(rows >= 0) & (rows < h)]
        return float(np.sum(np.diff(np.bincount(rows, minlength=h).astype(np.float64)) ** 2))

    coarse = np.arange(-max_skew, max_skew + 1e-9, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    best = max(fine, key=score)
    return round(float(best), 2)


def rotate_clockwise(image: Image.Image, degrees: float) -> Image.Image:
    """Rotate clockwise; quarter turns are exact and swap the canvas, other angles keep the canvas size."""
    q = degrees % 360
    if q in (90, 180, 270):
        return image.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                                270: Image.Transpose.ROTATE_90}[q])
    if q == 0:
        return image
    return image.rotate(-degrees, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)


def detect_quarter_turn(image: Image.Image, min_confidence: float = 2.0) -> int:
    """Clockwise quarter turn (0, 90, 180, 270) that makes the page upright, by Tesseract OSD.

    Returns 0 when OSD finds too little text or is unsure (``orientation_conf`` below ``min_confidence``).
    OSD runs on a half-size copy: the cost is mostly Tesseract's start-up, the result is the same.
    """
    small = image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.BILINEAR)
    try:
        out = run_tesseract(small, ["-l", "osd", "--psm", "0", "--dpi", "150"])
    except TesseractFailed:
        return 0  # "Too few characters": leave the page as it is
    rot = re.search(r"Rotate:\s*(\d+)", out)
    conf = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    if not rot or not conf or float(conf.group(1)) < min_confidence:
        return 0
    return int(rot.group(1)) % 360


class Orienter:
    """Deskew a page; quarter turns are applied on request (see :meth:`quarter_turn`)."""

    def __init__(self, options: OrientOptions) -> None:
        self.options = options

    def deskew(self, image: Image.Image) -> tuple[Image.Image, float]:
        if not self.options.deskew:
            return image, 0.0
        angle = estimate_skew(image, self.options.max_skew)
        if abs(angle) < 0.15:  # below what OCR notices; avoid resampling blur
            return image, 0.0
        return rotate_clockwise(image, angle), angle

    def quarter_turn(self, image: Image.Image) -> tuple[Image.Image, int]:
        if self.options.osd == "never":
            return image, 0
        turn = detect_quarter_turn(image)
        return (rotate_clockwise(image, turn), turn) if turn else (image, 0)
