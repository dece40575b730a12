@echo off
rem 启动创城指挥台（首次启动自动生成演示数据）
cd /d "%~dp0"
if not exist .venv\Scripts\python.exe py -3 -m venv .venv
.venv\Scripts\python.exe -m pip install -q -r requirements.txt || exit /b 1
.venv\Scripts\python.exe -m streamlit run dashboard.py --server.port 8501
