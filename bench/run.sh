#!/usr/bin/env bash
# Benchmarks that print ratios measured side by side in one run. See bench/README.md.
#   bash bench/run.sh [all|raw|e2e|sweep|overload|dicom|evaluation|heatmap|priority|console]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}

# A database of its own, emptied between runs; the same PostgreSQL that .ci/run uses.
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  runuser -u postgres -- psql -q -d postgres -c "DROP DATABASE IF EXISTS chestlens_bench WITH (FORCE)" \
    -c "CREATE DATABASE chestlens_bench" >/dev/null
  export TEST_DATABASE_URL=jdbc:postgresql://127.0.0.1:5432/chestlens_bench
  export TEST_DATABASE_USER=postgres TEST_DATABASE_PASSWORD=
fi

./mvnw -q -B -ntp test-compile -DskipTests
./mvnw -q -B -ntp dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
rm -rf target/bench-classes && mkdir -p target/bench-classes
javac -nowarn -d target/bench-classes -cp "$cp" $(find bench/src -name '*.java')
if [ "$mode" = dicom ]; then  # DICOM decode vs dcmtk/gdcm: see bench/README.md, "DICOM decoding"
  exec java -Xmx1g -cp "target/bench-classes:$cp" org.chestlens.ingest.DicomDecodeBench
fi
if [ "$mode" = evaluation ]; then  # 10 000 predictions vs the 2 s goal: in memory, then from PostgreSQL
  java -Xmx1g -cp "target/bench-classes:$cp" org.chestlens.evaluation.EvaluationBench
  exec java -Xmx1g -cp "target/bench-classes:$cp" org.chestlens.evaluation.EvaluationDatabaseBench
fi
if [ "$mode" = console ]; then  # first load size and a 100-row worklist page in Chromium: see bench/README.md
  exec java -Xmx1g -cp "target/bench-classes:$cp" org.chestlens.console.ConsoleBench
fi
# 1600 uploads held in memory, half of them 2 MB DICOM files (G1 would give each of those two 2 MB regions).
exec java -Xmx5g -XX:G1HeapRegionSize=8m -cp "target/bench-classes:$cp" org.chestlens.bench.Benchmark "$mode"
