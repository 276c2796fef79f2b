"""Schema-constrained decoding for the embedded model, driven field by field over the model's logits.

The reply schemas of :mod:`.schema` are flat objects whose fields are either an enum of page strings
(dates, amounts, numbers, currencies) or a short string, each nullable. The decoder writes the JSON itself:

- the fixed parts (``{"invoice_number": ``, ``, "invoice_date": ``, ``}``) are fed to the model as a batch,
  never generated token by token (prompt reading runs at 60-250 tokens/s here, generation at ~20);
- a value is chosen among its allowed JSON literals (``null``, ``"05.03.2018"``, ...): at each step the
  most likely of the top-k tokens that keeps the text a prefix of some allowed literal is taken; as soon as
  one literal is left, its remaining tokens are fed as a batch. A free-string field with ``choices`` (page
  word windows, for names) is decoded the same way over those strings, so it is grounded by construction;
  without choices it is generated greedily up to its ``maxLength``.

So the reply always parses and satisfies the schema, with only the decisive tokens generated (typically 1-3
per field). ``field_confidence`` records, per field, the probability mass of the chosen path among the
allowed tokens at each decision (1.0 when the model had no real alternative).
"""

from __future__ import annotations

import bisect
import json
import time
from typing import Any, Callable, Protocol, Sequence

import numpy as np

TOP_K = 48
# Prompt tokens per llama.cpp call: between calls the thread count may change (idle cores join); 64-token
# chunks read as fast as one 300-token batch (4.2-4.5 s vs 4.3 s on one core, measured).
EVAL_CHUNK = 64


def supported(schema: dict[str, Any]) -> bool:
    """Whether ``schema`` is a flat object of nullable enums / strings that this decoder handles."""
    props = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(props, dict):
        return False
    for p in props.values():
        if "enum" in p:
            if not all(v is None or isinstance(v, str) for v in p["enum"]):
                return False
        elif set(p.get("type", [])) - {"string", "null"} if isinstance(p.get("type"), list) else p.get("type") != "string":
            return False
    return True


def chatml(messages: list[dict[str, str]]) -> str:
    """ChatML, for a model without a chat template of its own."""
    out = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return out + "<|im_start|>assistant\n"


def chat_prompt(llm, messages: list[dict[str, str]]) -> str:
    """The model's own chat template (GGUF metadata) applied to ``messages``; ChatML when it has none."""
    template = (getattr(llm, "metadata", None) or {}).get("tokenizer.chat_template")
    if template:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "ignore")
        bos = llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "ignore") if llm.token_bos() >= 0 else ""
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)(messages=messages).prompt
    return chatml(messages)


class Engine(Protocol):
    """What the decoder needs of a model: tokens in, the next token's logits out, over a KV cache that holds
    the tokens fed so far (``cached``) and can be cut back to a prefix (``truncate``), so a prompt prefix
    shared with the previous reply is not read again. :class:`LlamaCppEngine` here;
    :class:`~docpipe.structure.llm.engine_transformers.TransformersEngine` for a torch causal LM."""

    eval_chunk: int  # prompt tokens per ``feed`` call: between calls the thread count may change

    def n_vocab(self) -> int: ...

    def n_ctx(self) -> int: ...

    def chat_prompt(self, messages: list[dict[str, str]]) -> str: ...

    def tokenize(self, text: str, *, prompt: bool) -> list[int]:
        """``prompt``: the start of a reply's prompt (BOS if the model wants one, chat special tokens parsed);
        else plain text (JSON parts, values)."""
        ...

    def piece(self, tok: int) -> bytes:
        """The bytes token ``tok`` stands for (b"" for control tokens)."""
        ...

    def cached(self) -> Sequence[int]: ...

    def truncate(self, n: int) -> None: ...

    def feed(self, tokens: list[int]) -> None:
        """Evaluate ``tokens`` after the cached ones; :meth:`logits` is then the next token's."""
        ...

    def logits(self) -> np.ndarray: ...


class LlamaCppEngine:
    """:class:`Engine` over a ``llama_cpp.Llama``: llama.cpp keeps the KV cache and its token list itself."""

    eval_chunk = EVAL_CHUNK

    def __init__(self, llm) -> None:
        self.llm = llm
        self._n_vocab = llm.n_vocab()
        cache = getattr(llm, "_docpipe_pieces", None)
        if cache is None:
            cache = {}
            llm._docpipe_pieces = cache
        self._pieces: dict[int, bytes] = cache

    def n_vocab(self) -> int:
        return self._n_vocab

    def n_ctx(self) -> int:
        return self.llm.n_ctx()

    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        return chat_prompt(self.llm, messages)

    def tokenize(self, text: str, *, prompt: bool) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=prompt, special=prompt)

    def piece(self, tok: int) -> bytes:
        p = self._pieces.get(tok)
        if p is None:
            p = self.llm.detokenize([tok])
            self._pieces[tok] = p
        return p

    def cached(self) -> Sequence[int]:
        return self.llm.input_ids[: self.llm.n_tokens]

    def truncate(self, n: int) -> None:
        self.llm.n_tokens = n

    def feed(self, tokens: list[int]) -> None:
        self.llm.eval(tokens)

    def logits(self) -> np.ndarray:
        return np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self._n_vocab,)).copy()


class ConstrainedDecoder:
    """One reply on one model: an :class:`Engine`, or a ``llama_cpp.Llama`` (wrapped in
    :class:`LlamaCppEngine`). Reuses the KV cache of the longest common prompt prefix with the previous call
    on the same model (the system prompt and instructions)."""

    def __init__(self, llm, *, before_eval: Callable[[], None] | None = None) -> None:
        self.engine: Engine = llm if hasattr(llm, "feed") and hasattr(llm, "truncate") else LlamaCppEngine(llm)
        self.before_eval = before_eval
        self.n_vocab = self.engine.n_vocab()
        self.field_confidence: dict[str, float] = {}
        # Tokens and seconds of model evaluation by kind: "prompt" (the part of the prompt not in the KV cache),
        # "gen" (tokens the model chose, one forward pass each), "fixed" (JSON parts and forced value tails).
        self.stats: dict[str, float] = {f"{k}_{m}": 0 for k in ("prompt", "gen", "fixed") for m in ("tokens", "seconds")}

    # -- model access ---------------------------------------------------------------------------------

    def _piece(self, tok: int) -> bytes:
        return self.engine.piece(tok)

    def _tokens(self, text: str) -> list[int]:
        return self.engine.tokenize(text, prompt=False)

    def _feed(self, tokens: list[int], kind: str = "fixed") -> None:
        if not tokens:
            return
        t0 = time.perf_counter()
        chunk = self.engine.eval_chunk
        for i in range(0, len(tokens), chunk):
            if self.before_eval is not None:
                self.before_eval()
            self.engine.feed(tokens[i:i + chunk])
        self.stats[kind + "_seconds"] += time.perf_counter() - t0
        self.stats[kind + "_tokens"] += len(tokens)

    def _logits(self) -> np.ndarray:
        return self.engine.logits()

    def _start(self, prompt: str) -> None:
        toks = self.engine.tokenize(prompt, prompt=True)
        if len(toks) + 64 > self.engine.n_ctx():
            raise ValueError(f"prompt of {len(toks)} tokens does not fit the context of {self.engine.n_ctx()}")
        old = self.engine.cached()
        common = 0
        for a, b in zip(old, toks):
            if a != b:
                break
            common += 1
        common = min(common, len(toks) - 1)  # re-evaluate at least one token for fresh logits
        self.engine.truncate(common)
        self._feed(toks[common:], "prompt")

    # -- decoding -------------------------------------------------------------------------------------

    def run(self, messages: list[dict[str, str]], schema: dict[str, Any], choices: dict[str, list[str]]) -> str:
        props: dict[str, Any] = schema["properties"]
        prefix = self.engine.chat_prompt(messages)
        out: list[str] = []
        pending = ""
        first = True
        for name, prop in props.items():
            # The model's own JSON style: one key per line; the space after ':' starts the value's token.
            key = ("{\n  " if first else ",\n  ") + json.dumps(name) + ":"
            first = False
            if not out:
                self._start(prefix + key)
            else:
                self._feed(self._tokens(pending + key))
            if "enum" in prop:
                literals = [" " + json.dumps(v, ensure_ascii=False) for v in prop["enum"]]
            elif name in choices and choices[name]:
                cap = prop.get("maxLength", 200)
                literals = [" null"] + [" " + json.dumps(s, ensure_ascii=False) for s in choices[name]
                                        if len(s) <= cap]
            else:
                literals = None
            value, conf, tail = (self._choose(literals) if literals is not None
                                 else self._free(prop.get("maxLength", 60)))
            self.field_confidence[name] = conf
            out.append(key + value)
            pending = tail
        return "".join(out) + "\n}"

    def _choose(self, literals: list[str]) -> tuple[str, float, str]:
        """Pick one of ``literals`` (JSON texts). Returns (literal, confidence, text not yet fed)."""
        opts = sorted({s.encode("utf-8") for s in literals})
        done = b""
        conf = 1.0
        while True:
            lo = bisect.bisect_left(opts, done)
            hi = bisect.bisect_left(opts, done + b"\xff")
            alive = opts[lo:hi]
            if len(alive) == 1:
                rest = alive[0][len(done):].decode("utf-8", "ignore")
                return alive[0].decode("utf-8"), conf, rest
            if not alive:  # cannot happen: every step keeps a live prefix
                return " null", 0.0, ""
            logits = self._logits()
            top = np.argpartition(-logits, TOP_K)[:TOP_K]
            top = top[np.argsort(-logits[top])]
            probs = np.exp(logits[top] - logits[top[0]])
            valid = []
            for tok, p in zip(top, probs):
                piece = self._piece(int(tok))
                if not piece:
                    continue
                cand = done + piece
                i = bisect.bisect_left(alive, cand)
                if i < len(alive) and alive[i].startswith(cand):
                    valid.append((int(tok), float(p), piece))
            if not valid:
                # None of the likely tokens continues an allowed value: take the likeliest value's first
                # character path by feeding the first allowed literal's next token.
                target = alive[0][len(done):].decode("utf-8", "ignore")
                toks = self._tokens(target)[:1]
                self._feed(toks)
                done += self._piece(toks[0]) if toks else alive[0][len(done):]
                conf *= 0.3
                continue
            total = sum(p for _, p, _ in valid)
            tok, p, piece = valid[0]
            conf *= p / total
            self._feed([tok], "gen")
            done += piece

    def _free(self, max_length: int) -> tuple[str, float, str]:
        """``null`` or a greedy string of at most ``max_length`` characters without quotes or newlines."""
        value, conf, rest = self._choose([" null", ' "'])
        if value == " null":
            return " null", conf, rest
        self._feed(self._tokens(rest) if rest else [])
        text = ""
        for _ in range(max_length):
            logits = self._logits()
            top = np.argpartition(-logits, TOP_K)[:TOP_K]
            top = top[np.argsort(-logits[top])]
            chosen = None
            for tok in top:
                piece = self._piece(int(tok)).decode("utf-8", "ignore")
                if not piece or "\n" in piece or "\\" in piece:
                    continue
                if '"' in piece and not piece.endswith('"'):
                    continue
                chosen = (int(tok), piece)
                break
            if chosen is None:
                break
            tok, piece = chosen
            self._feed([tok], "gen")
            if piece.endswith('"'):
                text += piece[:-1]
                return " " + json.dumps(text[:max_length], ensure_ascii=False), conf, ""
            text += piece
            if len(text) >= max_length:
                break
        return " " + json.dumps(text[:max_length], ensure_ascii=False), conf * 0.5, '"'
