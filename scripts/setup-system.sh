#!/usr/bin/env bash
# Install the Debian packages docpipe needs, only when something is missing (idempotent, quick when done).
set -euo pipefail

need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
if command -v tesseract >/dev/null 2>&1; then
  langs=$(tesseract --list-langs 2>/dev/null | tail -n +2)
  for l in eng osd deu fra nld; do
    grep -qx "$l" <<<"$langs" || need+=("tesseract-ocr-$l")
  done
else
  need+=(tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-nld)
fi
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# Building llama-cpp-python for the embedded LLM (once; see scripts/setup-models.sh).
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v g++ >/dev/null 2>&1 || need+=(g++)
# Fonts for the synthetic document generator (DejaVu has the drawing symbols: Ø ± °).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/liberation ] || need+=(fonts-liberation)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf ] || need+=(fonts-dejavu-extra)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing Debian packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to install: ${need[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
