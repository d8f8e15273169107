#!/usr/bin/python3
"""Writes the colour map the service blends heat maps with: matplotlib's viridis (perceptually
uniform, readable in grey and by colour-blind readers), 256 entries of 8-bit R, G, B, as
src/main/resources/heatmap/viridis.rgb (768 bytes). Run with Debian's interpreter
(python3-matplotlib): /usr/bin/python3 models/training/write_colour_map.py
"""
from pathlib import Path

import numpy as np
from matplotlib import colormaps

out = Path(__file__).resolve().parents[2] / "src/main/resources/heatmap/viridis.rgb"
rgb = np.round(colormaps["viridis"](np.arange(256) / 255.0)[:, :3] * 255).astype(np.uint8)
out.write_bytes(rgb.tobytes())
print(f"wrote {out} ({out.stat().st_size} bytes): first {rgb[0].tolist()}, last {rgb[-1].tolist()}")
