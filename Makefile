# 社群内容副驾 — every target sets up what it needs; a fresh machine needs only `make run` / `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test test-fast lint bench bench-large browser-deps clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

run: setup
	$(PY) app.py

# Chromium and a CJK font for the browser test (Debian packages; installed only when missing).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" \
		|| ! fc-list 2>/dev/null | grep -qi "color emoji"; then \
		echo "安装 chromium、中文字体与表情字体…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei \
			fonts-noto-color-emoji fontconfig >/dev/null; \
	fi

# Two workers (pytest-xdist), one test module per worker at a time: module fixtures such as the browser tests'
# app server and Chromium are built once, and the browser module runs beside the unit tests.
PYTEST_PARALLEL := -n 2 --dist loadscope

test: setup browser-deps
	$(PY) -m pytest -q $(PYTEST_PARALLEL)

test-fast: setup
	$(PY) -m pytest -q $(PYTEST_PARALLEL) -m "not browser"

lint: setup
	$(VENV)/bin/ruff check copilot tests bench app.py
	$(VENV)/bin/ruff format --check copilot tests bench app.py
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/run.py

# The scale section at 100,000 posts (ingest alone takes several minutes); merged into bench/results.json.
bench-large: setup
	$(PY) bench/run.py scale --posts 100000

clean:
	rm -rf $(VENV) data .pytest_cache
