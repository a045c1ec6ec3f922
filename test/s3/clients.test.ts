/**
 * One scenario — make a bucket, upload a small and a multipart file, list,
 * sync with delete, copy, read a range, delete — with every real client:
 * the aws CLI (s3 and s3api), SDK v3 (+ lib-storage), boto3, s3cmd, rclone.
 * Plus the exercise's Part 3.1 (mb/ls) and Part 3.2 commands verbatim.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { RunningStratus } from "../../src/index.js";
import { bash, CREDENTIALS, startTestStratus } from "../support/stratus.js";
import { bodyBytes, bucketName, s3Client } from "./support.js";

const PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3";
const MiB = 1024 * 1024;

function run(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...options.env };
    const child = spawn(command, args, { cwd: options.cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function data(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size + 4);
  let x = seed;
  for (let i = 0; i < size; i += 4) out.writeUInt32LE((x = (x * 1664525 + 1013904223) >>> 0), i);
  return out.subarray(0, size);
}

describe("S3 with every client", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let work: string;
  let big: Buffer;
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    work = mkdtempSync(path.join(os.tmpdir(), "s3-clients-"));
    big = data(12 * MiB + 7, 42);
    writeFileSync(path.join(work, "big.bin"), big);
    writeFileSync(path.join(work, "small.txt"), "small file\n");
    mkdirSync(path.join(work, "dir"));
    writeFileSync(path.join(work, "dir", "keep.txt"), "keep");
    writeFileSync(path.join(work, "dir", "drop.txt"), "drop");
  });
  after(async () => {
    await stratus.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** What every scenario must leave behind: small, big (multipart, identical bytes), copy deleted, sync applied. */
  async function checkOutcome(bucket: string, options: { multipartEtag?: boolean } = {}): Promise<void> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = listed.Contents!.map((o) => o.Key);
    assert.deepEqual(keys, ["big.bin", "dir/keep.txt", "small.txt"]);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" }));
    assert.ok((await bodyBytes(got.Body)).equals(big), "multipart upload reads back byte-identical");
    if (options.multipartEtag !== false) assert.match(got.ETag!, /-\d+"$/, "big.bin was uploaded in parts");
    assert.equal((await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "small.txt" }))).Body)).toString(), "small file\n");
  }

  it("aws CLI (s3 and s3api)", async () => {
    const bucket = bucketName("awscli");
    const result = await bash(
      stratus,
      `cd ${work}
aws s3 mb s3://${bucket}
aws s3 cp small.txt s3://${bucket}/small.txt --only-show-errors
aws s3 cp big.bin s3://${bucket}/big.bin --only-show-errors
aws s3 ls s3://${bucket}/
mkdir -p sync-src && cp dir/* sync-src/
aws s3 sync sync-src s3://${bucket}/dir/ --delete --only-show-errors
rm sync-src/drop.txt
aws s3 sync sync-src s3://${bucket}/dir/ --delete
aws s3 cp s3://${bucket}/small.txt s3://${bucket}/copy.txt --only-show-errors
aws s3api get-object --bucket ${bucket} --key big.bin --range bytes=1000-1099 range.bin > /dev/null
aws s3 rm s3://${bucket}/copy.txt --only-show-errors
aws s3 ls s3://${bucket} --recursive --summarize`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /delete: s3:\/\/[^/]+\/dir\/drop.txt/);
    assert.match(result.stdout, /Total Objects: 3\n\s+Total Size: 12582934/);
    assert.ok(big.subarray(1000, 1100).equals(await import("node:fs").then((fs) => fs.readFileSync(path.join(work, "range.bin")))));
    await checkOutcome(bucket);
  });

  it("SDK v3 (client-s3 and lib-storage)", async () => {
    const bucket = bucketName("sdk");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "small.txt", Body: "small file\n" }));
    await new Upload({ client: s3, params: { Bucket: bucket, Key: "big.bin", Body: big }, partSize: 5 * MiB }).done();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "dir/keep.txt", Body: "keep" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "dir/drop.txt", Body: "drop" }));
    // "sync --delete": remove what the local side no longer has.
    const remote = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "dir/" }));
    const stale = remote.Contents!.filter((o) => o.Key !== "dir/keep.txt").map((o) => ({ Key: o.Key! }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: stale } }));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copy.txt", CopySource: `${bucket}/small.txt` }));
    const range = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin", Range: "bytes=1000-1099" }));
    assert.ok((await bodyBytes(range.Body)).equals(big.subarray(1000, 1100)));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "copy.txt" }));
    await checkOutcome(bucket);
  });

  it("boto3", { skip: !existsSync(PYTHON) && "the pip python is not installed" }, async () => {
    const bucket = bucketName("boto3");
    const script = `
import sys, os
import boto3
from boto3.s3.transfer import TransferConfig
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="${CREDENTIALS.accessKeyId}", aws_secret_access_key="${CREDENTIALS.secretAccessKey}")
b = sys.argv[2]
s3.create_bucket(Bucket=b)
s3.upload_file("small.txt", b, "small.txt")
s3.upload_file("big.bin", b, "big.bin", Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
for name in os.listdir("dir"):
    s3.upload_file(os.path.join("dir", name), b, "dir/" + name)
local = {"dir/keep.txt"}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix="dir/"):
    for obj in page.get("Contents", []):
        if obj["Key"] not in local:
            s3.delete_object(Bucket=b, Key=obj["Key"])
s3.copy_object(Bucket=b, Key="copy.txt", CopySource={"Bucket": b, "Key": "small.txt"})
part = s3.get_object(Bucket=b, Key="big.bin", Range="bytes=1000-1099")["Body"].read()
assert part == open("big.bin", "rb").read()[1000:1100], "range"
s3.download_file(b, "big.bin", "boto3-download.bin")
assert open("boto3-download.bin", "rb").read() == open("big.bin", "rb").read(), "download"
s3.delete_object(Bucket=b, Key="copy.txt")
print("ok")
`;
    writeFileSync(path.join(work, "scenario.py"), script);
    const result = await run(PYTHON, ["scenario.py", stratus.endpoint, bucket], { cwd: work });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "ok");
    await checkOutcome(bucket);
  });

  it("s3cmd", { skip: !existsSync("/usr/bin/s3cmd") && "s3cmd is not installed" }, async () => {
    const bucket = bucketName("s3cmd");
    const url = new URL(stratus.endpoint);
    const config = path.join(work, "s3cmd.cfg");
    writeFileSync(
      config,
      `[default]\naccess_key = ${CREDENTIALS.accessKeyId}\nsecret_key = ${CREDENTIALS.secretAccessKey}\nhost_base = ${url.host}\nhost_bucket = ${url.host}\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\nmultipart_chunk_size_mb = 5\n`,
    );
    const s3cmd = (...args: string[]) => run("s3cmd", ["-c", config, "--no-progress", ...args], { cwd: work });
    const steps: string[][] = [
      ["mb", `s3://${bucket}`],
      ["put", "small.txt", `s3://${bucket}/small.txt`],
      ["put", "big.bin", `s3://${bucket}/big.bin`],
      ["ls", `s3://${bucket}/`],
      ["sync", "dir/", `s3://${bucket}/dir/`],
    ];
    for (const step of steps) {
      const result = await s3cmd(...step);
      assert.equal(result.code, 0, `${step.join(" ")}: ${result.stderr}`);
    }
    rmSync(path.join(work, "s3cmd-dir"), { recursive: true, force: true });
    mkdirSync(path.join(work, "s3cmd-dir"));
    writeFileSync(path.join(work, "s3cmd-dir", "keep.txt"), "keep");
    for (const step of [
      ["sync", "--delete-removed", "s3cmd-dir/", `s3://${bucket}/dir/`],
      ["cp", `s3://${bucket}/small.txt`, `s3://${bucket}/copy.txt`],
      ["get", "--force", `s3://${bucket}/big.bin`, "s3cmd-download.bin"],
      ["del", `s3://${bucket}/copy.txt`],
    ]) {
      const result = await s3cmd(...step);
      assert.equal(result.code, 0, `${step.join(" ")}: ${result.stderr}`);
      if (step[0] === "sync") assert.match(result.stdout, /delete: 's3:\/\/[^']+\/dir\/drop.txt'/);
    }
    const downloaded = await import("node:fs").then((fs) => fs.readFileSync(path.join(work, "s3cmd-download.bin")));
    assert.ok(downloaded.equals(big));
    // s3cmd has no ranged get; read the range with the SDK to finish the scenario.
    const range = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin", Range: "bytes=1000-1099" }));
    assert.ok((await bodyBytes(range.Body)).equals(big.subarray(1000, 1100)));
    await checkOutcome(bucket);
  });

  it("rclone", { skip: !existsSync("/usr/bin/rclone") && "rclone is not installed" }, async () => {
    const bucket = bucketName("rclone");
    const config = path.join(work, "rclone.conf");
    writeFileSync(
      config,
      `[stratus]\ntype = s3\nprovider = Other\naccess_key_id = ${CREDENTIALS.accessKeyId}\nsecret_access_key = ${CREDENTIALS.secretAccessKey}\nendpoint = ${stratus.endpoint}\nregion = us-east-1\nforce_path_style = true\n`,
    );
    const rclone = (...args: string[]) => run("rclone", ["--config", config, ...args], { cwd: work });
    rmSync(path.join(work, "rclone-dir"), { recursive: true, force: true });
    mkdirSync(path.join(work, "rclone-dir"));
    writeFileSync(path.join(work, "rclone-dir", "keep.txt"), "keep");
    for (const step of [
      ["mkdir", `stratus:${bucket}`],
      ["copyto", "small.txt", `stratus:${bucket}/small.txt`],
      ["copyto", "big.bin", `stratus:${bucket}/big.bin`, "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"],
      ["copy", "dir", `stratus:${bucket}/dir`],
      ["sync", "rclone-dir", `stratus:${bucket}/dir`],
      ["copyto", `stratus:${bucket}/small.txt`, `stratus:${bucket}/copy.txt`],
      ["deletefile", `stratus:${bucket}/copy.txt`],
    ]) {
      const result = await rclone(...step);
      assert.equal(result.code, 0, `${step.join(" ")}: ${result.stderr}`);
    }
    const listing = await rclone("lsf", "-R", `stratus:${bucket}`);
    assert.deepEqual(listing.stdout.trim().split("\n").sort(), ["big.bin", "dir/", "dir/keep.txt", "small.txt"]);
    const range = await rclone("cat", `stratus:${bucket}/big.bin`, "--offset", "1000", "--count", "100");
    assert.equal(range.code, 0, range.stderr);
    const check = await rclone("check", work, `stratus:${bucket}`, "--include", "big.bin");
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stderr, /0 differences found/);
    await checkOutcome(bucket);
  });

  it("runs the exercise's Part 3.1 mb/ls and Part 3.2 verbatim", async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), "exercise-3-2-"));
    try {
      const result = await bash(
        stratus,
        `# S3 bucket names must be globally unique
ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)
BUCKET_NAME="ml-models-dev-\${ACCOUNT_ID}"

# Create bucket
aws s3 mb s3://$BUCKET_NAME --region us-east-1

# Verify bucket creation
aws s3 ls | grep ml-models

# Enable versioning (protects against accidental deletion)
aws s3api put-bucket-versioning \\
  --bucket $BUCKET_NAME \\
  --versioning-configuration Status=Enabled

# Create a dummy PyTorch model file
cat > model.py <<'EOF'
import torch
import torch.nn as nn
model = None
EOF

# For this exercise, create a dummy file
echo "Placeholder PyTorch model" > resnet50.pth

# Upload model with metadata
aws s3 cp resnet50.pth s3://$BUCKET_NAME/models/v1.0/resnet50.pth \\
  --metadata model_version=1.0,framework=pytorch,accuracy=0.95 \\
  --storage-class STANDARD

# Verify upload
aws s3 ls s3://$BUCKET_NAME/models/v1.0/

# Get object metadata
aws s3api head-object --bucket $BUCKET_NAME --key models/v1.0/resnet50.pth

# Create training data directory
mkdir -p training-data/images
echo "image1.jpg" > training-data/images/cat1.jpg
echo "image2.jpg" > training-data/images/dog1.jpg

# Sync entire directory
aws s3 sync training-data/ s3://$BUCKET_NAME/training-data/ --delete

# Verify sync
aws s3 ls s3://$BUCKET_NAME/training-data/ --recursive`,
        { cwd },
      );
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout;
      assert.match(out, /make_bucket: ml-models-dev-000000000000/);
      assert.match(out, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ml-models-dev-000000000000/);
      assert.match(out, /upload: \.\/resnet50\.pth to s3:\/\/ml-models-dev-000000000000\/models\/v1\.0\/resnet50\.pth/);
      assert.match(out, /\d{2}:\d{2}:\d{2}\s+26 resnet50\.pth/);
      const head = JSON.parse(/^\{\n[\s\S]*?\n\}$/m.exec(out)![0]);
      assert.deepEqual(head.Metadata, { model_version: "1.0", framework: "pytorch", accuracy: "0.95" });
      assert.equal(head.ContentLength, 26);
      assert.match(head.VersionId, /^[A-Za-z0-9._-]{32}$/);
      assert.match(out, /upload: training-data\/images\/cat1\.jpg to s3:\/\/ml-models-dev-000000000000\/training-data\/images\/cat1\.jpg/);
      assert.match(out, /\s11 training-data\/images\/cat1\.jpg\n.*\s11 training-data\/images\/dog1\.jpg/);
      const object = await s3.send(new HeadObjectCommand({ Bucket: "ml-models-dev-000000000000", Key: "models/v1.0/resnet50.pth" }));
      assert.equal(object.ContentType, "binary/octet-stream", "no Content-Type sent for .pth: S3's default");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
