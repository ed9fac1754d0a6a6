# Citizen Data Course Kit: one command per job. Every target creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
CONSTRAINTS := requirements/constraints.txt
ARGS   ?=
# Jupyter refuses to run as root without this flag; containers and Binder-like hosts often are root.
AS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=

.PHONY: help lab test test-fast bench bench-peers datasets lock clean site binder

help:
	@echo "make lab        set up .venv and open JupyterLab on the course (ARGS='--no-browser --port 8888')"
	@echo "make test       set up .venv with the test extra and run the whole test suite"
	@echo "make test-fast  the suite without slow, notebook, nbgrader and browser tests"
	@echo "make bench      run every workload under benchmarks/ and print a table"
	@echo "make bench-peers  compare with pycanon, samplics and pandera (own venv .venv-peers; not in CI)"
	@echo "make datasets   regenerate datasets/ from the default seed"
	@echo "make lock       refresh $(CONSTRAINTS) from the current .venv (after changing dependencies)"
	@echo "make site       run every lesson and build the course website in _site/ (ARGS='--binder-repo OWNER/REPO')"
	@echo "make binder     regenerate binder/requirements.txt from pyproject.toml and $(CONSTRAINTS) (after make lock)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# A stamp per extra, so second runs skip the install unless pyproject or the constraints changed.
$(VENV)/.installed-base: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-base
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $@

lab: $(VENV)/.installed-base
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/course $(AS_ROOT) $(ARGS)

test: $(VENV)/.installed-test
	MPLBACKEND=Agg $(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-test
	MPLBACKEND=Agg $(BIN)/python -m pytest -n 2 -m "not slow and not notebook and not nbgrader and not browser" $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py $(ARGS)

# The peers pin older numpy/pandas, so benchmarks/peers/run.py builds them their own .venv-peers.
bench-peers: $(VENV)/.installed-base
	$(BIN)/python benchmarks/peers/run.py $(ARGS)

datasets: $(VENV)/.installed-base
	$(BIN)/cdcourse datasets generate --out datasets

lock: $(BIN)/python
	$(PIP) freeze --exclude-editable | grep -v '^cdcourse' > $(CONSTRAINTS)

# The course website: every lesson executed (fails on any error), static HTML with Binder links, in _site/.
site: $(VENV)/.installed-base
	$(BIN)/python -m cdcourse.site --out _site $(ARGS)

# Binder's pinned requirements follow the constraints; run after `make lock`.
binder: $(VENV)/.installed-base
	$(BIN)/python binder/make_requirements.py

clean:
	rm -rf $(VENV) .venv-peers .pytest_cache build *.egg-info src/*.egg-info
