# Recur: build, run, test and benchmark. `make run` and `make test` are the two commands the README promises.
SHELL := /bin/bash
SWIFT   ?= swift
PREFIX  ?= /usr/local
PYTHON  ?= python3
DEMO    := .build/demo
BENCH   := .build/bench
LSP_VENV := .venv-lsp

.PHONY: all deps build run demo-train test bench install clean help lint fuzz fuzz-minimize

all: build

help:
	@echo "make run     build in release mode and complete prose and code with the embedded default model"
	@echo "make demo-train  train a small model on Recur's own source for 20 s and use it"
	@echo "make test    run the whole test suite"
	@echo "make test-torch  test the PyTorch trainer (Models/torch) against recur: installs torch 2.13 CPU in .venv-torch"
	@echo "make bench   compare Recur with PyTorch on the same shapes (writes Benchmarks/results.md), the daemon's"
	@echo "             latency, RSS and idle CPU, stall, learning, soak"
	@echo "make soak    drive the daemon with edits and completions, check RSS stays flat (SOAK=long: 1M edits)"
	@echo "make fuzz    run each libFuzzer target for FUZZ_SECONDS (default 60) with AddressSanitizer"
	@echo "make fuzz-minimize  add what fuzzing found (new coverage only) to the committed corpora"
	@echo "make install PREFIX=~/.local"

# System libraries: OpenBLAS (the BLAS) and SQLite (the store), installed with apt-get when missing.
DEB_PACKAGES ?= libopenblas-dev libsqlite3-dev
deps:
	@if command -v dpkg >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else \
	      echo "Recur needs:$$missing (sudo apt-get install$$missing)"; exit 1; \
	    fi; \
	  fi; \
	fi

build: deps
	$(SWIFT) build -c release

# The main job on the embedded default model: complete prose and code prefixes, with probabilities and latency.
run: build
	@for prefix in "It is a truth universally acknowledged, that a single man in possession of a good for" \
	               "The quick brown fox jumps over the la" \
	               "def __init__(self" \
	               "import os.pa" \
	               "for i in ran" \
	               "public func " \
	               "let x = try JSONDecoder().dec"; do \
	  echo "--- $$prefix"; \
	  .build/release/recur complete --timing --n 8 --temperature 0.7 --seed 1 "$$prefix" || exit 1; \
	  echo "    ghost text (none when the model is not sure of the next word):"; \
	  .build/release/recur complete --inline --n 6 --temperature 0.7 --seed 1 "$$prefix" | head -1; \
	done
	@echo "--- generate, primed with a chapter heading and two sentences (ten bytes do not tell the model that this is prose)"
	.build/release/recur generate --prompt "CHAPTER I. It was late in the evening when the old doctor came back to the house. His daughter was sitting by the fire, and she looked up as he came in." --length 300 --temperature 0.6 --seed 7

# Train a small model on Recur's own source for 20 seconds, then generate and complete with it.
demo-train: build
	@mkdir -p $(DEMO)
	@cat README.md Sources/*/*.swift > $(DEMO)/corpus.txt
	.build/release/recur train --corpus $(DEMO)/corpus.txt --layers 1 --hidden 128 --embedding 32 \
	  --seq-len 64 --batch 16 --lr 5e-3 --warmup 20 --minutes 0.33 --val-every 100 \
	  --out $(DEMO)/demo.safetensors --plot $(DEMO)/loss.svg
	.build/release/recur generate --model $(DEMO)/demo.safetensors --prompt "public func " --length 300 \
	  --temperature 0.7 --seed 1
	.build/release/recur complete --model $(DEMO)/demo.safetensors --n 8 --temperature 0.8 "let predictor = Pre"

# The tests also drive real clients: pytest-lsp, and Neovim and Emacs with eglot from Debian's packages.
test: $(LSP_VENV)/.installed
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="libopenblas-dev libsqlite3-dev neovim emacs-nox elpa-eglot strace"
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --event-stream-output-path .build/swift-test-events.jsonl --event-stream-version 0
	@$(MAKE) --no-print-directory test-editors
	RECUR_BIN=$(CURDIR)/.build/debug/recur $(LSP_VENV)/bin/python -m pytest -q -c Tests/lsp/pytest.ini Tests/lsp
	@$(MAKE) --no-print-directory slowest-tests

# The 10 slowest Swift tests of the last run, from Swift Testing's event stream (start to end of each test).
.PHONY: slowest-tests
slowest-tests:
	@$(PYTHON) Tests/slowest_tests.py .build/swift-test-events.jsonl 10

# The inner loop: the Swift tests without the end-to-end suites that spawn the binary or real editors.
.PHONY: test-fast
test-fast:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip RecurCLITests

# The editor and script clients in Clients/, driven in the real Neovim and Emacs (with eglot and company) and from
# Python, against the real binary, including recur/adapt and recur/setProfile.
RECUR_BIN ?= $(CURDIR)/.build/debug/recur
EDITOR_PACKAGES ?= neovim emacs-nox elpa-eglot elpa-company
.PHONY: test-editors
test-editors:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(EDITOR_PACKAGES)"
	@test -x "$(RECUR_BIN)" || $(SWIFT) build --product recur
	RECUR_BIN=$(RECUR_BIN) Tests/editors/run_nvim.sh
	RECUR_BIN=$(RECUR_BIN) Tests/editors/run_emacs.sh
	RECUR_BIN=$(RECUR_BIN) $(PYTHON) -m unittest discover -s Clients/python/tests

# pytest-lsp and friends, for the end-to-end test with a real third-party LSP client.
$(LSP_VENV)/.installed: Tests/lsp/requirements.txt
	$(PYTHON) -m venv $(LSP_VENV)
	$(LSP_VENV)/bin/python -m pip install -q -r Tests/lsp/requirements.txt
	touch $@

# The PyTorch trainer (Models/torch): torch 2.13 CPU in its own virtual environment, never a dependency of `make test`.
TORCH_VENV := .venv-torch
$(TORCH_VENV)/.installed: Models/torch/requirements.txt
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/python -m pip install -q "torch==2.13.0+cpu" || $(TORCH_VENV)/bin/python -m pip install -q torch
	$(TORCH_VENV)/bin/python -m pip install -q -r Models/torch/requirements.txt
	touch $@

# torchrun with 2 gloo ranks, export to Recur and back, DDP = one process, resume, bad files (needs a recur binary).
.PHONY: test-torch
test-torch: $(TORCH_VENV)/.installed
	@test -x "$(RECUR_BIN)" || $(SWIFT) build --product recur
	cd Models/torch && RECUR_BIN=$(RECUR_BIN) ../../$(TORCH_VENV)/bin/python -m unittest discover -s tests -v

# PyTorch is only a benchmark baseline here: it is installed for `make bench`, never for the tests.
bench: build
	@mkdir -p $(BENCH)
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install -q "torch==2.13.0+cpu" || \
	  $(PYTHON) -m pip install -q torch
	$(SWIFT) build -c release --product recur-bench
	.build/release/recur-bench --json > $(BENCH)/recur.json
	$(PYTHON) Benchmarks/pytorch_baseline.py --hidden 256 512 --json > $(BENCH)/pytorch.json
	$(PYTHON) Benchmarks/compare.py $(BENCH)/recur.json $(BENCH)/pytorch.json | tee Benchmarks/results.md
	@$(MAKE) --no-print-directory $(TORCH_VENV)/.installed
	$(TORCH_VENV)/bin/python Benchmarks/torch_train_bench.py | tee $(BENCH)/torch_train.md
	$(PYTHON) Benchmarks/serve_bench.py --typed 1000 | tee $(BENCH)/serve.md
	$(PYTHON) Benchmarks/stall_bench.py --json $(BENCH)/stall.json
	$(PYTHON) Benchmarks/learning_bench.py | tee $(BENCH)/learning.md
	@$(MAKE) --no-print-directory soak

# The soak: 100,000 edits and 10,000 completions over 50 documents by default, SOAK=long for 1,000,000 and
# 100,000; fails on any protocol error or RSS outside +-10% of its median after warm-up (see Benchmarks/soak.py).
SOAK ?= short
.PHONY: soak
soak: build
	@mkdir -p $(BENCH)
	$(PYTHON) Benchmarks/soak.py --length $(SOAK) --json $(BENCH)/soak-$(SOAK).json

# The binary (the default model is linked into it) and the editor and script clients, where each editor looks:
# see the README's "Editors and scripts".
SHARE := $(DESTDIR)$(PREFIX)/share
NVIM_PACK := $(SHARE)/nvim/site/pack/recur/start/recur
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(NVIM_PACK)/lua/recur $(SHARE)/emacs/site-lisp \
	  $(SHARE)/recur/python/examples $(SHARE)/recur/vscode/src
	install -m 755 .build/release/recur $(DESTDIR)$(PREFIX)/bin/recur
	install -m 644 Clients/nvim/lua/recur/*.lua $(NVIM_PACK)/lua/recur/
	install -m 644 Clients/nvim/README.md $(NVIM_PACK)/
	install -m 644 Clients/emacs/recur.el $(SHARE)/emacs/site-lisp/recur.el
	install -m 644 Clients/python/recur_client.py Clients/python/README.md $(SHARE)/recur/python/
	install -m 755 Clients/python/examples/complete_lines.py $(SHARE)/recur/python/examples/
	install -m 644 Clients/vscode/package.json Clients/vscode/tsconfig.json Clients/vscode/README.md \
	  $(SHARE)/recur/vscode/
	install -m 644 Clients/vscode/src/extension.ts $(SHARE)/recur/vscode/src/
	install -m 644 Clients/README.md $(SHARE)/recur/

clean:
	rm -rf .build

# Formatting is checked in CI against the committed .swift-format.
lint:
	$(SWIFT) format lint --strict -r Sources Tests Benchmarks Package.swift

# libFuzzer with AddressSanitizer (the runtime ships with the Swift toolchain). Each target runs for FUZZ_SECONDS or
# FUZZ_RUNS inputs, whichever ends first, from its committed seeds (Tests/FuzzCorpus/TARGET, replayed by `make
# test`) plus what earlier runs found (.build-fuzz/corpus/TARGET). A crash leaves its input in
# .build-fuzz/artifacts/TARGET/: replay it with `.build/debug/recur-fuzz TARGET FILE` and commit it beside the
# seeds as crash-NAME once fixed. lld links, because gold fails on the sanitizer runtime.
FUZZ_TARGETS ?= framing safetensors edits adapter
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= -1
FUZZ_BUILD   := .build-fuzz
fuzz: deps
	$(SWIFT) build -c release --product recur-fuzz --scratch-path $(FUZZ_BUILD) \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
	@for t in $(FUZZ_TARGETS); do \
	  len=4096; case $$t in safetensors|adapter) len=16384;; esac; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  echo "--- $$t: up to $(FUZZ_SECONDS) s / $(FUZZ_RUNS) runs (log: $(FUZZ_BUILD)/$$t.log)"; \
	  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=malloc_context_size=0:detect_leaks=0 \
	    $(FUZZ_BUILD)/release/recur-fuzz $$t -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) -max_len=$$len \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	    $(FUZZ_BUILD)/corpus/$$t Tests/FuzzCorpus/$$t > $(FUZZ_BUILD)/$$t.log 2>&1; status=$$?; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|SUMMARY|Precondition failed' \
	    $(FUZZ_BUILD)/$$t.log; \
	  if [ $$status -ne 0 ]; then echo "$$t: FAILED, see $(FUZZ_BUILD)/$$t.log"; exit 1; fi; \
	done

# Adds to the committed corpora (Tests/FuzzCorpus/TARGET) the fewest inputs from .build-fuzz/corpus/TARGET that reach
# coverage the committed ones do not (libFuzzer -merge=1), so that `make test` replays what the long runs found.
fuzz-minimize:
	@test -x $(FUZZ_BUILD)/release/recur-fuzz || { echo "run make fuzz first"; exit 1; }
	@for t in $(FUZZ_TARGETS); do \
	  len=4096; case $$t in safetensors|adapter) len=16384;; esac; \
	  before=$$(ls Tests/FuzzCorpus/$$t | wc -l); \
	  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=malloc_context_size=0:detect_leaks=0 \
	    $(FUZZ_BUILD)/release/recur-fuzz $$t -merge=1 -max_len=$$len Tests/FuzzCorpus/$$t $(FUZZ_BUILD)/corpus/$$t \
	    > $(FUZZ_BUILD)/$$t-merge.log 2>&1 || { echo "$$t: merge failed, see $(FUZZ_BUILD)/$$t-merge.log"; exit 1; }; \
	  echo "$$t: $$before -> $$(ls Tests/FuzzCorpus/$$t | wc -l) inputs"; \
	done
