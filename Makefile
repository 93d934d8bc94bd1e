# Two commands do all the set-up on a fresh machine:
#   make run   - install into .venv, build the dataset, train, export, evaluate, predict
#   make test  - install into .venv and run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stanceml-installed
MODEL := models/stance-minilm
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test test-all build train export evaluate predict analyze bench newsmtsc clean

# torch first and pinned: the CPU build of 2.13.0 lies on this disk, and letting pip resolve
# torch on its own would pull a CUDA build of several GB.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[onnx,serve,dev]"
	touch $(STAMP)

install: $(STAMP)

build: install
	$(PY) scripts/build_dataset.py

train: install
	$(PY) scripts/train.py

export: install
	$(PY) scripts/export.py

evaluate: install
	$(PY) scripts/evaluate.py

predict: install
	$(VENV)/bin/stanceml predict --model $(MODEL) --input data/samples/triples.jsonl

analyze: install
	$(VENV)/bin/stanceml analyze data/samples/article.md --model $(MODEL) --target "Ukraine's invitation to NATO"

bench: install
	$(PY) scripts/bench.py

newsmtsc: install
	$(PY) scripts/train.py experiment=newsmtsc
	$(PY) scripts/export.py run_name=newsmtsc-minilm data=newsmtsc onnx=false
	$(PY) scripts/evaluate.py run_name=newsmtsc-minilm data=newsmtsc eval_data=../shared/external/newsmtsc/hf-rw/test.jsonl report_dir=reports/newsmtsc-minilm/rw
	$(PY) scripts/evaluate.py run_name=newsmtsc-minilm data=newsmtsc eval_data=../shared/external/newsmtsc/hf-mt/test.jsonl report_dir=reports/newsmtsc-minilm/mt

run: install
	$(PY) scripts/build_dataset.py
	$(PY) scripts/train.py
	$(PY) scripts/export.py
	$(PY) scripts/evaluate.py
	@echo "== predictions of the exported model on data/samples/triples.jsonl =="
	$(VENV)/bin/stanceml predict --model $(MODEL) --input data/samples/triples.jsonl
	@echo "== who stands where in data/samples/article.md =="
	$(VENV)/bin/stanceml analyze data/samples/article.md --model $(MODEL) --target "Ukraine's invitation to NATO"

test: install
	$(PY) -m pytest -q -m "not slow"

test-all: install
	$(PY) -m pytest -q

clean:
	rm -rf data/processed outputs models reports
