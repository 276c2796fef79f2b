"""The detect stage: architecture and API with a tiny random network, decode/NMS on hand-made maps, and the
committed weights on a sample drawing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from docpipe.detect import DEFAULT_WEIGHTS, DetectOptions, Detector, load_detector  # noqa: E402
from docpipe.detect.decode import batched_nms, box_iou, decode, nms  # noqa: E402
from docpipe.detect.labels import CLASSES, STRIDE  # noqa: E402
from docpipe.detect.model import RegionNet, count_parameters, tiny_config  # noqa: E402
from docpipe.errors import ModelLoadError  # noqa: E402
from docpipe.geometry import iou  # noqa: E402
from docpipe.types import Region  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_docs"


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


@pytest.fixture(scope="module")
def tiny() -> Detector:
    torch.manual_seed(0)
    return Detector(RegionNet(tiny_config()), DetectOptions(weights=None, threshold=0.0, max_side=512))


# --- network and API --------------------------------------------------------------------------------------


def test_tiny_detector_returns_valid_regions_inside_the_page(tiny):
    from docpipe.synth import render_page

    page = render_page("receipt", np.random.default_rng(3), degrade=True)
    regions = tiny(page.image, dpi=300)
    assert regions, "threshold 0 keeps the top-k peaks"
    w, h = page.image.size
    for r in regions:
        assert isinstance(r, Region)
        assert r.label in CLASSES
        x0, y0, x1, y1 = r.bbox
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert 0.0 <= r.confidence <= 1.0
    assert [r.confidence for r in regions] == sorted((r.confidence for r in regions), reverse=True)


def test_output_shapes_and_strides():
    net = RegionNet(tiny_config()).eval()
    with torch.inference_mode():
        out = net(torch.zeros(2, 1, 256, 192))
    assert out["heat"].shape == (2, len(CLASSES), 256 // STRIDE, 192 // STRIDE)
    assert out["box"].shape == (2, 4, 64, 48) and bool((out["box"] > 0).all())
    assert out["vert"].shape == (2, 1, 64, 48)


def test_default_network_is_small():
    n = count_parameters(RegionNet())
    assert 50_000 < n < 2_000_000, n  # a few MB at most in fp32


def test_rgb_and_tiny_images_are_accepted(tiny):
    from PIL import Image

    assert isinstance(tiny(Image.new("RGB", (40, 30), "white"), dpi=72), list)


def test_options_are_frozen_and_strict():
    o = DetectOptions()
    assert o.enabled and o.weights == DEFAULT_WEIGHTS and o.max_side == 1024
    with pytest.raises(Exception):
        DetectOptions(colour=True)
    with pytest.raises(Exception):
        o.threshold = 0.9  # type: ignore[misc]


def test_missing_weights_say_what_to_do(tmp_path):
    with pytest.raises(ModelLoadError, match="models.detector.train"):
        load_detector(path=tmp_path / "nope.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelLoadError, match="cannot load"):
        load_detector(path=bad)


def test_weights_round_trip_and_load_once(tmp_path):
    from models.detector.train import save

    torch.manual_seed(1)
    cfg = tiny_config()
    net = RegionNet(cfg)
    path = tmp_path / "tiny.pt"
    save(net, cfg, path, {"note": "test"})
    opts = DetectOptions(weights=path, threshold=0.0, max_side=256)
    a = load_detector(options=opts)
    assert load_detector(options=opts) is a  # loaded once per process
    assert a.sha256 and len(a.sha256) == 64
    x = torch.rand(1, 1, 128, 128)
    with torch.inference_mode():
        assert torch.allclose(a.model(x)["heat"], net.eval()(x)["heat"])


def test_importing_docpipe_detect_does_not_import_torch():
    code = "import sys, docpipe.detect; assert 'torch' not in sys.modules, 'torch imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- decoding ---------------------------------------------------------------------------------------------


def _maps(h=32, w=40, c=len(CLASSES)):
    heat = torch.full((1, c, h, w), -10.0)
    box = torch.full((1, 4, h, w), 8.0)
    vert = torch.full((1, 1, h, w), -5.0)
    return heat, box, vert


def test_decode_peaks_to_boxes():
    heat, box, vert = _maps()
    ci, di = CLASSES.index("title_block"), CLASSES.index("dimension")
    heat[0, ci, 10, 20] = _logit(0.9)
    heat[0, ci, 10, 21] = _logit(0.5)  # a neighbour of the peak, not a peak
    box[0, :, 10, 20] = torch.tensor([30.0, 10.0, 50.0, 20.0])
    heat[0, di, 5, 5] = _logit(0.6)
    vert[0, 0, 5, 5] = 4.0
    (d,) = decode(heat, box, vert, stride=4, threshold=0.3)
    assert len(d) == 2
    assert d.labels.tolist() == [ci, di]
    assert d.scores[0].item() == pytest.approx(0.9, abs=1e-4)
    cx, cy = 20 * 4 + 2, 10 * 4 + 2
    assert d.boxes[0].tolist() == pytest.approx([cx - 30, cy - 10, cx + 50, cy + 20])
    assert d.vertical[1].item() > 0.9 and d.vertical[0].item() < 0.1


def test_decode_threshold_and_empty():
    heat, box, vert = _maps()
    heat[0, 0, 3, 3] = _logit(0.2)
    assert len(decode(heat, box, vert, threshold=0.3)[0]) == 0
    assert len(decode(heat, box, None, threshold=0.1)[0]) == 1


def test_nms_keeps_best_of_overlapping_same_class_boxes():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=torch.float32)
    scores = torch.tensor([0.5, 0.9, 0.7])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    labels = torch.tensor([0, 1, 0])
    assert sorted(batched_nms(boxes, scores, labels, 0.5).tolist()) == [0, 1, 2]  # other class: both stay
    assert box_iou(boxes[:1], boxes[:1]).item() == pytest.approx(1.0)
    assert nms(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0


def test_decode_nms_between_two_peaks_of_one_object():
    heat, box, vert = _maps()
    heat[0, 4, 10, 10] = _logit(0.8)
    heat[0, 4, 10, 13] = _logit(0.7)  # a second peak of the same wide box
    box[0, :, 10, 10] = torch.tensor([40.0, 8.0, 40.0, 8.0])
    box[0, :, 10, 13] = torch.tensor([52.0, 8.0, 28.0, 8.0])
    (d,) = decode(heat, box, vert, threshold=0.3, nms_iou=0.5)
    assert len(d) == 1 and d.scores[0].item() == pytest.approx(0.8, abs=1e-4)


# --- the committed weights --------------------------------------------------------------------------------


def test_committed_weights_find_title_block_and_dimensions():
    if not DEFAULT_WEIGHTS.is_file():
        pytest.skip(f"committed detector weights missing at {DEFAULT_WEIGHTS}; run python -m models.detector.train")
    from PIL import Image

    det = load_detector(path=DEFAULT_WEIGHTS)
    with Image.open(SAMPLES / "drawing_flange.png") as im:
        regions = det(im, dpi=300)
    expected = json.loads((SAMPLES / "expected" / "drawing_flange.png.json").read_text())["pages"][0]["regions"]
    exp_tb = [r["bbox"] for r in expected if r["label"] == "title_block"]
    exp_dims = [r["bbox"] for r in expected if r["label"] == "dimension"]
    got_tb = [r.bbox for r in regions if r.label == "title_block"]
    got_dims = [r.bbox for r in regions if r.label == "dimension"]
    assert any(iou(g, e) >= 0.5 for g in got_tb for e in exp_tb), (got_tb, exp_tb)
    matched = sum(any(iou(g, e) >= 0.5 for g in got_dims) for e in exp_dims)
    assert matched >= len(exp_dims) // 2, f"{matched}/{len(exp_dims)} expected dimensions found"


# --- the evaluation's AP ----------------------------------------------------------------------------------


def test_average_precision_of_hand_made_rankings():
    from models.detector.evaluate import average_precision, recall_at

    gt = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)]
    perfect = [(np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float), np.array([0.9, 0.8]))]
    assert average_precision(perfect, gt) == pytest.approx(1.0)
    # a false positive ranked first: precision 1/2 at recall 1/2, 2/3 at recall 1; interpolated (the best
    # precision at any higher recall) that is 2/3 over the whole recall range
    fp_first = [(np.array([[50, 50, 60, 60], [0, 0, 10, 10], [20, 20, 30, 30]], float), np.array([0.95, 0.9, 0.8]))]
    assert average_precision(fp_first, gt) == pytest.approx(2 / 3)
    # the false positive ranked last: full precision up to full recall
    fp_last = [(fp_first[0][0], np.array([0.1, 0.9, 0.8]))]
    assert average_precision(fp_last, gt) == pytest.approx(1.0)
    assert average_precision([(np.zeros((0, 4)), np.zeros(0))], [np.zeros((0, 4))]) is None
    assert recall_at([gt[0]], [np.array([[1, 1, 11, 11]], float)], 0.5) == (1, 2)


def test_dimension_proposals_below_the_threshold():
    """``proposals=True`` adds low-confidence ``dimension`` regions only; ``regions()`` keeps the threshold."""
    from docpipe.detect.labels import CLASSES as LABELS
    from docpipe.synth import render_page

    torch.manual_seed(0)
    net = RegionNet(tiny_config())
    with torch.no_grad():  # every class far below 0.3, dimension peaks around 0.05
        net.heat.weight.mul_(0.01)
        net.heat.bias.fill_(-12.0)
        net.heat.bias[LABELS.index("dimension")] = -3.0
    image = render_page("drawing", np.random.default_rng(5), degrade=False).image
    det = Detector(net, DetectOptions(weights=None, threshold=0.3, dimension_threshold=0.01, max_side=512))
    plain, props = det.detect(image), det.detect(image, proposals=True)
    assert plain == []
    assert props and all(d.label == "dimension" and 0.01 <= d.confidence < 0.3 for d in props)
    assert det.regions(props) == []
