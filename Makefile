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

# The Python that makes .venv must be one hlmtutor supports (requires-python), and .venv must have
# been made by that same Python: one made by an older Python (say 3.10, before 3.11 was installed)
# is removed and made again, rather than left broken. FORCE: checked on every run, as the Python
# on PATH can change without any file here changing.
MIN_PYTHON := 3.11
VENV_PYTHON_FILE := $(VENV)/.made-by

.PHONY: FORCE
FORCE:

$(VENV_PYTHON_FILE): FORCE
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < tuple(map(int, "$(MIN_PYTHON)".split("."))))' 2>/dev/null || { \
		echo "hlmtutor needs Python $(MIN_PYTHON) or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)." >&2; \
		echo "Install a newer Python (Debian/Ubuntu: apt-get install python3 python3-venv) or run make PYTHON=python3.12" >&2; \
		exit 1; }
	@want=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2], sys.base_prefix)'); \
	have=$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2], sys.base_prefix)' 2>/dev/null); \
	if [ -d $(VENV) ] && [ "$$want" != "$$have" ]; then \
		echo "$(VENV) was made by another Python ($${have:-one that no longer runs}); making it again with $$want"; \
		rm -rf $(VENV); \
	fi; \
	if [ ! -x $(PY) ]; then \
		$(PYTHON) -m venv $(VENV) || { \
			echo "could not make $(VENV): Debian/Ubuntu need the python3-venv package (apt-get install python3-venv)" >&2; \
			rm -rf $(VENV); exit 1; }; \
	fi; \
	if [ "$$(cat $@ 2>/dev/null)" != "$$want" ]; then echo "$$want" > $@; fi

$(STAMP): pyproject.toml instructor/pyproject.toml $(VENV_PYTHON_FILE)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[book,course,test,dask]' -e ./instructor
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

# The execution cache keys on each chapter's code only, so a change to hlmtutor
# would not re-run the chapters: clear the cache whenever the package changed.
define check_pkg_hash
	@mkdir -p _build
	@h=$$(cat pyproject.toml $$(find hlmtutor instructor -name '*.py' -o -name '*.csv' | sort) | sha256sum | cut -d' ' -f1); \
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
# Every test file that fits models with the engine (lmer, glmer, residual structures, the toolbox)
KERNEL_TESTS := tests/test_models.py tests/test_engine.py tests/test_lmm_frame.py \
	tests/test_lmm_fit.py tests/test_lmm_prediction.py tests/test_deviance.py tests/test_pls.py \
	tests/test_optimize.py tests/test_summary.py tests/test_varpar_derivatives.py \
	tests/test_toolbox.py tests/test_residual.py tests/test_lmer_weights_reference.py \
	tests/test_glmer.py tests/test_glmer_inference.py tests/test_glmer_reference.py \
	tests/test_glmer_separation.py tests/test_glmer_update.py
test-kernels: $(STAMP)
	@for k in $(KERNELS); do \
		echo "== model tests with OPENBLAS_CORETYPE=$$k"; \
		OPENBLAS_CORETYPE=$$k $(PY) -m pytest -q -p no:cacheprovider -m "not slow" \
			$(KERNEL_TESTS) || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check hlmtutor instructor tests benchmarks book
	$(BIN)/ruff format --check hlmtutor instructor tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format hlmtutor instructor tests benchmarks
	$(BIN)/ruff check --fix hlmtutor instructor tests benchmarks

benchmarks: $(STAMP)
	@for f in benchmarks/[!_]*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

notebooks: $(STAMP)
	$(PY) book/_tools/assignment_notebooks.py

clean:
	rm -rf _build
