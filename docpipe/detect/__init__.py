"""The ``detect`` stage: a small CNN finds the regions of a page (title block, dimensions, tables, invoice
parties, line items, ...), trained here on synthetic pages (``models/detector/``, see its MODEL_CARD.md).

Usage::

    det = load_detector(options=DetectOptions())     # once per worker process
    regions = det(page_image, dpi=300)               # list[docpipe.types.Region], page pixels

The page is converted to grey and scaled so that its long side is ``max_side`` pixels (the page's dpi does not
enter: the network was trained on whole pages at that size); boxes come back in pixels of the image passed in,
origin top-left, ``[x0, y0, x1, y1]``, confidences in ``[0, 1]``.

torch is imported only when a detector is loaded, so importing docpipe stays fast.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DetectionError, ModelLoadError
from ..options import DEFAULT_DETECTOR_WEIGHTS as DEFAULT_WEIGHTS
from ..options import DetectOptions  # defined with the other stages' options; re-exported here
from ..types import Region

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


@dataclass(frozen=True)
class DetectedRegion:
    """A region with the reading angle of its text: 0 (horizontal) or 90 (vertical, reads bottom to top, as
    dimension text along a vertical dimension line); only meaningful for ``dimension`` regions."""

    label: str
    bbox: tuple[int, int, int, int]
    confidence: float
    angle: int = 0

    def region(self) -> Region:
        return Region(label=self.label, bbox=self.bbox, confidence=self.confidence)


class Detector:
    """A loaded detector. Build it with :func:`load_detector` (from a weights file) or directly from a
    :class:`~docpipe.detect.model.RegionNet` (tests use a tiny randomly initialised one)."""

    def __init__(self, model: Any, options: DetectOptions | None = None, *, sha256: str | None = None):
        import torch

        self.options = options or DetectOptions()
        self.model = model.eval()
        self.classes: tuple[str, ...] = tuple(model.cfg.classes)
        self.sha256 = sha256
        self._lock = threading.Lock()  # one forward at a time per detector (torch threads are per process)
        torch.set_num_threads(self.options.threads)

    def __call__(self, image: Image.Image, dpi: int | None = None) -> list[Region]:
        """Regions of one upright page, in pixels of ``image``, best confidence first. ``dpi`` is accepted for
        the stage interface; scaling depends only on the image's size (see the module docstring)."""
        return [d.region() for d in self.detect(image)]

    def detect(self, image: Image.Image, *, proposals: bool = False) -> list[DetectedRegion]:
        """Like calling the detector, with the text angle (0 or 90) of each region. With ``proposals``,
        ``dimension`` regions down to ``options.dimension_threshold`` are included too (see
        :meth:`regions` to keep only those above ``options.threshold``)."""
        import numpy as np
        import torch
        from PIL import Image as PILImage

        from .decode import decode

        w, h = image.size
        if w < 1 or h < 1:
            raise DetectionError("the page image is empty; check the input file")
        im = image.convert("L") if image.mode != "L" else image
        side = self.options.max_side
        s = side / max(w, h)
        sw, sh = max(1, round(w * s)), max(1, round(h * s))
        small = im.resize((sw, sh), PILImage.Resampling.BILINEAR)
        H, W = -(-sh // 32) * 32, -(-sw // 32) * 32
        x = np.zeros((1, 1, H, W), np.float32)
        x[0, 0, :sh, :sw] = 1.0 - np.asarray(small, dtype=np.float32) / 255.0  # ink = 1, paper (and pad) = 0
        with self._lock, torch.inference_mode():
            out = self.model(torch.from_numpy(x), dense_box=False)  # per-class boxes: only at the peaks
            low = min(self.options.threshold, self.options.dimension_threshold) if proposals else self.options.threshold
            dets = decode(out["heat"], out["box"], out["vert"], threshold=low)[0]
        sx, sy = w / sw, h / sh
        result = []
        for (x0, y0, x1, y1), score, lab, vert in zip(dets.boxes.tolist(), dets.scores.tolist(),
                                                      dets.labels.tolist(), dets.vertical.tolist()):
            bx0, by0 = max(0, min(w - 1, round(x0 * sx))), max(0, min(h - 1, round(y0 * sy)))
            bx1, by1 = max(0, min(w, round(x1 * sx))), max(0, min(h, round(y1 * sy)))
            if bx1 <= bx0 or by1 <= by0:
                continue
            label = self.classes[lab]
            if score < self.options.threshold and label != "dimension":
                continue
            angle = 90 if label == "dimension" and vert >= 0.5 else 0
            result.append(DetectedRegion(label, (bx0, by0, bx1, by1), float(min(1.0, max(0.0, score))), angle))
        return result

    def regions(self, detected: list[DetectedRegion]) -> list[Region]:
        """The contract's regions of a :meth:`detect` result: those at or above ``options.threshold``."""
        return [d.region() for d in detected if d.confidence >= self.options.threshold]


_CACHE: dict[tuple[str, float, DetectOptions], Detector] = {}


def load_detector(*, path: Path | str | None = None, options: DetectOptions | None = None) -> Detector:
    """Load a detector from a weights file written by ``models/detector/train.py`` (``path``, else
    ``options.weights``, else the committed file). Loading the same file with the same options again in
    the same process returns the already loaded detector."""
    options = options or DetectOptions()
    path = Path(path or options.weights or DEFAULT_WEIGHTS)
    if not path.is_file():
        raise ModelLoadError(
            f"detector weights not found at {path}; train them with `python -m models.detector.train` or "
            "set DetectOptions.weights (or DOCPIPE_DETECTOR_WEIGHTS) to the file")
    key = (str(path.resolve()), path.stat().st_mtime, options)
    if key in _CACHE:
        return _CACHE[key]
    import torch

    from .model import DetectorConfig, RegionNet

    data = path.read_bytes()
    try:
        import io

        ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        model = RegionNet(DetectorConfig.from_dict(ckpt["config"]))
        model.load_state_dict(ckpt["state_dict"])
    except Exception as e:  # a truncated or foreign file: say which file and what to do
        raise ModelLoadError(f"cannot load detector weights {path}: {e}; re-train or restore the file") from e
    det = Detector(model, options, sha256=hashlib.sha256(data).hexdigest())
    _CACHE[key] = det
    return det


__all__ = ["DetectOptions", "Detector", "DetectedRegion", "load_detector", "DEFAULT_WEIGHTS"]
