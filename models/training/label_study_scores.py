#!/usr/bin/python3
"""The demonstration package's raw scores on the held-out label-study set, for the calibration tests.

Runs the package's own TorchScript folds (models/chestlens-demo-densenet121/fold-*.pt, what the service
loads through DJL) on the fixed synthetic evaluation set (synth_cxr.py --set eval, 467 images) with
InnerEye's evaluation pre-processing (train.py's exact inputs, which the service's pre-processing
matches: PreprocessingParityTest, DemoModelParityTest), applies softmax4 per fold and averages over
folds as the service does, and writes one row per image: series, reference label, whether it is an
ICU portable film, the acquisition attributes the service would store, the ensemble probabilities
CVX0..CVX3 and the per-class fold spread. It also prints the ensemble's multiclass accuracy and
top-class expected calibration error (10 bins, as org.chestlens.evaluation.Metrics computes it).

The Java calibration test loads these rows as stored predictions (CalibrationApiTest): the service
stores exactly these numbers for these images, and scoring 467 images through DJL inside the test
suite would take minutes on the build machine.

Usage:
    /usr/bin/python3 models/training/synth_cxr.py --set eval --out /tmp/eval --formats png16
    /usr/bin/python3 models/training/label_study_scores.py --data /tmp/eval \
        --out src/test/resources/label-study/scores.csv
(on a busy machine: first --fold 0, --fold 1 and --fold 2 as three parallel processes, then the
same command without --fold combines them)
"""
import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import export_model  # noqa: E402
import train  # noqa: E402

ATTRIBUTES = ["view", "manufacturer", "model", "institution", "sex", "modality", "rows", "columns"]


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    conf = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        m = ((conf > lo) | (b == 0)) & (conf <= hi)
        if m.any():
            total += m.sum() / len(y) * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the evaluation set (synth_cxr.py --set eval)")
    ap.add_argument("--package", type=Path, default=HERE.parent / "chestlens-demo-densenet121")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--fold", type=int, default=None,
                    help="only score this fold into <out>.fold<K>.npy (folds can run as parallel processes); "
                         "without it, every fold whose .npy is missing is scored, then all are combined")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    rows = train.read_dataset(args.data)
    folds = sorted(args.package.glob("fold-*.pt"))
    cached = [args.out.with_suffix(f".fold{k}.npy") for k in range(len(folds))]
    todo = [args.fold] if args.fold is not None else [k for k in range(len(folds)) if not cached[k].exists()]
    if todo:
        t0 = time.time()
        inputs = torch.stack([train.exact_input(train.load_grey(args.data, r)) for r in rows])
        print(f"pre-processed {len(rows)} images in {time.time() - t0:.0f} s", flush=True)
    with torch.no_grad():
        for k in todo:
            t0 = time.time()
            fold = torch.jit.load(str(folds[k]), map_location="cpu").eval()
            logits = []
            for i in range(0, len(rows), 16):
                z, _ = export_model.run_fold(fold, train.batch3(list(inputs[i:i + 16])))
                logits.append(z.numpy())
            z = np.concatenate(logits)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached[k], np.stack([export_model.class_probabilities(v, "softmax4") for v in z]))
            print(f"{folds[k].name}: {len(rows)} images in {time.time() - t0:.0f} s -> {cached[k]}", flush=True)
    if args.fold is not None:
        return
    probs = np.stack([np.load(p) for p in cached])  # [K, N, 4]
    ens = probs.mean(axis=0)
    spread = probs.max(axis=0) - probs.min(axis=0)
    y = np.array([r["final_label"] for r in rows])
    print(f"ensemble multiclass accuracy {(ens.argmax(axis=1) == y).mean():.3f}, "
          f"top-class ECE (10 bins) {ece(ens, y):.3f}, n = {len(rows)}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["series", "final_label", "icu_portable"] + ATTRIBUTES
                   + [f"p{c}" for c in range(4)] + [f"spread{c}" for c in range(4)])
        for i, r in enumerate(rows):
            w.writerow([r["series"], r["final_label"], r["icu_portable"]] + [r.get(a, "") for a in ATTRIBUTES]
                       + [repr(float(v)) for v in ens[i]] + [repr(float(v)) for v in spread[i]])
    for p in cached:
        p.unlink()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
