# The verbs of the repo. `make demo` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Connectors are the directories with a metadata.yaml; connector-kit is the library they share.
CONNECTORS := $(patsubst connectors/%/metadata.yaml,%,$(sort $(wildcard connectors/*/metadata.yaml)))
SOURCES := $(filter source-%,$(CONNECTORS))
PACKAGES := connectors/connector-kit sandbox $(addprefix connectors/,$(CONNECTORS))
export AIRBYTE_OFFLINE_MODE := 1
export DO_NOT_TRACK := 1

.PHONY: install test unit-tests sandbox-tests standard-tests demo sandbox bench bench-scale lint lock builder-manifests clean

install: $(STAMP)

# A fresh venv with the exact pins of requirements.lock, then the kit, the sandbox and every connector (editable;
# their dependencies are in the lock).
$(STAMP): requirements.lock $(wildcard connectors/*/pyproject.toml) sandbox/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install -q --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps $(addprefix -e ,$(PACKAGES))
	$(BIN)/python -m compileall -q $(PACKAGES) > /dev/null  # editable code too: every CLI start would compile it
	touch $(STAMP)

lock:
	$(BIN)/uv pip compile -q --python $(BIN)/python requirements.in -o requirements.lock

test: install unit-tests sandbox-tests standard-tests

# Mock-server and unit tests, one pytest run per connector (each has its own conftest and helpers).
unit-tests: install
	@set -e; for c in connector-kit $(CONNECTORS); do echo "== unit tests: $$c"; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider connectors/$$c/unit_tests; done

# End-to-end runs of the installed CLIs against the sandbox.
sandbox-tests: install
	$(BIN)/python -m pytest -q -p no:cacheprovider integration_tests

# Airbyte's standard (acceptance) tests, as `airbyte-cdk connector test` runs them; no Docker here.
standard-tests: install
	@set -e; for c in $(CONNECTORS); do echo "== standard tests: $$c"; \
	  $(BIN)/airbyte-cdk connector test connectors/$$c --pytest-arg=-q --pytest-arg=-m --pytest-arg="not image_tests"; done

# The main job on the embedded default: sandbox + PyAirbyte's local DuckDB cache.
demo: install
	$(BIN)/python integration_tests/demo.py

# All emulators on their fixed loopback ports until Ctrl-C (SIZE=small|medium|large or a number).
sandbox: install
	$(BIN)/python -m sandbox --size $(or $(SIZE),small)

lint: install
	$(BIN)/ruff check .

# Figures and ratios against raw loops, start-up, concurrency: rewrites bench/RESULTS.md (~15 min; see bench/README.md).
bench: install
	$(BIN)/python bench/run.py

# The 10,000-item Pluggy tenant on paper and its simulation at a tenth of the size (~30 min; bench/SCALE.md).
bench-scale: install
	$(BIN)/python bench/scale.py

builder-manifests: install
	$(BIN)/python -m connector_kit.builder

clean:
	rm -rf $(VENV) .tmp connectors/*/.tmp connectors/*/build .cache
