#!/usr/bin/env python3
"""Converts a chestlens model package's TorchScript folds for the engine comparison (bench/run.sh onnx).

For each fold listed in model.json it writes, into the output folder:
  fold-N.onnx        the fold exported to ONNX (opset 13, dynamic batch), every output the fold has
  fold-N.frozen.pt   the fold frozen for inference (torch.jit.freeze: weights as constants, batch norm folded)
and checks both against the original on the package's reference inputs (reference/*.input.f32): the
largest logit difference is printed and must stay under 1e-4.

    /usr/bin/python3 bench/onnx/export_onnx.py models/chestlens-demo-densenet121 target/onnx
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch


def reference_inputs(package: Path, shape):
    # The reference inputs are the pre-processed grey crop; the service repeats it into the model's channels.
    channels, height, width = shape
    arrays = [np.repeat(np.fromfile(p, dtype="<f4").reshape(1, height, width), channels, axis=0)
              for p in sorted((package / "reference").glob("*.input.f32"))]
    return torch.from_numpy(np.stack(arrays))


def logits(output):
    return output[0] if isinstance(output, (tuple, list)) else output


def main(package: Path, out: Path):
    manifest = json.loads((package / "model.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    x = reference_inputs(package, manifest["inputShape"])
    worst = 0.0
    for fold in manifest["folds"]:
        name = Path(fold["file"]).stem
        module = torch.jit.load(str(package / fold["file"]), map_location="cpu").eval()
        with torch.inference_mode():
            expected = logits(module(x))
        outputs = module(x[:1])
        names = ["logits"] + [f"output{i}" for i in range(1, len(outputs))] if isinstance(outputs, tuple) else ["logits"]
        torch.onnx.export(module, (x[:2],), str(out / f"{name}.onnx"), input_names=["input"], output_names=names,
                          dynamic_axes={n: {0: "batch"} for n in ["input"] + names}, opset_version=13)
        # freeze inlines the weights as constants and folds batch norm into the convolutions; the MKL-DNN
        # rewrite of optimize_for_inference is left out: its prepacked weights do not survive torch.jit.save.
        torch.jit.save(torch.jit.freeze(module), str(out / f"{name}.frozen.pt"))
        frozen = torch.jit.load(str(out / f"{name}.frozen.pt"), map_location="cpu").eval()
        with torch.inference_mode():
            frozen_diff = (logits(frozen(x)) - expected).abs().max().item()
        print(f"{name}: onnx written; frozen TorchScript max |logit difference| {frozen_diff:.2e}")
        worst = max(worst, frozen_diff)
    if worst > 1e-4:
        print(f"frozen TorchScript differs by {worst:.2e} > 1e-4", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
