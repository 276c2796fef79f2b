"""The transformers engine (``--llm-engine transformers``): the embedded model's weights run by transformers on
torch, under the same constrained decoder as llama.cpp (:mod:`.decode`).

:class:`TransformersEngine` is the decoder's :class:`~docpipe.structure.llm.decode.Engine` over any torch
causal LM and its tokenizer: ``feed`` runs the new tokens through the model with a ``DynamicCache`` that holds
every token fed so far, so a prompt prefix shared with the previous reply is read once and each choice is
scored one token at a time; ``truncate`` crops the cache back to a common prefix. Only the last position's
logits are computed (``logits_to_keep=1``): the 152k-row output layer over every prompt position would cost
as much as the rest of the model.

:func:`load` reads a GGUF file the way ``transformers`` does (``from_pretrained(folder, gguf_file=...)``,
dequantised to float32: fp32 is the fast path of torch on AVX2 CPUs without bf16/int8 matrix units) and keeps a
converted copy (safetensors and ``tokenizer.json``) in a cache folder, so later processes load in seconds
instead of converting the tokenizer and dequantising every tensor again (~75 s here). A folder of transformers
weights (``config.json`` and the tokenizer files) loads as it is. Nothing is ever fetched from a hub.

transformers is imported only here, and only when the engine is used.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ...errors import ModelLoadError
from .decode import chatml

log = logging.getLogger("docpipe")

PACKAGES = ("torch", "transformers", "gguf", "accelerate")  # accelerate: transformers needs it to read a GGUF
CACHE_ENV = "DOCPIPE_TRANSFORMERS_CACHE"
EVAL_CHUNK = 256  # prompt tokens per forward pass: fewer, larger matrix products read faster in torch


def missing_packages(gguf: bool = True) -> list[str]:
    """The packages the engine needs that are not installed (``gguf``: also those that read GGUF files)."""
    import importlib.util

    need = PACKAGES if gguf else PACKAGES[:2]
    return [p for p in need if importlib.util.find_spec(p) is None]


def cache_root() -> Path:
    """Where converted GGUF models are kept: ``$DOCPIPE_TRANSFORMERS_CACHE``, else ~/.cache/docpipe/transformers."""
    value = os.environ.get(CACHE_ENV)
    return Path(value) if value else Path.home() / ".cache" / "docpipe" / "transformers"


def converted_dir(gguf: Path, root: Path | None = None) -> Path:
    """The cache folder of one GGUF file, keyed by its name, size and modification time."""
    st = gguf.stat()
    return (root or cache_root()) / f"{gguf.stem}-{st.st_size}-{st.st_mtime_ns}"


def _quiet_transformers() -> None:
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def _with_packages(path: Path) -> Path:
    """``path`` as a Path, once the packages the engine needs for it are importable; else ModelLoadError."""
    path = Path(path)
    missing = missing_packages(gguf=not path.is_dir())
    if missing:
        raise ModelLoadError(f"the transformers engine needs {', '.join(missing)}: run 'make setup' (they are "
                             "pinned in requirements.lock), or use --llm-engine llamacpp")
    return path


def load(path: Path, *, cache: Path | None = None, dtype: str = "float32") -> tuple[Any, Any]:
    """``(model, tokenizer)`` from a GGUF file (converted once into ``cache``, default :func:`cache_root`) or a
    folder of transformers weights. Raises :class:`ModelLoadError` saying what to do."""
    path = _with_packages(path)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _quiet_transformers()
    torch_dtype = getattr(torch, dtype)
    try:
        if path.is_dir():
            src = path
        else:
            src = converted_dir(path, cache)
            if not (src / "config.json").is_file():
                _convert(path, src, torch_dtype)
        tokenizer = AutoTokenizer.from_pretrained(src, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(src, dtype=torch_dtype, local_files_only=True)
    except ModelLoadError:
        raise
    except Exception as e:  # noqa: BLE001 - transformers raises many kinds for a bad file or folder
        raise ModelLoadError(f"the transformers engine cannot load {path}: {type(e).__name__}: {e}; pass a GGUF "
                             "file of a model transformers supports (Qwen2, Llama, ...) or a folder of "
                             "transformers weights with --llm-model, or use --llm-engine llamacpp") from e
    model.eval()
    return model, tokenizer


def prepare(path: Path, *, cache: Path | None = None, dtype: str = "float32") -> None:
    """Make ``path`` loadable without loading the model here: convert a GGUF file into its cache folder if it
    is not there yet; read a folder's config. Raises :class:`ModelLoadError` saying what to do."""
    path = _with_packages(path)
    import torch

    _quiet_transformers()
    try:
        if path.is_dir():
            from transformers import AutoConfig

            AutoConfig.from_pretrained(path, local_files_only=True)
        elif not (converted_dir(path, cache) / "config.json").is_file():
            _convert(path, converted_dir(path, cache), getattr(torch, dtype))
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(f"the transformers engine cannot load {path}: {type(e).__name__}: {e}; pass a GGUF "
                             "file of a model transformers supports (Qwen2, Llama, ...) or a folder of "
                             "transformers weights with --llm-model, or use --llm-engine llamacpp") from e


def _convert(gguf: Path, dest: Path, torch_dtype) -> None:
    """Dequantise ``gguf`` with transformers and save model and tokenizer into ``dest`` (atomically: a
    temporary folder renamed; a concurrent conversion of the same file by another worker is harmless)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.perf_counter()
    log.info("transformers engine: converting %s once into %s", gguf, dest)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch_dtype,
                                                 local_files_only=True)
    model.hf_quantizer = None  # dequantised weights: save them as plain tensors
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(dest)
        except OSError:
            if not (dest / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("transformers engine: converted in %.0f s", time.perf_counter() - t0)


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet, character -> byte (the inverse of ``bytes_to_unicode``)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


class TransformersEngine:
    """:class:`~docpipe.structure.llm.decode.Engine` over a torch causal LM (``model``) and its tokenizer."""

    eval_chunk = EVAL_CHUNK

    def __init__(self, model, tokenizer, *, n_ctx: int = 4096) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self._n_vocab = int(model.get_output_embeddings().out_features)
        self._n_ctx = min(n_ctx, int(getattr(model.config, "max_position_embeddings", n_ctx) or n_ctx))
        self._ids: list[int] = []
        self._cache = None
        self._logits: np.ndarray | None = None
        self._pieces: dict[int, bytes] = {}
        self._bytes = _byte_decoder()
        self._control = {i for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items()
                         if getattr(t, "special", False)} | set(getattr(tokenizer, "all_special_ids", []))
        self.tokens_fed = 0  # all tokens through the model, for speed figures
        self.forward_calls = 0

    def n_vocab(self) -> int:
        return self._n_vocab

    def n_ctx(self) -> int:
        return self._n_ctx

    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return chatml(messages)

    def tokenize(self, text: str, *, prompt: bool) -> list[int]:
        if prompt:
            return list(self.tokenizer.encode(text, add_special_tokens=True))
        return list(self.tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True))

    def piece(self, tok: int) -> bytes:
        p = self._pieces.get(tok)
        if p is None:
            p = self._piece(tok)
            self._pieces[tok] = p
        return p

    def _piece(self, tok: int) -> bytes:
        if tok in self._control:
            return b""
        s = self.tokenizer.convert_ids_to_tokens(tok)
        if not s:
            return b""  # rows of the output layer past the tokenizer's vocabulary
        try:
            return bytes(self._bytes[c] for c in s)
        except KeyError:  # not a byte-level BPE token (e.g. a sentencepiece model)
            return self.tokenizer.decode([tok]).encode("utf-8")

    def cached(self) -> Sequence[int]:
        return self._ids

    def truncate(self, n: int) -> None:
        n = max(0, n)
        if n >= len(self._ids):
            return
        if n == 0 or self._cache is None:
            self._cache = None
        else:
            self._cache.crop(n - len(self._ids))  # a negative count: remove that many from the end
        del self._ids[n:]
        self._logits = None

    def feed(self, tokens: list[int]) -> None:
        if not tokens:
            return
        import torch
        from transformers import DynamicCache

        with torch.inference_mode():
            if self._cache is None:
                self._cache = DynamicCache(config=self.model.config)
            out = self.model(input_ids=torch.tensor([list(tokens)], dtype=torch.long), cache=self._cache,
                             use_cache=True, logits_to_keep=1)
        self._logits = out.logits[0, -1].float().numpy().copy()
        self._ids.extend(int(t) for t in tokens)
        self.tokens_fed += len(tokens)
        self.forward_calls += 1

    def logits(self) -> np.ndarray:
        if self._logits is None:
            raise RuntimeError("no logits: feed tokens first")
        return self._logits
