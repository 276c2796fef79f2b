"""The embedded model's two engines side by side: llama.cpp (``--llm-engine llamacpp``) and transformers on torch
(``--llm-engine transformers``), the same weights and the same constrained decoder. Prints figures; asserts
nothing.

    nice -n 5 .venv/bin/python benchmarks/llm_engines.py [--set invoices] [--limit N] [--threads 1]
        [--micro-only] [--repeats 3] [--json FILE]

Two parts, the engines interleaved (alternating which goes first) so both see the same machine load:

1. **micro**: a fixed 512-token prompt read from an empty cache, then 32 greedy single-token steps; prompt
   tokens/s and generated tokens/s, wall clock and CPU seconds of this process (``time.process_time``: with a
   shared, loaded machine the wall clock also counts other users' time slices), median of ``--repeats``.
2. **documents**: the real invoices of ``benchmarks/invoice_fields.py`` (pages from its OCR cache, so both
   engines structure the same words), each document structured by both engines in turn. Per engine: seconds
   per document (the whole structuring step and its LLM calls), prompt tokens/s over the prompt tokens the
   model actually read (what the KV cache did not hold), generated tokens/s over the tokens the model chose
   (one forward pass each), and the key-field accuracy, scored as ``invoice_fields.py`` scores it.

Models load before anything is timed (the transformers engine converts the GGUF once into
``~/.cache/docpipe/transformers``; later runs load the converted copy in a few seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docpipe.eval import fields as _fields  # noqa: E402
from docpipe.eval.fields import DEFAULT_CACHE  # noqa: E402
from docpipe.eval.realdocs import realdocs_root  # noqa: E402
from docpipe.options import OcrOptions, PipelineOptions, StructureOptions  # noqa: E402

ENGINES = ("llamacpp", "transformers")


def engine_of(backend):
    """The decoder engine of a loaded embedded backend (loads it)."""
    from docpipe.structure.llm.decode import LlamaCppEngine

    return backend.engine if hasattr(backend, "engine") else LlamaCppEngine(backend.llm)


def synthetic_prompt(n_rows: int = 80, seed: int = 0) -> str:
    """Invented invoice-like rows (made-up words, numbers and dates): prompt text of a realistic token mix."""
    rng = random.Random(seed)
    syl = ("ka", "ri", "mo", "san", "te", "lu", "wan", "bo", "ni", "ha", "jo", "pe", "lin", "da", "mar", "ko")
    word = lambda: "".join(rng.choice(syl) for _ in range(rng.randint(2, 3))).capitalize()  # noqa: E731
    rows = []
    for i in range(n_rows):
        rows.append(f"{word()} {word()} | {rng.randint(1, 99)} | {rng.randint(1, 999)},{rng.randint(0, 99):02d} | "
                    f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.20{rng.randint(15, 26)} | "
                    f"{rng.choice(('RE', 'INV', 'NR'))}-{rng.randint(1000, 99999)}")
    return "\n".join(rows)


def micro(backends: dict, repeats: int, threads: int, n_prompt: int = 512, n_gen: int = 32) -> dict:
    import numpy as np

    engines = {name: engine_of(b) for name, b in backends.items()}
    text = synthetic_prompt()
    toks = {name: e.tokenize(text, prompt=True)[:n_prompt] for name, e in engines.items()}
    if len({tuple(t) for t in toks.values()}) != 1:
        print("note: the engines' tokenizers split the prompt differently")
    assert len(toks[next(iter(toks))]) == n_prompt, "synthetic prompt too short"
    res: dict[str, dict[str, list[float]]] = {n: {k: [] for k in ("pw", "pc", "gw", "gc")} for n in engines}
    for r in range(repeats):
        order = list(engines) if r % 2 == 0 else list(reversed(engines))
        for name in order:
            e = engines[name]
            _set_threads(backends[name], threads)
            e.truncate(0)
            w0, c0 = time.perf_counter(), time.process_time()
            for i in range(0, n_prompt, e.eval_chunk):
                e.feed(toks[name][i:i + e.eval_chunk])
            res[name]["pw"].append(n_prompt / (time.perf_counter() - w0))
            res[name]["pc"].append(n_prompt / (time.process_time() - c0))
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n_gen):
                e.feed([int(np.argmax(e.logits()))])
            res[name]["gw"].append(n_gen / (time.perf_counter() - w0))
            res[name]["gc"].append(n_gen / (time.process_time() - c0))
            e.truncate(0)
    return {name: {k: round(statistics.median(v), 1) for k, v in d.items()} for name, d in res.items()}


def _set_threads(backend, threads: int) -> None:
    if hasattr(backend, "engine"):
        import torch

        torch.set_num_threads(threads)


def documents(pipes: dict, which: str, root: Path, cache: Path, limit: int | None, workers: int) -> dict:
    files, truth, fields = _fields.load_set(which, root, cache / "scans", limit, print)
    ocr = next(iter(pipes.values())).options.ocr
    read = _fields.read_all(files, cache / "pages", ocr.lang, ocr.psm, workers, print)
    per: dict[str, dict] = {n: {"rows": [], "stats": [], "seconds": [], "llm_seconds": []} for n in pipes}
    for i, key in enumerate(files):
        src, outcomes = read[key]
        order = list(pipes) if i % 2 == 0 else list(reversed(pipes))
        line = []
        for name in order:
            pipe = pipes[name]
            backend = pipe.structurer.llm.backend
            backend._bench_stats = []
            t0 = time.perf_counter()
            result, structured = pipe.finish_detailed(src, outcomes)
            seconds = time.perf_counter() - t0
            llm_s = structured.llm_seconds if structured is not None else 0.0
            stats = {}
            for s in backend._bench_stats:
                for k, v in s.items():
                    stats[k] = stats.get(k, 0) + v
            row = {"doc": key, "doc_type": result.doc_type, "pages": len(result.pages), "seconds": round(seconds, 2),
                   "llm_seconds": round(llm_s, 2), "ocr_seconds": sum(o.timings.get("ocr", 0.0) for o in outcomes),
                   "needs_review": result.needs_review,
                   "review_reasons": list(result.review_reasons), "fields": _fields.score(truth[key], fields, result),
                   "errors": [e.message for e in result.errors], "llm_stats": stats}
            per[name]["rows"].append(row)
            right = sum(f["ok"] for f in row["fields"].values())
            line.append(f"{name} {llm_s:5.1f} s {right}/{len(row['fields'])}")
        print(f"  {key}: " + ", ".join(line), flush=True)
    out = {}
    for name, d in per.items():
        rows = d["rows"]
        tot = {}
        for r in rows:
            for k, v in r["llm_stats"].items():
                tot[k] = tot.get(k, 0) + v
        summary = _fields.summarize(rows, fields, threshold=pipes[name].review_threshold)
        out[name] = {
            "documents": len(rows),
            "llm_seconds_per_doc": round(sum(r["llm_seconds"] for r in rows) / len(rows), 2),
            "seconds_per_doc": round(sum(r["seconds"] for r in rows) / len(rows), 2),
            "prompt_tokens": int(tot.get("prompt_tokens", 0)), "gen_tokens": int(tot.get("gen_tokens", 0)),
            "fixed_tokens": int(tot.get("fixed_tokens", 0)),
            "prompt_tok_s": round(tot["prompt_tokens"] / tot["prompt_seconds"], 1) if tot.get("prompt_seconds") else None,
            "gen_tok_s": round(tot["gen_tokens"] / tot["gen_seconds"], 1) if tot.get("gen_seconds") else None,
            "fixed_tok_s": round(tot["fixed_tokens"] / tot["fixed_seconds"], 1) if tot.get("fixed_seconds") else None,
            "summary": summary, "rows": rows,
        }
        print()
        print(_fields.format_summary(summary, f"{which} (llm, --llm-engine {name})", rows))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="invoices", choices=tuple(_fields.SETS))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--threads", type=int, default=StructureOptions().llm_threads, help="threads per engine")
    ap.add_argument("--llm-model", type=Path, default=None, help="GGUF file (default: the embedded model)")
    ap.add_argument("--repeats", type=int, default=3, help="repeats of the micro benchmark")
    ap.add_argument("--micro-only", action="store_true", help="skip the documents")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for reading pages")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--realdocs", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    from docpipe.pipeline import Pipeline

    pipes = {}
    for name in ENGINES:
        sopts = {"backend": "llm", "llm_engine": name, "llm_threads": args.threads}
        if args.llm_model is not None:
            sopts["llm_model"] = args.llm_model
        pipes[name] = Pipeline(PipelineOptions(ocr=OcrOptions(), workers=1, structure=StructureOptions(**sopts)))
    backends = {name: p.structurer.llm.backend for name, p in pipes.items()}
    for name, b in backends.items():
        t0 = time.perf_counter()
        engine_of(b)
        print(f"{name}: loaded in {time.perf_counter() - t0:.1f} s")
        complete = b.complete

        def counted(*a, _b=b, _complete=complete, **kw):
            text = _complete(*a, **kw)
            getattr(_b, "_bench_stats", []).append(dict(_b.last_stats))
            return text

        b.complete = counted
    load0 = os.getloadavg()
    print(f"\nmicro: 512 prompt tokens, 32 generated, {args.threads} thread(s), median of {args.repeats} "
          f"(load average at start {load0[0]:.1f} on {os.cpu_count()} cores)")
    m = micro(backends, args.repeats, args.threads)
    print(f"{'engine':14} {'prompt tok/s':>13} {'(CPU)':>7} {'gen tok/s':>10} {'(CPU)':>7}")
    for name, r in m.items():
        print(f"{name:14} {r['pw']:13.1f} {r['pc']:7.1f} {r['gw']:10.1f} {r['gc']:7.1f}")
    out = {"micro": m, "threads": args.threads, "load_start": load0}
    if not args.micro_only:
        root = realdocs_root(args.realdocs)
        if root is None:
            sys.exit("realdocs not found: pass --realdocs or set DOCPIPE_REALDOCS")
        print()
        docs = documents(pipes, args.set, root, args.cache, args.limit, args.workers)
        print(f"\n{args.set}: {docs[ENGINES[0]]['documents']} documents, both engines on the same OCR words, "
              f"{args.threads} thread(s)")
        print(f"{'engine':14} {'s/doc (LLM)':>12} {'s/doc (all)':>12} {'prompt tok/s':>13} {'gen tok/s':>10} "
              f"{'prompt toks':>12} {'gen toks':>9} {'key fields':>11}")
        for name, d in docs.items():
            acc = d["summary"]["all"]["accuracy"]
            print(f"{name:14} {d['llm_seconds_per_doc']:12.2f} {d['seconds_per_doc']:12.2f} {d['prompt_tok_s']:13.1f} "
                  f"{d['gen_tok_s']:10.1f} {d['prompt_tokens']:12d} {d['gen_tokens']:9d} "
                  f"{(f'{acc:.3f}' if acc is not None else '-'):>11}")
        out["documents"] = {n: {k: v for k, v in d.items() if k != "rows"} for n, d in docs.items()}
        if args.json:
            out["rows"] = {n: d["rows"] for n, d in docs.items()}
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    out["load_end"] = load
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
