#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine. Idempotent: a second run does nothing new.
#   scripts/setup.sh          runtime: virtual environment with requirements.txt
#   scripts/setup.sh --dev    also test tools: requirements-dev.txt, Chromium, CJK fonts, LibreOffice
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}

py=${PYTHON:-}
if [ -z "$py" ]; then
  for c in python3 python3.13 python3.12 python3.11; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then  py=$c; break; fi
  done
fi
[ -n "$py" ] || { echo "需要 Python 3.11 或更高版本（未找到）。" >&2; exit 1; }

[ -x .venv/bin/python ] || "$py" -m venv .venv
req=requirements.txt
[ "$mode" = "--dev" ] && req=requirements-dev.txt
stamp=".venv/.installed-$(cat requirements*.txt | sha1sum | cut -c1-12)-${req%.txt}"
if [ ! -f "$stamp" ]; then
  echo "安装 Python 依赖（$req）……"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  touch "$stamp"
fi

if [ "$mode" = "--dev" ]; then
  need=()
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)  # no -q: an early exit would break the pipe
  fc-list 2>/dev/null | grep -i "Noto Color Emoji" >/dev/null || need+=(fonts-noto-color-emoji)  # page icons in screenshots
  # LibreOffice opens the Word, Excel and PowerPoint files the product writes (notices, briefing, deck)
  for part in writer calc impress; do
    dpkg -s "libreoffice-$part-nogui" >/dev/null 2>&1 || dpkg -s "libreoffice-$part" >/dev/null 2>&1 \
      || need+=("libreoffice-$part-nogui")
  done
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # reads the briefing's PDF in the tests
  if [ ${#need[@]} -gt 0 ]; then
    echo "安装测试所需的系统软件：${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
