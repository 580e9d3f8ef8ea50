# Two commands do everything on a fresh machine: `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.setup-done
export SYMBIOTE_CHROMIUM ?= /usr/bin/chromium
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-all lint app bench-observe distill bundle clean

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

# The shipped student (resources/adapters/): teacher trajectories on the MiniWoB dev tasks
# (seeds 0-19, never the evaluation seeds 1000+) and the practice tasks, then LoRA distillation.
DISTILL_DB ?= build/distill/distill.db
DISTILL_NAME ?= smollm2-symbiote-v1
distill: setup
	mkdir -p build/distill
	$(VENV)/bin/symbiote bench miniwob --mode cloud --large teacher --episodes 20 --seed 0 \
		--db $(DISTILL_DB) --out build/distill/teacher-miniwob.json
	$(VENV)/bin/symbiote bench practice --mode cloud --large teacher \
		--db $(DISTILL_DB) --out build/distill/teacher-practice.json
	$(VENV)/bin/symbiote train --base smollm2-135m-instruct --out $(DISTILL_NAME) \
		--db $(DISTILL_DB) --sources teacher --eval-seeds 1000-1999 --rationale-share 0.3 \
		--max-steps 300 --lora-layers 12 --lr 5e-4 --export-to resources/adapters

# The desktop bundle (installers/README.md): dist/symbiote/ and dist/symbiote-*-linux-x86_64.tar.gz.
# SYMBIOTE_BUNDLE_KB=1 also bundles the knowledge base's torch stack (into dist/kb/).
bundle: setup
	bash installers/bundle.sh

clean:
	rm -rf $(VENV) build dist *.egg-info
