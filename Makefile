# Every target sets itself up: a .venv with the pinned torch first, then the project.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
DEMO_DIR ?= demo-project
PYTEST_ARGS ?=
# Optional backends live in plugins/<name>/ as their own distributions; install them too so
# their entry points register and their tests (against fakes) run.
PLUGINS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))

.PHONY: demo app test bench lint setup setup-gui clean

$(VENV)/.torch:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install "$(TORCH_SPEC)"
	touch $@

$(VENV)/.base: $(VENV)/.torch pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PIP) install -e ".[dev]" $(foreach p,$(PLUGINS),-e $(p))
	touch $@

$(VENV)/.gui: $(VENV)/.base
	$(PIP) install -e ".[gui,dev]"
	touch $@

setup: $(VENV)/.base
setup-gui: $(VENV)/.gui

demo: $(VENV)/.base
	$(PY) -m rewis3d.demo $(DEMO_DIR)

app: $(VENV)/.gui
	$(PY) -m rewis3d_gui.app

test: $(VENV)/.gui
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.base
	$(PY) benchmarks/run_all.py

lint: $(VENV)/.gui
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
