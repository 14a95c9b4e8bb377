# citylake — the two commands a newcomer types: `make demo` and `make test`.
.PHONY: setup demo test down lint bench

setup:
	./scripts/setup.sh

demo: setup
	.venv/bin/citylake-sim demo

test: setup
	.venv/bin/ruff check .
	.venv/bin/lint-imports
	.venv/bin/python -m pytest -v tests

down:
	@[ ! -x .venv/bin/citylake ] || .venv/bin/citylake down

lint: setup
	.venv/bin/ruff check .
	.venv/bin/lint-imports

bench: setup
	.venv/bin/python bench/bench_extract.py
