# syntax=docker/dockerfile:1
# The ingest service image: the `ingest` binary and the built dashboard.
#   docker build -t ingest .        (docker-compose.yml builds it as ingest:local)

# --- Rust: cargo build --release --bin ingest --------------------------------
FROM rust:1.95-bookworm AS rust
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY migrations migrations
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin ingest \
 && cp target/release/ingest /usr/local/bin/ingest

# --- Dashboard: npm ci && npm run build -> frontend/dist ------------------------
FROM node:22-bookworm-slim AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./
RUN npm run build

# --- Runtime -----------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app ingest \
 && mkdir -p /data && chown ingest /data
COPY --from=rust /usr/local/bin/ingest /usr/local/bin/ingest
COPY --from=web /src/frontend/dist /app/frontend/dist
WORKDIR /app
USER ingest
# Listening on 0.0.0.0 with no token configured refuses to start: give the
# container INGEST_ADMIN_TOKEN (or create tokens in its database), or set
# INGEST_AUTH=off on purpose (docker-compose.yml does, publishing on 127.0.0.1 only).
ENV INGEST_LISTEN=0.0.0.0:8000 \
    INGEST_DATA_DIR=/data \
    INGEST_FRONTEND_DIR=/app/frontend/dist
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s CMD curl -fsS -o /dev/null http://127.0.0.1:8000/ || exit 1
CMD ["ingest", "serve"]
