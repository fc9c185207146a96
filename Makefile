# The two commands of the README: `make run` and `make test`. Both create .venv and install the project when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install bench package package-test system-packages

# Debian packages the tests use: dciodvfy (dicom3tools) checks the DICOM SEG/SR we write; Orthanc is the PACS the
# PACS tests talk to. Installed only when missing, and only where apt-get can run (root).
SYSTEM_PACKAGES := dicom3tools orthanc orthanc-dicomweb

# No pip cache: torch's CUDA wheels are about 4 GB, and a cached copy beside the 7 GB they install into once ran a
# CI machine out of disk.
PIP_INSTALL := $(PY) -m pip install --no-cache-dir

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

# Without ARGS the viewer opens on the demo study; ARGS=/path/to/study opens that one.
ARGS ?= --demo
run: $(STAMP)
	$(VENV)/bin/cemviewer $(ARGS)

test: $(STAMP) system-packages
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run_all.py

# The Linux desktop bundle (packaging/README.md): dist/cemviewer/cemviewer, 5.2 GB with CUDA, 3-5 min here.
PACKAGE_STAMP := $(VENV)/.package-installed
BUNDLE := dist/cemviewer/cemviewer

$(PACKAGE_STAMP): $(STAMP)
	$(PIP_INSTALL) -e ".[test,package]"
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	nice -n 10 $(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/cemviewer.spec
	$(PY) packaging/check_bundle.py dist/cemviewer

$(BUNDLE):
	$(MAKE) package

# Starts the bundle offscreen on the demo study (builds it first when there is none).
package-test: $(PACKAGE_STAMP) $(BUNDLE)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m bundle tests/packaging
