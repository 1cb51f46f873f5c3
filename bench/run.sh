#!/usr/bin/env bash
# Prints throughput figures: raw Paho (sync and 90 in flight) and the bundle's whole path (the bundle in a JVM of its
# own), each warmed up first, on Mosquitto (its own process, installed from the Debian package) and on the embedded
# broker; then AWS's quotas.
#   bench/run.sh                       50000 readings a phase, then 60 s at 1,000 readings/s for the memory figure
#   BENCH_MESSAGES=20000 BENCH_STEADY_SECONDS=10 bench/run.sh
#   BENCH_QUOTA_READINGS=200000 BENCH_BATCH=500: the backlog drained at AWS's quotas (shaping on, plain and gzip)
#   BENCH_ONLY=quotas: that phase alone
#   BENCH_ONLY=gateway: the jars' sizes; start to first PUBACK (bin/iot-uplink with its class data archive,
#     java -jar, and --local) against a bare Paho client; resident memory after 60 s at 1,000 readings/s; a gzip
#     backlog drained through bin/iot-uplink and java -jar. BENCH_GATEWAY_PARTS=start,rss,drain,local: some of them;
#     BENCH_GATEWAY_JAVA_OPTS: JAVA_OPTS for bin/iot-uplink there (default -XX:MaxRAM=1g: a 1 GiB gateway)
#   BENCH_ONLY=store: the outbox's operations on a million rows (BENCH_STORE_ROWS): append, open, hand-out and
#     removal, sweeps, drop-oldest, the books
#   BENCH_THREADS=1: CPU time per thread group during the whole-path phase (where the time goes)
#   BENCH_JAVA_OPTS="-Dbench.bundle-java-options=-XX:StartFlightRecording=filename=$PWD/target/bench.jfr": profile the
#     bundle's JVM (jfr print --events jdk.ExecutionSample target/bench.jfr)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests package
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
java ${BENCH_JAVA_OPTS:-} -Dbench.messages="${BENCH_MESSAGES:-50000}" -Dbench.steady-seconds="${BENCH_STEADY_SECONDS:-60}" \
  -Dbench.quota-readings="${BENCH_QUOTA_READINGS:-200000}" -Dbench.batch="${BENCH_BATCH:-500}" \
  ${BENCH_ONLY:+-Dbench.only=$BENCH_ONLY} ${BENCH_GATEWAY_JAVA_OPTS:+"-Dbench.gateway-java-options=$BENCH_GATEWAY_JAVA_OPTS"} \
  ${BENCH_GATEWAY_PARTS:+-Dbench.gateway-parts=$BENCH_GATEWAY_PARTS} \
  ${BENCH_THREADS:+-Dbench.threads=1} ${BENCH_STORE_ROWS:+-Dbench.store-rows=$BENCH_STORE_ROWS} \
  -cp "$PWD/target/test-classes:$PWD/target/classes:$(cat target/bench.classpath)" io.iotuplink.bench.Benchmark 2>&1 \
  | grep -v -E '^[0-9:.]+ (INFO|WARN|DEBUG)'
