#!/bin/bash
# Build chestlens' demonstration model end to end on a CPU: synthetic data (fixed seed) ->
# 3 DenseNet-121 folds (InnerEye recipe) -> held-out evaluation -> model package.
#
#   models/training/build_demo_model.sh              # everything (data, folds 0-2, evaluate, fixtures, export)
#   models/training/build_demo_model.sh eval-data    # only the fixed evaluation set (>= 400 images, labels, metadata)
#   models/training/build_demo_model.sh fixtures     # only the Java test fixtures (+ expected.csv if folds exist)
#   models/training/build_demo_model.sh train-data   # only the training pool
#   models/training/build_demo_model.sh train 1      # only fold 1 (folds can run on separate machines)
#   models/training/build_demo_model.sh evaluate     # test-set metrics of the existing folds
#   models/training/build_demo_model.sh export       # package from the existing folds + metrics
#                                                      # (TorchScript and ONNX folds)
#   models/training/build_demo_model.sh onnx [VERSION]  # only the ONNX copies of the package's folds, into it
#   models/training/build_demo_model.sh pointing-game  # localisation of the package's class activation
#                                                      # maps on the held-out set, into its MODEL_CARD.md
#   models/training/build_demo_model.sh ood          # out-of-distribution statistics of the training pool
#                                                      # (fold-<k>.ood.f32, threshold) and operating points
#                                                      # into the package; rates into its MODEL_CARD.md
#
# Knobs (environment): N_TRAIN_PATIENTS (700), EPOCHS (9), BATCH (8), SEED (20210714), FOLD_BUDGET_MIN (36),
# NICE (19), JOBS (2, data generation), DATA, RUNS, PKG, FIXTURES, N_EVAL_PATIENTS (only for smoke
# tests: anything but the default is NOT the fixed evaluation set).
# Everything runs with Debian's /usr/bin/python3 (torch 1.13.1, torchvision 0.14.1, pydicom).
set -euo pipefail
cd "$(dirname "$0")/../.."  # repository root

PY=/usr/bin/python3
T=models/training
SEED=${SEED:-20210714}
N_TRAIN_PATIENTS=${N_TRAIN_PATIENTS:-700}
EPOCHS=${EPOCHS:-9}
BATCH=${BATCH:-8}
JOBS=${JOBS:-2}
FOLD_BUDGET_MIN=${FOLD_BUDGET_MIN:-36}  # safety net per fold: training stops there (last weights kept)
DATA=${DATA:-$T/data}
RUNS=${RUNS:-$T/runs/demo}
PKG=${PKG:-models/chestlens-demo-densenet121}
PKG_ID=$(basename "$PKG")
FIXTURES=${FIXTURES:-$T/fixtures}
RUN="nice -n ${NICE:-19} $PY"
EVAL_ARGS=()
if [ -n "${N_EVAL_PATIENTS:-}" ]; then EVAL_ARGS=(--n-patients "$N_EVAL_PATIENTS"); fi

mkdir -p "$RUNS"
TIMES="$RUNS/build_times.txt"
stamp() { date +%s; }
took() {  # name start
  local s=$(( $(stamp) - $2 ))
  printf '%-28s %6d s (%s)\n' "$1" "$s" "$(date -u -d @"$s" +%H:%M:%S)" | tee -a "$TIMES"
}

eval_data() {
  local t=$(stamp)
  rm -rf "$DATA/eval"
  $RUN $T/synth_cxr.py --set eval --seed "$SEED" "${EVAL_ARGS[@]}" --out "$DATA/eval" \
    --formats png16,dicom --masks --jobs "$JOBS" --contact-sheet "$RUNS/eval_contact_sheet.png"
  took "eval data" "$t"
}

train_data() {
  local t=$(stamp)
  rm -rf "$DATA/train"
  $RUN $T/synth_cxr.py --set train --seed "$SEED" --n-patients "$N_TRAIN_PATIENTS" --out "$DATA/train" \
    --formats png16 --jobs "$JOBS"
  took "train data" "$t"
}

fixtures() {
  local t=$(stamp)
  rm -rf "$FIXTURES"
  $RUN $T/synth_cxr.py --set fixtures --seed "$SEED" --out "$FIXTURES" --size 256 \
    --formats png16,png8,dicom --jobs 1 --contact-sheet "$RUNS/fixtures_contact_sheet.png"
  if [ -f "$RUNS/fold-0.pth" ] && [ -f "$RUNS/fold-1.pth" ] && [ -f "$RUNS/fold-2.pth" ]; then
    $RUN $T/train.py --runs "$RUNS" --predict "$FIXTURES"
  else
    echo "no trained folds in $RUNS yet: $FIXTURES/expected.csv not written"
  fi
  took "fixtures" "$t"
}

train_fold() {
  local t=$(stamp)
  $RUN $T/train.py --train-dir "$DATA/train" --runs "$RUNS" --seed 7 --fold "$1" \
    --epochs "$EPOCHS" --batch-size "$BATCH" --channels-last --budget-minutes "$FOLD_BUDGET_MIN" \
    2>&1 | tee "$RUNS/fold-$1.log"
  took "train fold $1" "$t"
}

evaluate() {
  local t=$(stamp)
  $RUN $T/train.py --eval-dir "$DATA/eval" --runs "$RUNS" --evaluate 2>&1 | tee "$RUNS/evaluate.log"
  took "evaluate" "$t"
}

export_package() {
  local t=$(stamp)
  local n_train n_eval
  n_train=$(($(wc -l < "$DATA/train/dataset.csv") - 1))
  n_eval=$(($(wc -l < "$DATA/eval/dataset.csv") - 1))
  $RUN $T/export_model.py --out "$PKG" --id "$PKG_ID" --version 1.1.0 \
    --weights "$RUNS/fold-0.pth" "$RUNS/fold-1.pth" "$RUNS/fold-2.pth" \
    --description "DEMONSTRATION MODEL trained on SYNTHETIC chest radiographs. InnerEye's COVID-19 chest X-ray classifier architecture (DenseNet-121, 4 classes CVX0-CVX3, softmax), a 3-fold cross-validation ensemble trained from scratch on a CPU by models/training/train.py on images drawn by models/training/synth_cxr.py. It discriminates the synthetic classes; it has never seen a real radiograph." \
    --intended-use "Demonstrating and testing the chestlens service end to end with a model that really discriminates: predictions, ensembling, evaluation against reference labels, reader comparison and error analysis. Not for clinical use, not for research conclusions, not for any decision about a patient." \
    --limitations "Trained and tested only on synthetic images whose classes are drawn by formulas (ground-glass location, consolidation, effusion, heart size): its accuracy says nothing about real chest X-rays. Planted, documented failure mode: ICU portable AP films (low contrast, noise, lines and tubes, rotated or cut-off positioning, supine haze) are classified clearly worse than the rest; see the held-out metrics below. Not validated; not a medical device." \
    --notice "DEMONSTRATION MODEL trained on synthetic images: not a finding, not for clinical use." \
    --training-data "Synthetic radiographs from models/training/synth_cxr.py, seed $SEED: $n_train training-pool images of $N_TRAIN_PATIENTS patients (3 folds by patient, $EPOCHS epochs, batch $BATCH, Adam 1e-4), and a fixed held-out test set of $n_eval images (synth_cxr.py --set eval) never used in training. Four invented hospitals (Siemens, Philips, GE, Fujifilm), PA and AP views, about 20% ICU portable films. No patient data."
  took "export" "$t"
  {
    echo
    echo "## Held-out test metrics (printed by models/training/train.py --evaluate)"
    echo
    cat "$RUNS/metrics.md"
    echo
    echo "## Build"
    echo
    echo "Built by \`models/training/build_demo_model.sh\` (all stages, CPU, torch.set_num_threads(2)). Measured:"
    echo
    echo '```'
    cat "$TIMES"
    echo '```'
  } >> "$PKG/MODEL_CARD.md"
  echo "appended metrics and build times to $PKG/MODEL_CARD.md"
}

all() {
  local t0=$(stamp)
  : > "$TIMES"
  eval_data
  train_data
  for k in 0 1 2; do train_fold "$k"; done
  evaluate
  fixtures
  took "total before export" "$t0"
  export_package
  pointing_game
  ood
  du -sh "$PKG"
}

pointing_game() {
  local t=$(stamp)
  if [ ! -d "$DATA/eval/masks" ]; then  # the held-out set with the masks of its findings (same images)
    rm -rf "$DATA/eval"
    $RUN $T/synth_cxr.py --set eval --seed "$SEED" "${EVAL_ARGS[@]}" --out "$DATA/eval" \
      --formats png16 --masks --jobs "$JOBS"
  fi
  $RUN $T/pointing_game.py --eval-dir "$DATA/eval" --package "$PKG" --card "$PKG/MODEL_CARD.md"
  took "pointing game" "$t"
}
ood() {
  local t=$(stamp)
  # The training pool again (same seed, the images the folds were trained on), and held-out films of
  # another seed for the flagged share and the operating points. The defaults reproduce the shipped package
  # (OOD_TRAIN_PATIENTS=700: all the training patients, N_HELDOUT_PATIENTS=46; MODEL_CARD.md).
  if [ ! -f "$DATA/train/dataset.csv" ]; then train_data; fi
  rm -rf "$DATA/heldout"
  $RUN $T/synth_cxr.py --set train --seed "${HELDOUT_SEED:-31415}" --n-patients "${N_HELDOUT_PATIENTS:-46}" \
    --out "$DATA/heldout" --formats png16 --jobs "$JOBS"
  $RUN $T/ood_stats.py --package "$PKG" --train-dir "$DATA/train" --heldout-dir "$DATA/heldout" \
    --train-patients "${OOD_TRAIN_PATIENTS:-700}" --card "$PKG/MODEL_CARD.md" \
    --write-test-sample src/test/resources/ood
  took "ood" "$t"
}

case "${1:-all}" in
  all) all ;;
  eval-data) eval_data ;;
  train-data) train_data ;;
  fixtures) fixtures ;;
  train) shift; if [ $# -eq 0 ]; then set -- 0 1 2; fi; for k in "$@"; do train_fold "$k"; done ;;
  evaluate) evaluate ;;
  export) export_package ;;
  pointing-game) pointing_game ;;
  ood) ood ;;
  onnx) $RUN $T/export_model.py --add-onnx "$PKG" ${2:+--version "$2"} ;;
  *) echo "usage: $0 [all|eval-data|train-data|fixtures|train K...|evaluate|export|pointing-game|ood|onnx [VERSION]]" >&2
     exit 2 ;;
esac
