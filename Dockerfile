# Builds with the classic builder as well as BuildKit (Debian's docker.io 20.10 with
# docker-compose 1.29 included): no `RUN --mount`, no syntax directive.

# ---- build ----
# Edition 2024 needs rust >= 1.88; `1-bookworm` tracks the latest 1.x on the same Debian as the runtime.
FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, against empty sources: this layer is reused until Cargo.toml or
# Cargo.lock change. The crate's own artefacts are removed after, so the real build
# below cannot mistake the placeholders for up to date.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src target/release/.fingerprint/esim-courier-* \
        target/release/deps/esim_courier-* target/release/deps/libesim_courier-*
# .sqlx/ holds the query descriptions sqlx's macros check against (no database at build
# time); .cargo/config.toml sets SQLX_OFFLINE.
COPY .cargo ./.cargo
COPY .sqlx ./.sqlx
# migrations/ (sqlx::migrate!) and templates/ (include_str!) are compiled into the binary;
# tests/ is only read by `cargo test`, so it stays out of the image.
COPY build.rs ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
RUN cargo build --release --locked \
    && cp target/release/esim-courier /usr/local/bin/esim-courier

# ---- runtime ----
FROM debian:bookworm-slim
# TLS is rustls, no OpenSSL. lettre and sqlx carry webpki roots, but reqwest 0.13 (the Gigs
# API client) verifies through the OS store (rustls-platform-verifier): without
# ca-certificates every HTTPS call to Gigs would fail.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# --no-log-init: with a high uid, useradd would otherwise write a multi-MB lastlog/faillog.
RUN useradd --system --no-log-init --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin esim
COPY --from=build /usr/local/bin/esim-courier /usr/local/bin/esim-courier
USER 10001:10001
EXPOSE 8080
# Checks /readyz on LISTEN_ADDR's port. A `worker` container serves no HTTP, so it must
# turn this off (docker-compose.yml does).
HEALTHCHECK --interval=15s --timeout=6s --start-period=20s --retries=3 \
    CMD ["esim-courier", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/esim-courier"]
CMD ["serve"]
