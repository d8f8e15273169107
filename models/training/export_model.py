#!/usr/bin/python3
"""Build InnerEye's COVID-19 chest X-ray classifier and write a chestlens *model package*.

A model package is a folder that the Java service loads as a unit:

    <out>/model.json          metadata: classes, output formulation, pre-processing, fold files + sha256
    <out>/MODEL_CARD.md       human-readable card (intended use, limitations, training data)
    <out>/fold-<k>.pt         one TorchScript module per cross-validation fold: raw logits out
                              (format 2: logits and class activation maps; format 3, the default: and
                              the pooled features)
    <out>/fold-<k>.onnx       the same fold exported to ONNX (opset 13, dynamic batch, outputs named
                              logits, maps, features): the service's CPU engine, ONNX Runtime
    <out>/reference/          parity fixtures: synthetic PNGs, the exact model input the reference
                              pre-processing produces for each, and the fold logits for that input

The Java service re-implements InnerEye's pre-processing (docs: docs/innereye.md
section 3). The reference fixtures are what keeps that re-implementation honest, so the Python
pre-processing below deliberately reuses the very library calls InnerEye makes (PIL + torchvision
transforms on a tensor) instead of a hand-written equivalent.

Without --weights every fold is randomly initialised (seed 1000 + k): that package exists so the
service can be built and tested end to end; its outputs mean nothing. With --weights (one
state_dict of `CovidClassifier` per fold) the same code exports a trained ensemble.

Run with Debian's interpreter, which carries torch 1.13.1 / torchvision 0.14.1 / Pillow 9.4:
    /usr/bin/python3 models/training/export_model.py --out models/chestlens-densenet121-untrained \
        --id chestlens-densenet121-untrained --folds 2

An existing package gains the ONNX copies of its folds, everything else left as it is, with
    /usr/bin/python3 models/training/export_model.py --add-onnx models/<id> --version <new version>
"""

import argparse
import hashlib
import json
import math
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch import nn
from torchvision import transforms

# ---------------------------------------------------------------------------------------------
# Constants of the contract (docs/innereye.md sections 1-3). The Java side reads them from model.json;
# they are repeated here only because this script is what writes model.json.
# ---------------------------------------------------------------------------------------------

RESIZE = 256
CENTER_CROP = 224
FEATURES = 1024  # DenseNet-121's norm5 width
DROPOUT = 0.2
SEED_BASE = 1000

CLASSES = [
    {"index": 0, "code": "CVX0", "name": "normal"},
    {"index": 1, "code": "CVX1", "name": "classic/probable COVID-19"},
    {"index": 2, "code": "CVX2", "name": "indeterminate for COVID-19"},
    {"index": 3, "code": "CVX3", "name": "non-COVID-19 abnormality"},
]
OUTPUTS = {"softmax4": 4, "sigmoid3": 3}

# Grey PNG modes whose values we keep as they are. Pillow 9.4 opens 16-bit grey PNGs as "I"
# (int32); "I;16*" appear when an image is built in memory. Anything else (RGB, RGBA, P, LA, 1)
# goes through convert("L"), i.e. Pillow's fixed-point ITU-R 601-2 luma.
GREY_MODES = ("L", "I", "I;16", "I;16B", "I;16L", "F")


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------

class CovidClassifier(nn.Module):
    """InnerEye's DenseNet121Encoder + SSLEvaluator head, as one module.

    torchvision's DenseNet.forward applies a ReLU after norm5 before pooling; InnerEye's
    DenseNet121Encoder pools `densenet121().features` directly, so a trained InnerEye model only
    gives its answers if the ReLU is left out here too.
    """

    def __init__(self, num_outputs: int):
        super().__init__()
        self.features = torchvision.models.densenet121(weights=None).features
        self.dropout = nn.Dropout(DROPOUT)
        self.classifier = nn.Linear(FEATURES, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # ends with norm5 (BatchNorm2d), no ReLU
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = torch.flatten(x, 1)
        return self.classifier(self.dropout(x))  # raw logits; the service applies softmax/sigmoid


class ExplainedClassifier(nn.Module):
    """Package format 2: one forward returns the logits AND the class activation maps.

    For this head (features ending at norm5, average pooling, dropout, one linear layer, nothing
    non-linear after norm5) the class activation map is exact and needs no gradients:
    CAM_k(y, x) = w_k . F(y, x), with F the [1024, 7, 7] norm5 output that is pooled. Its spatial
    mean plus the bias b_k is logit k. The maps leave out the bias so that a map says only where
    the evidence is; a 1 x 1 convolution with the classifier's weights computes all K maps at once.
    """

    def __init__(self, classifier: CovidClassifier):
        super().__init__()
        self.features = classifier.features
        self.dropout = classifier.dropout
        self.classifier = classifier.classifier

    def forward(self, x: torch.Tensor):
        f = self.features(x)  # [N, 1024, 7, 7], the tensor that is pooled
        pooled = torch.flatten(F.adaptive_avg_pool2d(f, (1, 1)), 1)
        logits = self.classifier(self.dropout(pooled))
        w = self.classifier.weight
        maps = F.conv2d(f, w.reshape(w.shape[0], w.shape[1], 1, 1))  # [N, K, 7, 7], no bias
        return logits, maps


class FeaturedClassifier(ExplainedClassifier):
    """Package format 3: format 2's logits and maps, and the pooled 1024-d feature vector they come from.

    The out-of-distribution score (Mahalanobis distance to the training set's class means, Lee et al.
    2018) is computed by the service from these features and the statistics that ood_stats.py ships in the
    package. The same operations run in the same order as in format 2, so the logits and maps are
    unchanged; the features are a third output of the same forward.
    """

    def forward(self, x: torch.Tensor):
        f = self.features(x)
        pooled = torch.flatten(F.adaptive_avg_pool2d(f, (1, 1)), 1)
        logits = self.classifier(self.dropout(pooled))
        w = self.classifier.weight
        maps = F.conv2d(f, w.reshape(w.shape[0], w.shape[1], 1, 1))
        return logits, maps, pooled


def state_dict_of_package_fold(path: Path) -> dict:
    """The weights of a fold of an existing package (a traced CovidClassifier keeps its parameter names)."""
    return {k: v.clone() for k, v in torch.jit.load(str(path), map_location="cpu").state_dict().items()}


def build_fold(k: int, num_outputs: int, weights: Path = None) -> nn.Module:
    # Seed before construction: DenseNet's kaiming init and the Linear's default init both draw
    # from the global generator, so the seed fixes every parameter of the untrained fold.
    torch.manual_seed(SEED_BASE + k)
    model = CovidClassifier(num_outputs)
    if weights is not None:
        state = (state_dict_of_package_fold(weights) if str(weights).endswith(".pt")
                 else torch.load(str(weights), map_location="cpu"))
        model.load_state_dict(state, strict=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def trace(model: nn.Module, format_version: int = 3) -> torch.jit.ScriptModule:
    module = {3: FeaturedClassifier, 2: ExplainedClassifier}.get(format_version, lambda m: m)(model).eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, torch.zeros(1, 3, CENTER_CROP, CENTER_CROP))
    return traced


# ---------------------------------------------------------------------------------------------
# Reference pre-processing: InnerEye's, call for call
# ---------------------------------------------------------------------------------------------

def load_png_grey(path: Path) -> np.ndarray:
    """A PNG's grey values as float64 (docs/innereye.md 3.1, PNG branch)."""
    with Image.open(path) as im:
        im.load()
        if im.mode not in GREY_MODES:
            im = im.convert("L")
        return np.asarray(im, dtype=np.float64)


def to_8bit_grey(a: np.ndarray) -> Image.Image:
    """Per-image min-max to 0..255, then to an 8-bit PIL image.

    Exactly InnerEye's code (CovidModel.DicomPreparation / cxr_datasets.py). fromarray() turns a
    float64 array into mode "F" (float32, round to nearest), and convert("L") then TRUNCATES
    (Pillow libImaging/Convert.c f2l: <=0 -> 0, >=255 -> 255, else (UINT8)v). See README.md.
    """
    lo, hi = a.min(), a.max()
    if not hi > lo:
        # InnerEye would divide 0 by 0 here; a constant image carries no information anyway.
        raise ValueError("constant image: min-max normalisation is undefined")
    a = (a - a.min()) * 255. / (a.max() - a.min())
    return Image.fromarray(a).convert("L")


class ExpandChannels:
    """InnerEye's ExpandChannels: [Z, 1, H, W] -> [Z, 3, H, W] by copying the channel."""

    def __call__(self, data: torch.Tensor) -> torch.Tensor:
        assert data.ndim == 4 and data.shape[1] == 1, data.shape
        return torch.repeat_interleave(data, 3, dim=1)


# InnerEye's validation/test pipeline (create_cxr_transforms_from_config with augmentations off):
# to_tensor, add a leading Z axis, ExpandChannels, Resize(256), CenterCrop(224). Resize sees a
# float tensor, so it is torch.nn.functional.interpolate(bilinear, align_corners=False) with
# torchvision 0.14's default antialias=None -> False; not PIL's antialiased resize.
_TENSOR_PIPELINE = transforms.Compose([
    ExpandChannels(),
    transforms.Resize(RESIZE),
    transforms.CenterCrop(CENTER_CROP),
])


def preprocess_png(path: Path) -> torch.Tensor:
    """PNG -> model input [3, 224, 224] float32."""
    image = to_8bit_grey(load_png_grey(path))
    t = transforms.functional.to_tensor(image)  # [1, H, W], uint8 / 255 in float32
    t = _TENSOR_PIPELINE(t.unsqueeze(0))  # [1, 3, 224, 224]
    return t[0]


def resize_geometry(height: int, width: int):
    """The resized size and crop offsets torchvision computes (for the report / README)."""
    new_h, new_w = transforms.functional._compute_resized_output_size((height, width), [RESIZE])
    top = int(round((new_h - CENTER_CROP) / 2.0))
    left = int(round((new_w - CENTER_CROP) / 2.0))
    return new_h, new_w, top, left


# ---------------------------------------------------------------------------------------------
# The same pipeline written out arithmetic by arithmetic: the rules the Java port implements.
# It is checked against the library pipeline above on every run, so README.md's rules stay true.
# ---------------------------------------------------------------------------------------------

def pillow_luma(rgb: np.ndarray) -> np.ndarray:
    """Pillow's RGB -> L (libImaging/Convert.c L24): fixed-point ITU-R 601-2, halves round up."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.float64)


def pillow_f_to_l(a: np.ndarray) -> np.ndarray:
    """fromarray(float64).convert("L"): round to float32 first, then clamp and truncate."""
    v = a.astype(np.float32)
    return np.where(v <= 0, 0, np.where(v >= 255, 255, np.trunc(v))).astype(np.uint8)


def _aten_linear_weights(n_in: int, n_out: int):
    """ATen 1.13 CPU bilinear, align_corners=False, size given: float32 scale, double source."""
    scale = float(np.float32(n_in) / np.float32(n_out))
    src = np.maximum(scale * (np.arange(n_out) + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = src - i0
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, (1.0 - lam).astype(np.float32), lam.astype(np.float32)


def _fma32(a, b, c):
    # float32 fused multiply-add: the float32 product is exact in float64; one final rounding
    # (a double rounding via float64 is possible in theory, never observed in the checks).
    return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(np.float32)


def aten_bilinear(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bit-exact model of torch 1.13's CPU upsample_bilinear2d for an NCHW tensor with C > 1.

    The generic kernel computes t0 = a*w0 + b*w1 per row and t0*h0 + t1*h1, and the AVX2 build
    contracts each `p*wp + q*wq` into fma(p, wp, q*wq). A one-channel tensor is also
    channels-last contiguous and takes another kernel whose results differ by 1 ulp on ~30%
    of pixels, which is why InnerEye's order (expand to 3 channels, then resize) matters.
    """
    h, w = x.shape
    if (h, w) == (out_h, out_w):
        return x.copy()  # torchvision returns the input unchanged
    y0, y1, h0, h1 = _aten_linear_weights(h, out_h)
    x0, x1, w0, w1 = _aten_linear_weights(w, out_w)
    w0, w1, h0, h1 = w0[None, :], w1[None, :], h0[:, None], h1[:, None]
    t0 = _fma32(x[y0][:, x0], w0, x[y0][:, x1] * w1)
    t1 = _fma32(x[y1][:, x0], w0, x[y1][:, x1] * w1)
    return _fma32(t0, h0, t1 * h1)


def model_pipeline(path: Path) -> np.ndarray:
    """PNG -> first channel of the model input, without PIL conversions or torchvision."""
    with Image.open(path) as im:
        im.load()
        if im.mode in GREY_MODES:
            a = np.asarray(im, dtype=np.float64)
        elif im.mode == "RGB":
            a = pillow_luma(np.asarray(im))
        else:
            a = np.asarray(im.convert("L"), dtype=np.float64)
    grey = pillow_f_to_l((a - a.min()) * 255. / (a.max() - a.min()))
    assert np.array_equal(grey, np.asarray(to_8bit_grey(a))), "Pillow F->L rule changed"
    x = grey.astype(np.float32) / np.float32(255)  # to_tensor: float32 division
    new_h, new_w, top, left = resize_geometry(*grey.shape)
    return aten_bilinear(x, new_h, new_w)[top:top + CENTER_CROP, left:left + CENTER_CROP]


# ---------------------------------------------------------------------------------------------
# Synthetic reference images
# ---------------------------------------------------------------------------------------------

def _soft_ellipse(u, v, cu, cv, ru, rv, edge):
    """1 inside the ellipse, 0 outside, with a logistic edge of relative width `edge`."""
    r = np.sqrt(((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2)
    return 1.0 / (1.0 + np.exp((r - 1.0) / edge))


def synthetic_chest(height: int, width: int, rng: np.random.Generator, noise: float) -> np.ndarray:
    """A smooth chest-like picture in roughly [0, 1]: bright thorax, darker lungs, spine, heart.

    Not anatomy, just enough large-scale structure and fine noise that a wrong resize, crop
    offset or rounding rule shows up in the parity test.
    """
    v, u = np.meshgrid(np.linspace(-1.0, 1.0, height), np.linspace(-1.0, 1.0, width), indexing="ij")
    img = np.full((height, width), 0.06)
    body = _soft_ellipse(u, v, 0.0, 0.12, 0.82, 0.95, 0.04)
    img += 0.62 * body
    lungs = (_soft_ellipse(u, v, -0.36, -0.02, 0.25, 0.55, 0.08)
             + _soft_ellipse(u, v, 0.36, -0.02, 0.27, 0.55, 0.08))
    img -= 0.33 * lungs * body
    img += 0.14 * np.exp(-(u / 0.07) ** 2) * body  # spine / mediastinum
    img += 0.12 * _soft_ellipse(u, v, 0.14, 0.28, 0.24, 0.2, 0.1)  # heart shadow
    img += 0.05 * (v + 1.0) * body  # denser towards the abdomen
    img += 0.03 * np.sin(7.0 * v + 2.0 * u) * lungs  # ribs, vaguely
    img += rng.normal(0.0, noise, size=img.shape)
    return img


def _rescale(img: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map img's own min..max onto lo..hi exactly (so both extremes occur)."""
    return lo + (img - img.min()) * (hi - lo) / (img.max() - img.min())


def write_reference_pngs(folder: Path) -> list:
    """Write the six fixture PNGs; returns their file names in manifest order."""
    rng = np.random.default_rng(20210714)  # fixed: fixtures must be identical on every run
    written = []

    def save(name, array, mode=None):
        path = folder / name
        Image.fromarray(array, mode).save(path, format="PNG")
        # Check the PNG reads back as the values we meant (bit depth and mode included).
        with Image.open(path) as back:
            back_mode = back.mode
            back_arr = np.asarray(back)
        assert np.array_equal(back_arr.astype(np.int64), array.astype(np.int64)), name
        written.append((name, back_mode))

    # 8-bit grey, portrait, not using the full range so min-max really re-quantises.
    g = synthetic_chest(600, 512, rng, noise=0.008)
    save("grey8-512x600.png", np.round(_rescale(g, 9, 241)).astype(np.uint8))

    # 16-bit container with 12-bit detector values (0..4095), landscape. The noise is kept at
    # about one detector level: 16-bit PNGs of noisy data compress badly (< 250 KB wanted).
    g = synthetic_chest(512, 640, rng, noise=0.0002)
    save("grey16-640x512.png", np.round(_rescale(g, 0, 4095)).astype(np.uint16))

    # Colour: channels differ, so Pillow's luma weights and rounding matter.
    g = _rescale(synthetic_chest(300, 400, rng, noise=0.008), 0.0, 1.0)
    rgb = np.stack([
        np.round(_rescale(g, 10, 250)),
        np.round(_rescale(g ** 1.1, 4, 236)),
        np.round(_rescale(np.sqrt(g), 20, 200)),
    ], axis=-1).astype(np.uint8)
    save("rgb-400x300.png", rgb, "RGB")

    # Odd sizes: resized to 299x256, so the horizontal crop offset is (299-224)/2 = 37.5.
    g = synthetic_chest(257, 301, rng, noise=0.008)
    save("grey8-301x257.png", np.round(_rescale(g, 3, 250)).astype(np.uint8))

    # Just above the crop size: the resize upsamples.
    g = synthetic_chest(230, 224, rng, noise=0.008)
    save("grey8-224x230.png", np.round(_rescale(g, 0, 255)).astype(np.uint8))

    # Extreme aspect ratio, full 16-bit range 0..65535. 12-bit values widened to 16 bits by bit
    # replication (v << 4 | v >> 8, as devices store 12-bit data): 0 -> 0, 4095 -> 65535. Genuine
    # 16-bit smooth data costs ~8 bits/pixel in PNG (byte-wise filters cannot predict the low
    # byte), which would put this 900x300 file over 250 KB.
    g = synthetic_chest(300, 900, rng, noise=0.0002)
    v12 = np.round(_rescale(g, 0, 4095)).astype(np.uint16)
    save("grey16-900x300.png", (v12 << 4) | (v12 >> 8))

    return written


# ---------------------------------------------------------------------------------------------
# Output formulations (docs/innereye.md section 2)
# ---------------------------------------------------------------------------------------------

def class_probabilities(logits: np.ndarray, formulation: str) -> np.ndarray:
    """Four class probabilities from one fold's logits, in float64."""
    z = logits.astype(np.float64)
    if formulation == "softmax4":
        e = np.exp(z - z.max())
        return e / e.sum()
    s1, s2, s3 = 1.0 / (1.0 + np.exp(-z))  # P(CVX12), P(CVX3 | CVX03), P(CVX2 | CVX12)
    return np.array([(1 - s1) * (1 - s2), s1 * (1 - s3), s1 * s3, (1 - s1) * s2])


# ---------------------------------------------------------------------------------------------
# Package writing
# ---------------------------------------------------------------------------------------------

def run_fold(fold, x: torch.Tensor):
    """(logits, maps) of a package fold; maps is None for a format-1 fold, which returns logits only."""
    out = fold(x)
    return (out[0], out[1]) if isinstance(out, tuple) else (out, None)


def run_fold_features(fold, x: torch.Tensor):
    """(logits, pooled features [N, 1024]) of a format-3 fold."""
    out = fold(x)
    assert isinstance(out, tuple) and len(out) == 3, "not a format-3 fold"
    return out[0], out[2]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# ONNX copies of the folds (the service's CPU engine)
# ---------------------------------------------------------------------------------------------

ONNX_OPSET = 13
ONNX_INPUT = "input"
ONNX_OUTPUTS = ["logits", "maps", "features"]  # a format-k fold returns the first k


def export_onnx(fold_pt: Path, onnx_path: Path, format_version: int) -> dict:
    """fold-<k>.onnx from the TorchScript fold as written, so from the very module and weights the service serves.

    On the CPU the service runs these through ONNX Runtime, 1.6-2.5 times libtorch's speed there
    (bench/README.md, "Engines"); the TorchScript stays for GPUs. The batch dimension is dynamic (the example
    batch of 2 fixes nothing), and the outputs are named, so the service finds them whatever order a runtime
    returns them in. Its parity with the TorchScript (every output within 1e-4 on reference/) is checked by the
    service's EngineParityTest: Debian's Python has no ONNX Runtime.
    """
    module = torch.jit.load(str(fold_pt), map_location="cpu").eval()
    names = ONNX_OUTPUTS[:format_version]
    with torch.no_grad():
        torch.onnx.export(module, (torch.zeros(2, 3, CENTER_CROP, CENTER_CROP),), str(onnx_path),
                          input_names=[ONNX_INPUT], output_names=names,
                          dynamic_axes={n: {0: "batch"} for n in [ONNX_INPUT] + names}, opset_version=ONNX_OPSET)
    entry = {"file": onnx_path.name, "sha256": sha256(onnx_path)}
    print(f"{onnx_path.name}: {onnx_path.stat().st_size} bytes, sha256 {entry['sha256']}")
    return entry


def onnx_section(folds: list, format_version: int) -> dict:
    """model.json's "onnx": one file per fold, in fold order, and how they were exported."""
    return {"opset": ONNX_OPSET, "input": ONNX_INPUT, "outputs": ONNX_OUTPUTS[:format_version],
            "exportedWith": {"torch": release_version(torch, r"pytorch-(\d+\.\d+\.\d+)")}, "folds": folds}


def with_onnx(meta: dict, section: dict) -> dict:
    """meta with "onnx" placed right after "folds" (the order a reader of model.json expects)."""
    out = {}
    for key, value in meta.items():
        if key != "onnx":
            out[key] = value
        if key == "folds":
            out["onnx"] = section
    return out


def add_onnx(package: Path, version: str = None) -> int:
    """Writes fold-<k>.onnx beside each fold of an existing package; the TorchScript, reference/, the
    out-of-distribution statistics and everything else in model.json stay as they are."""
    meta = json.loads((package / "model.json").read_text(encoding="utf-8"))
    format_version = meta.get("formatVersion", 1)
    folds = [export_onnx(package / f["file"], package / (Path(f["file"]).stem + ".onnx"), format_version)
             for f in meta["folds"]]
    meta = with_onnx(meta, onnx_section(folds, format_version))
    if version:
        meta["version"] = version
    (package / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    card = package / "MODEL_CARD.md"
    if card.exists():
        text = re.sub(r"^(# Model card: .*\(version )[^)]*\)", lambda m: m.group(1) + meta["version"] + ")",
                      card.read_text(encoding="utf-8"), count=1, flags=re.M)
        rows = "".join(f"| {f['file']} | `{f['sha256']}` |\n" for f in folds)
        text = re.sub(r"(\| fold-[^|]*\.pt \| `[0-9a-f]{64}` \|\n)(?!\| fold-[^|]*\.pt )", lambda m: m.group(1) + rows,
                      re.sub(r"\| fold-[^|]*\.onnx \| `[0-9a-f]{64}` \|\n", "", text), count=1)
        card.write_text(text, encoding="utf-8")
    print(f"{package}: {len(folds)} ONNX folds, version {meta['version']}; now run the service's EngineParityTest")
    return 0


def release_version(module, debian_source_pattern=None) -> str:
    """The upstream release a Debian-built module corresponds to.

    Debian's python3-torch 1.13.1+dfsg reports __version__ "1.13.0a0" (no git metadata at build
    time), but its build configuration names the source tree "pytorch-1.13.1+dfsg"; torchvision
    0.14.1 reports "0.14.1a0". We record the release, not the build's placeholder.
    """
    if debian_source_pattern:
        m = re.search(debian_source_pattern, module.__config__.show())
        if m:
            return m.group(1)
    m = re.match(r"\d+\.\d+\.\d+", module.__version__)
    return m.group(0) if m else module.__version__


UNTRAINED_TEXT = {
    "description": (
        "DenseNet-121 COVID-19 chest X-ray classifier in InnerEye's architecture (4 classes, "
        "softmax over logits), exported with RANDOMLY INITIALISED weights. It has never seen a "
        "chest X-ray: its outputs are meaningless. It exists so that the service can be built, "
        "tested and demonstrated end to end before a trained model is available."
    ),
    "intendedUse": (
        "Software testing only: exercising model loading, pre-processing parity, ensembling and "
        "the API. Not for clinical use, not for research conclusions, not for any decision about "
        "a patient."
    ),
    "limitations": (
        "Weights are random (fold k seeded with torch.manual_seed(1000 + k)); predictions carry "
        "no information about the image and any apparent accuracy is chance. Agreement between "
        "folds means nothing. Not validated in any way; not a medical device."
    ),
    "trainingData": (
        "None. The model was not trained. The reference images in reference/ are synthetic "
        "(numpy-generated shapes), not patient data."
    ),
}


def write_model_card(path: Path, meta: dict, trained: bool) -> None:
    folds = "\n".join(f"| {f['file']} | `{f['sha256']}` |"
                      for f in meta["folds"] + meta.get("onnx", {}).get("folds", []))
    classes = "\n".join(f"| {c['index']} | {c['code']} | {c['name']} |" for c in meta["classes"])
    warning = (f"> **{meta['notice']}**\n\n" if meta.get("notice") else "") if trained else (
        "> **Random weights. Not a working classifier. Not for clinical use.**\n"
        "> Every output of this model is noise. Do not show its predictions to anyone as if they\n"
        "> meant something.\n\n")
    explanation = ("""
Package format 2: each fold also returns its class activation maps, [K, 7, 7] per image, computed
in the same forward from the pooled norm5 output F and the classifier weights w_k
(`CAM_k(y, x) = w_k . F(y, x)`, bias excluded: the spatial mean of map k plus bias k is logit k).
The service averages them over folds and stores them with each prediction.
""" if meta.get("formatVersion", 1) >= 2 else "") + ("""
Package format 3: each fold also returns the pooled {FEATURES}-d feature vector (the classifier's
input) from the same forward; the service scores how far it lies from the training set
(out-of-distribution score, `ood_stats.py`).
""".format(FEATURES=FEATURES) if meta.get("formatVersion", 1) >= 3 else "")
    text = f"""# Model card: {meta['id']} (version {meta['version']})

{warning}## Description

{meta['description']}

## Intended use

{meta['intendedUse']}

## Limitations

{meta['limitations']}

## Training data

{meta['trainingData']}

## Architecture

InnerEye's COVID-19 model (Bannur et al. 2021; InnerEye-DeepLearning `CovidModel`): torchvision
`densenet121(weights=None).features`, adaptive average pooling of the final batch-norm output
(no final ReLU), dropout {DROPOUT}, one linear layer {FEATURES} -> {OUTPUTS[meta['outputFormulation']]}.
Output formulation `{meta['outputFormulation']}`; the modules return raw logits and the service
applies the formulation and averages class probabilities over the {len(meta['folds'])} folds.
{explanation}

| index | code | meaning |
|---|---|---|
{classes}

## Input

PNG/DICOM grey values -> per-image min-max to 0..255 -> 8-bit (truncating, as Pillow does) ->
/255 -> bilinear resize (torchvision tensor resize, no antialias) so the shorter side is
{RESIZE} -> centre crop {CENTER_CROP}x{CENTER_CROP} -> 3 identical channels, no mean/std
normalisation. Shape [N, 3, 224, 224] float32.

## Files

| file | sha256 |
|---|---|
{folds}

`reference/` holds synthetic test images with the exact model input and fold logits the
reference (Python) pre-processing and model produce, for the service's parity tests.

Exported with torch {meta['exportedWith']['torch']}, torchvision {meta['exportedWith']['torchvision']}
by `models/training/export_model.py`.
"""
    path.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--add-onnx", type=Path, metavar="PACKAGE",
                    help="only add the ONNX copies of an existing package's folds (with --version: its new "
                         "version); nothing else of the package changes")
    ap.add_argument("--out", type=Path, help="package folder to (re)create")
    ap.add_argument("--id", help="model id, e.g. chestlens-densenet121-untrained")
    ap.add_argument("--version", help="the package version (default 0.1.0; with --add-onnx: unchanged)")
    ap.add_argument("--formulation", choices=sorted(OUTPUTS), default="softmax4")
    ap.add_argument("--folds", type=int, default=None,
                    help="number of randomly initialised folds (ignored with --weights)")
    ap.add_argument("--weights", type=Path, nargs="+", default=None,
                    help="per fold, in fold order: a state_dict (.pth) of CovidClassifier, or a fold (.pt) "
                         "of an existing package, whose weights are re-exported unchanged")
    ap.add_argument("--format-version", type=int, choices=(1, 2, 3), default=3,
                    help="3 (default): each fold returns (logits, class activation maps, pooled features); "
                         "2: (logits, maps); 1: logits only")
    ap.add_argument("--compare-with", type=Path,
                    help="an existing package of the same weights: every fold's logits must agree with it "
                         "within 1e-5 on the reference images (for a re-export in a new format)")
    ap.add_argument("--description")
    ap.add_argument("--intended-use")
    ap.add_argument("--limitations")
    ap.add_argument("--training-data")
    ap.add_argument("--notice", help="shown by the service with every prediction of this model "
                                     "(e.g. 'DEMONSTRATION MODEL ...'); optional")
    ap.add_argument("--no-onnx", action="store_true", help="write the TorchScript folds only (the service then "
                                                           "runs them through libtorch on the CPU too)")
    args = ap.parse_args(argv)
    if args.add_onnx:
        return add_onnx(args.add_onnx, args.version)
    if not args.out or not args.id:
        ap.error("--out and --id are required (or --add-onnx PACKAGE)")

    trained = args.weights is not None
    if trained:
        weights = list(args.weights)
        missing = [k for k in ("description", "intended_use", "limitations", "training_data")
                   if not getattr(args, k)]
        if missing:
            ap.error("a trained model needs an honest model card: --" +
                     ", --".join(m.replace("_", "-") for m in missing))
    else:
        if not args.folds or args.folds < 1:
            ap.error("--folds N (N >= 1) is required without --weights")
        weights = [None] * args.folds
    num_outputs = OUTPUTS[args.formulation]

    # Reproducible numerics: one thread avoids any reduction-order differences between runs
    # (and keeps a 2-core machine usable).
    torch.set_num_threads(1)

    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    ref = out / "reference"
    ref.mkdir(parents=True)

    # -- folds ---------------------------------------------------------------------------------
    fold_entries, traced_folds, onnx_entries = [], [], []
    for k, w in enumerate(weights):
        model = build_fold(k, num_outputs, w)
        traced = trace(model, args.format_version)
        name = f"fold-{k}.pt"
        torch.jit.save(traced, str(out / name))
        # Reload what we wrote: the fixtures must come from the file the service will load.
        loaded = torch.jit.load(str(out / name), map_location="cpu").eval()
        traced_folds.append((model, loaded))
        fold_entries.append({"file": name, "sha256": sha256(out / name)})
        print(f"{name}: {(out / name).stat().st_size} bytes, sha256 {fold_entries[-1]['sha256']}")
        if not args.no_onnx:
            onnx_entries.append(export_onnx(out / name, out / f"fold-{k}.onnx", args.format_version))

    # -- reference fixtures --------------------------------------------------------------------
    pngs = write_reference_pngs(ref)
    images, inputs = [], []
    for name, mode in pngs:
        path = ref / name
        x = preprocess_png(path)
        assert x.shape == (3, CENTER_CROP, CENTER_CROP) and x.dtype == torch.float32, x.shape
        assert torch.equal(x[0], x[1]) and torch.equal(x[0], x[2]), f"{name}: channels differ"
        stem = name[:-len(".png")]
        input_name = f"{stem}.input.f32"
        x[0].numpy().astype("<f4").tofile(ref / input_name)
        inputs.append(x)

        with Image.open(path) as im:
            w_px, h_px = im.size
        new_h, new_w, top, left = resize_geometry(h_px, w_px)
        # The written-out rules must reproduce torchvision; bit for bit is expected on an
        # x86-64 AVX2 build like Debian's, anything else is reported, not hidden.
        m = model_pipeline(path)
        diff = float(np.abs(m - x[0].numpy()).max())
        assert diff <= 1e-6, f"{name}: arithmetic model off by {diff}"
        print(f"{name}: mode {mode}, {w_px}x{h_px} -> resized {new_w}x{new_h}, crop left {left} "
              f"(({new_w}-224)/2 = {(new_w - 224) / 2}), top {top} (({new_h}-224)/2 = "
              f"{(new_h - 224) / 2}); rule model {'bit-exact' if diff == 0 else f'max diff {diff}'}")

        fold_logits, probs, fold_maps = [], [], []
        with torch.no_grad():
            for _, fold in traced_folds:
                z, maps = run_fold(fold, x.unsqueeze(0))
                z = z[0].numpy()
                assert np.all(np.isfinite(z)), f"{name}: non-finite logits {z}"
                fold_logits.append([float(v) for v in z])
                probs.append(class_probabilities(z, args.formulation))
                if maps is not None:
                    fold_maps.append(maps[0].numpy())
        explained = {}
        if fold_maps:
            # The service averages the maps over folds like the probabilities: the reference does too.
            cam_name = f"{stem}.cam.f32"
            np.mean(np.stack(fold_maps), axis=0).astype("<f4").tofile(ref / cam_name)
            explained = {"cam": cam_name, "camShape": list(fold_maps[0].shape),
                         "foldBias": [[float(b) for b in m.classifier.bias] for m, _ in traced_folds]}
        images.append({
            "png": name,
            "input": input_name,
            "height": CENTER_CROP,
            "width": CENTER_CROP,
            "foldLogits": fold_logits,
            "ensembleProbabilities": [float(p) for p in np.mean(probs, axis=0)],
            **explained,
        })

    # -- checks on the traced modules ----------------------------------------------------------
    # The batch dimension must be dynamic (tracing with batch 1 could have baked it in), and the
    # traced module must compute what the eager module computes.
    batch = torch.stack(inputs + [torch.zeros_like(inputs[0]), inputs[0].flip(-1)])  # 8 images
    worst = 0.0
    with torch.no_grad():
        for k, (model, fold) in enumerate(traced_folds):
            batched, maps = run_fold(fold, batch)
            single = torch.cat([run_fold(fold, batch[i:i + 1])[0] for i in range(batch.shape[0])])
            eager = model(batch)
            if maps is not None:
                # The identity that makes the map exact: spatial mean + bias = logit.
                d_cam = (maps.mean(dim=(2, 3)) + model.classifier.bias - batched).abs().max().item()
                print(f"fold-{k}: class activation maps {tuple(maps.shape[1:])}, mean + bias vs logit "
                      f"max|diff| {d_cam:.3g}")
                assert maps.shape == (8, num_outputs, 7, 7) and d_cam <= 1e-4, "maps do not explain the logits"
            if args.format_version >= 3:
                # The features are the classifier's input: W f + b must give the logits back.
                _, feats = run_fold_features(fold, batch)
                d_feat = (model.classifier(feats) - batched).abs().max().item()
                print(f"fold-{k}: pooled features {tuple(feats.shape[1:])}, classifier(features) vs logit "
                      f"max|diff| {d_feat:.3g}")
                assert feats.shape == (8, FEATURES) and d_feat <= 1e-4, "features do not give the logits"
            if args.compare_with:
                old = torch.jit.load(str(args.compare_with / f"fold-{k}.pt"), map_location="cpu").eval()
                d_old = (run_fold(old, batch)[0] - batched).abs().max().item()
                print(f"fold-{k}: logits vs {args.compare_with / f'fold-{k}.pt'} max|diff| {d_old:.3g}")
                assert d_old <= 1e-5, "re-export changed the logits"
            d_batch = (batched - single).abs().max().item()
            d_eager = (batched - eager).abs().max().item()
            scale = single.abs().max().item()
            print(f"fold-{k}: batch8 vs batch1 max|diff| {d_batch:.3g}, traced vs eager "
                  f"{d_eager:.3g} (max |logit| {scale:.3g}), identical: {torch.equal(batched, single)}")
            tol = 1e-5 * max(1.0, scale)
            assert batched.shape == (8, num_outputs)
            assert d_batch <= tol and d_eager <= tol, "traced module disagrees across batch sizes"
            worst = max(worst, d_batch)

    (ref / "manifest.json").write_text(json.dumps({"images": images}, indent=2) + "\n")

    # -- metadata ------------------------------------------------------------------------------
    text = UNTRAINED_TEXT if not trained else {
        "description": args.description, "intendedUse": args.intended_use,
        "limitations": args.limitations, "trainingData": args.training_data}
    meta = {
        "id": args.id,
        "version": args.version or "0.1.0",
        "trained": trained,
        "description": text["description"],
        "architecture": "densenet121",
        "outputFormulation": args.formulation,
        "output": "logits",
        **({"formatVersion": args.format_version, "explanation": {
            "kind": "classActivationMap", "layer": "features.norm5", "shape": [num_outputs, 7, 7],
            "bias": "excluded", "identity": "spatial mean of map k + bias k = logit k"}}
           if args.format_version >= 2 else {}),
        **({"features": {"layer": "features.norm5, adaptive average pooling", "size": FEATURES}}
           if args.format_version >= 3 else {}),
        "classes": CLASSES,
        "preprocessing": {"resize": RESIZE, "centerCrop": CENTER_CROP, "channels": 3,
                          "interpolation": "bilinear", "antialias": False},
        "inputShape": [3, CENTER_CROP, CENTER_CROP],
        "folds": fold_entries,
        **({"onnx": onnx_section(onnx_entries, args.format_version)} if onnx_entries else {}),
        "intendedUse": text["intendedUse"],
        "limitations": text["limitations"],
        "trainingData": text["trainingData"],
        **({"notice": args.notice} if args.notice else {}),
        "exportedWith": {"torch": release_version(torch, r"pytorch-(\d+\.\d+\.\d+)"),
                         "torchvision": release_version(torchvision)},
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    write_model_card(out / "MODEL_CARD.md", meta, trained)

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 1e6:.1f} MB); worst batch-size difference {worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
