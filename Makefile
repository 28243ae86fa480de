# Two user-facing targets: `make book` and `make test`. Both create the environment first.
#
# The environment is a venv keyed by a hash of the dependency spec (the two lock
# files), kept outside the clone so that a fresh clone (CI) reuses it instead of reinstalling
# ~7 GB; a changed spec gets a fresh venv. A venv is only used once its `.complete` marker
# exists, so an interrupted install is thrown away and redone, never half-used.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= $(shell command -v python3.11 || command -v python3)
VENV_ROOT ?= $(HOME)/.cache/thesis-compendium
SPEC_FILES := requirements.lock requirements-nodeps.lock
SPEC_HASH := $(shell cat $(SPEC_FILES) | sha256sum | cut -c1-12)
VENV := $(VENV_ROOT)/venv-$(SPEC_HASH)
PY := $(VENV)/bin/python
STAMP := $(VENV)/.complete
PROFILE ?= quick
PYTEST_ARGS ?=
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
export NUMBA_CACHE_DIR ?= $(VENV_ROOT)/numba-cache
# Headless plotting for tests, scripts and benchmarks; `thesis book` removes it from the chapter
# kernels, which draw figures inline into the pages.
export MPLBACKEND := Agg

.PHONY: help setup book test bench slurm-local python-path lock clean FORCE

help:
	@echo "make book    - set up the environment, execute every chapter ($(PROFILE) profile), build build/html"
	@echo "make test    - set up the environment, run ruff and the test suite"
	@echo "make bench   - run the benchmarks (JSON into build/bench/)"
	@echo "make slurm-local - start a local single-node SLURM cluster (root, Debian)"
	@echo "options: PROFILE=quick|full  PYTEST_ARGS='-k metrics'  VENV_ROOT=$(VENV_ROOT)"

# No file prerequisites on purpose: the venv's name already carries the hash of the spec, and
# a fresh clone's new file times must not trigger a reinstall of an identical environment.
$(STAMP):
	@mkdir -p "$(VENV_ROOT)"
	@# One installer at a time: a second `make` (another clone, a parallel job) waits for the
	@# lock and then finds the marker instead of deleting a venv that is being installed.
	@exec 9>"$(VENV_ROOT)/.lock-$(SPEC_HASH)"; flock 9; \
	if [ -f "$(STAMP)" ]; then exit 0; fi; \
	echo "[setup] creating $(VENV) (first time: several GB of wheels, a few minutes)"; \
	rm -rf "$(VENV)"; \
	$(PYTHON_BOOTSTRAP) -m venv "$(VENV)"; \
	"$(PY)" -m pip install --quiet --upgrade pip; \
	"$(PY)" -m pip install --quiet -r requirements.lock; \
	"$(PY)" -m pip install --quiet --no-deps -r requirements-nodeps.lock; \
	"$(PY)" -c "import torch, torchaudio, numba, h5py, hdf5plugin, soundfile, papermill, jupyter_book, mathjax, tinysoundfont"; \
	touch "$(STAMP)"; \
	echo "[setup] ready: $(PY)"

setup: $(STAMP) build/bin/thesis

# A `thesis` command bound to this clone and the shared environment (the venv is shared
# between clones, so the package is not pip-installed into it).
# Rewritten on every call (cheap) so it always names the environment this call uses.
build/bin/thesis: $(STAMP) FORCE
	mkdir -p build/bin
	printf '#!/usr/bin/env bash\nPYTHONPATH="%s$${PYTHONPATH:+:$$PYTHONPATH}" exec "%s" -m thesis_lib.cli "$$@"\n' "$(CURDIR)" "$(PY)" > $@.tmp
	chmod +x $@.tmp && mv $@.tmp $@

FORCE:

python-path: $(STAMP)
	@echo "$(PY)"

book: $(STAMP) build/bin/thesis
	"$(PY)" -m thesis_lib.cli book --profile $(PROFILE)

# The style check runs first (seconds): 100 columns, sorted imports, no unused names, bugbear.
test: $(STAMP) build/bin/thesis
	"$(VENV)/bin/ruff" check .
	"$(PY)" -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	mkdir -p build/bench
	for b in benchmarks/*.py; do \
	  echo "[bench] $$b"; PYTHONPATH="$(CURDIR)" "$(PY)" "$$b" --out "build/bench/$$(basename $$b .py).json"; \
	done

slurm-local: $(STAMP)
	bash slurm/local_cluster.sh start

# Re-resolve the complete pinned set from pyproject.toml (maintainers only; needs the registry).
lock:
	rm -rf build/lock-venv
	$(PYTHON_BOOTSTRAP) -m venv build/lock-venv
	build/lock-venv/bin/pip install --quiet .
	{ head -n 2 requirements.lock; build/lock-venv/bin/pip freeze --exclude thesis_lib; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf build
