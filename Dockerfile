# syntax=docker/dockerfile:1
# chestlens container images.
#
#   docker build -t chestlens:cpu .
#   docker build -t chestlens:gpu --build-arg MAVEN_PROFILES=cuda \
#       --build-arg RUNTIME_BASE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 .
#
# The GPU image needs the NVIDIA container toolkit on the host (docker run --gpus all, the compose
# "gpu" profile, or gpu.enabled in the Helm chart). Both images are offline at run time: the PyTorch
# natives come from the jar (pytorch-native-cpu, or pytorch-native-cu124 with -Pcuda) and are
# unpacked into CHESTLENS_INFERENCE_DJL_CACHE_DIR; nothing is downloaded at start.

ARG MAVEN_PROFILES=""
ARG RUNTIME_BASE=eclipse-temurin:17-jre-jammy

############################ build ############################
# Debian's OpenJDK 17, the JDK CI builds with. PixelMed (the DICOM toolkit) comes from the
# in-project Maven repository lib/maven, like every other dependency through ./mvnw. gcc and
# libgdcm-dev build the 12-bit JPEG shim (src/main/c) against gdcm's 12-bit IJG library.
FROM debian:bookworm AS build
ARG MAVEN_PROFILES
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless ca-certificates gcc libc6-dev libgdcm-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY lib/maven lib/maven
# Dependencies first, so a source change does not download them again.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp ${MAVEN_PROFILES:+-P$MAVEN_PROFILES} dependency:go-offline
COPY src/main src/main
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp ${MAVEN_PROFILES:+-P$MAVEN_PROFILES} -Djpeg12.build=required -DskipTests package \
 && cp target/chestlens-*.jar /chestlens.jar \
 && mkdir /native && cp target/native/libchestlens-jpeg12.so /native/

############################ runtime ############################
# A slim JRE 17 (CPU), or CUDA 12.4 + cuDNN with Ubuntu's JRE 17 added (GPU).
FROM ${RUNTIME_BASE} AS runtime
# curl only for the HEALTHCHECK; CharLS and OpenJPEG decode JPEG-LS, JPEG 2000 and HTJ2K (through JNA; they
# need OpenJPEG 2.5, so on an older base JPEG 2000 and HTJ2K stay refused with 415); gdcm's libgdcm3.0 decodes 12-bit JPEG
# through the shim built above (its libgdcmjpeg12.so.3.0); libdeflate inflates PNG image data (java.util.zip without it).
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl libcharls2 libopenjp2-7 libgdcm3.0 libdeflate0 \
      $(command -v java >/dev/null || echo openjdk-17-jre-headless) \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 chestlens \
 && useradd --system --uid 10001 --gid chestlens --home-dir /opt/chestlens --shell /usr/sbin/nologin chestlens \
 && mkdir -p /var/cache/chestlens/djl /models \
 && chown -R chestlens:chestlens /var/cache/chestlens
WORKDIR /opt/chestlens
COPY --from=build /chestlens.jar /opt/chestlens/chestlens.jar
COPY --from=build /native/libchestlens-jpeg12.so /opt/chestlens/native/libchestlens-jpeg12.so
# The demonstration model is baked in; mount your own packages at /models and point
# CHESTLENS_INFERENCE_MODEL_PATHS at them (comma-separated) to override it.
COPY models/chestlens-demo-densenet121 /opt/chestlens/models/chestlens-demo-densenet121
# Heap from the container's memory limit; the rest is for libtorch's native memory. Exit on OOM so the orchestrator restarts us (queued jobs are in PostgreSQL).
# 4 MB G1 regions: with the default 1 MB ones every upload body and decoded image over 512 KB is a humongous object,
# and their churn set off a full concurrent marking cycle every few dozen uploads (bench/README.md, "Cost per image").
# Device "auto": the GPU when DJL sees one, else the CPU.
ENV CHESTLENS_INFERENCE_MODEL_PATHS=/opt/chestlens/models/chestlens-demo-densenet121 \
    CHESTLENS_INGEST_NATIVE_DIR=/opt/chestlens/native \
    CHESTLENS_INFERENCE_DJL_CACHE_DIR=/var/cache/chestlens/djl \
    CHESTLENS_INFERENCE_DEVICE=auto \
    SERVER_PORT=8080 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:G1HeapRegionSize=4m -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"
VOLUME ["/var/cache/chestlens/djl", "/tmp"]
USER 10001:10001
EXPOSE 8080 11112
# Ready only after the model is loaded, verified and warmed up; allow a slow first load.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/actuator/health/readiness || exit 1
ENTRYPOINT ["java", "-jar", "/opt/chestlens/chestlens.jar"]
