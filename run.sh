#!/usr/bin/env bash
# 启动创城指挥台（首次启动自动生成演示数据）。Starts the dashboard on the demo data.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/python -m streamlit run dashboard.py --server.port "${PORT:-8501}" "$@"
