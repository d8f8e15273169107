#!/usr/bin/env bash
# Benchmarks that print ratios measured side by side in one run. See bench/README.md.
#   bash bench/run.sh [all|raw|e2e|sweep|overload|dicom|evaluation|heatmap|priority|onnx|console|cost|gc]
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
if [ "$mode" = onnx ]; then  # libtorch vs ONNX Runtime on the CPU: see bench/README.md, "Engines"
  ocp="target/bench-classes:$cp"
  pkg=models/chestlens-demo-densenet121
  /usr/bin/python3 bench/onnx/export_onnx.py "$pkg" target/onnx 2>/dev/null
  rm -f target/onnx/results.txt
  batches=${BENCH_BATCHES:-1,4,8,16}; seconds=${BENCH_SECONDS:-5}
  variants=(libtorch libtorch-frozen libtorch-no-graph-optimizer onnxruntime)
  for round in 1 2; do  # the order rotates so that drift in the machine's speed falls on every variant
    for i in 0 1 2 3; do
      v=${variants[$(( (i + round - 1) % 4 ))]}
      opts=""; [ "$v" = libtorch-no-graph-optimizer ] && opts="-Dai.djl.pytorch.graph_optimizer=false"
      java -Xmx2g $opts -cp "$ocp" org.chestlens.inference.EngineComparison run "$v" "$pkg" target/onnx \
        "$batches" "$seconds" "target/onnx/logits-$v.f32" 2>/dev/null | grep '^RESULT' | tee -a target/onnx/results.txt
    done
  done
  java -cp "$ocp" org.chestlens.inference.EngineComparison compare target/onnx/logits-libtorch.f32 \
    target/onnx/logits-libtorch-frozen.f32 target/onnx/logits-libtorch-no-graph-optimizer.f32 \
    target/onnx/logits-onnxruntime.f32 2>/dev/null
  # Median of the rounds per variant and batch, and its ratio to libtorch as the service runs it.
  awk '{ key = $2 " " $4; v[key] = v[key] " " $6 } END {
    for (key in v) { n = split(substr(v[key], 2), x, " "); asort(x); m[key] = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }
    for (key in m) { split(key, k, " "); printf "MEDIAN %-28s batch %3d  %6.2f images/s  x%.2f of libtorch\n", k[1], k[2], m[key], m[key] / m["libtorch " k[2]] }
  }' target/onnx/results.txt | sort -k2,2 -k4,4n
  exit 0
fi
if [ "$mode" = evaluation ]; then  # 10 000 predictions vs the 2 s goal: in memory, then from PostgreSQL
  java -Xmx1g -cp "target/bench-classes:$cp" org.chestlens.evaluation.EvaluationBench
  exec java -Xmx1g -cp "target/bench-classes:$cp" org.chestlens.evaluation.EvaluationDatabaseBench
fi
if [ "$mode" = cost ]; then  # CPU per image around the model, by stage and input kind: see bench/README.md
  # libtorch's OpenMP workers sleep rather than spin between forwards: on a shared machine spinning tripled the
  # forward's CPU and the run's length; the forward is left out of the account either way.
  export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
  exec java -Xmx6g -cp "target/bench-classes:$cp" org.chestlens.bench.CostBench
fi
if [ "$mode" = console ]; then  # first load size and a 100-row worklist page in Chromium: see bench/README.md
  exec java -Xmx1g -cp "target/bench-classes:$cp" org.chestlens.console.ConsoleBench
fi
# 1600 uploads held in memory, half of them 2 MB DICOM files (G1 would give each of those two 2 MB regions);
# BENCH_HEAP raises the heap for runs that hold more (-Dbench.images=4000 needs about 9g).
exec java -Xmx${BENCH_HEAP:-5g} -XX:G1HeapRegionSize=8m -cp "target/bench-classes:$cp" org.chestlens.bench.Benchmark "$mode"
