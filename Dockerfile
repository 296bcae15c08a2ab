# syntax=docker/dockerfile:1
#
# kconnect-exporter container image.
#
#   docker build -t kconnect-exporter \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#   docker run --rm -p 9840:9840 -e CONNECT_REST_URL=http://connect:8083 kconnect-exporter
#
# The builder stage runs scripts/build-release, the same script CI runs.

# Any Rust >= 1.94.1 (Cargo.toml rust-version, set by the AWS SDK crates); `1` is the latest stable.
ARG RUST_VERSION=1
ARG DEBIAN_SUITE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_SUITE} AS builder
# The commit goes into kconnect_exporter_build_info{revision} (KCONNECT_BUILD_REVISION).
ARG REVISION=unknown
WORKDIR /src
# The repository minus .dockerignore: Cargo.toml, Cargo.lock, src/ and every target the
# manifest declares (benches/, examples/, ...), and scripts/build-release.
COPY . .
# The cache mounts keep the crate registry and the build directory between builds; the
# binary is copied out of the cached target directory by build-release itself.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    KCONNECT_BUILD_REVISION="${REVISION}" scripts/build-release /out/kconnect-exporter

FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="kconnect-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Apache Kafka Connect, configured like Kpow" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/kconnect-exporter/kconnect-exporter" \
      org.opencontainers.image.url="https://github.com/kconnect-exporter/kconnect-exporter" \
      org.opencontainers.image.documentation="https://github.com/kconnect-exporter/kconnect-exporter/blob/main/README.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"
COPY --from=builder /out/kconnect-exporter /kconnect-exporter
# distroless "nonroot": uid/gid 65532, no shell. The exporter writes nothing to disk,
# so the container can run with a read-only root filesystem.
USER 65532:65532
EXPOSE 9840
# --healthcheck GETs /-/healthy on the configured listen address and exits 0 or 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/kconnect-exporter", "--healthcheck"]
ENTRYPOINT ["/kconnect-exporter"]
