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


# --- per-class box regression (DetectorConfig.box_per_class) ----------------------------------------------


def test_per_class_box_head_shapes_and_peak_path_matches_dense():
    torch.manual_seed(2)
    net = RegionNet(tiny_config(box_per_class=True)).eval()
    c = len(CLASSES)
    x = torch.rand(1, 1, 128, 96)
    with torch.inference_mode():
        dense = net(x)
        lazy = net(x, dense_box=False)
    assert dense["box"].shape == (1, 4 * c, 32, 24) and bool((dense["box"] > 0).all())
    assert callable(lazy["box"])
    labels, i, j = torch.tensor([0, 5, c - 1]), torch.tensor([1, 7, 30]), torch.tensor([2, 20, 0])
    want = dense["box"][0].reshape(c, 4, 32, 24)[labels, :, i, j].T
    with torch.inference_mode():
        assert torch.allclose(lazy["box"](0, labels, i, j), want, rtol=1e-4, atol=1e-4)
        a = decode(dense["heat"], dense["box"], dense["vert"], threshold=0.0)[0]
        b = decode(lazy["heat"], lazy["box"], lazy["vert"], threshold=0.0)[0]
    assert torch.equal(a.labels, b.labels) and torch.allclose(a.boxes, b.boxes, atol=1e-3)


def test_shared_box_head_is_unchanged_by_the_flag_default():
    """The default config (the shipped weights' layout) keeps a 4-channel box head, dense on either path."""
    net = RegionNet(tiny_config()).eval()
    assert not net.cfg.box_per_class and net.box.out_channels == 4
    with torch.inference_mode():
        x = torch.rand(1, 1, 64, 64)
        a, b = net(x), net(x, dense_box=False)
    assert torch.equal(a["box"], b["box"])


def test_decode_takes_each_class_its_own_box():
    c = len(CLASSES)
    heat, _, vert = _maps(c=c)
    box = torch.full((1, 4 * c, 32, 40), 8.0)
    dl, dm = CLASSES.index("dimension_line"), CLASSES.index("dimension")
    heat[0, dl, 10, 20] = _logit(0.9)  # a chain and one of its texts peak at the same cell
    heat[0, dm, 10, 20] = _logit(0.8)
    box[0, 4 * dl:4 * dl + 4, 10, 20] = torch.tensor([100.0, 6.0, 120.0, 6.0])
    box[0, 4 * dm:4 * dm + 4, 10, 20] = torch.tensor([15.0, 5.0, 15.0, 5.0])
    (d,) = decode(heat, box, vert, threshold=0.3)
    assert d.labels.tolist() == [dl, dm]
    cx, cy = 20 * 4 + 2, 10 * 4 + 2
    assert d.boxes[0].tolist() == pytest.approx([cx - 100, cy - 6, cx + 120, cy + 6])
    assert d.boxes[1].tolist() == pytest.approx([cx - 15, cy - 5, cx + 15, cy + 5])
    with pytest.raises(ValueError, match="channels"):
        decode(heat, box[:, :8], vert)


def test_per_class_targets_keep_a_box_for_every_class_at_a_cell():
    from models.detector.data import make_targets

    dl, dm = CLASSES.index("dimension_line"), CLASSES.index("dimension")
    boxes = np.array([[20, 40, 220, 60], [100, 42, 140, 58]], np.float32)  # a chain and a text inside it
    labels, vert = np.array([dl, dm]), np.zeros(2, np.uint8)
    shared = make_targets(boxes, labels, vert, 32, 64)
    per = make_targets(boxes, labels, vert, 32, 64, per_class=True)
    i, j = 12, 30  # the text's centre cell, also inside the chain's central part
    assert shared["reg"][:, i, j].tolist() == [100, 42, 140, 58]  # the smaller box wins the shared head
    assert per["reg"].shape == (len(CLASSES), 4, 32, 64) and per["reg_w"].shape == (len(CLASSES), 32, 64)
    assert per["reg"][dl, :, i, j].tolist() == [20, 40, 220, 60] and per["reg_w"][dl, i, j] > 0
    assert per["reg"][dm, :, i, j].tolist() == [100, 42, 140, 58] and per["reg_w"][dm, i, j] > 0
    # each box's weights still add up to log(area), as with the shared head
    assert per["reg_w"][dl].sum() == pytest.approx(np.log(200 * 20), rel=1e-4)
    assert per["reg_w"][dm].sum() == pytest.approx(np.log(40 * 16), rel=1e-4)
    assert per["heat"].tolist() == shared["heat"].tolist()


def test_per_class_loss_is_finite_and_trains_the_class_channels():
    from models.detector.data import collate
    from models.detector.train import losses

    torch.manual_seed(3)
    net = RegionNet(tiny_config(box_per_class=True)).train()
    dl, dm = CLASSES.index("dimension_line"), CLASSES.index("dimension")
    img = np.full((128, 256), 255, np.uint8)
    img[44:56, 30:220] = 0
    item = dict(image=img, boxes=np.array([[20, 40, 220, 60], [100, 42, 140, 58]], np.float32),
                labels=np.array([dl, dm]), vert=np.zeros(2, np.uint8))
    batch = collate([item], per_class=True)
    assert batch["reg"].shape[1:3] == (len(CLASSES), 4)
    ls = losses(net(batch["image"]), batch)
    assert all(bool(torch.isfinite(v)) for v in ls.values()) and ls["box"] > 0
    ls["total"].backward()
    g = net.box.weight.grad.reshape(len(CLASSES), 4, -1).abs().sum(dim=(1, 2))
    assert g[dl] > 0 and g[dm] > 0 and g[CLASSES.index("logo")] == 0  # only the classes with boxes


def test_warm_start_of_a_per_class_head_from_shared_weights(tmp_path):
    from docpipe.detect.model import DetectorConfig
    from models.detector.train import init_from, save

    torch.manual_seed(4)
    old_cfg = tiny_config(classes=CLASSES[:12])
    old = RegionNet(old_cfg)
    path = tmp_path / "old.pt"
    save(old, old_cfg, path, {})
    new = RegionNet(tiny_config(box_per_class=True))
    msg = init_from(new, path)
    assert "box.weight" in msg
    c = len(CLASSES)
    for k in range(c):  # every class starts from the old shared distances
        assert torch.equal(new.box.weight[4 * k:4 * k + 4], old.box.weight)
        assert torch.equal(new.box.bias[4 * k:4 * k + 4], old.box.bias)
    assert torch.equal(new.heat.weight[:12], old.heat.weight) and torch.equal(new.stem[0].weight, old.stem[0].weight)
    # the config round-trips through a weights file, and a file without the key is a shared head
    assert DetectorConfig.from_dict(new.cfg.to_dict()).box_per_class
    d = old_cfg.to_dict()
    d.pop("box_per_class")
    assert not DetectorConfig.from_dict(d).box_per_class


def test_weights_written_before_the_flag_load_as_a_shared_box_head(tmp_path):
    """A weights file whose config has no ``box_per_class`` (all files before it, the 12-class one too) loads
    as a 4-channel shared box head and gives the same maps as the network it was saved from."""
    torch.manual_seed(5)
    cfg = tiny_config(classes=CLASSES[:12])
    net = RegionNet(cfg).eval()
    d = cfg.to_dict()
    d.pop("box_per_class")
    path = tmp_path / "old.pt"
    torch.save({"config": d, "state_dict": net.state_dict(), "meta": {}}, path)
    det = load_detector(path=path, options=DetectOptions(weights=path, threshold=0.0, max_side=256))
    assert not det.model.cfg.box_per_class and det.model.box.out_channels == 4 and det.classes == CLASSES[:12]
    x = torch.rand(1, 1, 96, 128)
    with torch.inference_mode():
        assert torch.equal(det.model(x, dense_box=False)["box"], net(x)["box"])
    if DEFAULT_WEIGHTS.is_file():  # the committed file: its box head matches its config, either way
        m = load_detector(path=DEFAULT_WEIGHTS).model
        assert m.box.out_channels == (4 * len(m.cfg.classes) if m.cfg.box_per_class else 4)
