# govdesk — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo .venv-bootstrap/bin/uv)
PY := .venv/bin/python
GOVDESK := .venv/bin/govdesk
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/govdesk

.PHONY: setup system-packages demo serve test test-sqlite test-postgres lint bench messages clean

$(UV):
	python3 -m venv .venv-bootstrap && .venv-bootstrap/bin/pip install -q uv

# Python packages from the lock file, plus system packages where we may install them.
setup: $(UV) system-packages
	$(UV) sync --frozen

system-packages:
	@bash scripts/system-packages.sh

# The demo's links, QR codes and verification URLs point at where it is served. It is served
# over plain HTTP, where some browsers drop cookies marked Secure: send them without the mark.
demo: export GOVDESK_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
demo: export GOVDESK_SECURE_COOKIES ?= false
demo: setup
	$(GOVDESK) migrate --no-input -v0
	$(GOVDESK) demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops the server and the workers)"
	@trap 'kill 0' INT TERM EXIT; $(GOVDESK) db_worker >var/worker.log 2>&1 & \
	  $(GOVDESK) outbox-worker >var/outbox-worker.log 2>&1 & \
	  GOVDESK_DEMO_SMS_ON_SCREEN=true $(GOVDESK) runserver $(HOST):$(PORT) --noreload

# Serve with gunicorn (production-like), as the benchmarks do.
serve: setup
	.venv/bin/gunicorn govdesk.wsgi --bind $(HOST):$(PORT) --workers 4

test: setup lint test-sqlite test-postgres

test-sqlite:
	$(PY) -m pytest

test-postgres:
	@bash scripts/ensure-postgres.sh
	DATABASE_URL=$(PG_URL) $(PY) -m pytest

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy src tests bench

bench: setup
	@bash scripts/ensure-postgres.sh
	-$(PY) bench/registry.py
	-$(PY) bench/prefill.py --db govdesk_bench
	-$(PY) bench/certificates.py
	-$(PY) bench/search.py
	-$(PY) bench/api.py
	-$(PY) bench/frictions.py
	-$(PY) bench/cluster.py

messages:
	cd src/govdesk && ../../$(GOVDESK) makemessages -l zh_Hans -l zh_Hant -l en --no-obsolete && ../../$(GOVDESK) compilemessages

clean:
	rm -rf .venv .venv-bootstrap var/*.sqlite3
