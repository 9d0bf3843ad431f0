# touchbase: `make demo` runs the sample, `make test` runs lint, types and the test suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint check bench clean

# The demo needs only touchbase itself; the tests add their tools (pytest, playwright, ruff...).
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	# An editable install compiles nothing, and with PYTHONDONTWRITEBYTECODE set every command
	# would compile its ~60 modules again (0.06-0.13 s of each start on a 2-core machine).
	$(BIN)/python -m compileall -q agent connectors rules
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/touchbase demo

# mypy reads the installed namespace (touchbase.agent...) through links to the three folders,
# since it cannot follow setuptools' editable-install finder.
TYPECHECK := $(VENV)/typecheck/touchbase

lint: $(TEST_STAMP)
	mkdir -p $(TYPECHECK)
	for d in agent connectors rules; do ln -sfn "$(CURDIR)/$$d" $(TYPECHECK)/$$d; done
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(TEST_STAMP)
	for b in bench/*.py; do case $$b in bench/_*) continue;; esac; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
