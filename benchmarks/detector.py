"""Detector speed: seconds per page (resize + network + decode) with 1 and 2 torch threads.

    python benchmarks/detector.py [--weights models/detector/detector.pt] [--repeat 3] [--max-side 1024]

Runs over the raster pages in ``sample_docs/`` (drawings, receipt, letter, scanned invoice pages) at 300 dpi.
Prints figures and asserts nothing. The machine's load average is printed too: on a shared 2-core machine the
figures depend on what else runs. With page-level parallelism (one worker process per core, 1 thread each)
the throughput of a 2-core machine is about two pages per single-thread page time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sample_pages() -> list[tuple[str, object]]:
    from PIL import Image, ImageSequence

    out = []
    for p in sorted((ROOT / "sample_docs").iterdir()):
        if p.suffix.lower() not in (".png", ".jpg", ".tif", ".tiff"):
            continue
        with Image.open(p) as im:
            for i, frame in enumerate(ImageSequence.Iterator(im)):
                out.append((f"{p.name}#{i + 1}", frame.convert("L").copy()))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-side", type=int, default=1024)
    args = ap.parse_args(argv)

    import torch

    from docpipe.detect import DEFAULT_WEIGHTS, Detector, load_detector
    from docpipe.detect.model import RegionNet, count_parameters
    from docpipe.options import DetectOptions

    weights = args.weights or DEFAULT_WEIGHTS
    if weights.is_file():
        det = load_detector(path=weights, options=DetectOptions(max_side=args.max_side))
        what = f"{weights} (sha256 {det.sha256[:12]}…)"
    else:
        det = Detector(RegionNet(), DetectOptions(weights=None, max_side=args.max_side))
        what = "randomly initialised network of the default architecture (no weights file)"
    pages = sample_pages()
    print(f"detector: {what}, {count_parameters(det.model)} parameters, max_side {args.max_side}")
    print(f"pages: {len(pages)} from sample_docs/; os.cpu_count() {os.cpu_count()}; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    det.detect(pages[0][1])  # warm-up
    for threads in (1, 2):
        torch.set_num_threads(threads)
        per_page = []
        for name, im in pages:
            ts = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                regions = det.detect(im)
                ts.append(time.perf_counter() - t)
            per_page.append(min(ts))
            if threads == 1:
                print(f"  {name:28s} {im.size[0]}x{im.size[1]:<5d} {min(ts):.3f} s "
                      f"(median {statistics.median(ts):.3f}), {len(regions)} regions")
        print(f"threads={threads}: mean {statistics.mean(per_page):.3f} s/page, "
              f"max {max(per_page):.3f} s/page (best of {args.repeat} per page)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
