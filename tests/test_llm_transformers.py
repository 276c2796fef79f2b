"""The transformers engine (``--llm-engine transformers``) on a tiny randomly initialised Qwen2 model built here:
a byte-level BPE tokenizer trained on generated text, a 2-layer Qwen2 config, no hub and no downloads.

What is checked: replies are schema-valid JSON whose enum and choice fields only ever hold allowed values; the
confidences equal the probability mass of the chosen path among the allowed tokens, recomputed with full forward
passes (no cache); the KV cache (prefix reuse, cropping, incremental feeding) gives the logits of a full forward
pass; the options, CLI and flow parameters select the engine; missing packages and unreadable weights give
clear errors. One slow test compares the engine with llama.cpp on the real embedded model.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from docpipe.errors import ModelLoadError  # noqa: E402
from docpipe.options import StructureOptions  # noqa: E402
from docpipe.structure import Structurer  # noqa: E402
from docpipe.structure.llm import TransformersBackend  # noqa: E402
from docpipe.structure.llm import decode as decode_mod  # noqa: E402
from docpipe.structure.llm.decode import ConstrainedDecoder  # noqa: E402
from docpipe.structure.llm.engine_transformers import TransformersEngine  # noqa: E402
from docpipe.structure.llm.schema import INVOICE_FIELDS, TITLE_BLOCK_FIELDS, ReplySpec  # noqa: E402

from . import gen_cases as gen  # noqa: E402

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
SYSTEM = "You read documents and reply with JSON."


def corpus(rng: random.Random, n: int = 400) -> list[str]:
    """Generated text in the shape of prompts and replies: names, dates, amounts, JSON keys."""
    out = []
    for _ in range(n):
        name, _stem = gen.company(rng)
        out.append(f'{{\n  "vendor_name": "{name}",\n  "invoice_date": "{gen.date_text(rng)}",\n'
                   f'  "total": "{gen.number(rng, 1, 9999, ",")}", "currency": null\n}}')
        out.append(f"{gen.street(rng)} | {gen.town(rng)} | Nr. {gen.reg_number(rng)} | Straße € ö")
    return out


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """A folder with a randomly initialised 2-layer Qwen2 model and a byte-level BPE tokenizer (~430 tokens)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=430, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tk.train_from_iterator(corpus(random.Random(7)), trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                  additional_special_tokens=["<|im_start|>"])
    tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=len(tok) + 6, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                      tie_word_embeddings=True, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model = Qwen2ForCausalLM(cfg)
    with torch.no_grad():  # a sharper random model: its preferences are not all ties
        model.lm_head.weight.mul_(40.0)
    d = tmp_path_factory.mktemp("tiny-qwen2")
    model.save_pretrained(d)
    tok.save_pretrained(d)
    return d


@pytest.fixture(scope="module")
def backend(tiny_dir):
    return TransformersBackend(tiny_dir)


def full_logits(engine: TransformersEngine, ids: list[int]) -> np.ndarray:
    """The next-token logits after ``ids`` from one forward pass without any cache."""
    with torch.inference_mode():
        return engine.model(input_ids=torch.tensor([ids]), use_cache=False).logits[0, -1].float().numpy()


def invoice_spec(rng: random.Random) -> ReplySpec:
    """The invoice reply spec of a generated document: dates, amounts and IDs as enums (some sharing long
    prefixes, as page amounts do), names from generated page strings."""
    dates = [f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2015, 2026)}" for _ in range(4)]
    base = rng.randint(1, 99)
    amounts = [f"{base},{rng.randint(0, 99):02d}", f"{base}0,{rng.randint(0, 99):02d}",
               f"{base}00,{rng.randint(0, 99):02d}", gen.number(rng, 1, 9999, ",")]
    ids = [f"{rng.choice(('RE', 'INV'))}-{rng.randint(2015, 2026)}-{rng.randint(1, 9999):04d}" for _ in range(3)]
    names = [gen.company(rng)[0] for _ in range(3)] + [gen.street(rng), gen.town(rng)]
    enums = {"invoice_number": ids, "invoice_date": dates, "currency": ["EUR", "USD"], "subtotal": amounts,
             "total_tax": amounts[:2], "total": amounts}
    return ReplySpec(fields=INVOICE_FIELDS, enums=enums, choices={"vendor_name": names})


def prompt_of(rng: random.Random, spec: ReplySpec) -> str:
    rows = [" | ".join(rng.sample(spec.choices["vendor_name"], 2))]
    rows += [f"{k}: {' '.join(v)}" for k, v in spec.enums.items()]
    return "Read the fields of this invoice.\n" + "\n".join(rows)


def test_replies_are_schema_valid_and_choices_only_take_allowed_values(backend):
    for seed in range(6):
        rng = random.Random(seed)
        spec = invoice_spec(rng)
        schema = spec.json_schema()
        text = backend.complete(prompt_of(rng, spec), schema, system=SYSTEM, choices=spec.choices,
                                reply_model=spec.reply_model())
        data = json.loads(text)
        spec.reply_model().model_validate(data)  # pydantic: enums as Literals, strings capped
        assert list(data) == [f.name for f in INVOICE_FIELDS]
        for name, prop in schema["properties"].items():
            if "enum" in prop:
                assert data[name] in prop["enum"], (seed, name, data[name])
        assert data["vendor_name"] is None or data["vendor_name"] in spec.choices["vendor_name"]
        assert set(backend.field_confidence) == set(data)
        assert all(0.0 < p <= 1.0 for p in backend.field_confidence.values()), backend.field_confidence


def test_free_strings_respect_max_length(backend):
    """Title-block text fields without page choices are generated greedily: capped, one line, valid JSON."""
    spec = ReplySpec(fields=TITLE_BLOCK_FIELDS, enums={"drawing_number": ["ZN-100", "ZN-1001"],
                                                         "date": ["01.02.2024"]}, choices={})
    schema = spec.json_schema()
    data = json.loads(backend.complete("Read the title block.\nZN-100 | Welle | 1:2", schema, choices={}))
    spec.reply_model().model_validate(data)
    for f in TITLE_BLOCK_FIELDS:
        v = data[f.name]
        assert v is None or (len(v) <= f.max_length and "\n" not in v)


def test_confidence_is_the_chosen_paths_mass_recomputed_without_cache(backend, monkeypatch):
    """With every token considered (TOP_K = vocabulary), each field's confidence equals the product, over the
    decisions, of the chosen token's probability among the tokens that keep an allowed value reachable, with
    logits from full forward passes; the value is the one that greedy path reaches."""
    eng = backend.engine
    monkeypatch.setattr(decode_mod, "TOP_K", eng.n_vocab() - 1)
    rng = random.Random(11)
    values = ["RE-2024-0007", "RE-2024-0070", "RE-2025-0007", "INV-2024-7"]  # long shared prefixes
    schema = {"type": "object", "properties": {"invoice_number": {"enum": [*values, None]}}}
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Nr {rng.choice(values)}"}]
    dec = ConstrainedDecoder(eng)
    got = json.loads(dec.run(messages, schema, {}))["invoice_number"]

    ids = eng.tokenize(eng.chat_prompt(messages) + '{\n  "invoice_number":', prompt=True)
    literals = sorted((" " + json.dumps(v)).encode() for v in [*values, None])
    done, conf, decisions = b"", 1.0, 0
    while len(alive := [s for s in literals if s.startswith(done)]) > 1:
        logits = full_logits(eng, ids).astype(np.float64)
        order = np.argsort(-logits)[: eng.n_vocab() - 1]
        valid = [t for t in order if eng.piece(int(t)) and any(s.startswith(done + eng.piece(int(t))) for s in alive)]
        p = np.exp(logits[valid] - logits[valid].max())
        conf *= p[0] / p.sum()  # ``valid`` is in logit order: the first is the greedy choice
        ids.append(int(valid[0]))
        done += eng.piece(int(valid[0]))
        decisions += 1
    expect = json.loads(alive[0].decode())
    assert decisions >= 1 and got == expect
    assert dec.field_confidence["invoice_number"] == pytest.approx(conf, rel=1e-3, abs=1e-6)
    assert 0.0 < conf <= 1.0


def test_kv_cache_reuse_gives_the_logits_of_a_full_forward_pass(backend):
    eng = backend.engine
    rng = random.Random(3)
    text = " | ".join(gen.company(rng)[0] for _ in range(12))
    ids = eng.tokenize(text, prompt=True)
    assert len(ids) > 40
    eng.truncate(0)
    eng.feed(ids[:20])                      # a prefix as one batch
    for t in ids[20:30]:                    # then token by token, as choices are scored
        eng.feed([t])
    assert list(eng.cached()) == ids[:30]
    np.testing.assert_allclose(eng.logits(), full_logits(eng, ids[:30]), atol=2e-4, rtol=1e-4)
    eng.truncate(25)                        # back to a common prefix, then another continuation
    other = eng.tokenize(" " + gen.street(rng), prompt=False)
    eng.feed(other)
    assert list(eng.cached()) == ids[:25] + other
    np.testing.assert_allclose(eng.logits(), full_logits(eng, ids[:25] + other), atol=2e-4, rtol=1e-4)


def test_a_shared_prompt_prefix_is_read_once_and_changes_nothing(backend, tiny_dir):
    """The second reply reads only what follows the prefix it shares with the first (system prompt,
    instructions), and gives what a fresh engine without that cache gives."""
    eng = backend.engine
    rng = random.Random(5)
    spec = invoice_spec(rng)
    first, second = prompt_of(rng, spec), prompt_of(random.Random(6), spec)
    backend.complete(first, spec.json_schema(), system=SYSTEM, choices=spec.choices)
    before = eng.tokens_fed
    text = backend.complete(second, spec.json_schema(), system=SYSTEM, choices=spec.choices)
    conf = dict(backend.field_confidence)
    cached_fed = eng.tokens_fed - before
    msgs = [[{"role": "system", "content": SYSTEM}, {"role": "user", "content": p}] for p in (first, second)]
    a, b = (eng.tokenize(eng.chat_prompt(m), prompt=True) for m in msgs)
    common = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
    assert common > 10
    fresh = TransformersEngine(eng.model, eng.tokenizer)
    dec = ConstrainedDecoder(fresh)
    assert dec.run(msgs[1], spec.json_schema(), spec.choices) == text
    assert dec.field_confidence == pytest.approx(conf, rel=1e-3)
    assert fresh.tokens_fed - cached_fed == common  # exactly the shared prefix was not read again


def test_pieces_rebuild_the_text_and_control_tokens_are_empty(backend):
    eng = backend.engine
    rng = random.Random(9)
    for _ in range(20):
        s = f"{gen.company(rng)[0]} {gen.date_text(rng)} Straße €{gen.number(rng, 1, 999, ',')}"
        assert b"".join(eng.piece(t) for t in eng.tokenize(s, prompt=False)) == s.encode()
    im_end = eng.tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert eng.piece(im_end) == b""
    assert eng.tokenize("<|im_end|>", prompt=True) == [im_end]     # chat markup is special in a prompt
    assert im_end not in eng.tokenize("<|im_end|>", prompt=False)  # but plain text in a value
    assert eng.piece(eng.n_vocab() - 1) == b""  # output rows past the tokenizer's vocabulary


def test_threads_join_while_reading_and_are_given_back(backend):
    eng = backend.engine
    seen: list[int] = []
    feed = eng.feed

    def spy(tokens):
        seen.append(torch.get_num_threads())
        feed(tokens)

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        eng.feed = spy
        backend.spare_cores = lambda: 1
        spec = invoice_spec(random.Random(1))
        backend.complete(prompt_of(random.Random(1), spec), spec.json_schema(), choices=spec.choices)
        assert seen and set(seen) == {2}   # n_threads 1 + one idle core
        assert torch.get_num_threads() == 1  # the process's setting (the detector's) is back
    finally:
        del eng.feed
        backend.spare_cores = lambda: 0
        torch.set_num_threads(before)


# --- options, command line, errors -----------------------------------------------------------------------------


def test_options_cli_and_flow_params_select_the_engine(tiny_dir):
    from typer.testing import CliRunner

    from docpipe.cli import app
    from flows.params import add_arguments, params_from_args

    st = Structurer(StructureOptions(backend="llm", llm_engine="transformers", llm_model=tiny_dir))
    assert isinstance(st.llm.backend, TransformersBackend)
    assert StructureOptions().llm_engine == "llamacpp"
    with pytest.raises(ValueError):
        StructureOptions(llm_engine="onnx")
    runner = CliRunner()
    res = runner.invoke(app, ["run", "--help"], terminal_width=200)
    assert "--llm-engine" in res.output and "transformers" in res.output
    res = runner.invoke(app, ["run", str(tiny_dir), "--out", str(tiny_dir / "out"), "--llm-engine", "onnx"])
    assert res.exit_code == 2
    import argparse

    ap = argparse.ArgumentParser()
    add_arguments(ap)
    a = ap.parse_args(["--input", "in", "--out", "out", "--llm-engine", "transformers"])
    assert params_from_args(a).pipeline.structure.llm_engine == "transformers"
    a = ap.parse_args(["--input", "in", "--out", "out"])
    assert params_from_args(a).pipeline.structure.llm_engine == "llamacpp"


def test_clear_errors_for_missing_weights_packages_and_unreadable_files(tmp_path, monkeypatch):
    with pytest.raises(ModelLoadError, match="missing"):
        TransformersBackend(tmp_path / "nope.gguf")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file" * 10)
    with pytest.raises(ModelLoadError, match="cannot load"):
        TransformersBackend(bad, cache=tmp_path / "cache").prepare()
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "no-such-architecture"}')
    with pytest.raises(ModelLoadError, match="cannot load"):
        _ = TransformersBackend(folder).engine
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gguf" else real(name, *a))
    with pytest.raises(ModelLoadError, match="gguf.*make setup"):
        TransformersBackend(bad)


# --- the real embedded model ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_transformers_engine_reads_like_llamacpp_on_the_embedded_model():
    """The same weights through both engines: the same values, confidences within 0.05 (Q8_0 kernels against
    dequantised fp32). Converts the GGUF once into ~/.cache/docpipe/transformers (~90 s the first time)."""
    opts = StructureOptions(backend="llm")
    if not opts.model_path().is_file():
        pytest.skip("embedded model not fetched (make setup)")
    pytest.importorskip("llama_cpp")
    from docpipe.structure.llm import LlamaCppBackend

    llama, tf = LlamaCppBackend(opts.model_path()), TransformersBackend(opts.model_path())
    for seed in range(3):
        rng = random.Random(seed)
        spec = invoice_spec(rng)
        args = (prompt_of(rng, spec), spec.json_schema())
        a = json.loads(llama.complete(*args, system=SYSTEM, choices=spec.choices))
        b = json.loads(tf.complete(*args, system=SYSTEM, choices=spec.choices))
        assert a == b
        for k, p in llama.field_confidence.items():
            assert tf.field_confidence[k] == pytest.approx(p, abs=0.05)
