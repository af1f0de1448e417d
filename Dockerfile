# syntax=docker/dockerfile:1
# The migration image the Kubernetes Job runs (deploy/k8s/migrate-job.yaml): the migrate CLI, the
# apps' compiled migrations with their checksum manifests and a JSON config, production
# dependencies only (no embedded PostgreSQL, no TypeScript loader), as a non-root user on a
# read-only root filesystem. Build: docker build -t payments-platform-migrate .

FROM node:24-bookworm-slim AS build
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm install -g pnpm@10.34.9
WORKDIR /repo
# the lockfile and manifests first, so the dependency layer is cached across source changes
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY apps/payments/package.json apps/payments/
COPY apps/ledger/package.json apps/ledger/
COPY libs/db/package.json libs/db/
COPY libs/migrator/package.json libs/migrator/
COPY libs/migration-lint/package.json libs/migration-lint/
COPY libs/migration-cli/package.json libs/migration-cli/
COPY libs/backfill/package.json libs/backfill/
COPY libs/observability/package.json libs/observability/
COPY deploy/image/package.json deploy/image/
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --frozen-lockfile --offline && pnpm -s build
# pnpm deploy --prod of deploy/image into /app, development-only packages taken out
RUN scripts/deploy-migrate-image.sh /app --offline

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production ENV=production LOG_FORMAT=json
WORKDIR /app
COPY --from=build --chown=10001:10001 /app /app
USER 10001:10001
# node is PID 1 and the runner handles SIGTERM and SIGINT itself (cancel, roll back, release the
# lock, exit 143/130): exec form, no shell in between
ENTRYPOINT ["node", "node_modules/@zdm/migration-cli/bin/zdm-migrate.js"]
CMD ["up", "--json"]
