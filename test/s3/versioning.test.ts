import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import type { VersionEvent } from "../../src/services/s3/hooks.js";
import type { S3Provider } from "../../src/services/s3/provider.js";
import { bash, startTestStratus } from "../support/stratus.js";
import { rawS3 } from "./raw.js";
import { bodyBytes, bucketName, isError, s3Client } from "./support.js";

describe("S3 versioning", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
  });
  after(() => stratus.stop());

  async function versionedBucket(status: "Enabled" | "Suspended" = "Enabled"): Promise<string> {
    const name = bucketName("ver");
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: status } }));
    return name;
  }
  const text = async (p: Promise<any>) => (await bodyBytes((await p).Body)).toString();

  it("keeps every version, reads each by id, and lists them newest first", async () => {
    const bucket = await versionedBucket();
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status, "Enabled");
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "model.pth", Body: "v1" }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "model.pth", Body: "v2" }));
    assert.match(v1.VersionId!, /^[A-Za-z0-9._-]{32}$/);
    assert.notEqual(v1.VersionId, v2.VersionId);
    assert.equal(await text(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "model.pth" }))), "v2");
    assert.equal(await text(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "model.pth", VersionId: v1.VersionId }))), "v1");
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "model.pth", VersionId: v1.VersionId }));
    assert.equal(head.VersionId, v1.VersionId);
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.deepEqual(listed.Versions!.map((v) => [v.VersionId, v.IsLatest]), [[v2.VersionId, true], [v1.VersionId, false]]);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "model.pth", VersionId: "A".repeat(32) })), isError("NoSuchVersion", 404));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "model.pth", VersionId: "not a version" })), isError("InvalidArgument", 400));
  });

  it("hides deleted keys behind delete markers and brings them back when the marker goes", async () => {
    const bucket = await versionedBucket();
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "one" }));
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k" }));
    assert.equal(marker.DeleteMarker, true);
    assert.ok(marker.VersionId);
    const raw = await rawS3(stratus, "GET", `/${bucket}/k`);
    assert.equal(raw.status, 404);
    assert.equal(raw.headers["x-amz-delete-marker"], "true");
    assert.equal(raw.headers["x-amz-version-id"], marker.VersionId);
    const byMarker = await rawS3(stratus, "HEAD", `/${bucket}/k`, { query: `versionId=${marker.VersionId}` });
    assert.equal(byMarker.status, 405);
    assert.equal(byMarker.headers["x-amz-delete-marker"], "true");
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount, 0);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.deepEqual(versions.DeleteMarkers!.map((m) => [m.VersionId, m.IsLatest]), [[marker.VersionId, true]]);
    assert.deepEqual(versions.Versions!.map((v) => [v.VersionId, v.IsLatest]), [[v1.VersionId, false]]);
    const removed = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k", VersionId: marker.VersionId }));
    assert.equal(removed.DeleteMarker, true);
    assert.equal(removed.VersionId, marker.VersionId);
    assert.equal(await text(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k" }))), "one");
    const gone = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k", VersionId: v1.VersionId }));
    assert.equal(gone.DeleteMarker, undefined);
    assert.equal((await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions, undefined);
  });

  it("writes null versions while suspended, replacing only the null version", async () => {
    const bucket = await versionedBucket();
    const kept = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "kept" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } }));
    const n1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "null-1" }));
    assert.equal(n1.VersionId, undefined, "a suspended bucket's PUT answers without x-amz-version-id (AWS's sample response)");
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" }))).VersionId, "null");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "null-2" }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "k-copy", CopySource: `${bucket}/k` }));
    assert.equal(copied.VersionId, undefined);
    assert.equal(copied.CopySourceVersionId, "null");
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k-copy", VersionId: "null" }));
    let versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.deepEqual(versions.Versions!.map((v) => [v.VersionId, v.IsLatest]), [["null", true], [kept.VersionId, false]]);
    assert.equal(await text(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k", VersionId: "null" }))), "null-2");
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k" }));
    assert.equal(marker.VersionId, "null");
    versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.deepEqual(versions.DeleteMarkers!.map((m) => m.VersionId), ["null"]);
    assert.deepEqual(versions.Versions!.map((v) => v.VersionId), [kept.VersionId]);
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const v3 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v3" }));
    assert.notEqual(v3.VersionId, "null");
    versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.equal(versions.Versions!.length + versions.DeleteMarkers!.length, 3);
  });

  it("copies from a specific source version", async () => {
    const bucket = await versionedBucket();
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: "first" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: "second" }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "restored", CopySource: `${bucket}/src?versionId=${v1.VersionId}` }));
    assert.equal(copy.CopySourceVersionId, v1.VersionId);
    assert.ok(copy.VersionId);
    assert.equal(await text(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "restored" }))), "first");
    // Restoring an old version over the current one is a copy onto the same key.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "src", CopySource: `${bucket}/src?versionId=${v1.VersionId}` }));
    assert.equal(await text(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "src" }))), "first");
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "gone" }));
    await assert.rejects(
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "x", CopySource: `${bucket}/gone?versionId=${marker.VersionId}` })),
      isError("InvalidRequest", 400),
    );
  });

  it("pages ListObjectVersions with key and version-id markers, prefix and delimiter", async () => {
    const bucket = await versionedBucket();
    const ids: string[] = [];
    for (const body of ["a1", "a2", "a3"]) ids.push((await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a", Body: body }))).VersionId!);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "b", Body: "b1" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "dir/x", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "dir/y", Body: "y" }));
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 2, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      seen.push(...page.Versions!.map((v) => `${v.Key}@${v.VersionId === ids[2] ? "a3" : v.VersionId === ids[1] ? "a2" : v.VersionId === ids[0] ? "a1" : "-"}`));
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
    assert.deepEqual(seen, ["a@a3", "a@a2", "a@a1", "b@-", "dir/x@-", "dir/y@-"]);
    const rolled = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Delimiter: "/" }));
    assert.deepEqual(rolled.CommonPrefixes!.map((p) => p.Prefix), ["dir/"]);
    assert.deepEqual(rolled.Versions!.map((v) => v.Key), ["a", "a", "a", "b"]);
    const prefixed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "dir/" }));
    assert.deepEqual(prefixed.Versions!.map((v) => v.Key), ["dir/x", "dir/y"]);
    await assert.rejects(s3.send(new ListObjectVersionsCommand({ Bucket: bucket, VersionIdMarker: ids[0] })), isError("InvalidArgument", 400));
  });

  it("deletes versions in batches and reports delete markers", async () => {
    const bucket = await versionedBucket();
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "x", Body: "1" }));
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "x" }, { Key: "x", VersionId: v1.VersionId }] } }));
    const markerEntry = result.Deleted!.find((d) => d.VersionId === undefined)!;
    assert.equal(markerEntry.DeleteMarker, true);
    assert.ok(markerEntry.DeleteMarkerVersionId);
    assert.ok(result.Deleted!.some((d) => d.VersionId === v1.VersionId));
  });

  it("never-versioned buckets have only the null version and no version headers", async () => {
    const bucket = bucketName("plain");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status, undefined);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "1" }));
    assert.equal(put.VersionId, undefined);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "2" }));
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.deepEqual(listed.Versions!.map((v) => v.VersionId), ["null"]);
    assert.equal(await text(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "k", VersionId: "null" }))), "2");
    await assert.rejects(
      s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Off" as never } })),
      isError("MalformedXML", 400),
    );
  });

  it("tells listeners about versions written, delete markers and removals, inside the write", async () => {
    const bucket = await versionedBucket();
    const events: string[] = [];
    const provider = stratus.cloud.provider<S3Provider>("s3");
    const listener = {
      versionWritten: (e: VersionEvent) => events.push(`written ${e.version.key} ${e.cause} ${e.version.isLatest}`),
      deleteMarkerCreated: (e: VersionEvent) => events.push(`marker ${e.version.key} ${e.version.deleteMarker}`),
      versionRemoved: (e: VersionEvent) => events.push(`removed ${e.version.key} ${e.version.deleteMarker}`),
    };
    provider.hooks.events.push(listener);
    try {
      const v = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "e", Body: "1" }));
      const m = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "e" }));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "e", VersionId: m.VersionId }));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "e", VersionId: v.VersionId }));
    } finally {
      provider.hooks.events.splice(provider.hooks.events.indexOf(listener), 1);
    }
    assert.deepEqual(events, ["written e PutObject true", "marker e true", "removed e true", "removed e false"]);
  });

  it("runs the exercise's versioning commands verbatim", async () => {
    const result = await bash(
      stratus,
      `BUCKET_NAME=${bucketName("ml-models-dev")}
aws s3 mb s3://$BUCKET_NAME --region us-east-1
aws s3api put-bucket-versioning \\
  --bucket $BUCKET_NAME \\
  --versioning-configuration Status=Enabled
aws s3api get-bucket-versioning --bucket $BUCKET_NAME`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.slice(result.stdout.indexOf("{"))), { Status: "Enabled" });
  });
});
