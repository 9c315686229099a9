# The two commands: `make run` (the main job on the embedded default) and `make test`.
# Both create the virtual environment when it is missing; only Python >= 3.11 is needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "yuqing needs Python >= 3.11; set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/yuqing demo

test: $(STAMP)
	$(BIN)/ruff check yuqing tests bench
	$(BIN)/ruff format --check yuqing tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check yuqing tests bench

format: $(STAMP)
	$(BIN)/ruff format yuqing tests bench

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
