# Fine-Tuning Transformers For Genomic Tasks — TypeScript reproduction.
#
#   make reproduce   set up, fetch the genome corpus, then execute the notebooks (PROFILE=quick|paper|smoke; default quick;
#                    MAX_HOURS=N: stop before training when a notebook's runs are measured to take longer; default 12)
#   make html        render the executed notebooks to a portable supplement, results/html/index.html, with the scoring page (make web)
#   make web         build the browser page that scores DNA with a trained model (results/html/predict/)
#   make test        set up, fetch the genome corpus (make genome), then type-check, run a smoke run of the notebooks and the test suite
#   make setup       Debian packages + npm ci (builds the native kernels) + the tslab Jupyter kernel (idempotent)
#   make native      rebuild the native CPU kernels (native/, OpenBLAS + OpenMP)
#   make torch       rebuild the torch backend's addon (torch/, against libtorch: see environment.md)
#   make gpu-bundle  pack what bench/gpu.sh needs on a GPU machine without Node (build/gpu/)
#   make gpu-rehearsal  run bench/gpu.sh on this CPU over a copy of what a GPU machine receives
#   make gpu-import GPU_OUT=DIR  unpack a GPU call's pretraining beside the CPU ladder (further arms of it)
#   make genome      fetch the genome-wide pretraining corpus (human chrX, from a Debian package) into data/genome/
#   make bench       speed and memory benchmarks (tokenizer, data loading, training vs PyTorch)
#   make fixtures    regenerate the PyTorch reference fixtures (needs Debian's python3-torch)
#   make clean       remove installed modules, the kernel and generated outputs (keeps data/ and results)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Debian's Python carries Jupyter; a python3 earlier on PATH may not.
SYS_PYTHON  ?= /usr/bin/python3
JUPYTER     ?= /usr/bin/jupyter
# Packages for headless notebooks (nbconvert + nbclient + a kernel client) and static figure export.
# libopenblas-openmp-dev: BLAS (OpenMP build) for the native CPU kernels (native/), built by npm install.
# snakemake: the workflow for clusters (workflow/; Snakemake 7 as Debian 12 ships it).
# libtorch-dev: libtorch 1.13 (CPU) for the torch backend's addon (torch/), so its tests run everywhere.
APT_PACKAGES := jupyter-nbconvert python3-nbclient jupyter-client python3-ipython python3-ipykernel chromium libopenblas-openmp-dev snakemake libtorch-dev
# Packages the test suite runs for real: a one-node Slurm cluster (test/slurm.test.ts) and the classic
# Jupyter Notebook server (test/jupyter.test.ts). Not needed to use the project.
APT_TEST := slurmctld slurmd munge slurm-client jupyter-notebook
# Packages for the PyTorch reference (fixtures and benchmarks only; never a runtime dependency).
APT_REFERENCE := python3-torch libopenblas0-pthread

KERNEL_PREFIX := $(CURDIR)/.jupyter
export JUPYTER_PATH := $(KERNEL_PREFIX)/share/jupyter
NODE_STAMP := node_modules/.package-lock.json
KERNEL_STAMP := $(KERNEL_PREFIX)/share/jupyter/kernels/tslab/kernel.json
NATIVE_ADDON := native/build/Release/dnabert_native.node
TORCH_ADDON := torch/build/dnabert_torch.node
TESTS := $(sort $(wildcard test/*.test.ts test/*/*.test.ts))
# The summary (06) runs last, so that it includes the pretraining study of 07.
SUMMARY := notebooks/06_summary.ipynb
NOTEBOOKS := $(filter-out $(SUMMARY),$(sort $(wildcard notebooks/0*.ipynb))) $(SUMMARY)
# The genome-wide pretraining corpus: the first 70 Mbp of human chrX (GRCh37), shipped as test data by
# Debian's smalt-examples package (see data/genome/README.md).
GENOME := data/genome/human_GRCh37_chrX_first70Mb.fa.gz
GENOME_SHA256 := 01fe793d0b77f91fa9d2edb8b269d9bc480cf71df469dce4be6e45bec25c749a
GENOME_IN_DEB := usr/share/doc/smalt/test/data/hs37chrXtrunc.fa.gz
PROFILE ?= quick
export PROFILE
# The limit on a notebook's expected training hours (lib/training/estimate.ts); empty: 12 h.
MAX_HOURS ?=
export MAX_HOURS
export DNABERT_PROJECT_ROOT := $(CURDIR)
EXECUTED := results/executed
# Notebooks execute in notebooks/, so that `./lib` (a link to lib/) resolves.
NBEXEC := $(JUPYTER) nbconvert --log-level=WARN --to notebook --execute

.PHONY: help setup setup-apt setup-reference setup-cluster-test test-prerequisites native torch gpu-bundle gpu-rehearsal gpu-import gpu-untrack-checkpoints gpu-retrack-checkpoints test typecheck unit smoke reproduce execute genome html web notebooks fixtures pretraining-fidelity pretraining-study bench clean

help:
	@sed -n 's/^#   \(make .*\)/\1/p' Makefile

setup: setup-apt $(NODE_STAMP) $(KERNEL_STAMP) $(NATIVE_ADDON) $(TORCH_ADDON)

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

setup-cluster-test:
	@$(call apt_install,$(APT_TEST))

setup-reference:
	@$(call apt_install,$(APT_REFERENCE))

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

# npm ci builds the native kernels; this rebuilds them when their sources change. A failed build
# does not fail setup: native/build/status.json says why, and the other backends remain.
$(NATIVE_ADDON): native/binding.gyp native/blas.js $(wildcard native/src/*.cc native/src/*.h) | $(NODE_STAMP)
	@node native/build.js

native:
	@node native/build.js

# npm ci builds the torch addon too; this rebuilds it when its sources change. A failed build does not
# fail setup: torch/build/status.json says why (npm run backend shows it).
$(TORCH_ADDON): torch/build.js torch/src/addon.cc | $(NODE_STAMP)
	@node torch/build.js

torch:
	@node torch/build.js

# What bench/gpu.sh needs on a GPU machine that has PyTorch but no Node: this Node binary (xz), its
# headers, and esbuild bundles of the torch tests and the GPU benchmark (see bench/gpu.sh).
gpu-bundle: $(NODE_STAMP) genome
	node --import tsx bench/gpu-bundle.ts

# bench/gpu.sh on this machine's CPU, in a copy of what a GPU machine receives (catches a broken bundle).
gpu-rehearsal: gpu-bundle
	node --import tsx bench/gpu-tree.ts rehearse

# A GPU call's pretraining (bench/gpu.sh: $OUT/pretrained.tar.gz.part-*, pretrain-gpu.md) brought home: the run
# and its snapshots beside the CPU ladder's, where npm run ladder, make pretraining-study and notebook 07
# take them as further arms (lib/pretrain/ladder.ts ladderArms).
GPU_OUT ?=
LADDER_DIR ?= results/pretrained/ladder
GPU_REPORT ?= results/pretrain-gpu.md
gpu-import:
	@[ -n "$(GPU_OUT)" ] || { echo "make gpu-import: name the GPU call's output folder: make gpu-import GPU_OUT=<folder>"; exit 2; }
	@ls $(GPU_OUT)/pretrained.tar.gz.part-* >/dev/null 2>&1 || { echo "make gpu-import: no pretrained.tar.gz.part-* in $(GPU_OUT) (bench/gpu.sh writes them)"; exit 1; }
	@mkdir -p $(LADDER_DIR) && cat $(GPU_OUT)/pretrained.tar.gz.part-* | tar -xz -C $(LADDER_DIR)
	@if [ -f $(GPU_OUT)/pretrain-gpu.md ]; then cp $(GPU_OUT)/pretrain-gpu.md $(GPU_REPORT); fi
	@echo "gpu-import: $$(cd $(LADDER_DIR) && ls -d *-gpu* | tr '\n' ' ')in $(LADDER_DIR); npm run ladder -- --run $(LADDER_DIR)/genome fine-tunes them beside the CPU ladder's arms"

# Over the GPU machine's 64 MiB: leave the committed checkpoints out of git's index for the call (the files
# stay on disk), and put them back afterwards, before any commit.
gpu-untrack-checkpoints gpu-retrack-checkpoints: $(NODE_STAMP)
	node --import tsx bench/gpu-tree.ts $(@:gpu-%=%)

$(KERNEL_STAMP): $(NODE_STAMP)
	node_modules/.bin/tslab install --python=$(SYS_PYTHON) --binary=$(CURDIR)/node_modules/.bin/tslab --prefix=$(KERNEL_PREFIX)
	@test -f $(KERNEL_STAMP)

typecheck: $(NODE_STAMP)
	node node_modules/typescript/bin/tsc --noEmit
	node node_modules/typescript/bin/tsc --noEmit -p web

# setup builds the native kernels and the torch addon, so their tests must run here (DNABERT_REQUIRE_NATIVE=0,
# DNABERT_REQUIRE_TORCH=0 to allow skipping). The runner's own report (spec on a terminal, else TAP) is
# followed by test/summary-reporter.mjs: each skipped test with its reason, then `unit: N passed, N failed,
# N skipped`. Under CI=true no test skips for a missing prerequisite: it fails with one line naming it.
UNIT_SUMMARY := build/test-summary.txt
unit: $(NODE_STAMP)
	@mkdir -p build && rm -f $(UNIT_SUMMARY) && rc=0 && \
	DNABERT_REQUIRE_NATIVE=$${DNABERT_REQUIRE_NATIVE:-1} DNABERT_REQUIRE_TORCH=$${DNABERT_REQUIRE_TORCH:-1} node --import tsx --test \
	  --test-reporter=$$([ -t 1 ] && echo spec || echo tap) --test-reporter-destination=stdout \
	  --test-reporter=./test/summary-reporter.mjs --test-reporter-destination=$(UNIT_SUMMARY) $(TESTS) || rc=$$?; \
	cat $(UNIT_SUMMARY); exit $$rc

# What the tests need beyond setup: the genome corpus, for the fresh-clone make reproduce test (a missing
# corpus skips it outside CI and fails it under CI=true, with one line).
test-prerequisites:
	@$(MAKE) --no-print-directory genome || echo "make test: no genome corpus (see above); the fresh-clone make reproduce test $$([ "$${CI:-}" = true ] && echo fails || echo is skipped)"

# The test summary comes last, so it closes the output.
test: setup setup-cluster-test test-prerequisites typecheck smoke unit

# The notebooks on generated data with the smoke profile: they must execute without an error.
smoke: setup
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	node --import tsx test/smoke/make_table.ts $$tmp/smoke.tsv $$tmp/genome.fa.gz && cp $$tmp/smoke.tsv $$tmp/cohn.tsv && \
	for nb in notebooks/01_human_nontata_promoters.ipynb notebooks/05_human_enhancers_cohn.ipynb notebooks/07_pretraining.ipynb $(SUMMARY); do \
	  echo "smoke: executing $$nb"; \
	  ( cd notebooks && PROFILE=smoke RESULTS_DIR=$$tmp/results DATA_HUMAN_NONTATA_PROMOTERS=$$tmp/smoke.tsv DATA_HUMAN_ENHANCERS_COHN=$$tmp/cohn.tsv DNABERT_GENOME=$$tmp/genome.fa.gz DNABERT_DOWNLOAD=0 \
	    $(NBEXEC) --ExecutePreprocessor.timeout=600 --output-dir $$tmp/executed $$(basename $$nb) ) \
	    || { echo "smoke: $$nb failed"; exit 1; }; \
	done && node --import tsx test/smoke/check.ts $$tmp && echo "smoke: notebooks executed"

reproduce: setup
	@$(MAKE) --no-print-directory genome || echo "make reproduce: no genome corpus (see above); notebook 07 runs without its genome-wide arm"
	@$(MAKE) --no-print-directory execute

# Execute $(NOTEBOOKS) in order (the workflow's notebooks rule names a subset, with DNABERT_RECORDS_ONLY=1).
execute: setup
	@mkdir -p $(EXECUTED)
	@node --import tsx lib/cli/backend.ts
	@for nb in $(NOTEBOOKS); do \
	  echo "== $$nb (profile $(PROFILE))"; \
	  ( cd notebooks && $(NBEXEC) --ExecutePreprocessor.timeout=-1 --output-dir ../$(EXECUTED) $$(basename $$nb) ) || { echo "make reproduce: $$nb failed (see above). Finished runs are kept in results/runs/; the next make reproduce resumes."; exit 1; }; \
	done
	@echo "executed notebooks: $(EXECUTED)/; run records: results/runs/; Table 2: results/table2-$(PROFILE).md (make html renders the pages)"

genome: $(GENOME)

# apt-get download needs no root, only package lists (refreshed once if the package is not found).
$(GENOME):
	@echo "genome: fetching Debian's smalt-examples (72 MB) for its human chrX test data"
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && cd $$tmp && \
	{ apt-get download smalt-examples >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && apt-get download smalt-examples >/dev/null; }; } && \
	dpkg -x smalt-examples_*.deb x && \
	echo "$(GENOME_SHA256)  x/$(GENOME_IN_DEB)" | sha256sum --check --quiet && \
	mkdir -p $(CURDIR)/$(dir $(GENOME)) && cp x/$(GENOME_IN_DEB) $(CURDIR)/$(GENOME).tmp && mv $(CURDIR)/$(GENOME).tmp $(CURDIR)/$(GENOME)
	@echo "genome: $(GENOME) (sha256 checked)"

html: setup
	@ls $(EXECUTED)/*.ipynb >/dev/null 2>&1 || { echo "make html: no executed notebooks in $(EXECUTED)/; run make reproduce first"; exit 1; }
	$(JUPYTER) nbconvert --log-level=WARN --to html --output-dir results/html $(EXECUTED)/*.ipynb
	@$(MAKE) --no-print-directory web
	node --import tsx web/supplement.ts --dir results/html --results results --profile $(PROFILE)
	node --import tsx web/check-supplement.ts results/html
	node --import tsx web/check.ts $(WEB)
	@echo "rendered: results/html/index.html, $$(du -sh results/html | cut -f1) in all; it opens offline from a copy anywhere (the scoring page, results/html/predict/, fetches its models: serve the folder with node --import tsx web/serve.ts results/html)"

# The scoring page, with the quick profile's saved CNN and small BERT (seed 1) of each bundled dataset
# where they exist, named <dataset>-<model> (the dataset without its .test-split suffix).
WEB := results/html/predict
WEB_DATASETS := human_nontata_promoters.test-split human_enhancers_cohn.test-split
WEB_MODELS := $(patsubst %/config.json,%,$(wildcard $(foreach d,$(WEB_DATASETS),$(foreach m,cnn dnabert-random,results/models/$(d)/quick/$(m)/seed-1/config.json))))
web: $(NODE_STAMP)
	node --import tsx web/build.ts --out $(WEB) $(foreach d,$(WEB_MODELS),--model $(basename $(word 3,$(subst /, ,$(d))))-$(word 5,$(subst /, ,$(d)))=$(d))

notebooks: $(NODE_STAMP)
	node --import tsx lib/cli/notebooks.ts

bench: setup setup-reference
	node --import tsx bench/run.ts

fixtures: setup-reference
	cd test/fixtures/bert && $(SYS_PYTHON) make_bert_fixtures.py && $(SYS_PYTHON) make_mlm_fixtures.py && $(SYS_PYTHON) make_legacy_fixtures.py
	cd test/fixtures/cnn && $(SYS_PYTHON) make_cnn_fixtures.py
	$(SYS_PYTHON) test/fixtures/make_optim_fixture.py
	@# pretraining fidelity (test/pretrain/fidelity.test.ts): our run's masked batches replayed in PyTorch
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	node --import tsx test/fixtures/pretrain/export.ts --preset small --corpus test/fixtures/pretrain/corpus.fa --out $$tmp && \
	$(SYS_PYTHON) test/fixtures/pretrain/torch_pretrain.py $$tmp && cp $$tmp/torch.json test/fixtures/pretrain/small.torch.json

# The pretraining study's compute ladder (README "Pretraining"): one run with snapshots at 0.3–19 M tokens,
# then random weights and each snapshot fine-tuned at 800 and 3,200 labelled sequences, each at its own
# best learning rate, 5 seeds; resumable. About 1 h of pretraining and 3–4 h of fine-tuning on 2 cores.
# LADDER_WORKERS=N fine-tunes with N one-thread processes that share the runs (through the run locks).
LADDER_WORKERS ?= 1
pretraining-study: setup genome
	node --import tsx lib/cli/pretrain.ts --corpus $(GENOME) --config ladder --out results/pretrained/ladder/genome
	@mkdir -p build; if [ $(LADDER_WORKERS) -gt 1 ]; then \
	  for i in $$(seq $(LADDER_WORKERS)); do \
	    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 node --import tsx lib/cli/ladder.ts --run results/pretrained/ladder/genome --results results --out build/ladder-worker-$$i.md > build/ladder-worker-$$i.log 2>&1 & \
	  done; echo "pretraining-study: $(LADDER_WORKERS) workers; logs: build/ladder-worker-*.log"; wait; fi
	node --import tsx lib/cli/ladder.ts --run results/pretrained/ladder/genome --results results --out results/pretraining-ladder.md --figure

# The pretraining engine against PyTorch at the quick architecture: 200 steps, the same initial weights,
# windows and masks, dropout off; validation MLM losses side by side (results/pretraining-fidelity.md).
pretraining-fidelity: setup setup-reference
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	node --import tsx test/fixtures/pretrain/export.ts --preset quick --corpus $(GENOME) --out $$tmp && \
	$(SYS_PYTHON) test/fixtures/pretrain/torch_pretrain.py $$tmp && \
	node --import tsx test/fixtures/pretrain/compare.ts $$tmp results/pretraining-fidelity.md

clean:
	rm -rf node_modules .jupyter build native/build torch/build
