#!/usr/bin/env bash
# 运行全部测试（首次运行自动安装测试所需的软件）。Runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --dev
exec .venv/bin/python -m pytest "$@"
