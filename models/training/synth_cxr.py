#!/usr/bin/python3
"""Synthetic chest radiographs with known labels, for chestlens' demonstration model.

NOT PATIENT DATA. Every image is drawn from formulas by numpy: thorax outline, two lung fields,
mediastinum, spine, heart, ribs, clavicles, diaphragm domes, vessels, soft tissue, detector noise and
contrast. Four classes (docs/innereye.md section 1) with distinct but partly overlapping patterns:

    CVX0 normal        clear lungs (women: breast shadows at the bases; some a calcified granuloma)
    CVX1 classic       bilateral, peripheral, lower-zone hazy (ground-glass) opacities
    CVX2 indeterminate ground glass of the same texture, but unilateral OR central (perihilar) OR
                       upper-zone: deliberately close to CVX1 (unilateral lower-zone disease differs
                       from CVX1 only by the clear other lung)
    CVX3 non-COVID     lobar consolidation (dense, sharp fissure edge, air bronchograms), pleural
                       effusion (meniscus at a base) or an enlarged heart (cardiothoracic ratio > 0.57)

Metadata as a hospital has it: patients with 1-4 images, sex, age, view (PA/AP), four sites, each
with its own manufacturer, models (a fixed room and a portable unit), modality (DX or CR), storage
(MONOCHROME2 / MONOCHROME1 / RLE-compressed) and slightly different processing (gamma, edge
enhancement, noise). ICU portable films (always AP) are the planted failure mode the seed's paper
found: supine, lower lung volumes, magnified heart, more scatter (lower contrast), three to four times
the noise, anti-scatter grid lines, lines and tubes (endotracheal tube, nasogastric tube, central
venous line, ECG electrodes and leads), rotated and cut-off positioning, dependent haze and basal
atelectasis (which mimic ground glass), collimation borders and burned-in text.

Determinism: every patient is drawn from numpy.random.default_rng([seed, set, patient index]), so a
patient's images do not depend on how many patients are generated, on --jobs or on the formats.

Sets (--set): `train` (subjects T00000..), `eval` (the FIXED held-out evaluation set, subjects
E00000.., 180 patients = at least 400 images with the default seed), `fixtures` (eight small images
covering the four classes, ICU/non-ICU, and every storage variant, for the Java tests).

Output folder layout:
    dataset.csv    InnerEye's columns: series, subject, filepath, final_label (filepath relative to
                   the folder; it points at the first format listed in --formats)
    metadata.csv   series + every metadata column (incl. png16_path, png8_path, dicom_path)
    png16/<series>.png  16-bit grey PNG holding the 12-bit values 0..4095 (display sense: bright =
                   dense, whatever the DICOM's photometric interpretation)
    png8/<series>.png   8-bit grey PNG (12-bit value >> 4)
    masks/<series>.png  (--masks) where the finding was drawn, 255 inside: the pixels to which it
                   added at least 20% of its peak density, the heart for cardiomegaly; empty if none
    dicom/<series>.dcm  CR/DX DICOM; MONOCHROME1 stores 4095 - value, which InnerEye's inversion
                   undoes, so every format of an image gives the same model input.

Examples:
    /usr/bin/python3 models/training/synth_cxr.py --set eval --out models/training/data/eval \
        --formats png16,dicom
    /usr/bin/python3 models/training/synth_cxr.py --set train --n-patients 800 \
        --out models/training/data/train --formats png16
    /usr/bin/python3 models/training/synth_cxr.py --set fixtures --out /tmp/fx --size 256 \
        --formats png16,png8,dicom --contact-sheet /tmp/fx.png
"""

import argparse
import csv
import datetime as dt
import math
import os
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CLASS_CODES = ["CVX0", "CVX1", "CVX2", "CVX3"]
SET_STREAM = {"eval": 1, "train": 2, "fixtures": 3}
SET_PREFIX = {"eval": "E", "train": "T", "fixtures": "F"}
EVAL_PATIENTS = 180  # with seed 20210714: >= 400 images (checked when written)
DEFAULT_SEED = 20210714
MAX12 = 4095

# Four hospitals. Each has a fixed room and a portable unit, stores one way, and processes its images
# slightly differently. Names are invented.
SITES = [
    dict(code="SITE-A", institution="Northgate General Hospital", manufacturer="SIEMENS",
         fixed_model="Ysio Max", portable_model="Mobilett Mira Max", modality="DX",
         photometric="MONOCHROME2", rle=False, aspect=1.0, fov_mm=430.0,
         gamma=1.00, unsharp=0.25, noise=0.0045, software="VF10"),
    dict(code="SITE-B", institution="Riverside University Hospital", manufacturer="Philips Medical Systems",
         fixed_model="DigitalDiagnost C90", portable_model="MobileDiagnost wDR", modality="DX",
         photometric="MONOCHROME2", rle=False, aspect=1.2, fov_mm=430.0,
         gamma=0.90, unsharp=0.40, noise=0.0055, software="5.1.2"),
    dict(code="SITE-C", institution="St Brigid's Hospital", manufacturer="GE Healthcare",
         fixed_model="Discovery XR656", portable_model="Optima XR240amx", modality="DX",
         photometric="MONOCHROME2", rle=True, aspect=1.0, fov_mm=410.0,
         gamma=1.10, unsharp=0.15, noise=0.0050, software="dm_Platform_release"),
    dict(code="SITE-D", institution="Lakeview Community Hospital", manufacturer="FUJIFILM Corporation",
         fixed_model="FCR PROFECT CS", portable_model="FDR Nano", modality="CR",
         photometric="MONOCHROME1", rle=False, aspect=0.9, fov_mm=350.0,
         gamma=1.05, unsharp=0.55, noise=0.0065, software="A06-10"),
]

# Label priors per image: ICU patients are sicker.
PRIOR_WARD = [0.32, 0.28, 0.20, 0.20]
PRIOR_ICU = [0.14, 0.34, 0.22, 0.30]


# ---------------------------------------------------------------------------------------------
# small numerical helpers
# ---------------------------------------------------------------------------------------------

def sig(t):
    """Logistic function, overflow-free."""
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def gblur(a, sigma):
    """Gaussian blur with reflected edges; sigma in pixels (taps when small, FFT when large)."""
    if sigma <= 0.05:
        return a
    pad = int(math.ceil(3 * sigma))
    if sigma <= 2.5:
        k = np.exp(-0.5 * (np.arange(-pad, pad + 1) / sigma) ** 2)
        k /= k.sum()
        p = np.pad(a, ((pad, pad), (0, 0)), mode="reflect")
        out = sum(k[i] * p[i:i + a.shape[0]] for i in range(2 * pad + 1))
        p = np.pad(out, ((0, 0), (pad, pad)), mode="reflect")
        return sum(k[i] * p[:, i:i + a.shape[1]] for i in range(2 * pad + 1))
    hp = -(-(a.shape[0] + 2 * pad) // 64) * 64  # FFT-friendly sizes
    wp = -(-(a.shape[1] + 2 * pad) // 64) * 64
    p = np.pad(a, ((pad, hp - a.shape[0] - pad), (pad, wp - a.shape[1] - pad)), mode="reflect")
    h, w = p.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    g = np.exp(-2.0 * (math.pi * sigma) ** 2 * (fx ** 2 + fy ** 2))
    out = np.fft.irfft2(np.fft.rfft2(p) * g, s=p.shape)
    return out[pad:pad + a.shape[0], pad:pad + a.shape[1]]


def smooth_noise(rng, shape, cells):
    """Smooth random field, about N(0,1), with `cells` bumps across the shorter side."""
    h, w = shape
    ch = max(2, int(round(cells * h / min(h, w))))
    cw = max(2, int(round(cells * w / min(h, w))))
    small = rng.normal(0.0, 1.0, (ch, cw)).astype(np.float32)
    big = Image.fromarray(small, mode="F").resize((w, h), Image.BICUBIC)
    a = np.asarray(big, dtype=np.float64)
    return a / (a.std() + 1e-9)


class Frame:
    """Pixel grid <-> anatomy coordinates.

    Normalised image coordinates (xn, yn) span [-1, 1] along the shorter side. Anatomy coordinates
    (X, Y): X to the image's right (patient's left), Y down; the standard thorax fills about
    [-0.85, 0.85] x [-1, 1]. Positioning (rotation, zoom < 1 = closer / cut off, shift) maps the
    image grid into anatomy space, so everything drawn from (X, Y) moves with the patient.
    """

    def __init__(self, h, w, theta=0.0, zoom=1.0, tx=0.0, ty=0.0):
        self.h, self.w, self.s = h, w, min(h, w)
        self.theta, self.zoom, self.tx, self.ty = theta, zoom, tx, ty
        yn = (np.arange(h) + 0.5 - h / 2.0) / (self.s / 2.0)
        xn = (np.arange(w) + 0.5 - w / 2.0) / (self.s / 2.0)
        self.xn, self.yn = np.meshgrid(xn, yn)
        c, s = math.cos(theta), math.sin(theta)
        self.X = zoom * (c * self.xn - s * self.yn) + tx
        self.Y = zoom * (s * self.xn + c * self.yn) + ty
        self.px_per_unit = (self.s / 2.0) / zoom  # pixels per anatomy unit

    def to_pixels(self, X, Y):
        c, s = math.cos(self.theta), math.sin(self.theta)
        dx, dy = (np.asarray(X) - self.tx) / self.zoom, (np.asarray(Y) - self.ty) / self.zoom
        xn = c * dx + s * dy
        yn = -s * dx + c * dy
        return xn * self.s / 2.0 + self.w / 2.0, yn * self.s / 2.0 + self.h / 2.0


def bezier(points, n=64):
    """Points along a Bezier curve through control points (anatomy coordinates)."""
    p = np.asarray(points, dtype=np.float64)
    t = np.linspace(0.0, 1.0, n)[:, None]
    k = len(p) - 1
    out = np.zeros((n, 2))
    for i in range(k + 1):
        out += math.comb(k, i) * (t ** i) * ((1 - t) ** (k - i)) * p[i]
    return out


class Canvas:
    """Thin structures (vessels, tubes, wires) drawn in pixel space with PIL, then softened."""

    def __init__(self, frame):
        self.frame = frame
        self.img = Image.new("F", (frame.w, frame.h), 0.0)
        self.draw = ImageDraw.Draw(self.img)

    def polyline(self, pts, value, width_units):
        px, py = self.frame.to_pixels(pts[:, 0], pts[:, 1])
        wpx = max(1, int(round(width_units * self.frame.px_per_unit)))
        self.draw.line(list(zip(px.tolist(), py.tolist())), fill=float(value), width=wpx, joint="curve")

    def ring(self, X, Y, r_units, value, width_units):
        px, py = self.frame.to_pixels(X, Y)
        r = r_units * self.frame.px_per_unit
        wpx = max(1, int(round(width_units * self.frame.px_per_unit)))
        self.draw.ellipse([px - r, py - r, px + r, py + r], outline=float(value), width=wpx)

    def disc(self, X, Y, r_units, value):
        px, py = self.frame.to_pixels(X, Y)
        r = max(1.0, r_units * self.frame.px_per_unit)
        self.draw.ellipse([px - r, py - r, px + r, py + r], fill=float(value))

    def array(self, blur_px=0.7):
        return gblur(np.asarray(self.img, dtype=np.float64), blur_px)


# ---------------------------------------------------------------------------------------------
# anatomy
# ---------------------------------------------------------------------------------------------

def sample_anatomy(rng, sex, age, ap, icu):
    a = {}
    a["half_width"] = rng.uniform(0.70, 0.80) if sex == "F" else rng.uniform(0.74, 0.85)
    a["apex"] = rng.uniform(-0.80, -0.70)
    a["dia"] = rng.uniform(0.40, 0.50)          # right dome (image left)
    if icu:
        a["dia"] -= rng.uniform(0.06, 0.13)     # supine, poor inspiration: low lung volumes
    elif ap:
        a["dia"] -= rng.uniform(0.0, 0.06)
    a["dia_left"] = a["dia"] + rng.uniform(0.02, 0.07)
    a["dome_h"] = rng.uniform(0.06, 0.10)
    a["lat"] = a["half_width"] - rng.uniform(0.04, 0.07)
    a["med"] = rng.uniform(0.10, 0.13)
    a["ctr"] = rng.uniform(0.40, 0.49) + (0.004 * max(0, age - 60) / 10)  # cardiothoracic ratio
    a["heart_tilt"] = rng.uniform(0.25, 0.45)
    a["heart_h"] = rng.uniform(0.20, 0.25)
    a["rib_spacing"] = rng.uniform(0.105, 0.125)
    a["rib_phase"] = rng.uniform(0.0, 1.0)
    a["rib_slope"] = rng.uniform(-0.15, -0.05)
    a["rib_curve"] = rng.uniform(0.55, 0.75)
    a["body_base"] = rng.uniform(0.42, 0.50) + (0.03 if sex == "M" else 0.0)
    a["lung_depth"] = rng.uniform(0.30, 0.36)
    a["breasts"] = sex == "F" and rng.random() < 0.9
    a["bubble"] = rng.random() < 0.6
    return a


def lung_masks(F, a, dia_override=None):
    """Soft masks of the two lung fields (image-left = patient right, image-right = patient left),
    before the heart is cut out, and zone coordinates r (0 medial .. 1 lateral), z (0 apex .. 1 base)."""
    X, Y = F.X, F.Y
    ax = np.abs(X)
    lat, med, apex = a["lat"], a["med"], a["apex"]
    masks, zones = [], []
    for side, dia in ((-1, a["dia"]), (1, a["dia_left"])):
        if dia_override is not None:
            dia = dia_override[0 if side < 0 else 1]
        rx = (lat - med) * 0.62
        cx = lat - rx
        cy = dia - 0.05
        ry = cy - apex
        nx = np.abs((ax - cx) / rx)
        ny = (Y - cy) / ry
        e_up, e_lo = 2.0, 5.0
        rho = np.where(ny < 0, (nx ** e_up + np.abs(ny) ** e_up) ** (1 / e_up),
                       (nx ** e_lo + np.abs(ny) ** e_lo) ** (1 / e_lo))
        inside = sig((1.0 - rho) / 0.02)
        dw = rx * 1.1
        dome = dia - a["dome_h"] * np.clip(1.0 - ((ax - cx) / dw) ** 2, 0.0, 1.0)
        below_dome = sig((dome - Y) / 0.006)
        aortic = 0.045 * np.exp(-((Y + 0.33) / 0.08) ** 2) if side > 0 else 0.0
        medial = sig((ax - (med + aortic)) / 0.008)
        this_side = sig(side * X / 0.01)
        masks.append(inside * below_dome * medial * this_side)
        zones.append(((ax - med) / (lat - med), (Y - apex) / (dia - apex)))
    return masks, zones


def heart_mask(F, a, ctr):
    hrx = ctr * a["half_width"]
    hry = a["heart_h"]
    hx = hrx / 3.0
    hy = a["dia_left"] - 0.06 - 0.85 * hry  # sits on the left dome
    t = a["heart_tilt"]
    dx, dy = F.X - hx, F.Y - hy
    u = math.cos(t) * dx + math.sin(t) * dy
    v = -math.sin(t) * dx + math.cos(t) * dy
    rho = np.sqrt((u / (hrx * 1.02)) ** 2 + (v / hry) ** 2)
    return sig((1.0 - rho) / 0.03)


def draw_vessels(rng, F, a, canvas):
    """Branching pulmonary vessels from each hilum."""
    for side in (-1, 1):
        hx, hy = side * (a["med"] + 0.06), -0.08 + rng.uniform(-0.03, 0.03)
        stack = []
        for ang in np.linspace(-1.2, 1.9, 7) + rng.normal(0, 0.12, 7):
            stack.append((hx, hy, ang, 0.13, 0.024, 0))
        while stack:
            x, y, ang, length, width, depth = stack.pop()
            # angle 0 = lateral, positive = downwards
            dx, dy = side * math.cos(ang), math.sin(ang)
            x2, y2 = x + dx * length, y + dy * length
            mid = (x + x2) / 2 + rng.normal(0, 0.01), (y + y2) / 2 + rng.normal(0, 0.01)
            pts = bezier([(x, y), mid, (x2, y2)], n=12)
            canvas.polyline(pts, 0.012 + 0.03 * width / 0.024, width)
            if depth < 3 and width > 0.006:
                for _ in range(2):
                    stack.append((x2, y2, ang + rng.normal(0, 0.35), length * rng.uniform(0.65, 0.85),
                                  width * 0.7, depth + 1))


def draw_anatomy(rng, F, a, ctr, ap):
    X, Y = F.X, F.Y
    ax = np.abs(X)
    D = np.full(X.shape, 0.03)

    # body and neck, arms for AP films
    hw_body = a["half_width"] + 0.07
    hw = 0.22 + (hw_body - 0.22) * np.clip(sig((Y + 0.86) / 0.045) * (1.0 - 0.18 * np.clip(-Y - 0.6, 0, 1)), 0, 1)
    body = sig((hw - ax) / 0.012) * sig((1.25 - Y) / 0.02)
    D += (a["body_base"] + 0.08 * np.clip((Y + 1) / 2, 0, 1)) * body
    if ap:
        arm_c = hw_body + 0.14
        arm = sig((0.10 - np.abs(ax - arm_c)) / 0.012) * sig((Y + 0.75) / 0.03)
        D += 0.40 * arm
        D += 0.10 * sig((0.025 - np.abs(ax - arm_c)) / 0.006) * sig((Y + 0.7) / 0.03)  # humerus
    # shoulder soft tissue
    D += 0.08 * np.exp(-((Y + 0.82) / 0.10) ** 2) * sig((ax - 0.25) / 0.05) * body

    masks, zones = lung_masks(F, a)
    heart = heart_mask(F, a, ctr)
    lungs = [m * (1.0 - heart) for m in masks]
    lung = lungs[0] + lungs[1]

    # lungs: radiolucent, a little more so in the mid zones
    depth = a["lung_depth"] * (1.0 - 0.10 * sig((-0.55 - Y) / 0.06))  # apices: overlying soft tissue
    D -= depth * lung
    # heart and mediastinum a little denser than the chest wall
    D += 0.012 * heart
    D += 0.03 * sig((a["med"] + 0.02 - ax) / 0.02) * sig((a["dia"] - 0.1 - Y) / 0.05) * body
    # gastric bubble under the left dome (image right)
    if a["bubble"]:
        bx, by = 0.35 + rng.uniform(-0.05, 0.05), a["dia_left"] + 0.07
        bub = sig((1.0 - np.sqrt(((X - bx) / 0.10) ** 2 + ((Y - by) / 0.05) ** 2)) / 0.05)
        D -= 0.18 * bub * sig((Y - a["dia_left"] - 0.02) / 0.01)

    # spine with vertebral bodies, trachea and main bronchi
    spine = sig((0.055 - ax) / 0.008)
    vert = 0.6 + 0.4 * np.cos(2 * math.pi * (Y - rng.uniform(0, 1)) / 0.085) ** 8
    D += 0.07 * spine * vert * body
    carina = rng.uniform(-0.32, -0.24)
    trachea = sig((0.026 - ax) / 0.006) * sig((carina - Y) / 0.01)
    D -= 0.11 * trachea * body
    cv = Canvas(F)
    for side in (-1, 1):
        cv.polyline(bezier([(0, carina), (side * 0.06, carina + 0.05), (side * 0.16, carina + 0.13)], 12),
                    1.0, 0.035)
    D -= 0.08 * np.clip(cv.array(1.0), 0, 1) * body

    # hila and vessels
    vc = Canvas(F)
    draw_vessels(rng, F, a, vc)
    vess = vc.array(1.6) * (1.0 + 0.25 * smooth_noise(rng, X.shape, 12))
    for side in (-1, 1):
        hil = np.exp(-(((X - side * (a["med"] + 0.06)) / 0.05) ** 2 + ((Y + 0.08) / 0.07) ** 2))
        D += 0.07 * hil * (lungs[0] if side < 0 else lungs[1])
    D += vess * lung
    D += 0.010 * smooth_noise(rng, X.shape, 36) * lung  # parenchymal texture

    # ribs: one phase function for all posterior ribs, another for the anterior ones
    ribmask = sig((a["half_width"] + 0.02 - ax) / 0.01) * sig((a["dia_left"] + 0.12 - Y) / 0.03) \
        * sig((Y - a["apex"] + 0.12) / 0.02) * sig((ax - 0.045) / 0.01)
    u = np.maximum(ax - 0.05, 0)
    phi = (Y - a["apex"] + 0.08 - a["rib_slope"] * u - a["rib_curve"] * u ** 2) / a["rib_spacing"] \
        + a["rib_phase"]
    dist = np.abs((phi - np.floor(phi)) - 0.5)  # 0 at a rib's centre line, 0.5 mid-interspace
    half = 0.21  # rib width / spacing / 2
    rib = sig((half - dist) / 0.025)
    cortex = np.exp(-((dist - half + 0.03) / 0.03) ** 2)
    ribmask = ribmask * (0.35 + 0.65 * np.clip(lung, 0, 1))  # seen mainly against the lungs
    D += (0.028 * rib + 0.018 * cortex) * ribmask
    phi2 = (Y - a["apex"] - 0.05 + 0.35 * (ax - a["half_width"])) / (a["rib_spacing"] * 1.3) + a["rib_phase"]
    frac2 = phi2 - np.floor(phi2)
    ant = sig((0.22 - np.abs(frac2 - 0.5)) / 0.03) * sig((ax - 0.2) / 0.05) * sig((0.35 - Y) / 0.1)
    D += 0.008 * ant * ribmask

    # clavicles
    cc = Canvas(F)
    for side in (-1, 1):
        y0 = a["apex"] + rng.uniform(0.02, 0.08) - (0.05 if ap else 0.0)
        cc.polyline(bezier([(side * 0.07, y0 + 0.03), (side * 0.3, y0 - 0.02),
                            (side * 0.58, y0 - 0.08 - (0.05 if ap else 0.0))], 24), 1.0, 0.04)
    D += 0.07 * np.clip(cc.array(1.2), 0, 1)

    # breast shadows
    if a["breasts"]:
        for side in (-1, 1):
            bx, by = side * (a["lat"] * 0.62), a["dia"] - rng.uniform(0.0, 0.1)
            r = np.sqrt(((X - bx) / 0.30) ** 2 + ((Y - by) / 0.22) ** 2)
            D += rng.uniform(0.025, 0.05) * sig((1.0 - r) / 0.04) * sig((Y - by + 0.12) / 0.08) * body

    return D, masks, lungs, zones, heart


# ---------------------------------------------------------------------------------------------
# findings
# ---------------------------------------------------------------------------------------------

def sample_points(rng, zones, lungs, side_idx, rr, zr, n, tries=60):
    """n points inside lung `side_idx` with zone coordinates r in rr, z in zr."""
    r_map, z_map = zones[side_idx]
    ok = (lungs[side_idx] > 0.7) & (r_map >= rr[0]) & (r_map <= rr[1]) & (z_map >= zr[0]) & (z_map <= zr[1])
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return []
    pick = rng.choice(idx, size=min(n, idx.size), replace=False)
    return list(pick)


def ground_glass(rng, F, lungs, zones, spec, strength):
    """Hazy, mottled opacities. spec: list of (side_idx, r_range, z_range, n_blobs, amp_scale)."""
    G = np.zeros(F.X.shape)
    Xf, Yf = F.X.ravel(), F.Y.ravel()
    for side_idx, rr, zr, n, amp in spec:
        for p in sample_points(rng, zones, lungs, side_idx, rr, zr, n):
            x0, y0 = Xf[p], Yf[p]
            sgm = rng.uniform(0.05, 0.10)
            G += amp * rng.uniform(0.6, 1.0) * np.exp(-((F.X - x0) ** 2 + (F.Y - y0) ** 2) / (2 * sgm ** 2))
    mottle = 1.0 + 0.45 * smooth_noise(rng, F.X.shape, 40)
    G = np.clip(G * mottle, 0, None)
    G = 0.22 * np.tanh(G * strength / 0.22)
    return G * (lungs[0] + lungs[1])


def add_finding(rng, F, a, D, masks, lungs, zones, label, kind3=None):
    """Returns (density added, finding subtype)."""
    strength = rng.uniform(0.11, 0.18)
    if label == 0:
        extra = np.zeros(D.shape)
        kind = "none"
        if rng.random() < 0.2:  # calcified granuloma: tiny, bright, harmless
            side = int(rng.integers(2))
            pts = sample_points(rng, zones, lungs, side, (0.2, 0.9), (0.2, 0.8), 1)
            if pts:
                x0, y0 = F.X.ravel()[pts[0]], F.Y.ravel()[pts[0]]
                extra += 0.25 * np.exp(-((F.X - x0) ** 2 + (F.Y - y0) ** 2) / (2 * 0.008 ** 2))
                kind = "granuloma"
        return extra, kind
    if label == 1:
        spec = [(0, (0.5, 1.0), (0.45, 1.0), int(rng.integers(3, 7)), 1.0),
                (1, (0.5, 1.0), (0.45, 1.0), int(rng.integers(3, 7)), 1.0)]
        if rng.random() < 0.25:  # a little mid-zone involvement
            spec.append((int(rng.integers(2)), (0.3, 0.9), (0.3, 0.5), 1, 0.7))
        return ground_glass(rng, F, lungs, zones, spec, strength), "bilateral_peripheral_lower"
    if label == 2:
        kind = rng.choice(["unilateral", "central", "upper"], p=[0.35, 0.35, 0.30])
        side = int(rng.integers(2))
        if kind == "unilateral":
            spec = [(side, (0.35, 1.0), (0.3, 1.0), int(rng.integers(4, 9)), 1.0)]
            if rng.random() < 0.2:  # a faint speck on the other side keeps it close to CVX1
                spec.append((1 - side, (0.4, 1.0), (0.5, 1.0), 1, 0.4))
        elif kind == "central":
            spec = [(s, (0.0, 0.4), (0.25, 0.75), int(rng.integers(3, 6)), 1.0) for s in (0, 1)]
        else:
            sides = [0, 1] if rng.random() < 0.6 else [side]
            spec = [(s, (0.1, 1.0), (0.0, 0.42), int(rng.integers(3, 6)), 1.0) for s in sides]
        return ground_glass(rng, F, lungs, zones, spec, strength), "indeterminate_" + str(kind)
    # label 3
    kind = kind3
    if kind == "cardiomegaly":
        return np.zeros(D.shape), kind  # drawn through the heart size
    side = int(rng.integers(2))
    sgn = -1 if side == 0 else 1
    if kind == "consolidation":
        r_map, z_map = zones[side]
        if rng.random() < 0.5:  # upper lobe, bounded below by a horizontal-ish fissure
            zf = rng.uniform(0.35, 0.55)
            tilt = rng.uniform(-0.1, 0.1)
            region = sig((zf + tilt * r_map - z_map) / 0.01)
        else:  # lower lobe, bounded above by an oblique fissure
            zf = rng.uniform(0.35, 0.6)
            region = sig((z_map - (zf + 0.35 * (1 - r_map))) / 0.01)
        dens = rng.uniform(0.24, 0.32) * (1.0 + 0.12 * smooth_noise(rng, D.shape, 24))
        C = dens * region * lungs[side]
        # air bronchograms
        bc = Canvas(F)
        hx = sgn * (a["med"] + 0.06)
        for _ in range(4):
            ang = rng.uniform(-0.6, 1.4)
            L = rng.uniform(0.25, 0.5)
            end = (hx + sgn * math.cos(ang) * L, -0.05 + math.sin(ang) * L)
            mid = ((hx + end[0]) / 2 + rng.normal(0, 0.03), (-0.05 + end[1]) / 2 + rng.normal(0, 0.03))
            bc.polyline(bezier([(hx, -0.05), mid, end], 16), 1.0, 0.012)
        C -= 0.10 * np.clip(bc.array(0.8), 0, 1) * region * lungs[side]
        return C * (1.0 - 0.5 * np.clip(D - 0.45, 0, 1)), "consolidation"
    # pleural effusion: fluid in the hemithorax base with a meniscus rising laterally
    sides = [side] if rng.random() < 0.8 else [0, 1]
    E = np.zeros(D.shape)
    for sd in sides:
        s = -1 if sd == 0 else 1
        dia = a["dia"] if sd == 0 else a["dia_left"]
        level = dia - rng.uniform(0.10, 0.32)
        r_map = (np.abs(F.X) - a["med"]) / (a["lat"] - a["med"])
        meniscus = level - 0.14 * np.clip(r_map, 0, 1.2) ** 2
        hemi = sig((s * F.X - a["med"] + 0.02) / 0.01) * sig((a["lat"] + 0.03 - np.abs(F.X)) / 0.01) \
            * sig((dia + 0.18 - F.Y) / 0.02)
        fluid = sig((F.Y - meniscus) / 0.012) * hemi
        E += fluid * (0.26 + 0.10 * np.clip((F.Y - meniscus) / 0.3, 0, 1))
    # fluid replaces lung density; it cannot make the chest wall denser than it is
    E *= np.clip((0.62 - D) / 0.4, 0.0, 1.0)
    return E, "effusion"


def icu_extras(rng, F, a, lungs, zones):
    """Dependent haze and basal atelectasis: mimic ground glass on supine films."""
    E = np.zeros(F.X.shape)
    lung = lungs[0] + lungs[1]
    if rng.random() < 0.7:
        z = np.clip(np.maximum(zones[0][1] * (F.X < 0), zones[1][1] * (F.X >= 0)), 0, 1)
        E += rng.uniform(0.02, 0.06) * (0.4 + z) * (1.0 + 0.3 * smooth_noise(rng, F.X.shape, 8)) * lung
    if rng.random() < 0.45:
        side = int(rng.integers(2))
        s = -1 if side == 0 else 1
        y0 = (a["dia"] if side == 0 else a["dia_left"]) - rng.uniform(0.06, 0.16)
        cv = Canvas(F)
        x0 = s * rng.uniform(0.25, 0.4)
        cv.polyline(bezier([(x0 - 0.12, y0 + rng.normal(0, 0.02)), (x0, y0), (x0 + 0.14, y0 + rng.normal(0, 0.02))], 16),
                    1.0, rng.uniform(0.015, 0.03))
        E += rng.uniform(0.08, 0.14) * np.clip(cv.array(2.0), 0, 1) * lung
    return E


def lines_and_tubes(rng, F, a, ap):
    """ETT, NG tube, central line, ECG electrodes and leads. Returns (density, description)."""
    cv = Canvas(F)
    present = []
    carina = -0.28
    if rng.random() < 0.8:  # endotracheal tube: walls plus a radiopaque stripe
        x0 = rng.normal(0, 0.01)
        tip = carina - rng.uniform(0.05, 0.18)
        pts = bezier([(x0 + 0.05, -1.3), (x0, -0.9), (x0, tip)], 24)
        cv.polyline(pts, 0.10, 0.05)
        cv.polyline(pts + [0.008, 0], 0.55, 0.006)
        present.append("ETT")
    if rng.random() < 0.6:  # nasogastric tube into the stomach
        pts = bezier([(0.03, -1.3), (0.0, -0.2), (0.04, a["dia_left"] + 0.05),
                      (0.3, a["dia_left"] + 0.2)], 48)
        cv.polyline(pts, 0.45, 0.01)
        present.append("NGT")
    if rng.random() < 0.7:  # central venous line, jugular or subclavian, tip in the SVC
        s = -1 if rng.random() < 0.7 else 1
        start = (s * rng.uniform(0.25, 0.45), -1.05) if rng.random() < 0.5 else (s * 0.7, -0.75)
        pts = bezier([start, (s * 0.2, -0.75), (-0.06, -0.5), (-0.07, rng.uniform(-0.35, -0.15))], 40)
        cv.polyline(pts, 0.5, 0.009)
        present.append("CVC")
    n_ecg = int(rng.integers(3, 6)) if rng.random() < 0.9 else 0
    for _ in range(n_ecg):  # electrodes with leads leaving the field
        ex = rng.uniform(-0.75, 0.75)
        ey = rng.uniform(-0.9, 0.3)
        cv.ring(ex, ey, 0.028, 0.5, 0.008)
        cv.disc(ex, ey, 0.008, 0.6)
        out = (np.sign(ex) * rng.uniform(1.1, 1.4), rng.uniform(-1.2, 1.2))
        c1 = (rng.uniform(-0.8, 0.8), rng.uniform(-0.8, 0.8))
        cv.polyline(bezier([(ex, ey), c1, out], 48), 0.35, 0.006)
    if n_ecg:
        present.append("ECG")
    return cv.array(0.6), present


def burn_text(img, text, rng, frame, value):
    """Burned-in marker text (bright), drawn small and scaled up."""
    font = ImageFont.load_default()
    small = Image.new("L", (8 * len(text) + 4, 14), 0)
    ImageDraw.Draw(small).text((2, 1), text, fill=255, font=font)
    scale = max(1, int(round(frame.s / 256)))
    big = small.resize((small.width * scale, small.height * scale), Image.NEAREST)
    m = np.asarray(big, dtype=np.float64) / 255.0
    h, w = m.shape
    y0 = int(rng.integers(4, max(5, frame.h // 8)))
    x0 = int(rng.integers(4, max(5, frame.w - w - 4)))
    if y0 + h < frame.h and x0 + w < frame.w:
        img[y0:y0 + h, x0:x0 + w] = np.maximum(img[y0:y0 + h, x0:x0 + w], value * m)


# ---------------------------------------------------------------------------------------------
# one image
# ---------------------------------------------------------------------------------------------

def render(rng, label, sex, age, ap, icu, site, size):
    """One radiograph: returns (uint16 array of 12-bit values, metadata dict)."""
    aspect = site["aspect"]  # height / width
    if aspect >= 1.0:
        w, h = size, int(round(size * aspect))
    else:
        h, w = size, int(round(size / aspect))
    if icu:
        theta = math.radians(rng.normal(0, 6.0))
        zoom = rng.uniform(0.78, 0.95)
        tx, ty = rng.uniform(-0.12, 0.12), rng.uniform(-0.10, 0.15)
    else:
        theta = math.radians(rng.normal(0, 1.5))
        zoom = rng.uniform(0.97, 1.06)
        tx, ty = rng.normal(0, 0.02), rng.normal(0.02, 0.02)
    F = Frame(h, w, theta, zoom, tx, ty)
    a = sample_anatomy(rng, sex, age, ap, icu)

    finding_rng = np.random.default_rng(rng.integers(2 ** 63))
    kind3 = None
    ctr = a["ctr"]
    if label == 3:
        kind3 = str(finding_rng.choice(["consolidation", "effusion", "cardiomegaly"], p=[0.4, 0.35, 0.25]))
        if kind3 == "cardiomegaly":
            ctr = finding_rng.uniform(0.57, 0.68)
    if ap:
        ctr *= 1.10  # AP projection magnifies the heart
    D, masks, lungs, zones, heart = draw_anatomy(rng, F, a, ctr, ap)
    extra, kind = add_finding(finding_rng, F, a, D, masks, lungs, zones, label, kind3)
    finding_mask = where_drawn(extra, heart, kind)  # no random draws: the images stay as they were
    D = D + extra
    tubes = []
    if icu:
        D += icu_extras(rng, F, a, lungs, zones)
        T, tubes = lines_and_tubes(rng, F, a, ap)
        D += T
    D = np.clip(D, 0.0, None)

    # -- detector and processing -----------------------------------------------------------
    v = D / 0.8
    gamma = site["gamma"] * rng.uniform(0.9, 1.1)
    v = np.clip(v, 0, None) ** gamma
    if icu:
        v = 0.62 * v + 0.38 * gblur(v, 0.08 * F.s) + rng.uniform(0.03, 0.08)  # scatter fog
        lo, hi = rng.uniform(0.08, 0.15), rng.uniform(0.62, 0.75)
    else:
        lo, hi = rng.uniform(0.02, 0.07), rng.uniform(0.82, 0.95)
    v = lo + (hi - lo) * v
    v = gblur(v, 0.6 * F.s / 512)  # detector MTF
    k = site["unsharp"] * rng.uniform(0.8, 1.2)
    v = v + k * (v - gblur(v, 0.012 * F.s))  # edge enhancement
    v *= 1.0 + 0.04 * F.xn * (1 if rng.random() < 0.5 else -1)  # heel effect
    sigma = site["noise"] * rng.uniform(0.8, 1.2) * (rng.uniform(3.0, 4.0) if icu else 1.0)
    noise = rng.normal(0.0, 1.0, v.shape)
    noise = gblur(noise, 0.5 * F.s / 512)
    noise /= noise.std()
    v = v + sigma * np.sqrt(np.clip(v, 0.05, None) / 0.5) * noise
    if icu and rng.random() < 0.4:  # anti-scatter grid lines
        v += 0.006 * np.sin(2 * math.pi * np.arange(h)[:, None] / rng.uniform(2.5, 4.0))
    collimated = False
    if icu and rng.random() < 0.35:  # collimation: unexposed edges, white
        collimated = True
        bw = int(rng.uniform(0.02, 0.06) * F.s)
        edge = rng.integers(4)
        if edge == 0:
            v[:bw, :] = 0.97
        elif edge == 1:
            v[-bw:, :] = 0.97
        elif edge == 2:
            v[:, :bw] = 0.97
        else:
            v[:, -bw:] = 0.97
    # lead side marker, burned-in text on portables
    burn_text(v, "R" if rng.random() < 0.5 else "L", rng, F, 0.98)
    burned = False
    if icu and rng.random() < 0.7:
        burn_text(v, "AP PORTABLE" if rng.random() < 0.5 else "PORTABLE", rng, F, 0.98)
        burned = True
    img = np.round(np.clip(v, 0.0, 1.0) * MAX12).astype(np.uint16)
    meta = dict(finding=kind, lines_tubes=";".join(tubes) if tubes else "",
                rotation_deg=round(math.degrees(theta), 2), zoom=round(zoom, 3),
                cardiothoracic_ratio=round(ctr, 3), collimated=collimated, burned_in_text=burned,
                rows=h, columns=w, finding_mask=finding_mask)
    return img, meta


# Share of the finding's largest added density above which a pixel counts as part of the finding.
MASK_THRESHOLD = 0.2


def where_drawn(extra, heart, kind):
    """Where the finding was drawn, as a boolean image: the pixels to which the finding added at least
    MASK_THRESHOLD of its largest density (ground glass, consolidation, effusion, granuloma), or the
    heart for cardiomegaly (drawn through the heart size). Empty for a normal film without a finding."""
    if kind == "cardiomegaly":
        return heart > 0.5
    peak = float(np.max(extra)) if extra.size else 0.0
    if peak <= 0:
        return np.zeros(extra.shape, dtype=bool)
    return extra >= MASK_THRESHOLD * peak


# ---------------------------------------------------------------------------------------------
# patients and studies
# ---------------------------------------------------------------------------------------------

def patient_images(seed, set_name, index, size, forced=None):
    """All images of one patient: list of (series, uint16 image, metadata dict)."""
    rng = np.random.default_rng([seed, SET_STREAM[set_name], index])
    subject = f"{SET_PREFIX[set_name]}{index:05d}"
    sex = "F" if rng.random() < 0.5 else "M"
    age = int(np.clip(round(rng.normal(58, 17)), 18, 95))
    icu = rng.random() < 0.20
    site_idx = int(rng.choice(4, p=[0.3, 0.25, 0.25, 0.2]))
    n_images = int(rng.integers(1, 5))
    birth = dt.date(2021, 1, 1) - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
    day = dt.date(2020, 3, 1) + dt.timedelta(days=int(rng.integers(0, 400)))
    if forced is not None:
        icu, site_idx, n_images = forced["icu"], forced["site"], 1
    site = SITES[site_idx]
    prior = PRIOR_ICU if icu else PRIOR_WARD
    label = int(rng.choice(4, p=prior))
    out = []
    for k in range(n_images):
        if k > 0:
            day += dt.timedelta(days=int(rng.integers(1, 10)))
            if rng.random() < 0.4:
                label = int(rng.choice(4, p=prior))
        if forced is not None:
            label = forced["label"]
        portable = bool(icu and rng.random() < 0.9)
        if forced is not None:
            portable = forced["icu"]
        ap = portable or rng.random() < 0.08
        img_rng = np.random.default_rng(rng.integers(2 ** 63))
        img, m = render(img_rng, label, sex, age, ap, portable, site, size)
        age_at = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        series = f"{subject}-{k + 1}"
        tod = dt.time(int(rng.integers(0, 24)) if portable else int(rng.integers(8, 18)),
                      int(rng.integers(60)), int(rng.integers(60)))
        meta = dict(
            series=series, subject=subject, final_label=label, label_code=CLASS_CODES[label],
            sex=sex, age=age_at, birth_date=birth.strftime("%Y%m%d"), view="AP" if ap else "PA",
            icu_portable=portable, icu_patient=icu, site=site["code"], institution=site["institution"],
            manufacturer=site["manufacturer"],
            model=site["portable_model"] if portable else site["fixed_model"],
            station=f"{site['code'][-1]}{'MOB' if portable else 'XR'}{1 + int(rng.integers(3))}",
            modality=site["modality"], study_date=day.strftime("%Y%m%d"),
            study_time=tod.strftime("%H%M%S"),
            accession=f"{site['code'][-1]}{seed % 1000:03d}{SET_STREAM[set_name]}{index:05d}{k + 1}",
            pixel_spacing=round(site["fov_mm"] / size * (m["zoom"]), 4),
            photometric=site["photometric"],
            transfer_syntax="RLELossless" if site["rle"] else "ExplicitVRLittleEndian",
        )
        meta.update(m)
        out.append((series, img, meta))
    return out


def write_dicom(path, img, meta, seed, set_name):
    import pydicom
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

    def uid(kind):
        return generate_uid(entropy_srcs=[str(seed), set_name, meta["series"], kind])

    cr = meta["modality"] == "CR"
    sop_class = "1.2.840.10008.5.1.4.1.1.1" if cr else "1.2.840.10008.5.1.4.1.1.1.1"
    fm = FileMetaDataset()
    fm.MediaStorageSOPClassUID = sop_class
    fm.MediaStorageSOPInstanceUID = uid("sop")
    fm.TransferSyntaxUID = ExplicitVRLittleEndian
    fm.ImplementationClassUID = generate_uid(entropy_srcs=["chestlens-synth_cxr"])
    fm.ImplementationVersionName = "CHESTLENS_SYN1"
    ds = FileDataset(str(path), {}, file_meta=fm, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = fm.MediaStorageSOPInstanceUID
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = meta["study_date"]
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = ds.AcquisitionTime = meta["study_time"]
    ds.AccessionNumber = meta["accession"]
    ds.Modality = meta["modality"]
    ds.Manufacturer = meta["manufacturer"]
    ds.InstitutionName = meta["institution"]
    ds.ReferringPhysicianName = ""
    ds.StationName = meta["station"]
    ds.StudyDescription = "XR CHEST AP PORTABLE" if meta["icu_portable"] else f"XR CHEST {meta['view']}"
    ds.SeriesDescription = f"CHEST {meta['view']}"
    ds.ManufacturerModelName = meta["model"]
    ds.PatientName = f"SYNTHETIC^{meta['subject']}"
    ds.PatientID = meta["subject"]
    ds.PatientBirthDate = meta["birth_date"]
    ds.PatientSex = meta["sex"]
    ds.PatientAge = f"{int(meta['age']):03d}Y"
    ds.PatientIdentityRemoved = "NO"
    ds.BodyPartExamined = "CHEST"
    ds.KVP = "90" if meta["icu_portable"] else "120"
    ds.DistanceSourceToDetector = "1000" if meta["icu_portable"] else "1800"
    ds.DeviceSerialNumber = f"SYN{sum(map(ord, meta['model'])) * 37 % 100000:05d}"
    ds.SoftwareVersions = next(s["software"] for s in SITES if s["code"] == meta["site"])
    ds.ViewPosition = meta["view"]
    ds.StudyInstanceUID = uid("study")
    ds.SeriesInstanceUID = uid("series")
    ds.StudyID = meta["accession"][-6:]
    ds.SeriesNumber = 1
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ["L", "F"]
    ds.BurnedInAnnotation = "YES" if meta["burned_in_text"] else "NO"
    ds.ImageComments = "SYNTHETIC IMAGE generated by chestlens synth_cxr.py - not patient data"
    ds.SamplesPerPixel = 1
    mono1 = meta["photometric"] == "MONOCHROME1"
    ds.PhotometricInterpretation = meta["photometric"]
    ds.Rows, ds.Columns = img.shape
    ds.PixelSpacing = [meta["pixel_spacing"], meta["pixel_spacing"]]
    ds.ImagerPixelSpacing = [meta["pixel_spacing"], meta["pixel_spacing"]]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = 2048
    ds.WindowWidth = 4096
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.RescaleType = "US"
    if not cr:
        ds.PresentationIntentType = "FOR PRESENTATION"
    ds.LossyImageCompression = "00"
    stored = (MAX12 - img) if mono1 else img
    ds.PixelData = stored.astype("<u2").tobytes()
    if meta["transfer_syntax"] == "RLELossless":
        ds.compress(RLELossless, stored.astype(np.uint16), encoding_plugin="pydicom")
    ds.save_as(str(path), write_like_original=False)


def write_outputs(args_tuple):
    """Worker: generate one patient and write its files; returns metadata rows."""
    seed, set_name, index, size, formats, out, forced, masks = args_tuple
    rows = []
    for series, img, meta in patient_images(seed, set_name, index, size, forced):
        meta = dict(meta)
        finding_mask = meta.pop("finding_mask")
        meta["png16_path"] = meta["png8_path"] = meta["dicom_path"] = ""
        if masks:
            rel = f"masks/{series}.png"
            Image.fromarray(finding_mask.astype(np.uint8) * 255).save(out / rel, format="PNG")
            meta["mask_path"] = rel
        for fmt in formats:
            if fmt == "png16":
                rel = f"png16/{series}.png"
                Image.fromarray(img.astype(np.uint16)).save(out / rel, format="PNG")
                meta["png16_path"] = rel
            elif fmt == "png8":
                rel = f"png8/{series}.png"
                Image.fromarray((img >> 4).astype(np.uint8)).save(out / rel, format="PNG")
                meta["png8_path"] = rel
            elif fmt == "dicom":
                rel = f"dicom/{series}.dcm"
                write_dicom(out / rel, img, meta, seed, set_name)
                meta["dicom_path"] = rel
        meta["filepath"] = meta[{"png16": "png16_path", "png8": "png8_path", "dicom": "dicom_path"}[formats[0]]]
        rows.append(meta)
    return rows


# Fixtures: one image per (label, icu, site) tuple, covering every storage variant.
FIXTURES = [
    dict(label=0, icu=False, site=0), dict(label=1, icu=False, site=1),
    dict(label=2, icu=False, site=2), dict(label=3, icu=False, site=3),
    dict(label=1, icu=True, site=3), dict(label=3, icu=True, site=2),
    dict(label=0, icu=True, site=1), dict(label=2, icu=False, site=0),
]


def contact_sheet(rows, out_dir, path, n=24, tile=192):
    """Grid of the first n images (8-bit, min-max) with label and flags written on each."""
    rows = rows[:n]
    cols = 6
    nr = (len(rows) + cols - 1) // cols
    sheet = Image.new("L", (cols * tile, nr * tile), 0)
    d = ImageDraw.Draw(sheet)
    for i, r in enumerate(rows):
        p = r["png16_path"] or r["png8_path"]
        if not p:
            continue
        a = np.asarray(Image.open(out_dir / p), dtype=np.float64)
        a = (a - a.min()) * 255.0 / max(1e-9, a.max() - a.min())
        im = Image.fromarray(a).convert("L")
        im.thumbnail((tile, tile))
        x, y = (i % cols) * tile, (i // cols) * tile
        sheet.paste(im, (x, y))
        txt = f"{r['label_code']} {r['finding'][:14]}{' ICU' if r['icu_portable'] else ''}"
        d.rectangle([x, y, x + tile - 1, y + 11], fill=0)
        d.text((x + 2, y), txt, fill=255)
    sheet.save(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Synthetic chest radiographs (not patient data).",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--set", choices=sorted(SET_STREAM), default="train")
    ap.add_argument("--n-patients", type=int, default=None,
                    help=f"patients to draw (default: eval {EVAL_PATIENTS}, fixtures {len(FIXTURES)}, train 800)")
    ap.add_argument("--first-patient", type=int, default=0)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--formats", default="png16", help="comma list of png16, png8, dicom; the first "
                    "is what dataset.csv's filepath points at")
    ap.add_argument("--size", type=int, default=512, help="shorter image side in pixels")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--contact-sheet", type=Path, default=None, help="also write a preview PNG")
    ap.add_argument("--masks", action="store_true",
                    help="also write masks/<series>.png: where the finding was drawn (255), for "
                         "localisation checks (pointing_game.py)")
    args = ap.parse_args(argv)

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("png16", "png8", "dicom")]
    if bad or not formats:
        ap.error(f"unknown formats {bad}")
    n = args.n_patients
    if n is None:
        n = {"eval": EVAL_PATIENTS, "fixtures": len(FIXTURES), "train": 800}[args.set]
    if args.set == "eval" and (args.first_patient != 0 or n != EVAL_PATIENTS or args.seed != DEFAULT_SEED):
        print("warning: not the fixed evaluation set (defaults give it)", file=sys.stderr)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    for f in formats:
        (out / f).mkdir(exist_ok=True)
    if args.masks:
        (out / "masks").mkdir(exist_ok=True)
    tasks = []
    for i in range(args.first_patient, args.first_patient + n):
        forced = FIXTURES[i % len(FIXTURES)] if args.set == "fixtures" else None
        tasks.append((args.seed, args.set, i, args.size, formats, out, forced, args.masks))
    rows = []
    if args.jobs > 1:
        with Pool(args.jobs) as pool:
            for i, r in enumerate(pool.imap(write_outputs, tasks, chunksize=2)):
                rows.extend(r)
                if (i + 1) % 50 == 0:
                    print(f"{i + 1}/{n} patients, {len(rows)} images", flush=True)
    else:
        for t in tasks:
            rows.extend(write_outputs(t))

    with open(out / "dataset.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series", "subject", "filepath", "final_label"])
        for r in rows:
            w.writerow([r["series"], r["subject"], r["filepath"], r["final_label"]])
    meta_cols = [c for c in rows[0].keys() if c not in ("filepath",)]
    with open(out / "metadata.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=meta_cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    counts = np.bincount([r["final_label"] for r in rows], minlength=4)
    icu = sum(r["icu_portable"] for r in rows)
    print(f"wrote {len(rows)} images of {n} patients to {out}: classes {counts.tolist()}, "
          f"ICU portable {icu}")
    if args.set == "eval" and n == EVAL_PATIENTS and len(rows) < 400:
        print("ERROR: evaluation set smaller than 400 images", file=sys.stderr)
        return 1
    if args.contact_sheet:
        contact_sheet(rows, out, args.contact_sheet)
        print(f"contact sheet: {args.contact_sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
