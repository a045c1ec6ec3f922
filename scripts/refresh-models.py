#!/usr/bin/env python3
"""Pin the official AWS service models (botocore's service-2.json) under models/.

Documentation strings are stripped; everything else is kept as published. The
provenance file records the botocore version and the sha256 of both the source
file and the stripped copy, so a drift is visible in review and in tests.

    python3 scripts/refresh-models.py            # uses the installed botocore
"""
import gzip, hashlib, json, os, sys

SERVICES = ["s3", "ec2", "ebs", "dlm", "cloudwatch", "sts", "iam", "pricing", "ce", "kms"]
DROP_KEYS = {"documentation", "documentationUrl", "deprecatedMessage"}

def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node

def newest_model(data_dir, service):
    versions = sorted(os.listdir(os.path.join(data_dir, service)))
    for version in reversed(versions):
        for name in ("service-2.json.gz", "service-2.json"):
            path = os.path.join(data_dir, service, version, name)
            if os.path.exists(path):
                return version, path
    raise SystemExit(f"no model for {service}")

def main():
    import botocore
    data_dir = os.path.join(os.path.dirname(botocore.__file__), "data")
    out_dir = os.path.join(os.path.dirname(__file__), "..", "models")
    provenance = {"source": "botocore", "botocoreVersion": botocore.__version__, "models": {}}
    for service in SERVICES:
        api_version, path = newest_model(data_dir, service)
        raw = open(path, "rb").read()
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
        model = strip(json.loads(raw))
        text = json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n"
        with open(os.path.join(out_dir, f"{service}.json"), "w") as f:
            f.write(text)
        provenance["models"][service] = {
            "apiVersion": api_version,
            "protocol": model["metadata"].get("protocol"),
            "operations": len(model["operations"]),
            "sourceSha256": hashlib.sha256(raw).hexdigest(),
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
    with open(os.path.join(out_dir, "PROVENANCE.json"), "w") as f:
        json.dump(provenance, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(provenance["models"], indent=1))

if __name__ == "__main__":
    sys.exit(main())
