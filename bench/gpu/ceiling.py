#!/usr/bin/env python3
"""The ensemble's forward ceiling on one device, with nothing of the service around it.

Loads a chestlens model package's TorchScript folds (model.json lists them), runs the cross-validation
ensemble (every fold on the same batch, as the service's BatchWorker does) on random pre-processed inputs
and prints images/s and p50/p99 latency per batch for batch sizes 1-256, in fp32 and under autocast
(fp16 on CUDA, bfloat16 on CPU), with and without channels-last memory format.

It needs only Python and PyTorch: the lent GPU machine has no Java. Run from the repository root:

    /usr/bin/python3 bench/gpu/ceiling.py --device cpu --batches 1,4 --seconds 2    # this machine
    python3 bench/gpu/ceiling.py --device cuda                                     # a lent GPU

The number to keep is the best images/s at a batch size the service would use; divided by the CPU cost per
image outside the forward (bench/run.sh e2e prints it) it gives the cores a GPU node needs to keep its GPU busy.
"""
import argparse
import json
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch


def load_folds(package: Path, device: torch.device):
    manifest = json.loads((package / "model.json").read_text())
    folds = []
    for fold in manifest["folds"]:
        module = torch.jit.load(str(package / fold["file"]), map_location=device)
        module.eval()
        folds.append(module)
    return manifest, folds


def ensemble(folds, x):
    # Only the logits matter for throughput; format-2 folds also return class activation maps, which the
    # service keeps, so they are computed here too.
    outputs = [fold(x) for fold in folds]
    logits = [o[0] if isinstance(o, (tuple, list)) else o for o in outputs]
    return torch.stack(logits).float().softmax(-1).mean(0)


def measure(folds, device, batch, shape, precision, channels_last, seconds, warmup):
    x = torch.rand((batch, *shape), device=device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    if precision == "fp32":
        autocast = nullcontext()
    else:
        dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
        autocast = torch.autocast(device_type=device.type, dtype=dtype)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    latencies = []
    with torch.inference_mode(), autocast:
        for _ in range(warmup):
            ensemble(folds, x)
        sync()
        started = time.perf_counter()
        while time.perf_counter() - started < seconds or len(latencies) < 3:
            t0 = time.perf_counter()
            ensemble(folds, x)
            sync()
            latencies.append(time.perf_counter() - t0)
    latencies.sort()
    total = sum(latencies)
    p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
    return batch * len(latencies) / total, statistics.median(latencies) * 1000, p99 * 1000, len(latencies)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="models/chestlens-demo-densenet121", type=Path)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batches", default="1,2,4,8,16,32,64,128,256")
    parser.add_argument("--precisions", default="fp32,autocast")
    parser.add_argument("--layouts", default="contiguous,channels_last")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per configuration")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for intra-op work (0: PyTorch's default)")
    args = parser.parse_args(argv)

    device = torch.device(args.device)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    manifest, folds = load_folds(args.package, device)
    shape = tuple(manifest["inputShape"])
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"# {manifest['id']} {manifest['version']}: {len(folds)} folds, input {shape}, torch {torch.__version__}, {name}")
    print(f"{'batch':>5} {'precision':>9} {'layout':>13} {'images/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'runs':>5}")
    best = (0.0, None)
    for precision in args.precisions.split(","):
        for layout in args.layouts.split(","):
            for batch in (int(b) for b in args.batches.split(",")):
                try:
                    rate, p50, p99, runs = measure(folds, device, batch, shape, precision,
                                                   layout == "channels_last", args.seconds, args.warmup)
                except torch.cuda.OutOfMemoryError:
                    print(f"{batch:>5} {precision:>9} {layout:>13} {'out of memory':>10}")
                    torch.cuda.empty_cache()
                    break
                print(f"{batch:>5} {precision:>9} {layout:>13} {rate:>10.1f} {p50:>9.2f} {p99:>9.2f} {runs:>5}",
                      flush=True)
                if rate > best[0]:
                    best = (rate, f"batch {batch}, {precision}, {layout}")
    print(f"# best: {best[0]:.1f} images/s ({best[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
