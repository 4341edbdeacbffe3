# Quick start: `make book` and `make test` (both set up .venv when needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
JB := $(BIN)/jupyter-book
JB_FLAGS := -n -W --keep-going
CACHE := _build/.jupyter_cache
PKG_HASH_FILE := _build/.hlmtutor-hash

.PHONY: help venv book book-student test test-fast test-kernels lint format benchmarks notebooks clean

help:
	@echo "make book          build the site into _build/html (executes every chapter)"
	@echo "make book-student  build the student edition (no solutions) into _build/student/html"
	@echo "make test          build the book, then run the whole test suite"
	@echo "make test-fast     the package tests only (no book, no browser)"
	@echo "make test-kernels  the model tests as other CPUs run them (OPENBLAS_CORETYPE)"
	@echo "make lint          ruff check + ruff format --check"
	@echo "make benchmarks    run the scripts in benchmarks/"
	@echo "make notebooks     rewrite the assignment notebooks hlmtutor ships from book/assignments"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[book,course,test,dask]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

# The execution cache keys on each chapter's code only, so a change to hlmtutor
# would not re-run the chapters: clear the cache whenever the package changed.
define check_pkg_hash
	@mkdir -p _build
	@h=$$(cat pyproject.toml $$(find hlmtutor -name '*.py' -o -name '*.csv' | sort) | sha256sum | cut -d' ' -f1); \
	if [ "$$h" != "$$(cat $(PKG_HASH_FILE) 2>/dev/null)" ]; then \
		echo "hlmtutor changed: clearing the execution cache"; rm -rf $(CACHE); echo $$h > $(PKG_HASH_FILE); \
	fi
endef

book: $(STAMP)
	$(check_pkg_hash)
	$(JB) build . $(JB_FLAGS)

book-student: $(STAMP)
	$(check_pkg_hash)
	$(PY) book/_tools/student_config.py _config.yml _build/student/_config.yml
	$(JB) build . $(JB_FLAGS) --config _build/student/_config.yml --path-output _build/student
	@# jupyter-book writes into <path-output>/_build/html; keep the documented path working.
	ln -sfn _build/html _build/student/html

test: book book-student
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

# OpenBLAS picks a kernel per CPU, and results differ in the last bits: run the model tests as
# three other CPUs would, so a fresh machine of another kind cannot fail where this one passes.
# Three kernels that load distinct code (threadpoolctl architecture in this OpenBLAS build:
# Prescott -> Katmai, Haswell -> Haswell, SkylakeX -> SkylakeX; Zen loads Haswell here).
KERNELS := Prescott Haswell SkylakeX
test-kernels: $(STAMP)
	@for k in $(KERNELS); do \
		echo "== model tests with OPENBLAS_CORETYPE=$$k"; \
		OPENBLAS_CORETYPE=$$k $(PY) -m pytest -q -p no:cacheprovider -m "not slow" \
			tests/test_models.py tests/test_engine.py tests/test_lmm_frame.py || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check hlmtutor tests benchmarks book
	$(BIN)/ruff format --check hlmtutor tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format hlmtutor tests benchmarks
	$(BIN)/ruff check --fix hlmtutor tests benchmarks

benchmarks: $(STAMP)
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

notebooks: $(STAMP)
	$(PY) book/_tools/assignment_notebooks.py

clean:
	rm -rf _build
