# syntax=docker/dockerfile:1.7
#
# One image for the three Hubpo programs. The entrypoint is `node`; the container's args pick the
# program (the Helm chart in charts/hubpo does this):
#   packages/control-plane/dist/main.js | packages/gateway/dist/main.js | packages/operator/dist/main.js
#
#   docker build -t ghcr.io/hubpo/hubpo:0.1.0 .
#   docker run --rm --read-only --tmpfs /tmp -e HUBPO_ADMIN_TOKEN=... ghcr.io/hubpo/hubpo:0.1.0 packages/control-plane/dist/main.js
#
# Runs as uid/gid 10001 with nothing writable in the image: mount /tmp and /var/lib/hubpo (data:
# the gateway's last-known-good config, the control plane's embedded Postgres) as volumes, which
# makes it work with readOnlyRootFilesystem.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG PNPM_VERSION=10.34.9

# ---- build: install every dependency, compile, then deploy each program with production deps only
FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION
ENV CI=true \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
RUN npm install --global "pnpm@${PNPM_VERSION}"
WORKDIR /src

# Fetch the packages the lockfile names into the store (a cached layer while the lockfile is
# unchanged), then install offline from it once the sources are in.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
RUN --mount=type=cache,id=hubpo-pnpm-store,target=/pnpm/store \
    pnpm fetch --frozen-lockfile --store-dir /pnpm/store
COPY . .
RUN --mount=type=cache,id=hubpo-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --offline --store-dir /pnpm/store
RUN pnpm build

# `pnpm deploy` copies a program with its workspace dependencies (compiled dist/) and only its
# production dependencies into /out/packages/<program>; sources, tests and build info are dropped.
RUN --mount=type=cache,id=hubpo-pnpm-store,target=/pnpm/store \
    set -eu; \
    for program in control-plane gateway operator; do \
      test -f "packages/$program/dist/main.js" || { echo "packages/$program/dist/main.js was not built" >&2; exit 1; }; \
      pnpm --filter "@hubpo/$program" deploy --prod --legacy --store-dir /pnpm/store "/out/packages/$program"; \
      rm -rf "/out/packages/$program/src" "/out/packages/$program/test" "/out/packages/$program/bench"; \
      find "/out/packages/$program" -maxdepth 1 \( -name '*.tsbuildinfo' -o -name 'tsconfig*.json' \) -delete; \
    done

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="hubpo" \
      org.opencontainers.image.description="Hubpo control plane, gateway and operator (select with the container args)"
# A passwd entry for uid 10001: the embedded Postgres (and os.userInfo()) need one.
RUN groupadd --system --gid 10001 hubpo \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/hubpo --no-create-home \
      --shell /usr/sbin/nologin hubpo \
 && mkdir -p /var/lib/hubpo \
 && chown 10001:10001 /var/lib/hubpo
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOME=/tmp \
    HUBPO_DATA_DIR=/var/lib/hubpo
WORKDIR /app
# Owned by root and not writable by the runtime user.
COPY --from=build /out/ /app/
USER 10001:10001
# gateway: 8080 traffic, 9091 admin; control plane: 9080 admin, 18000 gRPC; operator: 9092 health.
EXPOSE 8080 9091 9080 18000 9092
ENTRYPOINT ["node"]
CMD ["packages/gateway/dist/main.js"]
