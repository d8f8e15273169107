#!/usr/bin/python3
"""Train and evaluate InnerEye's COVID-19 chest X-ray classifier on synthetic radiographs, on a CPU.

The recipe of docs/innereye.md section 6, scaled to a 2-core machine: DenseNet-121 features -> adaptive
average pool of norm5's output (no final ReLU) -> dropout 0.2 -> linear 1024 -> 4 (the module is
`CovidClassifier` from export_model.py, so state_dicts load there unchanged); cross-entropy, Adam,
learning rate 1e-4 constant, from scratch; folds by patient (GroupKFold's greedy rule, implemented
here); a FIXED held-out test set (synth_cxr.py --set eval) never seen in training or model choice;
the last epoch's weights per fold.

Data caching. Every image is decoded once, exactly as InnerEye pre-processes it (float grey values
-> per-image min-max to 0..255 in float64 -> Image.fromarray(a).convert("L"), which truncates ->
to_tensor -> torchvision tensor Resize(256), bilinear, no antialias), and kept in memory (and in
<data dir>/cache256.npz) as uint8 at shorter side 256 (the resized float rounded to 1/255).
Training augmentation starts from that cached 256 image. The test set's model inputs are the exact
float32 tensors of InnerEye's pipeline (Resize(256) then CenterCrop(224), no rounding), built with
export_model.py's reference pre-processing; validation uses the centre crop of the uint8 cache
(within 1/510 of exact, good enough for monitoring).

Training augmentation (InnerEye's CXR augmentations, on the 256 image): RandomAffine(degrees 30,
shear 15), RandomResizedCrop(256, scale 0.8-1.0), RandomHorizontalFlip, random gamma 0.5-1.5,
ColorJitter(brightness 0.2, contrast 0.2), CenterCrop(224), 3 identical channels.

Usage (run with Debian's /usr/bin/python3; see build_demo_model.sh):
    train.py --fold 0 [--epochs E --batch-size B]        # writes <runs>/fold-0.pth + fold-0.json
    train.py --evaluate                                   # test set: per fold, ensemble, ICU subgroup
    train.py --predict models/training/fixtures           # expected probabilities for fixture images
    train.py --benchmark 4                                # time 4 training steps, then exit
    train.py --self-test                                  # metric code against docs/innereye.md golden vectors
"""

import argparse
import csv
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms
from torchvision.transforms import functional as TF

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import export_model  # noqa: E402  (CovidClassifier and the reference pre-processing)

RESIZE = 256
CROP = 224
CLASS_CODES = ["CVX0", "CVX1", "CVX2", "CVX3"]
SUBTASKS = ["CVX03vs12", "CVX0vs3", "CVX1vs2"]
CACHE_VERSION = 1


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------

def read_dataset(folder: Path):
    """Rows of dataset.csv joined with metadata.csv (by series)."""
    with open(folder / "dataset.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    meta = {}
    if (folder / "metadata.csv").exists():
        with open(folder / "metadata.csv", newline="") as f:
            meta = {r["series"]: r for r in csv.DictReader(f)}
    out = []
    for r in rows:
        m = dict(meta.get(r["series"], {}))
        m.update(r)
        m["final_label"] = int(r["final_label"])
        m["icu_portable"] = str(m.get("icu_portable", "False")) == "True"
        out.append(m)
    return out


def load_grey(folder: Path, row) -> np.ndarray:
    """Float64 grey values of an image, docs/innereye.md 3.1 (PNG as is; DICOM stored values, MONOCHROME1
    inverted, no rescale, no VOI). Prefers the 16-bit PNG when metadata names one."""
    rel = row.get("png16_path") or row["filepath"]
    path = folder / rel
    if path.suffix.lower() == ".dcm":
        return load_dicom(path)
    return export_model.load_png_grey(path)


def load_dicom(path: Path) -> np.ndarray:
    import pydicom
    ds = pydicom.dcmread(str(path))
    a = ds.pixel_array.astype(np.float64)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        if int(ds.PixelRepresentation) == 0:
            a = (2 ** int(ds.BitsStored) - 1) - a
        else:
            a = -(a + 1)
    return a


def resized_float(grey: np.ndarray) -> torch.Tensor:
    """InnerEye up to and including Resize(256): [1, h, w] float32 in [0, 1]."""
    t = TF.to_tensor(export_model.to_8bit_grey(grey))  # [1, H, W]
    return transforms.Resize(RESIZE)(t.unsqueeze(0))[0]  # tensor resize: bilinear, no antialias


def exact_input(grey: np.ndarray) -> torch.Tensor:
    """InnerEye's full evaluation pipeline, one channel: [224, 224] float32."""
    return TF.center_crop(resized_float(grey), [CROP, CROP])[0]


def build_cache(folder: Path, rows, exact: bool):
    """uint8 images at shorter side 256 (+ exact float inputs when `exact`), cached in an npz."""
    cache = folder / ("cache256-exact.npz" if exact else "cache256.npz")
    sig = f"v{CACHE_VERSION}:{len(rows)}:{(folder / 'dataset.csv').stat().st_mtime_ns}"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        if str(z["signature"]) == sig:
            flat, shapes = z["flat"], z["shapes"]
            offs = np.concatenate([[0], np.cumsum(shapes[:, 0] * shapes[:, 1])])
            imgs = [flat[offs[i]:offs[i + 1]].reshape(shapes[i]) for i in range(len(shapes))]
            ex = torch.from_numpy(z["exact"]) if exact else None
            print(f"loaded cache {cache} ({len(imgs)} images)", flush=True)
            return imgs, ex
    t0 = time.time()
    imgs, exs = [], []
    for i, r in enumerate(rows):
        res = resized_float(load_grey(folder, r))
        imgs.append(np.round(res[0].numpy() * 255.0).clip(0, 255).astype(np.uint8))
        if exact:
            exs.append(TF.center_crop(res, [CROP, CROP])[0].numpy().astype(np.float32))
        if (i + 1) % 200 == 0:
            print(f"  cached {i + 1}/{len(rows)} ({time.time() - t0:.0f} s)", flush=True)
    shapes = np.array([a.shape for a in imgs], dtype=np.int64)
    extra = {"exact": np.stack(exs)} if exact else {}
    np.savez(cache, signature=np.array(sig), flat=np.concatenate([a.ravel() for a in imgs]),
             shapes=shapes, **extra)
    print(f"cached {len(imgs)} images of {folder} in {time.time() - t0:.0f} s -> {cache}", flush=True)
    return imgs, (torch.from_numpy(np.stack(exs)) if exact else None)


def group_kfold(rows, n_folds):
    """sklearn GroupKFold's rule: largest patients first, each into the fold with fewest images
    (ties: lowest fold index; equal-size patients in subject order). Returns fold index per row."""
    sizes = {}
    for r in rows:
        sizes[r["subject"]] = sizes.get(r["subject"], 0) + 1
    load = [0] * n_folds
    fold_of = {}
    for subj in sorted(sizes, key=lambda s: (-sizes[s], s)):
        k = min(range(n_folds), key=lambda j: (load[j], j))
        fold_of[subj] = k
        load[k] += sizes[subj]
    return np.array([fold_of[r["subject"]] for r in rows])


# ---------------------------------------------------------------------------------------------
# augmentation (InnerEye's CXR training augmentations)
# ---------------------------------------------------------------------------------------------

_AFFINE = transforms.RandomAffine(degrees=30, shear=15, interpolation=transforms.InterpolationMode.BILINEAR)
_RRC = transforms.RandomResizedCrop(RESIZE, scale=(0.8, 1.0))
_FLIP = transforms.RandomHorizontalFlip()
_JITTER = transforms.ColorJitter(brightness=0.2, contrast=0.2)


def augment(u8: np.ndarray) -> torch.Tensor:
    """uint8 [h, w] (shorter side 256) -> float32 [224, 224]; uses torch's global RNG."""
    t = torch.from_numpy(u8).float().div_(255.0).unsqueeze(0)  # [1, h, w]
    t = _AFFINE(t)
    t = _RRC(t)
    t = _FLIP(t)
    gamma = float(torch.empty(1).uniform_(0.5, 1.5))
    t = TF.adjust_gamma(t.clamp(0, 1), gamma)
    t = _JITTER(t)
    return TF.center_crop(t, [CROP, CROP])[0]


def val_input(u8: np.ndarray) -> torch.Tensor:
    return TF.center_crop(torch.from_numpy(u8).float().div_(255.0).unsqueeze(0), [CROP, CROP])[0]


def batch3(xs):
    """List of [224, 224] -> [N, 3, 224, 224] (ExpandChannels)."""
    return torch.stack(xs).unsqueeze(1).expand(-1, 3, -1, -1).contiguous()


# ---------------------------------------------------------------------------------------------
# metrics (docs/innereye.md section 4)
# ---------------------------------------------------------------------------------------------

def subtask_scores(p: np.ndarray):
    """p: [N, 4] class probabilities -> dict of [N] scores (NaN where undefined)."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        d03 = p[:, 0] + p[:, 3]
        d12 = p[:, 1] + p[:, 2]
        return {
            "CVX03vs12": p[:, 1] + p[:, 2],
            "CVX0vs3": np.where(d03 > 0, p[:, 3] / np.where(d03 > 0, d03, 1), np.nan),
            "CVX1vs2": np.where(d12 > 0, p[:, 2] / np.where(d12 > 0, d12, 1), np.nan),
        }


def subtask_labels(y: np.ndarray):
    """Sub-task labels (1 positive, 0 negative) and masks of the images each is evaluated on."""
    y = np.asarray(y)
    return {
        "CVX03vs12": ((y == 1) | (y == 2)).astype(int), "CVX0vs3": (y == 3).astype(int),
        "CVX1vs2": (y == 2).astype(int),
    }, {
        "CVX03vs12": np.ones(len(y), bool), "CVX0vs3": (y == 0) | (y == 3), "CVX1vs2": (y == 1) | (y == 2),
    }


def auroc(scores, labels):
    """Mann-Whitney AUROC with average ranks for ties; None without both classes."""
    s = np.asarray(scores, dtype=np.float64)
    l = np.asarray(labels).astype(bool)
    n_pos, n_neg = int(l.sum()), int((~l).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    ss = s[order]
    i = 0
    while i < len(ss):
        j = i
        while j + 1 < len(ss) and ss[j + 1] == ss[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[l].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def metrics(p: np.ndarray, y: np.ndarray):
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y)
    out = {"n": int(len(y))}
    if len(y) == 0:
        return out
    pred = p.argmax(axis=1)
    out["multiclass_accuracy"] = float((pred == y).mean())
    cm = np.zeros((4, 4), dtype=int)
    for t, q in zip(y, pred):
        cm[t, q] += 1
    out["confusion_matrix"] = cm.tolist()
    scores = subtask_scores(p)
    labels, masks = subtask_labels(y)
    for t in SUBTASKS:
        s, l, m = scores[t], labels[t], masks[t]
        defined = m & ~np.isnan(s)
        undefined = int((m & np.isnan(s)).sum())
        n = int(defined.sum())
        acc = float(((s[defined] > 0.5).astype(int) == l[defined]).mean()) if n else None
        out[t] = {"accuracy": acc, "auroc": auroc(s[defined], l[defined]) if n else None,
                  "n": n, "undefined_skipped": undefined}
    return out


def self_test():
    """docs/innereye.md section 4 golden vectors."""
    p = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.7, 0.1, 0.1, 0.1],
                  [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    y = np.array([0, 1, 2, 3, 2, 1])
    m = metrics(p, y)
    assert round(m["CVX03vs12"]["accuracy"], 4) == 0.6667, m
    assert m["CVX0vs3"]["accuracy"] == 1.0 and m["CVX0vs3"]["undefined_skipped"] == 1, m
    assert m["CVX1vs2"]["accuracy"] == 0.75, m
    assert round(m["multiclass_accuracy"], 4) == 0.6667, m
    assert auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]) == 0.5
    assert auroc([1, 2, 3], [1, 1, 1]) is None
    # sub-task score formulas
    s = subtask_scores(np.array([[0.1, 0.2, 0.3, 0.4]]))
    assert abs(s["CVX03vs12"][0] - 0.5) < 1e-12 and abs(s["CVX0vs3"][0] - 0.8) < 1e-12
    assert abs(s["CVX1vs2"][0] - 0.6) < 1e-12
    print("self-test passed (docs/innereye.md golden vectors, AUROC, sub-task scores)")


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------

def new_model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return export_model.CovidClassifier(4)


def predict(model, inputs: torch.Tensor, batch=32, channels_last=False):
    """inputs [N, 224, 224] -> class probabilities [N, 4] float64 (softmax of the logits)."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, inputs.shape[0], batch):
            x = batch3(list(inputs[i:i + batch]))
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            z = model(x).double()
            out.append(torch.softmax(z, dim=1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 4))


def train_fold(args, fold: int):
    rows = read_dataset(args.train_dir)
    imgs, _ = build_cache(args.train_dir, rows, exact=False)
    folds = group_kfold(rows, args.folds)
    y = np.array([r["final_label"] for r in rows])
    tr = np.flatnonzero(folds != fold)
    va = np.flatnonzero(folds == fold)
    assert not ({rows[i]["subject"] for i in tr} & {rows[i]["subject"] for i in va})
    print(f"fold {fold}/{args.folds}: {len(tr)} training images ({len({rows[i]['subject'] for i in tr})} "
          f"patients), {len(va)} validation; classes {np.bincount(y[tr], minlength=4).tolist()}", flush=True)

    model = new_model(args.seed * 100 + fold)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = np.random.default_rng([args.seed, fold])
    torch.manual_seed(args.seed * 100 + 50 + fold)  # augmentation draws
    n_steps_epoch = len(tr) // args.batch_size
    va_mon = va if args.monitor <= 0 else np.sort(gen.choice(va, size=min(args.monitor, len(va)), replace=False))
    history = []
    t_fold = time.time()
    budget = args.budget_minutes * 60.0 if args.budget_minutes else None
    stopped_early = None
    for epoch in range(args.epochs):
        model.train()
        order = gen.permutation(tr)
        t0 = time.time()
        loss_sum, correct, seen, t_aug, steps_done = 0.0, 0, 0, 0.0, 0
        for step in range(n_steps_epoch):
            idx = order[step * args.batch_size:(step + 1) * args.batch_size]
            ta = time.time()
            x = batch3([augment(imgs[i]) for i in idx])
            t_aug += time.time() - ta
            if args.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            target = torch.from_numpy(y[idx])
            opt.zero_grad(set_to_none=True)
            logits = model(x)
            loss = F.cross_entropy(logits, target)
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(idx)
            correct += int((logits.argmax(1) == target).sum())
            seen += len(idx)
            steps_done += 1
            over = budget is not None and time.time() - t_fold > budget
            if over:
                stopped_early = {"epoch": epoch + 1, "step": step + 1, "of_steps": n_steps_epoch}
                print(f"  time budget of {args.budget_minutes} min reached at epoch {epoch + 1} step {step + 1}: "
                      "stopping; the current weights are the fold's checkpoint", flush=True)
            if over or (step + 1) % args.log_every == 0 or step + 1 == n_steps_epoch:
                el = time.time() - t0
                print(f"  epoch {epoch + 1} step {step + 1}/{n_steps_epoch} loss {loss_sum / seen:.4f} "
                      f"acc {correct / seen:.3f} ({el / (step + 1):.2f} s/step, aug {t_aug / (step + 1):.2f})",
                      flush=True)
            if over:
                break
        t_train = time.time() - t0
        rec = {"epoch": epoch + 1, "train_loss": loss_sum / max(1, seen), "train_acc": correct / max(1, seen),
               "train_seconds": round(t_train, 1), "seconds_per_step": round(t_train / max(1, steps_done), 3), "steps": steps_done}
        last = epoch + 1 == args.epochs or stopped_early is not None
        if last or args.monitor != 0:
            sel = va if last else va_mon
            tv = time.time()
            pv = predict(model, torch.stack([val_input(imgs[i]) for i in sel]), channels_last=args.channels_last)
            m = metrics(pv, y[sel])
            rec.update({"val_n": len(sel), "val_acc": m["multiclass_accuracy"],
                        "val_seconds": round(time.time() - tv, 1),
                        **{f"val_{t}_acc": m[t]["accuracy"] for t in SUBTASKS}})
            if last:
                val_metrics = m
        history.append(rec)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {rec['train_loss']:.4f} acc {rec['train_acc']:.3f} "
              f"in {t_train:.0f} s ({rec['seconds_per_step']:.2f} s/step)"
              + (f"; val acc {rec['val_acc']:.3f} on {rec['val_n']} ({rec['val_seconds']:.0f} s)" if "val_acc" in rec else ""),
              flush=True)
        if stopped_early:
            break
    args.runs.mkdir(parents=True, exist_ok=True)
    model = model.to(memory_format=torch.contiguous_format)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    torch.save(state, args.runs / f"fold-{fold}.pth")
    info = {"fold": fold, "folds": args.folds, "epochs": args.epochs, "batch_size": args.batch_size,
            "lr": args.lr, "seed": args.seed, "n_train": int(len(tr)), "n_val": int(len(va)),
            "train_subjects": len({rows[i]["subject"] for i in tr}), "seconds": round(time.time() - t_fold, 1),
            "torch": torch.__version__, "threads": torch.get_num_threads(), "history": history,
            "stopped_early": stopped_early, "budget_minutes": args.budget_minutes, "val_metrics": val_metrics}
    (args.runs / f"fold-{fold}.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"fold {fold} done in {info['seconds']:.0f} s: val multiclass accuracy "
          f"{val_metrics['multiclass_accuracy']:.3f} -> {args.runs / f'fold-{fold}.pth'}", flush=True)


def load_fold(path: Path):
    model = export_model.CovidClassifier(4)
    model.load_state_dict(torch.load(str(path), map_location="cpu"), strict=True)
    return model.eval()


def fold_paths(args):
    paths = [args.runs / f"fold-{k}.pth" for k in range(args.folds)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        sys.exit(f"missing fold weights: {missing}")
    return paths


def fmt(v):
    return "  n/a" if v is None else f"{v:.3f}"


def table(results):
    """Markdown table: one row per (model, subgroup)."""
    lines = ["| model | subset | n | multiclass acc | CVX03vs12 acc | CVX0vs3 acc | CVX1vs2 acc | "
             "CVX03vs12 AUROC | CVX0vs3 AUROC | CVX1vs2 AUROC |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, groups in results.items():
        for g, m in groups.items():
            if m["n"] == 0:
                continue
            lines.append(f"| {name} | {g} | {m['n']} | {fmt(m['multiclass_accuracy'])} | "
                         + " | ".join(fmt(m[t]["accuracy"]) for t in SUBTASKS) + " | "
                         + " | ".join(fmt(m[t]["auroc"]) for t in SUBTASKS) + " |")
    return "\n".join(lines)


def evaluate(args):
    rows = read_dataset(args.eval_dir)
    _, exact = build_cache(args.eval_dir, rows, exact=True)
    y = np.array([r["final_label"] for r in rows])
    icu = np.array([r["icu_portable"] for r in rows])
    probs = []
    for k, path in enumerate(fold_paths(args)):
        t0 = time.time()
        probs.append(predict(load_fold(path), exact))
        print(f"fold {k}: predicted {len(rows)} test images in {time.time() - t0:.0f} s", flush=True)
    probs = np.stack(probs)  # [K, N, 4]
    ens = probs.mean(axis=0)
    results = {}
    for name, p in [(f"fold-{k}", probs[k]) for k in range(len(probs))] + [("ensemble", ens)]:
        results[name] = {"all": metrics(p, y), "icu_portable": metrics(p[icu], y[icu]),
                         "not_icu_portable": metrics(p[~icu], y[~icu])}
    md = table(results)
    print(md)
    val_lines = []
    for k in range(len(probs)):
        j = args.runs / f"fold-{k}.json"
        if j.exists():
            info = json.loads(j.read_text())
            vm = info["val_metrics"]
            val_lines.append(f"| fold-{k} | {vm['n']} | {fmt(vm['multiclass_accuracy'])} | "
                             + " | ".join(fmt(vm[t]["accuracy"]) for t in SUBTASKS) + " | "
                             + " | ".join(fmt(vm[t]["auroc"]) for t in SUBTASKS)
                             + f" | {info['n_train']} | {info['epochs']}"
                             + (f" (stopped in epoch {info['stopped_early']['epoch']})" if info.get("stopped_early") else "")
                             + f" | {info['seconds']:.0f} |")
    if val_lines:
        val_md = ("| fold | val n | multiclass acc | CVX03vs12 acc | CVX0vs3 acc | CVX1vs2 acc | CVX03vs12 AUROC | "
                  "CVX0vs3 AUROC | CVX1vs2 AUROC | train n | epochs | train+val s |\n"
                  "|---|---|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(val_lines))
        print("cross-validation (each fold on its own validation patients, last epoch):")
        print(val_md)
    else:
        val_md = ""
    cm = results["ensemble"]["all"]["confusion_matrix"]
    print("ensemble confusion matrix (rows true CVX0..3, columns predicted):")
    for r in cm:
        print("   ", r)
    spread = probs.std(axis=0).max(axis=1)
    doc = {"test_set": str(args.eval_dir), "n_images": len(rows), "n_patients": len({r["subject"] for r in rows}),
           "n_icu_portable": int(icu.sum()), "folds": [str(p) for p in fold_paths(args)],
           "results": results, "mean_fold_spread": float(spread.mean())}
    args.runs.mkdir(parents=True, exist_ok=True)
    (args.runs / "metrics.json").write_text(json.dumps(doc, indent=2) + "\n")
    (args.runs / "metrics.md").write_text(
        f"Held-out synthetic test set `{args.eval_dir.name}`: {len(rows)} images of {doc['n_patients']} "
        f"patients ({int(icu.sum())} ICU portable AP films), never used in training. Sub-task accuracy: "
        "score > 0.5 on the sub-task's own subset (docs/innereye.md section 4); AUROC by Mann-Whitney.\n\n"
        + md + "\n\nEnsemble confusion matrix (rows true CVX0..CVX3, columns predicted):\n\n"
        + "\n".join("    " + " ".join(f"{v:4d}" for v in r) for r in cm) + "\n"
        + ("\nCross-validation, each fold on its own validation patients of the training pool (last "
           "epoch; validation inputs are the centre crop of the 8-bit cache):\n\n" + val_md + "\n" if val_md else ""))
    with open(args.runs / "predictions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series", "final_label", "icu_portable"]
                   + [f"fold{k}_p{c}" for k in range(len(probs)) for c in range(4)]
                   + [f"ensemble_p{c}" for c in range(4)] + ["predicted"])
        for i, r in enumerate(rows):
            w.writerow([r["series"], r["final_label"], r["icu_portable"]]
                       + [f"{v:.8f}" for k in range(len(probs)) for v in probs[k, i]]
                       + [f"{v:.8f}" for v in ens[i]] + [int(ens[i].argmax())])
    e = results["ensemble"]
    print(f"ensemble multiclass accuracy {e['all']['multiclass_accuracy']:.3f}; ICU portable "
          f"{fmt(e['icu_portable'].get('multiclass_accuracy'))} (n={e['icu_portable']['n']}) vs rest "
          f"{fmt(e['not_icu_portable'].get('multiclass_accuracy'))} (n={e['not_icu_portable']['n']})")
    print(f"wrote {args.runs / 'metrics.json'}, metrics.md, predictions.csv")


def predict_folder(args):
    """Expected fold probabilities for every image of a folder (every format must agree)."""
    folder = args.predict
    rows = read_dataset(folder)
    models = [load_fold(p) for p in fold_paths(args)]
    out = folder / "expected.csv"
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series", "final_label"] + [f"fold{k}_p{c}" for k in range(len(models)) for c in range(4)]
                   + [f"ensemble_p{c}" for c in range(4)] + ["predicted"])
        for r in rows:
            inputs = []
            for col in ("png16_path", "png8_path", "dicom_path"):
                if r.get(col):
                    p = folder / r[col]
                    g = load_dicom(p) if p.suffix == ".dcm" else export_model.load_png_grey(p)
                    inputs.append((col, exact_input(g)))
            ref = inputs[0][1]
            for col, x in inputs[1:]:
                if col != "png8_path":  # 8-bit PNG carries value >> 4: a different (coarser) input
                    assert torch.equal(x, ref), f"{r['series']}: {col} input differs from {inputs[0][0]}"
            probs = np.stack([predict(m, ref.unsqueeze(0))[0] for m in models])
            ens = probs.mean(axis=0)
            w.writerow([r["series"], r["final_label"]] + [f"{v:.8f}" for v in probs.ravel()]
                       + [f"{v:.8f}" for v in ens] + [int(ens.argmax())])
            print(r["series"], CLASS_CODES[r["final_label"]], "->", CLASS_CODES[int(ens.argmax())],
                  np.round(ens, 4).tolist(), flush=True)
    print(f"wrote {out}")


def benchmark(args, steps):
    rows = read_dataset(args.train_dir)
    imgs, _ = build_cache(args.train_dir, rows, exact=False)
    y = np.array([r["final_label"] for r in rows])
    model = new_model(0)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(0)
    times = []
    for s in range(steps + 1):
        idx = rng.choice(len(rows), size=args.batch_size, replace=len(rows) < args.batch_size)
        t0 = time.time()
        x = batch3([augment(imgs[i]) for i in idx])
        ta = time.time() - t0
        if args.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), torch.from_numpy(y[idx]))
        loss.backward()
        opt.step()
        dt_ = time.time() - t0
        if s > 0:  # the first step warms up allocators
            times.append(dt_)
        print(f"step {s} ({'warm-up' if s == 0 else 'timed'}): {dt_:.2f} s (augmentation {ta:.2f} s), "
              f"loss {float(loss):.3f}", flush=True)
    t = np.array(times)
    x = batch3([val_input(imgs[i]) for i in range(min(32, len(imgs)))])
    model.eval()
    t0 = time.time()
    with torch.no_grad():
        model(x.contiguous(memory_format=torch.channels_last) if args.channels_last else x)
    te = (time.time() - t0) / x.shape[0]
    print(f"batch {args.batch_size}, channels_last={args.channels_last}, threads {torch.get_num_threads()}: "
          f"median {np.median(t):.2f} s/step, mean {t.mean():.2f}, {np.median(t) / args.batch_size:.3f} s/image; "
          f"inference {te:.3f} s/image")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--train-dir", type=Path, default=HERE / "data" / "train")
    ap.add_argument("--eval-dir", type=Path, default=HERE / "data" / "eval")
    ap.add_argument("--runs", type=Path, default=HERE / "runs" / "demo", help="weights and metrics folder")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--fold", type=int, action="append", help="train this fold (repeatable)")
    ap.add_argument("--evaluate", action="store_true", help="evaluate all folds on the test set")
    ap.add_argument("--predict", type=Path, default=None, help="write <folder>/expected.csv")
    ap.add_argument("--benchmark", type=int, default=0, metavar="STEPS")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true", help="NHWC convolutions (faster on some CPUs)")
    ap.add_argument("--monitor", type=int, default=128,
                    help="validation images scored after each epoch (0: only after the last, -1: all)")
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--budget-minutes", type=float, default=None,
                    help="stop a fold's training once this many minutes have passed (safety net)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    did = False
    if args.self_test:
        self_test()
        did = True
    if args.benchmark:
        benchmark(args, args.benchmark)
        did = True
    for k in args.fold or []:
        if not 0 <= k < args.folds:
            ap.error(f"--fold {k} outside 0..{args.folds - 1}")
        train_fold(args, k)
        did = True
    if args.evaluate:
        evaluate(args)
        did = True
    if args.predict:
        predict_folder(args)
        did = True
    if not did:
        ap.error("nothing to do: --fold K, --evaluate, --predict DIR, --benchmark N or --self-test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
