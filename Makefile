# The two commands a new user needs: `make demo` (the daemon on an embedded simulated cluster) and `make test`.
.PHONY: demo test test-fast lint bench venv tools

venv:
	bash scripts/bootstrap.sh

tools:
	bash scripts/install-test-tools.sh

# The demo needs only the package, not the test toolchain.
demo:
	EXTRAS= bash scripts/bootstrap.sh
	.venv/bin/trainspend demo $${DURATION:+--duration $$DURATION}

test: venv tools
	PATH="$(CURDIR)/.tools/bin:$$PATH" .venv/bin/python -m pytest -q

test-fast: venv
	.venv/bin/python -m pytest -q -m "not integration"

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy estimator monitor
	.venv/bin/lint-imports

bench: venv
	.venv/bin/python -m benchmarks
