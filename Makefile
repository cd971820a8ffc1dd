# Fine-Tuning Transformers For Genomic Tasks — TypeScript reproduction.
#
#   make reproduce   set up, then run the main job (what exists of it; see README)
#   make test        set up, then type-check and run the test suite
#   make setup       Debian packages + npm ci + the project-local tslab Jupyter kernel (idempotent)
#   make fixtures    regenerate the PyTorch reference fixtures (needs Debian's python3-torch)
#   make clean       remove installed modules, the kernel and generated outputs (keeps data/ and results)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Debian's Python carries Jupyter; a python3 earlier on PATH may not.
SYS_PYTHON  ?= /usr/bin/python3
JUPYTER     ?= /usr/bin/jupyter
# Packages for headless notebooks (nbconvert + nbclient + a kernel client) and static figure export.
APT_PACKAGES := jupyter-nbconvert python3-nbclient jupyter-client python3-ipython python3-ipykernel chromium
# Packages for the PyTorch reference (fixtures and benchmarks only; never a runtime dependency).
APT_REFERENCE := python3-torch libopenblas0-pthread

KERNEL_PREFIX := $(CURDIR)/.jupyter
export JUPYTER_PATH := $(KERNEL_PREFIX)/share/jupyter
NODE_STAMP := node_modules/.package-lock.json
KERNEL_STAMP := $(KERNEL_PREFIX)/share/jupyter/kernels/tslab/kernel.json
TESTS := $(sort $(wildcard test/*.test.ts test/*/*.test.ts))

.PHONY: help setup setup-apt setup-reference test typecheck unit reproduce fixtures clean

help:
	@sed -n '3,9p' Makefile | sed 's/^# *//'

setup: setup-apt $(NODE_STAMP) $(KERNEL_STAMP)

# Install only what is missing, so a second run is a no-op.
define apt_install
	missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing Debian packages:" $$missing; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "setup: Debian packages present"; fi
endef

setup-apt:
	@$(call apt_install,$(APT_PACKAGES))

setup-reference:
	@$(call apt_install,$(APT_REFERENCE))

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

$(KERNEL_STAMP): $(NODE_STAMP)
	node_modules/.bin/tslab install --python=$(SYS_PYTHON) --binary=$(CURDIR)/node_modules/.bin/tslab --prefix=$(KERNEL_PREFIX)
	@test -f $(KERNEL_STAMP)

typecheck: $(NODE_STAMP)
	node node_modules/typescript/bin/tsc --noEmit

unit: $(NODE_STAMP)
	node --import tsx --test $(TESTS)

test: setup typecheck unit

reproduce: setup
	node --import tsx lib/cli/reproduce.ts

fixtures: setup-reference
	$(SYS_PYTHON) test/fixtures/make_fixtures.py

clean:
	rm -rf node_modules .jupyter build
