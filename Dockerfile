# One image per service, from one Dockerfile:
#
#   docker build --build-arg SERVICE=billing -t <registry>/mesh/billing:<tag> .
#
# SERVICE is the CMake target and binary name: billing, purchase, consign, stock, dashboard or
# notification. Both stages are Debian bookworm, whose packages the build uses (DESIGN 5), so the
# runtime libraries are the very versions the binary was linked against.

FROM debian:bookworm-slim AS build

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential cmake ninja-build pkg-config \
        libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
        libabsl-dev librocksdb-dev libnats-dev libspdlog-dev \
        libgtest-dev libgmock-dev libcpp-httplib-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY proto/ proto/
COPY libs/ libs/
COPY services/ services/
COPY tools/ tools/
COPY tests/ tests/

ARG SERVICE
# The whole tree is configured (one build for everything), but only the service is compiled.
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<name>" >&2; exit 1; } \
    && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    && cmake --build build --target "${SERVICE}" -j "$(nproc)" \
    && binary="$(find build/services -type f -name "${SERVICE}" -perm -u+x | head -n 1)" \
    && test -n "${binary}" \
    && install -D -m 0755 "${binary}" /out/service \
    && strip /out/service

FROM debian:bookworm-slim

# The shared libraries the services link (ldd on the binaries), and CA certificates for the
# notification webhook over HTTPS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 librocksdb7.8 libnats3.4 \
        libspdlog1.10 libcpp-httplib0.11 \
    && rm -rf /var/lib/apt/lists/*

# The non-root user of the chart's securityContext (global.runAsUser), owning /data, where the
# chart mounts the RocksDB volume.
RUN groupadd --system --gid 10001 mesh \
    && useradd --system --uid 10001 --gid mesh --no-create-home --home-dir /data mesh \
    && install -d -o 10001 -g 10001 /data

ARG SERVICE
COPY --from=build /out/service /usr/local/bin/service
LABEL org.opencontainers.image.title="mesh-${SERVICE}" \
      org.opencontainers.image.description="The ${SERVICE} service of the mesh"

USER 10001:10001
WORKDIR /data
# Every flag is also read from <SERVICE>_<FLAG>; the chart sets them from a ConfigMap.
EXPOSE 50051-50056 9451-9456
ENTRYPOINT ["/usr/local/bin/service"]
