#!/usr/bin/python3
"""Out-of-distribution statistics of a format-3 model package, measured and shipped in the package.

The score (Lee et al. 2018, "A simple unified framework for detecting out-of-distribution samples and
adversarial attacks"): per fold, the Mahalanobis distance of the image's pooled 1024-d norm5 features to
the nearest class mean of the training set, under one covariance shared by the classes; the image's
score is the MEAN of that distance over the folds. The threshold is the 99th percentile of the training
images' scores.

    /usr/bin/python3 models/training/ood_stats.py --package models/chestlens-demo-densenet121 \\
        --train-dir models/training/data/train --heldout-dir models/training/data/heldout \\
        [--card models/chestlens-demo-densenet121/MODEL_CARD.md]

What it does:
1. Features of every training image (synth_cxr.py --set train with the training seed: the images the
   folds were trained on), through the reference pre-processing (export_model.preprocess_png), no
   augmentation. Every fold sees every training image.
2. Per fold: class means and the shared covariance (within-class scatter / n) of the training images, shrunk
   towards a multiple of the identity with the Ledoit-Wolf intensity, and its inverse (the precision).
   Written as fold-<k>.ood.f32: float32 little endian, class means [K, 1024] then the precision
   [1024, 1024], row-major. Scores are computed in float64 from those float32 values.
3. The threshold: with 1024 dimensions and a few hundred to 1736 images the in-sample distances are biased low (the
   covariance is fitted to the very images it measures), so a threshold from them would flag far more
   than 1 % of new training-like images. The training scores are therefore cross-fitted: the pool's
   patients are split into 5 groups and each group is scored with statistics estimated without it. The
   99th percentile of those scores is the threshold.
4. model.json gets an "outOfDistribution" section (method, threshold, files with sha256) and version
   bump is left to the caller; reference/manifest.json gets each reference image's fold scores and score
   (the service's parity test); with --heldout-dir the flagged share of held-out synthetic films and of
   non-chest images (non_chest_images below) is printed, and with --card written into the model card.
5. With --heldout-dir, also the operating points at sensitivity 0.90 on that labelled held-out set
   (one-vs-rest on the ensemble class probability for CVX1, CVX2, CVX3): model.json "operatingPoints".
"""
import argparse
import csv
import hashlib
import json
import math
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_model  # noqa: E402  (the reference pre-processing and the package helpers)

CODES = ["CVX0", "CVX1", "CVX2", "CVX3"]
PERCENTILE = 99.0
CROSS_FIT_GROUPS = 5
TARGET_SENSITIVITY = 0.90
FINDINGS = ["CVX1", "CVX2", "CVX3"]
BEGIN = "<!-- ood:begin -->"
END = "<!-- ood:end -->"
REPO = Path(__file__).resolve().parents[2]
PHOTOS = [  # natural photographs on this build machine (the Rust embedded book's assets, MIT/Apache-2.0)
    Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/embedded-book/assets/f3.jpg",
    Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/embedded-book/assets/verify.jpeg",
]


def preprocess_array(a: np.ndarray) -> torch.Tensor:
    """Grey values (any range) -> model input [3, 224, 224], exactly as preprocess_png does for a PNG."""
    image = export_model.to_8bit_grey(a.astype(np.float64))
    t = export_model.transforms.functional.to_tensor(image)
    return export_model._TENSOR_PIPELINE(t.unsqueeze(0))[0]


def dicom_pixels(path: Path) -> np.ndarray:
    """The pixels of an uncompressed single-frame little-endian DICOM file (pydicom's CT_small, MR_small).

    Enough for these two files without pydicom: the pixel data element (7FE0,0010) OW holds rows * columns
    16-bit values; PixelRepresentation 1 (signed) is read as int16. Min-max pre-processing makes rescale
    slope/intercept irrelevant.
    """
    raw = path.read_bytes()
    rows = int.from_bytes(raw[raw.index(b"\x28\x00\x10\x00US") + 8:][:2], "little")
    cols = int.from_bytes(raw[raw.index(b"\x28\x00\x11\x00US") + 8:][:2], "little")
    start = raw.rindex(b"\xe0\x7f\x10\x00OW") + 12  # explicit VR OW: tag, VR, 2 reserved, 4-byte length
    return np.frombuffer(raw[start:start + rows * cols * 2], dtype="<i2").reshape(rows, cols).astype(np.float64)


def ultrasound(rng: np.random.Generator, size: int = 480) -> np.ndarray:
    """A B-mode-like sector: fan of Rayleigh speckle with a few echogenic layers and a dark cyst, black outside."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    apex_x, apex_y = size / 2 + rng.uniform(-20, 20), rng.uniform(-10, 20)
    r = np.hypot(x - apex_x, y - apex_y)
    theta = np.arctan2(x - apex_x, y - apex_y)
    half = np.radians(rng.uniform(30, 45))
    fan = (np.abs(theta) < half) & (r < size * rng.uniform(0.85, 0.98)) & (r > 15)
    tissue = 0.5 + 0.3 * np.sin(r / rng.uniform(15, 40) + rng.uniform(0, 6)) ** 2
    cx, cy, cr = rng.uniform(0.35, 0.65) * size, rng.uniform(0.4, 0.7) * size, rng.uniform(25, 60)
    tissue *= np.where(np.hypot(x - cx, y - cy) < cr, 0.1, 1.0)
    speckle = rng.rayleigh(1.0, size=(size, size))
    img = np.where(fan, tissue * speckle * np.exp(-r / (size * 1.5)), 0.0)
    return np.clip(img * 180, 0, 255).round()


def localizer(rng: np.random.Generator, h: int = 512, w: int = 384) -> np.ndarray:
    """A CT scout (topogram) of the trunk: a long body outline, spine, pelvis, lungs, on black, with a scale bar."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    body = ((x - w / 2) / (w * rng.uniform(0.30, 0.38))) ** 2 < 1
    img = np.where(body, 0.55, 0.0)
    lungs = (((x - w / 2) ** 2 / (w * 0.13) ** 2 + (y - h * 0.25) ** 2 / (h * 0.16) ** 2 < 1)
             & (np.abs(x - w / 2) > w * 0.05))
    img = np.where(lungs & body, 0.25, img)
    spine = (np.abs(x - w / 2) < w * 0.035) & body
    img = np.where(spine, 0.85, img) + 0.15 * ((np.sin(y / 9.0) > 0.6) & spine)
    pelvis = ((x - w / 2) ** 2 / (w * 0.3) ** 2 + (y - h * 0.85) ** 2 / (h * 0.08) ** 2 < 1) & \
             ((x - w / 2) ** 2 / (w * 0.22) ** 2 + (y - h * 0.87) ** 2 / (h * 0.05) ** 2 > 1)
    img = np.where(pelvis & body, 0.9, img)
    img[int(h * 0.02):int(h * 0.03), int(w * 0.05):int(w * 0.3)] = 1.0  # burned-in scale bar
    img = img + rng.normal(0, 0.02, size=img.shape)
    return np.round(np.clip(img, 0, 1) * 255)  # exported as 8-bit, as a PACS screen capture would be


def non_chest_images(rng: np.random.Generator):
    """(category, name, grey array) of images that are not frontal chest radiographs."""
    out = []
    dicom = REPO / "src/test/resources/dicom"
    for category, file in (("CT", "pydicom-CT_small.dcm"), ("MR", "pydicom-MR_small.dcm")):
        a = dicom_pixels(dicom / file)
        # The real slice, and variants a viewer would also send: flipped, windowed, cropped, upscaled.
        lo, hi = np.percentile(a, [5, 95])
        variants = {"as-stored": a, "flipped": a[:, ::-1], "windowed": np.clip(a, lo, hi),
                    "upper-crop": a[: a.shape[0] * 3 // 4], "rotated": np.rot90(a)}
        for name, v in variants.items():
            out.append((category, f"{file}:{name}", np.ascontiguousarray(v)))
    for i in range(10):
        out.append(("ultrasound", f"synthetic-us-{i}", ultrasound(rng)))
    for i in range(10):
        out.append(("localizer", f"synthetic-scout-{i}", localizer(rng)))
    for photo in PHOTOS:
        if not photo.exists():
            continue
        grey = np.asarray(Image.open(photo).convert("L"), dtype=np.float64)
        h, w = grey.shape
        crops = {"whole": grey, "left": grey[:, : w * 2 // 3], "right": grey[:, w // 3:],
                 "centre": grey[h // 6: h * 5 // 6, w // 6: w * 5 // 6], "flipped": grey[::-1]}
        for name, v in crops.items():
            out.append(("photograph", f"{photo.name}:{name}", np.ascontiguousarray(v)))
    return out


def cached_features(folds, paths, cache: Path, name: str):
    """features() of PNG files, kept per file in cache/<name>.npz when a cache folder is given: a re-run (or a run
    over a set that has grown) only computes the files it has not seen."""
    file = cache / f"{name}.npz" if cache else None
    known = {}
    if file and file.exists():
        data = np.load(file)
        for i, p in enumerate(data["paths"]):
            known[str(p)] = ([data[f"f{k}"][i] for k in range(len(folds))], data["probs"][i])
    missing = [p for p in paths if str(p) not in known]
    for s in range(0, len(missing), 64):
        chunk = missing[s:s + 64]
        feats, probs = features(folds, [export_model.preprocess_png(p) for p in chunk])
        for i, p in enumerate(chunk):
            known[str(p)] = ([f[i] for f in feats], probs[i])
        if file:
            cache.mkdir(parents=True, exist_ok=True)
            keys = list(known)
            np.savez(file, paths=np.array(keys), probs=np.stack([known[k][1] for k in keys]),
                     **{f"f{k}": np.stack([known[key][0][k] for key in keys]) for k in range(len(folds))})
        print(f"{name}: features of {s + len(chunk)}/{len(missing)} new images", flush=True)
    return ([np.stack([known[str(p)][0][k] for p in paths]) for k in range(len(folds))],
            np.stack([known[str(p)][1] for p in paths]))


TEST_SAMPLE = ["pydicom-CT_small.dcm:as-stored", "pydicom-CT_small.dcm:rotated", "pydicom-MR_small.dcm:as-stored",
               "pydicom-MR_small.dcm:flipped", "synthetic-us-0", "synthetic-us-1", "synthetic-us-2",
               "synthetic-scout-0", "synthetic-scout-1", "synthetic-scout-2", "f3.jpg:centre", "verify.jpeg:centre"]


def write_test_sample(others, folder: Path):
    """The TEST_SAMPLE images as PNG: 16-bit where the values need it (CT, MR, scouts), else 8-bit; same pixels."""
    folder.mkdir(parents=True, exist_ok=True)
    for category, name, a in others:
        if name not in TEST_SAMPLE:
            continue
        stem = re.sub(r"[^A-Za-z0-9]+", "-", name.replace(".dcm", "").replace(".jpeg", "").replace(".jpg", "")).strip("-")
        file = folder / f"{category.lower()}-{stem}.png"
        v = np.asarray(a)
        if v.min() >= 0 and v.max() <= 255 and np.all(v == np.round(v)):
            Image.fromarray(v.astype(np.uint8), mode="L").save(file, optimize=True)
        else:
            shifted = np.round(v - min(0.0, v.min())).astype(np.uint16)
            Image.fromarray(shifted.astype(np.int32), mode="I").convert("I;16").save(file)
        back = np.asarray(Image.open(file), dtype=np.float64)
        assert np.array_equal(back - back.min(), np.round(v) - np.round(v).min()), f"{file} does not read back"


def features(folds, inputs, batch=16):
    """(features [fold][n, 1024] float64, ensemble class probabilities [n, 4]) for a list of inputs."""
    feats = [[] for _ in folds]
    probs = []
    with torch.no_grad():
        for s in range(0, len(inputs), batch):
            x = torch.stack(inputs[s:s + batch])
            p = 0
            for k, fold in enumerate(folds):
                logits, f = export_model.run_fold_features(fold, x)
                feats[k].append(f.numpy().astype(np.float64))
                p = p + torch.softmax(logits.double(), dim=1).numpy() / len(folds)
            probs.append(p)
    return [np.concatenate(f) for f in feats], np.concatenate(probs)


def fit(f: np.ndarray, y: np.ndarray, classes: int):
    """Class means [K, d] and the precision of the shared (within-class) covariance.

    The covariance is shrunk towards a multiple of the identity with the Ledoit-Wolf (2004) intensity: with a few
    hundred images in 1024 dimensions the sample covariance is singular (and badly conditioned with a few
    thousand), and the shrinkage that minimises the expected error is estimated from the data, not tuned.
    """
    means = np.stack([f[y == c].mean(axis=0) for c in range(classes)])
    x = f - means[y]
    n, d = x.shape
    cov = x.T @ x / n
    mu = np.trace(cov) / d
    delta = ((cov - mu * np.eye(d)) ** 2).sum() / d
    beta = ((x ** 2).sum(axis=1) ** 2).sum() / n - (cov ** 2).sum()
    alpha = min(max(beta / n / d, 0.0), delta) / delta
    shrunk = (1 - alpha) * cov + alpha * mu * np.eye(d)
    precision = np.linalg.inv(shrunk)
    fit.alpha = alpha
    return means, (precision + precision.T) / 2


def distance(f: np.ndarray, means: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Per row, the smallest Mahalanobis distance to a class mean."""
    d2 = []
    for mu in means:
        c = f - mu
        d2.append(np.einsum("ij,jk,ik->i", c, precision, c))
    return np.sqrt(np.maximum(np.min(np.stack(d2), axis=0), 0))


def cross_fitted(feats, y, subjects, classes):
    """Each training image's score from statistics estimated without its patient group (mean over folds)."""
    unique = sorted(set(subjects))
    group_of = {s: i % CROSS_FIT_GROUPS for i, s in enumerate(unique)}
    groups = np.array([group_of[s] for s in subjects])
    scores = np.zeros(len(y))
    for g in range(CROSS_FIT_GROUPS):
        held, rest = groups == g, groups != g
        for f in feats:
            means, precision = fit(f[rest], y[rest], classes)
            scores[held] += distance(f[held], means, precision) / len(feats)
    return scores


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_set(folder: Path):
    with open(folder / "dataset.csv") as f:
        rows = list(csv.DictReader(f))
    return rows, [folder / r["filepath"] for r in rows], np.array([int(r["final_label"]) for r in rows])


def operating_points(probs: np.ndarray, labels: np.ndarray, set_name: str):
    """Per finding: the highest threshold whose sensitivity reaches the target, and what it achieves.

    The rule the service uses too (OperatingPoints.derive): sort the positives' scores in descending order; the
    threshold is the ceil(target * positives)-th of them; a score at or above the threshold is positive.
    """
    points = []
    for code in FINDINGS:
        c = CODES.index(code)
        score, positive = probs[:, c], labels == c
        pos = np.sort(score[positive])[::-1]
        t = float(pos[math.ceil(TARGET_SENSITIVITY * len(pos)) - 1])
        flagged = score >= t
        points.append({"finding": code, "threshold": t,
                       "sensitivity": float(flagged[positive].mean()),
                       "specificity": float((~flagged[~positive]).mean()),
                       "positives": int(positive.sum()), "negatives": int((~positive).sum()),
                       "targetSensitivity": TARGET_SENSITIVITY, "measuredOn": set_name})
    return points


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--package", type=Path, required=True, help="a format-3 model package (rewritten in place)")
    ap.add_argument("--train-dir", type=Path, required=True, help="synth_cxr.py --set train with the training seed")
    ap.add_argument("--heldout-dir", type=Path, help="labelled synthetic films of OTHER seeds (synth_cxr.py output)")
    ap.add_argument("--card", type=Path, help="replace the out-of-distribution section of this model card")
    ap.add_argument("--train-patients", type=int, default=None,
                    help="use only the training pool's first N patients (T00000..), for a CPU that cannot afford all")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write-test-sample", type=Path,
                    help="also write a modest sample of the non-chest images as PNG here (the service's test)")
    ap.add_argument("--cache", type=Path, help="keep the image features here (a re-run skips the forward passes)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()

    pkg = args.package
    meta = json.loads((pkg / "model.json").read_text())
    assert meta.get("formatVersion", 1) >= 3, "the package's folds must return their features (format 3)"
    folds = [torch.jit.load(str(pkg / f["file"]), map_location="cpu").eval() for f in meta["folds"]]
    classes = len(meta["classes"])

    rows, paths, y = read_set(args.train_dir)
    if args.train_patients:
        keep = [i for i, r in enumerate(rows) if int(r["subject"][1:]) < args.train_patients]
        rows, paths, y = [rows[i] for i in keep], [paths[i] for i in keep], y[keep]
    subjects = [r["subject"] for r in rows]
    print(f"training images: {len(paths)} of {len(set(subjects))} patients", flush=True)
    feats, _ = cached_features(folds, paths, args.cache, "train")
    print(f"features in {time.time() - t0:.0f} s", flush=True)

    crossfit = cross_fitted(feats, y, subjects, classes)
    threshold = float(np.percentile(crossfit, PERCENTILE))
    entries, stats = [], []
    for k, f in enumerate(feats):
        means, precision = fit(f, y, classes)
        name = f"fold-{k}.ood.f32"
        np.concatenate([means.ravel(), precision.ravel()]).astype("<f4").tofile(pkg / name)
        # Scores from what was written, as the service reads it.
        blob = np.fromfile(pkg / name, dtype="<f4").astype(np.float64)
        d = f.shape[1]
        stats.append((blob[:classes * d].reshape(classes, d), blob[classes * d:].reshape(d, d)))
        entries.append({"file": name, "sha256": sha256(pkg / name)})
        print(f"fold-{k}: Ledoit-Wolf shrinkage {fit.alpha:.3f}", flush=True)
    insample = np.mean([distance(f, *s) for f, s in zip(feats, stats)], axis=0)
    print(f"threshold (99th percentile of cross-fitted training scores) {threshold:.4f}; in-sample scores: "
          f"median {np.median(insample):.3f}, 99th percentile {np.percentile(insample, 99):.3f}; cross-fitted "
          f"median {np.median(crossfit):.3f}", flush=True)

    def score(inputs, fs_probs=None):
        fs, probs = fs_probs if fs_probs else features(folds, inputs)
        per_fold = np.stack([distance(f, *s) for f, s in zip(fs, stats)])
        return per_fold, per_fold.mean(axis=0), probs

    # Reference images: the service's parity test checks its scores against these.
    manifest_path = pkg / "reference" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    ref_inputs = [export_model.preprocess_png(pkg / "reference" / im["png"]) for im in manifest["images"]]
    per_fold, ref_scores, _ = score(ref_inputs)
    for i, im in enumerate(manifest["images"]):
        im["foldOodScores"] = [float(v) for v in per_fold[:, i]]
        im["oodScore"] = float(ref_scores[i])
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")

    meta["outOfDistribution"] = {
        "method": "mahalanobis",
        "features": "pooled features.norm5 (the classifier's 1024-d input), the folds' third output",
        "score": "per fold the smallest Mahalanobis distance to a class mean under the shared covariance "
                 "(Lee et al. 2018); the mean over folds",
        "threshold": threshold,
        "thresholdFrom": f"{PERCENTILE:g}th percentile of the training images' scores, cross-fitted over "
                         f"{CROSS_FIT_GROUPS} patient groups",
        "trainingImages": len(paths),
        "layout": "float32 little endian: class means [classes, 1024], then the precision [1024, 1024], row-major",
        "statistics": entries,
    }
    lines = []
    if args.heldout_dir:
        h_rows, h_paths, h_y = read_set(args.heldout_dir)
        _, h_scores, h_probs = score(None, cached_features(folds, h_paths, args.cache, "heldout"))
        icu = np.array([r.get("series", "") for r in h_rows])
        meta["operatingPoints"] = operating_points(h_probs, h_y, f"{args.heldout_dir.name}: {len(h_y)} held-out "
                                                   f"synthetic films ({len(set(r['subject'] for r in h_rows))} "
                                                   f"patients, other seed)")
        rng = np.random.default_rng(20211231)
        others = non_chest_images(rng)
        if args.write_test_sample:
            write_test_sample(others, args.write_test_sample)
        _, o_scores, _ = score([preprocess_array(a) for _, _, a in others])
        lines.append("| images | n | flagged | share flagged | median score |")
        lines.append("|---|---|---|---|---|")

        def row(label, s):
            n, k = len(s), int((s > threshold).sum())
            lines.append(f"| {label} | {n} | {k} | {100 * k / n:.1f} % | {np.median(s):.2f} |")

        row("training pool, cross-fitted (defines the threshold)", crossfit)
        row(f"held-out synthetic films ({args.heldout_dir.name}, other seed)", h_scores)
        for c in range(classes):
            row(f"held-out {CODES[c]}", h_scores[h_y == c])
        row("non-chest images, all", o_scores)
        for cat in dict.fromkeys(c for c, _, _ in others):
            row(f"non-chest: {cat}", o_scores[[i for i, (c, _, _) in enumerate(others) if c == cat]])
        lines.append("")
        lines.append("Lowest non-chest scores: " + ", ".join(
            f"{others[i][1]} {o_scores[i]:.2f}" for i in np.argsort(o_scores)[:5]) + ".")
        print("\n".join(lines), flush=True)
        print(json.dumps(meta["operatingPoints"], indent=1))

    (pkg / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    elapsed = time.time() - t0
    print(f"done in {elapsed:.0f} s")
    if args.card and lines:
        text = args.card.read_text()
        block = (f"{BEGIN}\n## Out-of-distribution score\n\nMeasured by `models/training/ood_stats.py` "
                 f"(`build_demo_model.sh ood`): `{' '.join(['ood_stats.py'] + sys.argv[1:])}`, "
                 f"{elapsed:.0f} s on the 2-core build machine (CPU, features from --cache where given). Score: "
                 f"{meta['outOfDistribution']['score']}. Threshold {threshold:.3f} = "
                 f"{meta['outOfDistribution']['thresholdFrom']} ({len(paths)} images, in-sample 99th "
                 f"percentile {np.percentile(insample, 99):.3f}, biased low). Flagged = score above the "
                 f"threshold.\n\n" + "\n".join(lines) + "\n" + END)
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S) \
            if BEGIN in text else text.rstrip("\n") + "\n\n" + block + "\n"
        args.card.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
