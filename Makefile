# The two commands of the README: `make run` and `make test`. Each installs what it needs.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEV_ENV := GROUPEMENT_ENV=development
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: install run test test-unit lint system-deps pdf-deps clean bench bench-s reliability-report

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

run: install pdf-deps
	$(DEV_ENV) $(BIN)/groupement db upgrade
	$(DEV_ENV) $(BIN)/groupement demo
	@echo "Application : http://$(HOST):$(PORT)/  (Ctrl+C pour arrêter le serveur et le worker)"
	@# The background jobs' worker beside the web server; Ctrl+C (or the server's end) stops both.
	@$(DEV_ENV) $(BIN)/groupement worker --workers 1 & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/groupement run --host $(HOST) --port $(PORT)

# Pango: WeasyPrint's text layout, needed to write the PDF documents (by `make run` too).
# HarfBuzz's subsetter: WeasyPrint subsets the fonts with it (a PDF in 56 ms instead of 316 with
# fontTools, measured on a statement); without it the PDFs are still written, more slowly.
pdf-deps:
	@missing=""; \
	ldconfig -p | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installation des paquets Debian :$$missing…"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| echo "Installation impossible :$$missing ; les PDF s'écrivent sans (plus lentement, ou pas du tout sans Pango)."; \
	fi

# Debian's Chromium (browser tests) and LibreOffice Calc (recalculation of the exported
# spreadsheets): installed when root and missing; otherwise those tests are skipped, with the reason.
system-deps: pdf-deps
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-calc-nogui"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installation des paquets Debian :$$missing…"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| echo "Installation impossible :$$missing ; les tests correspondants seront ignorés."; \
	fi

test: install system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: install
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

# Benchmarks (not part of `make test`): every scenario against its baseline, same data, same run.
bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks --sizes S,M,L $(BENCH_ARGS)

bench-s: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks --sizes S $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check groupement tests benchmarks
	$(BIN)/ruff format --check groupement tests benchmarks
	$(BIN)/lint-imports --no-cache

# The fuzzer's figures of the last `make test`, copied into the versioned docs (the README cites them).
reliability-report:
	@test -f build/reliability-fuzzer.md || { echo "Lancer d'abord make test (ou pytest tests/e2e/test_form_fuzzer.py)."; exit 1; }
	cp build/reliability-fuzzer.md docs/reliability-fuzzer.md

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
