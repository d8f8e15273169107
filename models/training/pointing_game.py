#!/usr/bin/python3
"""Localisation quality of a format-2 model package: the pointing game on the held-out set.

For every held-out image of class CVX1, CVX2 or CVX3 the model's class activation map for the image's
true class (averaged over folds, as the service does) is upsampled bilinearly to the 224 x 224 model
view; the map "points" at its maximum. A hit is a maximum inside the finding's mask (written by
synth_cxr.py --masks: where the finding was drawn), pre-processed like the image and dilated by one
32-pixel cell (one cell of the 7 x 7 map). The random baseline is what a point drawn uniformly over the
model view scores: the dilated mask's share of the view (area-proportional), averaged over images.

Also printed, as a shortcut check: how often the maximum sits in the outer ring of the 7 x 7 grid
(image border: collimation, burned-in text, lines and tubes) against the ring's share of cells (24/49).

    /usr/bin/python3 models/training/pointing_game.py --eval-dir models/training/data/eval \\
        --package models/chestlens-demo-densenet121 [--card models/chestlens-demo-densenet121/MODEL_CARD.md]

build_demo_model.sh pointing-game runs it end to end (held-out set with masks, then this script).
"""
import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_model  # noqa: E402  (the reference pre-processing)

CODES = ["CVX0", "CVX1", "CVX2", "CVX3"]
CELL = 32
BEGIN = "<!-- pointing-game:begin -->"
END = "<!-- pointing-game:end -->"


def mask_to_view(path: Path) -> torch.Tensor:
    """The finding mask in model-view coordinates: the image's resize and centre crop, threshold 0.5."""
    m = torch.from_numpy((np.array(Image.open(path)) > 0).astype(np.float32))[None, None]
    h, w = m.shape[-2:]
    new_h, new_w, top, left = export_model.resize_geometry(h, w)
    r = F.interpolate(m, size=(new_h, new_w), mode="bilinear", align_corners=False)
    crop = r[0, 0, top:top + export_model.CENTER_CROP, left:left + export_model.CENTER_CROP]
    return crop > 0.5


def dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    k = 2 * radius + 1
    return F.max_pool2d(mask.float()[None, None], k, stride=1, padding=radius)[0, 0] > 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval-dir", type=Path, required=True, help="synth_cxr.py --set eval --masks output")
    ap.add_argument("--package", type=Path, required=True, help="a format-2 model package")
    ap.add_argument("--card", type=Path, help="replace the pointing-game section of this model card")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    meta = json.loads((args.package / "model.json").read_text())
    if meta.get("formatVersion") != 2:
        ap.error(f"{args.package} is not a format-2 package: it has no class activation maps")
    folds = [torch.jit.load(str(args.package / f["file"]), map_location="cpu").eval() for f in meta["folds"]]
    with open(args.eval_dir / "metadata.csv") as f:
        rows = [r for r in csv.DictReader(f) if int(r["final_label"]) in (1, 2, 3)]
    if not rows or not rows[0].get("mask_path"):
        ap.error(f"{args.eval_dir} has no masks: generate it with synth_cxr.py --set eval --masks")

    start = time.time()
    results = []
    for b in range(0, len(rows), args.batch):
        chunk = rows[b:b + args.batch]
        x = torch.stack([export_model.preprocess_png(args.eval_dir / r["png16_path"]) for r in chunk])
        with torch.no_grad():
            maps = torch.stack([fold(x)[1] for fold in folds]).mean(0)  # [N, K, 7, 7], fold average
        for r, m in zip(chunk, maps):
            label = int(r["final_label"])
            grid = m[label]
            up = F.interpolate(grid[None, None], size=(224, 224), mode="bilinear", align_corners=False)[0, 0]
            y, x_ = divmod(int(torch.argmax(up)), 224)
            gy, gx = divmod(int(torch.argmax(grid)), grid.shape[1])
            target = dilate(mask_to_view(args.eval_dir / r["mask_path"]), CELL)
            results.append(dict(series=r["series"], label=label, finding=r["finding"],
                                icu=r["icu_portable"] == "True", hit=bool(target[y, x_]),
                                area=float(target.float().mean()), empty=not bool(target.any()),
                                ring=gy in (0, grid.shape[0] - 1) or gx in (0, grid.shape[1] - 1)))
        print(f"{len(results)}/{len(rows)} images, {time.time() - start:.0f} s", file=sys.stderr, flush=True)

    def line(name, subset):
        subset = [r for r in subset if not r["empty"]]
        if not subset:
            return None
        hits = sum(r["hit"] for r in subset)
        base = np.mean([r["area"] for r in subset])
        ring = np.mean([r["ring"] for r in subset])
        return (f"| {name} | {len(subset)} | {hits} | {hits / len(subset):.1%} | {base:.1%} | "
                f"{hits / len(subset) / base:.2f} | {ring:.0%} |")

    table = ["| images | n | hits | pointing-game hit rate | random point (area-proportional) | ratio | "
             "max in outer ring (24/49 = 49% of cells) |", "|---|---|---|---|---|---|---|"]
    groups = [("CVX1, CVX2, CVX3", results)]
    groups += [(CODES[k], [r for r in results if r["label"] == k]) for k in (1, 2, 3)]
    for finding in sorted({(r["label"], r["finding"]) for r in results}):
        groups.append((f"{CODES[finding[0]]}: {finding[1]}",
                       [r for r in results if (r["label"], r["finding"]) == finding]))
    groups += [("ICU portable films", [r for r in results if r["icu"]]),
               ("other films", [r for r in results if not r["icu"]])]
    table += [t for t in (line(n, s) for n, s in groups) if t]
    empty = sum(r["empty"] for r in results)
    text = "\n".join(table)
    print(text)
    print(f"{len(results)} images ({empty} without a drawn finding skipped), {time.time() - start:.0f} s")
    if args.card:
        section = f"""{BEGIN}
## Localisation: pointing game on the held-out set

Measured by `models/training/build_demo_model.sh pointing-game` (`pointing_game.py`): for each held-out
image of class CVX1-CVX3, the fold-averaged class activation map of its TRUE class, upsampled to the
224 x 224 model view; a hit when its maximum lies inside the drawn finding (synth_cxr.py's mask, dilated
by one 32-pixel cell). The random baseline is the dilated mask's share of the view. {empty} images whose
finding left no mask (e.g. an effusion hidden behind the chest wall) are skipped.

{text}

{{interpretation}}
{END}"""
        card = args.card.read_text(encoding="utf-8")
        old = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), card, flags=re.S)
        interpretation = "INTERPRETATION: to be written by whoever reads these numbers."
        if old:
            kept = re.search(r"\n(INTERPRETATION:.*?)\n" + re.escape(END), old.group(0), flags=re.S)
            interpretation = kept.group(1) if kept else interpretation
            card = card.replace(old.group(0), section.replace("{interpretation}", interpretation))
        else:
            card = card.rstrip("\n") + "\n\n" + section.replace("{interpretation}", interpretation) + "\n"
        args.card.write_text(card, encoding="utf-8")
        print(f"updated {args.card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
