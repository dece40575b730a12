@echo off
rem 运行全部测试。端到端测试需要 Chromium：首次运行时由 Playwright 安装。
cd /d "%~dp0"
if not exist .venv\Scripts\python.exe py -3 -m venv .venv
.venv\Scripts\python.exe -m pip install -q -r requirements-dev.txt || exit /b 1
.venv\Scripts\python.exe -m playwright install chromium || exit /b 1
.venv\Scripts\python.exe -m pytest %*
