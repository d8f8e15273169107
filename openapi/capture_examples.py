#!/usr/bin/env python3
"""Captures real answers of a running chestlens as the contract's examples.

    /usr/bin/python3 openapi/capture_examples.py --url http://localhost:8080 --api-key clk_...

The key needs every role (the dev profile prints one). Each operation is called once on fresh data
(a fixture image, labels, an error analysis, an API key, a webhook subscription) and its answer is
written, shortened (lists to two items, FHIR bundles to the report and one observation), to
src/main/resources/openapi-examples.json, keyed "METHOD /path/template". The service serves them in
/v3/api-docs (platform.ContractExamples); Redocly's no-invalid-media-type-examples rule checks each
against its schema in .ci/run, and OpenApiContractTest that every operation has one.

Operations this run cannot call keep their stored examples. Calibrations need at least 100 labelled
predictions, so theirs are the real answers CalibrationApiTest records on the label-study cohort
(target/calibration-examples.json); add them with --merge (--merge-only: without a running service):

    /usr/bin/python3 openapi/capture_examples.py --merge-only --merge target/calibration-examples.json
"""
import argparse
import json
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "models" / "training" / "fixtures"
# Secrets in answers are replaced by placeholders of the same shape: the contract holds no real key.
EXAMPLE_KEY = "clk_" + "EXAMPLE0" * 5 + "EXA"
EXAMPLE_SECRET = "whsec_" + "RVhBTVBMRS1TRUNSRVQtRVhBTVBMRS1TRUNSRVQtMDE="


def call(base, key, method, path, body=None, content_type="application/json", accept=None, prefer=None):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("X-API-Key", key)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if accept:
        req.add_header("Accept", accept)
    if prefer:
        req.add_header("Prefer", prefer)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: {e.code} {e.read()[:500]!r}")


def call_text(base, key, path):
    req = urllib.request.Request(base + path, method="GET")
    req.add_header("X-API-Key", key)
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, r.read().decode()


def call_bytes(base, key, path, accept):
    req = urllib.request.Request(base + path, method="GET")
    req.add_header("X-API-Key", key)
    req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def multipart(field_files, fields=()):
    boundary = "capture" + uuid.uuid4().hex
    out = b""
    for name, value in fields:
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode()
    for name, filename, content_type, data in field_files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {content_type}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def shorten(value, depth=0):
    if isinstance(value, list):
        return [shorten(v, depth + 1) for v in value[:2]]
    if isinstance(value, dict):
        return {k: shorten(v, depth + 1) for k, v in value.items()}
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://localhost:8080")
    ap.add_argument("--api-key", default=os.environ.get("CHESTLENS_API_KEY"))
    ap.add_argument("--merge", type=Path, action="append", default=[],
                    help="a JSON file of examples in this file's shape whose entries replace the stored ones")
    ap.add_argument("--merge-only", action="store_true", help="only merge, call no service")
    args = ap.parse_args()
    base, key = args.url.rstrip("/"), args.api_key
    out = ROOT / "src" / "main" / "resources" / "openapi-examples.json"
    if args.merge_only:
        ex = json.loads(out.read_text())
        write(out, ex, args.merge)
        return
    ex = {}

    def record(op, status, answer, request=None):
        entry = ex.setdefault(op, {})
        if request is not None:
            entry["request"] = request
        if answer is not None:
            entry.setdefault("responses", {})[str(status)] = shorten(answer)

    png = sorted((FIXTURES / "png16").glob("*.png"))[0].read_bytes()
    dcm_path = sorted((FIXTURES / "dicom").glob("*.dcm"))[0]
    body, ctype = multipart([("file", "chest.png", "image/png", png + uuid.uuid4().bytes)],
                            [("subject", "Patient/example-123")])
    # A trailing chunk after IEND keeps the pixels and makes the bytes new, so the upload is scored now.
    status, upload = call(base, key, "POST", "/api/v1/images", body, ctype, prefer="wait=60")  # a busy machine
    record("POST /api/v1/images", status, upload)
    record("POST /api/v1/images", *call(base, key, "POST", "/api/v1/images", body, ctype))  # the same bytes: 200
    queued_body, queued_type = multipart([("file", "chest.png", "image/png", png + uuid.uuid4().bytes)])
    req = urllib.request.Request(base + "/api/v1/images", data=queued_body, method="POST")
    for name, value in (("X-API-Key", key), ("Content-Type", queued_type), ("Prefer", "respond-async")):
        req.add_header(name, value)
    with urllib.request.urlopen(req, timeout=120) as r:  # 202: stored, queued
        record("POST /api/v1/images", r.status, json.loads(r.read()))
    image = upload["images"][0]
    image_id, prediction_id = image["id"], image["predictions"][0]["id"]
    record("GET /api/v1/images/{id}", *call(base, key, "GET", f"/api/v1/images/{image_id}"))
    record("GET /api/v1/predictions/{id}", *call(base, key, "GET", f"/api/v1/predictions/{prediction_id}"))
    record("GET /api/v1/predictions", *call(base, key, "GET", "/api/v1/predictions?limit=2"))
    status, bundle = call(base, key, "GET", f"/api/v1/predictions/{prediction_id}/fhir")
    bundle["entry"] = bundle["entry"][:2]
    record("GET /api/v1/predictions/{id}/fhir", status, bundle)
    status, models = call(base, key, "GET", "/api/v1/models")
    record("GET /api/v1/models", status, models)
    record("GET /api/v1/models/{id}", *call(base, key, "GET", f"/api/v1/models/{models[0]['id']}"))

    reference = {"label": 1, "labelledBy": "consensus of two thoracic radiologists"}
    record("PUT /api/v1/images/{imageId}/labels/reference", *call(
        base, key, "PUT", f"/api/v1/images/{image_id}/labels/reference", reference), request=reference)
    reader = {"label": 2, "comment": "faint bilateral opacities"}
    record("PUT /api/v1/images/{imageId}/labels/readers/{readerId}", *call(
        base, key, "PUT", f"/api/v1/images/{image_id}/labels/readers/reader-1", reader), request=reader)
    record("PUT /api/v1/images/{imageId}/labels/reference", *call(
        base, key, "PUT", f"/api/v1/images/{image_id}/labels/reference", reference))  # replaced: 200
    record("PUT /api/v1/images/{imageId}/labels/readers/{readerId}", *call(
        base, key, "PUT", f"/api/v1/images/{image_id}/labels/readers/reader-1", reader))
    record("GET /api/v1/images/{imageId}/labels", *call(base, key, "GET", f"/api/v1/images/{image_id}/labels"))
    batch = {"labels": [{"image": image_id, "label": 1}, {"image": image_id, "reader": "reader-2", "label": 1}]}
    record("POST /api/v1/labels", *call(base, key, "POST", "/api/v1/labels", batch), request=batch)

    record("GET /api/v1/evaluations", *call(base, key, "GET", f"/api/v1/evaluations?modelId={models[0]['id']}&bootstrap=100&seed=1"))
    record("GET /api/v1/error-analyses/features", *call(base, key, "GET", "/api/v1/error-analyses/features"))
    analysis = {"cohort": {"modelId": models[0]["id"]}, "features": ["width", "confidence"],
                "minSamplesPerLeaf": 1, "heatMap": ["width"]}
    status, run = call(base, key, "POST", "/api/v1/error-analyses", analysis)
    record("POST /api/v1/error-analyses", status, run, request=analysis)
    record("GET /api/v1/error-analyses/{id}", *call(base, key, "GET", f"/api/v1/error-analyses/{run['id']}"))
    record("GET /api/v1/error-analyses", *call(base, key, "GET", "/api/v1/error-analyses?limit=1"))
    record("PUT /api/v1/error-analyses/{id}/active",
           *call(base, key, "PUT", f"/api/v1/error-analyses/{run['id']}/active"))
    record("DELETE /api/v1/error-analyses/{id}/active",
           *call(base, key, "DELETE", f"/api/v1/error-analyses/{run['id']}/active"))
    points = {"cohort": {"modelId": models[0]["id"]}, "targetSensitivity": 0.9, "bootstrap": 200}
    status, configuration = call(base, key, "POST", "/api/v1/operating-points", points)
    record("POST /api/v1/operating-points", status, configuration, request=points)
    record("GET /api/v1/operating-points/{id}",
           *call(base, key, "GET", f"/api/v1/operating-points/{configuration['id']}"))
    record("GET /api/v1/operating-points",
           *call(base, key, "GET", f"/api/v1/operating-points?modelId={models[0]['id']}"))
    record("PUT /api/v1/operating-points/{id}/active",
           *call(base, key, "PUT", f"/api/v1/operating-points/{configuration['id']}/active"))
    record("DELETE /api/v1/operating-points/{id}/active",
           *call(base, key, "DELETE", f"/api/v1/operating-points/{configuration['id']}/active"))

    new_key = {"name": "mirth-radiology-" + uuid.uuid4().hex[:6], "roles": ["submitter", "reader"],
               "expiresAt": "2027-12-31T00:00:00Z", "rateLimitPerMinute": 1200}
    status, created = call(base, key, "POST", "/api/v1/api-keys", new_key)
    record("POST /api/v1/api-keys", status, dict(created, key=EXAMPLE_KEY), request=new_key)
    record("GET /api/v1/api-keys", *call(base, key, "GET", "/api/v1/api-keys?limit=2"))
    record("GET /api/v1/api-keys/{id}", *call(base, key, "GET", f"/api/v1/api-keys/{created['apiKey']['id']}"))
    call(base, key, "DELETE", f"/api/v1/api-keys/{created['apiKey']['id']}")

    hook = {"url": "https://engine.hospital.example/chestlens", "eventTypes": ["prediction.completed"],
            "description": "radiology integration engine"}
    status, subscription = call(base, key, "POST", "/api/v1/webhooks", hook)
    record("POST /api/v1/webhooks", status, dict(subscription, secret=EXAMPLE_SECRET), request=hook)
    record("GET /api/v1/webhooks", *call(base, key, "GET", "/api/v1/webhooks?limit=2"))
    record("GET /api/v1/webhooks/{id}", *call(base, key, "GET", f"/api/v1/webhooks/{subscription['id']}"))
    patch = {"active": False}
    record("PATCH /api/v1/webhooks/{id}", *call(base, key, "PATCH", f"/api/v1/webhooks/{subscription['id']}",
                                                 patch), request=patch)
    record("GET /api/v1/webhooks/{id}/deliveries",
           *call(base, key, "GET", f"/api/v1/webhooks/{subscription['id']}/deliveries?limit=2"))
    call(base, key, "DELETE", f"/api/v1/webhooks/{subscription['id']}")

    dcm = dcm_path.read_bytes()
    boundary = "stow" + uuid.uuid4().hex
    stow = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + dcm
            + f"\r\n--{boundary}--\r\n".encode())
    stow_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    status, stored = call(base, key, "POST", "/dicomweb/studies", stow, stow_type, accept="application/dicom+json")
    record("POST /dicomweb/studies", status, stored)
    mixed = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + dcm
             + f"\r\n--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + dcm[:300]
             + f"\r\n--{boundary}--\r\n".encode())  # a good instance and a truncated one: 202
    status_mixed, partly = call(base, key, "POST", "/dicomweb/studies", mixed, stow_type, accept="application/dicom+json")
    record("POST /dicomweb/studies", status_mixed, partly)
    stored_image = stored["00081199"]["Value"][0]["00081190"]["Value"][0].rsplit("/", 1)[1]
    study = call(base, key, "GET", f"/api/v1/images/{stored_image}")[1]["dicom"]["studyInstanceUid"]
    if study:
        record("POST /dicomweb/studies/{study}", *call(base, key, "POST", f"/dicomweb/studies/{study}", stow,
                                                        stow_type, accept="application/dicom+json"))
        record("POST /dicomweb/studies/{study}", *call(base, key, "POST", f"/dicomweb/studies/{study}", mixed,
                                                        stow_type, accept="application/dicom+json"))
    # The DICOM result objects of the instance just stored: example files beside the contract.
    stored_prediction = call(base, key, "GET", f"/api/v1/images/{stored_image}")[1]["predictions"][0]["id"]
    for name, path in (("sr", "dicom-sr"), ("sc", "dicom-sc")):
        data = call_bytes(base, key, f"/api/v1/predictions/{stored_prediction}/{path}", "application/dicom")
        (ROOT / "openapi" / "examples" / f"prediction-{name}.dcm").write_bytes(data)
        ex.setdefault(f"GET /api/v1/predictions/{{id}}/{path}", {})["files"] = {
            "200": {"application/dicom": f"examples/prediction-{name}.dcm"}}
    # Lookups by hospital identifiers, on the study just stored over STOW-RS.
    if study:
        search = {"studyInstanceUid": study, "limit": 2}
        record("POST /api/v1/images/search", *call(base, key, "POST", "/api/v1/images/search", search),
               request=search)
        lookup = {"studyInstanceUid": study}
        record("POST /api/v1/studies/lookup", *call(base, key, "POST", "/api/v1/studies/lookup", lookup),
               request=lookup)
    record("GET /api/v1/predictions/{id}/hl7v2", *call_text(base, key, f"/api/v1/predictions/{prediction_id}/hl7v2"))
    # HL7 v2 over MLLP and PACS: examples need a configured destination of each (chestlens.hl7.destinations[0].*,
    # chestlens.pacs.destinations[0].*); their rows exist once a prediction (for PACS: of a DICOM upload, the
    # STOW-RS one above) was stored after start-up.
    for area, rows in (("hl7", "messages"), ("pacs", "deliveries")):
        status, destinations = call(base, key, "GET", f"/api/v1/{area}/destinations")
        record(f"GET /api/v1/{area}/destinations", status, destinations)
        if destinations:
            name = destinations[0]["name"]
            status, page = call(base, key, "GET", f"/api/v1/{area}/destinations/{name}/{rows}?limit=2")
            record(f"GET /api/v1/{area}/destinations/{{name}}/{rows}", status, page)
            if page["items"]:
                row_id = page["items"][0]["id"]
                record(f"GET /api/v1/{area}/{rows}/{{id}}", *call(base, key, "GET", f"/api/v1/{area}/{rows}/{row_id}"))
                record(f"POST /api/v1/{area}/{rows}/{{id}}/resend",
                       *call(base, key, "POST", f"/api/v1/{area}/{rows}/{row_id}/resend"))
    record("GET /api/v1/audit-events", *call(base, key, "GET", "/api/v1/audit-events?limit=2"))

    # Example files captured by hand (the PNGs) stay referenced; operations not called here keep theirs.
    for op, entry in json.loads(out.read_text()).items():
        if op not in ex:
            ex[op] = entry
        elif entry.get("files") and "files" not in ex[op]:
            ex[op]["files"] = entry["files"]
    write(out, ex, args.merge)


def write(out, ex, merges):
    for path in merges:
        for op, entry in json.loads(path.read_text()).items():
            ex[op] = {k: shorten(v) if k != "files" else v for k, v in entry.items()}
    out.write_text(json.dumps(ex, indent=1, sort_keys=True, ensure_ascii=True) + "\n")
    print(f"{len(ex)} operations -> {out}")


if __name__ == "__main__":
    main()
