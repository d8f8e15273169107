#!/usr/bin/python3
"""The seed's labelling study, replayed on the synthetic evaluation set against a running service.

1. Uploads every DICOM file of the fixed evaluation set (synth_cxr.py --set eval) through the API.
2. Posts the reference labels (InnerEye's dataset.csv columns, series = the chestlens image id).
3. Posts the labels of two SIMULATED readers, drawn with a fixed seed from this noise model:

   reader       correct on standard films   correct on ICU portable films
   sim-senior   0.88                        0.80
   sim-junior   0.78                        0.62

   A wrong label is the sub-task neighbour (CVX1 <-> CVX2, CVX0 <-> CVX3) with probability 0.7,
   otherwise any other class uniformly: readers, like the model, mostly confuse the classes that
   the hierarchy's last level separates.
4. Asks for the evaluation (GET /api/v1/evaluations) and an error-analysis tree over the stored
   DICOM attributes (not the model's confidence), prints both, and measures how well the tree's
   highest error-rate leaf isolates the planted ICU portable subgroup (precision and recall).

Usage (service running with the demonstration model, evaluation set generated):
    models/training/build_demo_model.sh eval-data
    /usr/bin/python3 models/training/label_study.py --url http://localhost:8080 \
        --data models/training/data/eval [--out label_study.json]
Only the standard library is used.
"""
import argparse
import os
import csv
import io
import json
import random
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

READERS = {"sim-senior": (0.88, 0.80), "sim-junior": (0.78, 0.62)}
NEIGHBOUR = {0: 3, 3: 0, 1: 2, 2: 1}
SEED = 20210714
TREE_FEATURES = ["distanceSourceToDetector", "kvp", "viewPosition", "manufacturer", "manufacturerModelName",
                 "institutionName", "patientSex", "patientAgeYears", "photometricInterpretation"]


API_KEY = os.environ.get("CHESTLENS_API_KEY", "")


def request(method, url, body=None, content_type=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method)
    if API_KEY:
        req.add_header("X-API-Key", API_KEY)
    if content_type:
        req.add_header("Content-Type", content_type)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def simulated_label(rng, truth, icu, accuracy):
    if rng.random() < accuracy[1 if icu else 0]:
        return truth
    if rng.random() < 0.7:
        return NEIGHBOUR[truth]
    return rng.choice([c for c in range(4) if c != truth])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://localhost:8080")
    ap.add_argument("--data", type=Path, default=Path(__file__).parent / "data" / "eval")
    ap.add_argument("--model", default="chestlens-demo-densenet121")
    ap.add_argument("--out", type=Path, default=None, help="also write the answers as JSON")
    ap.add_argument("--api-key", default=None,
                    help="an API key with the roles submitter, reader, annotator and analyst "
                         "(default: $CHESTLENS_API_KEY; the dev profile prints one at start-up)")
    args = ap.parse_args(argv)
    global API_KEY
    if args.api_key:
        API_KEY = args.api_key
    api = args.url.rstrip("/") + "/api/v1"

    rows = list(csv.DictReader(open(args.data / "metadata.csv", newline="")))
    t0 = time.time()
    start = None
    image_of = {}
    for i, r in enumerate(rows):
        body = (args.data / r["dicom_path"]).read_bytes()
        for attempt in range(100):
            status, answer = request("POST", api + "/images", body, "application/dicom", {"Prefer": "respond-async"})
            if status != 429:
                break
            time.sleep(1)
        if status not in (200, 201, 202):
            sys.exit(f"upload of {r['dicom_path']} answered {status}: {answer}")
        image = answer["images"][0]
        image_of[r["series"]] = image["id"]
        start = image["receivedAt"] if start is None or image["receivedAt"] < start else start
        if (i + 1) % 100 == 0:
            print(f"uploaded {i + 1}/{len(rows)} ({time.time() - t0:.0f} s)", flush=True)
    while True:  # wait until every image is scored
        pending = [s for s, iid in image_of.items()
                   if request("GET", f"{api}/images/{iid}")[1]["status"] not in ("DONE", "FAILED")]
        if not pending:
            break
        time.sleep(2)
    print(f"{len(rows)} images uploaded and scored in {time.time() - t0:.0f} s", flush=True)

    def post_csv(labels, reader=None):
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["series", "subject", "filepath", "final_label"])
        for r in rows:
            w.writerow([image_of[r["series"]], r["subject"], r["dicom_path"], labels[r["series"]]])
        url = api + "/labels" + (f"?reader={reader}" if reader else "")
        status, answer = request("POST", url, out.getvalue().encode(), "text/csv")
        if status != 200:
            sys.exit(f"labels ({reader or 'reference'}) answered {status}: {answer}")

    post_csv({r["series"]: int(r["final_label"]) for r in rows})
    rng = random.Random(SEED)
    for reader, accuracy in READERS.items():
        post_csv({r["series"]: simulated_label(rng, int(r["final_label"]), r["icu_portable"] == "True", accuracy)
                  for r in rows}, reader)

    status, evaluation = request("GET", f"{api}/evaluations?modelId={args.model}")
    if status != 200:
        sys.exit(f"evaluation answered {status}: {evaluation}")
    print(f"\nevaluation of {evaluation['labelledPredictions']} labelled predictions (bootstrap 95% intervals):")
    print(f"{'':12s}" + "".join(f"{c['subTask']:>12s}" for c in evaluation["comparison"]))
    names = ["model"] + [r["reader"] for r in evaluation["readers"]]
    for n in names:
        cells = [c["model"] if n == "model" else c["readers"].get(n) for c in evaluation["comparison"]]
        print(f"{n:12s}" + "".join(f"{v:12.3f}" if v is not None else f"{'-':>12s}" for v in cells))
    for t in evaluation["model"]["subTasks"]:
        print(f"model {t['subTask']}: accuracy {t['accuracy']:.3f} {t['accuracyInterval']}, AUROC "
              f"{t['auroc']:.3f} {t['aurocInterval']}, sensitivity {t['sensitivity']:.3f}, specificity "
              f"{t['specificity']:.3f}, n {t['n']}, undefined skipped {t['skippedUndefined']}")
    print(f"model ECE {evaluation['model']['expectedCalibrationError']:.3f}; kappa: " + ", ".join(
        f"{a['first']}~{a['second']} {a['kappa']:.3f}" for a in evaluation["agreement"]))

    status, run = request("POST", api + "/error-analyses", json.dumps({
        "cohort": {"modelId": args.model}, "features": TREE_FEATURES,
        "heatMap": ["distanceSourceToDetector", "viewPosition"]}).encode(), "application/json")
    if status != 201:
        sys.exit(f"error analysis answered {status}: {run}")
    leaves = [n for n in run["nodes"] if n["leaf"]]
    worst = max(leaves, key=lambda n: n["errorRate"])
    print(f"\nerror analysis {run['id']}: {run['size']} cases, overall error rate {run['overallErrorRate']:.3f}")
    for n in run["nodes"]:
        print(f"  {'  ' * n['depth']}{n['condition'] or 'all'}: n {n['size']}, errors {n['errors']}, "
              f"rate {n['errorRate']:.3f}, coverage {n['errorCoverage']:.3f}{' (leaf)' if n['leaf'] else ''}")
    # Which images fall in the worst leaf: ask the service (activate the run, read each reliability).
    request("PUT", f"{api}/error-analyses/{run['id']}/active")
    in_leaf = set()
    for r in rows:
        image = request("GET", f"{api}/images/{image_of[r['series']]}")[1]
        rel = next(p for p in image["predictions"] if p["model"]["id"] == args.model).get("reliability") or {}
        if rel.get("cases") == worst["path"]:
            in_leaf.add(r["series"])
    icu = {r["series"] for r in rows if r["icu_portable"] == "True"}
    precision = len(in_leaf & icu) / max(1, len(in_leaf))
    recall = len(in_leaf & icu) / max(1, len(icu))
    print(f"\nworst leaf '{worst['path']}' (error rate {worst['errorRate']:.3f}, n {worst['size']}) against the "
          f"ICU portable subgroup ({len(icu)} images): precision {precision:.3f}, recall {recall:.3f}")
    if args.out:
        args.out.write_text(json.dumps({"evaluation": evaluation, "errorAnalysis": run,
                                        "worstLeaf": {"precision": precision, "recall": recall}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
