# The verbs of the repo. `make demo` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Connectors are the directories with a metadata.yaml; connector-kit is the library they share.
CONNECTORS := $(patsubst connectors/%/metadata.yaml,%,$(sort $(wildcard connectors/*/metadata.yaml)))
SOURCES := $(filter source-%,$(CONNECTORS))
# editions/generator (connector_editions) is a build tool of the venv: no image installs it.
PACKAGES := connectors/connector-kit sandbox $(addprefix connectors/,$(CONNECTORS)) pipeline editions/generator
# The manifest-only edition of each source (make manifest-only): the folders with a manifest.yaml.
EDITIONS := $(patsubst %/manifest.yaml,%,$(sort $(wildcard editions/manifest-only/source-*/manifest.yaml)))
export AIRBYTE_OFFLINE_MODE := 1
export DO_NOT_TRACK := 1

.PHONY: install test unit-tests sandbox-tests standard-tests reliability-report expected-records demo sync postgres sandbox bench bench-scale lint lock builder-manifests manifest-only images clean

install: $(STAMP)

# What the venv installs of PACKAGES: the kit with its `testing` extra (connector_kit.testing: the connectors' test
# helpers, which need pytest and requests-mock; the images install the kit without it).
INSTALLED := $(patsubst connectors/connector-kit,'connectors/connector-kit[testing]',$(PACKAGES))

# A fresh venv with the exact pins of requirements.lock, every file checked against the lock's hashes
# (--require-hashes), then the kit, the sandbox, every connector, the pipeline and the editions' generator (editable,
# --no-deps: their dependencies are in the lock, and a local folder has no hash to check).
$(STAMP): requirements.lock requirements-bootstrap.lock $(wildcard connectors/*/pyproject.toml) sandbox/pyproject.toml \
  pipeline/pyproject.toml editions/generator/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv bootstraps the install once, itself hash-checked (requirements-bootstrap.lock: every file of that uv
	@# release); the lock then pins the venv's uv (PyAirbyte's dependency). -qq: pip's own warnings off, errors
	@# still print: a machine's pip config may list extra indexes without uv (e.g. file:// mirrors), and pip warns
	@# "Location ... is ignored" for each. The config itself stays in effect.
	test -x $(BIN)/uv || $(BIN)/python -m pip install -qq --disable-pip-version-check --require-hashes \
	  -r requirements-bootstrap.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --compile-bytecode --require-hashes -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps $(addprefix -e ,$(INSTALLED))
	$(BIN)/python -m compileall -q $(PACKAGES) > /dev/null  # editable code too: every CLI start would compile it
	@# The examples' env file as any env_file should be (git keeps no mode but the executable bit): the pipeline
	@# warns about one that others can read.
	chmod 600 pipeline/examples/sandbox.env
	touch $(STAMP)

# The locks, with the hash of every file of every pinned release: the venv's (requirements.in), the connector
# images' (requirements-runtime.in, held to the venv's versions by -c) and uv's bootstrap. Existing pins are kept;
# to move one, edit its .in file (or delete its line from the lock) first.
LOCK := $(BIN)/uv pip compile -q --python $(BIN)/python --generate-hashes
lock:
	$(LOCK) requirements.in -o requirements.lock
	$(LOCK) -c requirements.lock requirements-runtime.in -o requirements-runtime.lock
	$(LOCK) requirements-bootstrap.in -o requirements-bootstrap.lock

# Every phase runs, even after one failed; then one closing line with each phase's counts and time, and the total
# (connector_kit.testing.test_totals), which also fails the run if it changed the working tree (`git status`).
TEST_PHASES := unit-tests sandbox-tests standard-tests
RESULTS := build/test-results
test: install
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@git status --porcelain > $(RESULTS)/git-status-before 2> /dev/null || rm -f $(RESULTS)/git-status-before
	@$(MAKE) --no-print-directory -k $(TEST_PHASES); status=$$?; \
	  $(BIN)/python -m connector_kit.testing.test_totals $(RESULTS) $(TEST_PHASES) || status=1; exit $$status

# Each pytest run of a phase prints a line per test file as it finishes (instead of dots) and writes its totals to
# $(RESULTS)/<phase>/<run>.json (connector_kit.testing.test_report); the phase notes when it started and finished.
report = -p connector_kit.testing.test_report -o console_output_style=classic --totals-file=$(CURDIR)/$(RESULTS)/$@/$(1).json
phase_start = rm -rf $(RESULTS)/$@ && mkdir -p $(RESULTS)/$@ && date +%s > $(RESULTS)/$@/started
phase_end = date +%s > $(RESULTS)/$@/finished

# Mock-server and unit tests, one pytest run per connector (each has its own conftest and helpers), on both cores;
# then the pipeline's unit tests.
unit-tests: install
	@$(phase_start); status=0; for c in connector-kit $(CONNECTORS); do echo "== unit tests: $$c"; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 $(call report,$$c) connectors/$$c/unit_tests || status=1; \
	  done; echo "== unit tests: pipeline"; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider $(call report,pipeline) pipeline/tests || status=1; \
	  $(phase_end); exit $$status

# End-to-end runs of the installed CLIs against the sandbox, on both cores: each test file on one worker
# (pytest-xdist; the grouping is in integration_tests/conftest.py). Every emulator a test starts takes a free port.
sandbox-tests: install
	@$(phase_start); echo "== sandbox tests: integration_tests/"; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup $(call report,sandbox) integration_tests; \
	  status=$$?; $(phase_end); exit $$status

# The fault matrix alone, then its report (build/reports/RELIABILITY.md, which every `make test` writes) copied over
# the tracked integration_tests/RELIABILITY.md: the only way that file changes.
reliability-report: install
	$(BIN)/python -m pytest -q -p no:cacheprovider integration_tests/faults
	cp build/reports/RELIABILITY.md integration_tests/RELIABILITY.md

# Rewrite acceptance-test-config/<source>/expected_records/ from the seeded sandbox; review the diff, then commit it.
expected-records: install
	$(BIN)/python -m pytest -q -p no:cacheprovider integration_tests/acceptance -k expected_records --update-expected-records

# Airbyte's standard (acceptance) tests: `airbyte-cdk connector test`, through a wrapper that only filters the
# Google notice its import prints (connector_kit.testing.airbyte_cdk_cli). On every connector package and on every
# manifest-only edition folder: each one's conftest.py starts its emulator on a free port and deselects the Docker
# image tests, saying why.
standard-tests: install
	@$(phase_start); status=0; for c in $(addprefix connectors/,$(CONNECTORS)) $(EDITIONS); do \
	  name=$$(echo $$c | tr / -); echo "== standard tests: $$c"; \
	  $(BIN)/python -m connector_kit.testing.airbyte_cdk_cli connector test $$c \
	    --pytest-arg=-q $(addprefix --pytest-arg=,$(call report,$$name)) || status=1; done; $(phase_end); exit $$status

# The main job on the embedded default: the sandbox, pipeline/examples/sandbox.yaml run twice (DuckDB cache, Plecto).
demo: install
	$(BIN)/python integration_tests/pipeline/demo.py

# One run of a pipeline file (what cron calls): make sync PIPELINE=pipeline/examples/sandbox.yaml [DRY_RUN=1]
sync: install
	$(if $(PIPELINE),,$(error give the pipeline file: make sync PIPELINE=path/to/pipeline.yaml))
	$(BIN)/airbyte-pipeline run $(PIPELINE) $(if $(DRY_RUN),--dry-run)

# A throwaway Postgres on 127.0.0.1:18705 until Ctrl-C, for pipeline/examples/sandbox-postgres.yaml.
postgres: install
	$(BIN)/python -m airbyte_pipeline.local_postgres --port 18705 --env-file pipeline/examples/sandbox.env

# All emulators until Ctrl-C (SIZE=small|medium|large or a number): on their fixed loopback ports, or on free ones
# when those are taken; their config files in .cache/sandbox/ (the first line says so).
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

# Each source's manifest-only edition, editions/manifest-only/<source>/, generated from its package (committed:
# a repo test fails when they differ). Its manifest.yaml and components.py are also what the Connector Builder imports.
manifest-only: install
	$(BIN)/python -m connector_editions manifest-only

builder-manifests: manifest-only

# Every connector image built offline with podman from its own Dockerfile and run as Airbyte runs it, beside the
# venv, against the sandbox (images/run.py). The images install the wheels requirements-runtime.lock names, which
# run.py downloads first (hash-checked: the one step that needs PyPI). Caches: .cache/images. podman, debootstrap and runc (crun cannot run
# on this machine) come from Debian's packages, as `make install` brings the Python ones.
IMAGE_TOOLS := podman debootstrap runc
images: export CONTAINERS_CONF := $(CURDIR)/images/containers.conf
images: export CONTAINERS_STORAGE_CONF := $(CURDIR)/.cache/images/storage.conf
images: install
	@dpkg -s $(IMAGE_TOOLS) > /dev/null 2>&1 || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(IMAGE_TOOLS); }
	$(BIN)/python images/run.py $(if $(ONLY),--only $(ONLY))

clean:
	rm -rf $(VENV) .tmp connectors/*/.tmp connectors/*/build .cache pipeline/examples/.cache
