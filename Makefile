# Two entry points: `make demo` and `make test`. Both create .venv with python3 -m venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest soak bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,compat]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tradeexec demo

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --strict src
	$(BIN)/pytest -m "not slow" -n auto --dist loadfile

soak: $(STAMP)
	TRADEEXEC_SOAK=full $(BIN)/pytest -m "soak or adversarial" tests/soak tests/adversarial -s

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build src/*.egg-info .mypy_cache .ruff_cache
