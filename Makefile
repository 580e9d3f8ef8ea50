# Two commands do everything on a fresh machine: `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.setup-done
export SYMBIOTE_CHROMIUM ?= /usr/bin/chromium
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-all lint app bench-observe clean

setup: $(STAMP)

$(STAMP): pyproject.toml installers/setup.sh
	bash installers/setup.sh
	touch $@

demo: setup
	$(VENV)/bin/symbiote demo

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not slow" -q

test-all: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check core app trainer tests

app: setup
	$(VENV)/bin/symbiote app

bench-observe: setup
	$(PY) -m core.bench.observation_speed

clean:
	rm -rf $(VENV) build dist *.egg-info
