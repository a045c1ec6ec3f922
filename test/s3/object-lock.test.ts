/** Object Lock, enforced on the Stratus clock: configuration, retention, legal hold, bypass, lifecycle. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  UploadPartCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { startStratus, type RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { bucketName, isError, s3Client } from "./support.js";

const DAY = 86_400_000;
const md5 = (data: string | Buffer) => createHash("md5").update(data).digest("base64");

describe("S3 Object Lock", () => {
  let stratus: RunningStratus;
  let s3: S3Client;

  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    s3 = s3Client(stratus);
  });
  after(() => stratus.stop());
  const now = () => stratus.clock.now().getTime();

  async function lockedBucket(): Promise<string> {
    const bucket = bucketName("lock");
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    return bucket;
  }

  it("CreateBucket with object lock turns versioning on and answers the configuration; others have none", async () => {
    const bucket = await lockedBucket();
    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    assert.equal(versioning.Status, "Enabled");
    const config = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    assert.deepEqual(config.ObjectLockConfiguration, { ObjectLockEnabled: "Enabled" });
    await assert.rejects(
      s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } })),
      isError("InvalidBucketState", 409),
    );
    const plain = bucketName("plain");
    await s3.send(new CreateBucketCommand({ Bucket: plain }));
    await assert.rejects(s3.send(new GetObjectLockConfigurationCommand({ Bucket: plain })), isError("ObjectLockConfigurationNotFoundError", 404));
    // Enabling on an existing bucket needs versioning first.
    const enable = { Bucket: plain, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled" as const } };
    await assert.rejects(s3.send(new PutObjectLockConfigurationCommand(enable)), isError("InvalidBucketState", 409));
    await s3.send(new PutObjectCommand({ Bucket: plain, Key: "k", Body: "x" }));
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: plain, Key: "k", Body: "x", ObjectLockLegalHoldStatus: "ON" })),
      (e: any) => isError("InvalidRequest", 400)(e) && /missing Object Lock Configuration/.test(e.message),
    );
    await assert.rejects(s3.send(new GetObjectRetentionCommand({ Bucket: plain, Key: "k" })), isError("InvalidRequest", 400));
    await s3.send(new PutBucketVersioningCommand({ Bucket: plain, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new PutObjectLockConfigurationCommand(enable));
    assert.equal((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: plain }))).ObjectLockConfiguration?.ObjectLockEnabled, "Enabled");
  });

  it("validates the default retention (Days xor Years, positive, a mode)", async () => {
    const bucket = await lockedBucket();
    const put = (DefaultRetention: any) =>
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention } } }));
    await assert.rejects(put({ Mode: "GOVERNANCE", Days: 1, Years: 1 }), isError("MalformedXML", 400));
    await assert.rejects(put({ Mode: "GOVERNANCE" }), isError("MalformedXML", 400));
    await assert.rejects(put({ Days: 3 }), isError("MalformedXML", 400));
    await assert.rejects(put({ Mode: "GOVERNANCE", Days: 0 }), isError("InvalidRetentionPeriod", 400));
    await assert.rejects(put({ Mode: "GOVERNANCE", Years: -1 }), isError("InvalidRetentionPeriod", 400));
    await assert.rejects(put({ Mode: "SOMETIMES", Days: 3 }), isError("MalformedXML", 400));
    await assert.rejects(put({ Mode: "governance", Days: 3 }), isError("MalformedXML", 400));
    await put({ Mode: "COMPLIANCE", Years: 2 });
    const config = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    assert.deepEqual(config.ObjectLockConfiguration?.Rule?.DefaultRetention, { Mode: "COMPLIANCE", Years: 2 });
  });

  it("default GOVERNANCE retention refuses version deletes until it ends on the clock, or with a bypass", async () => {
    const bucket = await lockedBucket();
    await s3.send(
      new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 10 } } } }),
    );
    const start = now();
    const a = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a", Body: "alpha", ChecksumAlgorithm: "CRC32" }));
    const b = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "b", Body: "beta", ContentMD5: md5("beta") }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "a" }));
    assert.equal(head.ObjectLockMode, "GOVERNANCE");
    // Ten days from the write (the clock moves on meanwhile).
    const retainUntil = head.ObjectLockRetainUntilDate!.getTime();
    assert.ok(retainUntil >= start + 10 * DAY && retainUntil < start + 10 * DAY + 60_000, new Date(retainUntil).toISOString());
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: "a", VersionId: a.VersionId }));
    assert.equal(retention.Retention?.Mode, "GOVERNANCE");
    assert.equal(retention.Retention?.RetainUntilDate?.getTime(), retainUntil);
    // A delete without a version id only adds a delete marker: allowed.
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "a" }));
    assert.equal(marker.DeleteMarker, true);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "a", VersionId: marker.VersionId }));
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "a", VersionId: a.VersionId })), (e: any) => {
      isError("AccessDenied", 403)(e);
      assert.match(e.message, /object lock/);
      return true;
    });
    const multi = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "a", VersionId: a.VersionId }] } }));
    assert.equal(multi.Errors?.[0]?.Code, "AccessDenied");
    // GOVERNANCE yields to the bypass header.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "b", VersionId: b.VersionId, BypassGovernanceRetention: true }));
    // Shortening governance retention needs the bypass too; extending does not.
    await assert.rejects(
      s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: "a", VersionId: a.VersionId, Retention: { Mode: "GOVERNANCE", RetainUntilDate: new Date(start + 5 * DAY) } })),
      isError("AccessDenied", 403),
    );
    await s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: "a", VersionId: a.VersionId, Retention: { Mode: "GOVERNANCE", RetainUntilDate: new Date(start + 12 * DAY) } }));
    // Changing the mode, even to COMPLIANCE, is a change of a running retention: it needs the bypass.
    const toCompliance = { Bucket: bucket, Key: "a", VersionId: a.VersionId, Retention: { Mode: "COMPLIANCE" as const, RetainUntilDate: new Date(start + 12 * DAY) } };
    await assert.rejects(s3.send(new PutObjectRetentionCommand(toCompliance)), isError("AccessDenied", 403));
    await stratus.clock.advance("11d");
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "a", VersionId: a.VersionId })), isError("AccessDenied", 403));
    await stratus.clock.advance("1d");
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "a", VersionId: a.VersionId }));
    const left = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.equal(left.Versions, undefined);
  });

  it("COMPLIANCE retention cannot be bypassed, shortened or weakened; legal holds block until removed", async () => {
    const bucket = await lockedBucket();
    const until = new Date(now() + 3 * DAY);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "c", Body: "data", ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: until, ObjectLockLegalHoldStatus: "ON", ContentMD5: md5("data") }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c" }));
    assert.equal(got.ObjectLockMode, "COMPLIANCE");
    assert.equal(got.ObjectLockLegalHoldStatus, "ON");
    assert.equal(got.ObjectLockRetainUntilDate?.getTime(), until.getTime());
    await got.Body?.transformToString();
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "c", VersionId: put.VersionId, BypassGovernanceRetention: true })), isError("AccessDenied", 403));
    for (const Retention of [
      { Mode: "COMPLIANCE" as const, RetainUntilDate: new Date(until.getTime() - DAY) },
      { Mode: "GOVERNANCE" as const, RetainUntilDate: new Date(until.getTime() + DAY) },
    ]) {
      await assert.rejects(s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: "c", Retention, BypassGovernanceRetention: true })), isError("AccessDenied", 403));
    }
    await assert.rejects(
      s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: "c", Retention: { Mode: "COMPLIANCE", RetainUntilDate: new Date(now() - 1000) } })),
      isError("InvalidArgument", 400),
    );
    assert.equal((await s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: "c" }))).LegalHold?.Status, "ON");
    await stratus.clock.advance("4d");
    // Retention is over, the legal hold is not.
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "c", VersionId: put.VersionId })), isError("AccessDenied", 403));
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: "c", VersionId: put.VersionId, LegalHold: { Status: "OFF" } }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "c", VersionId: put.VersionId }));
  });

  it("write headers are checked: both mode and date, a future date, an integrity header", async () => {
    const bucket = await lockedBucket();
    const future = new Date(now() + DAY);
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x", ObjectLockMode: "GOVERNANCE", ContentMD5: md5("x") })), isError("InvalidArgument", 400));
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x", ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: new Date(now() - DAY), ContentMD5: md5("x") })),
      isError("InvalidArgument", 400),
    );
    // An SDK told to send checksums only when required sends none for PutObject: S3 wants one with lock parameters.
    const bare = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" });
    await assert.rejects(bare.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x", ObjectLockLegalHoldStatus: "OFF" })), (e: any) => {
      isError("InvalidRequest", 400)(e);
      assert.equal(e.message, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters");
      return true;
    });
    await bare.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x", ObjectLockLegalHoldStatus: "OFF", ContentMD5: md5("x") }));
    // The aws CLI v2.9 adds Content-MD5 to put-object by itself.
    const withMd5 = await awsCli(stratus, [
      "s3api", "put-object", "--bucket", bucket, "--key", "k2", "--object-lock-mode", "GOVERNANCE", "--object-lock-retain-until-date", future.toISOString(),
    ]);
    assert.equal(withMd5.code, 0, withMd5.stderr);
    const retention = await awsCli(stratus, ["s3api", "get-object-retention", "--bucket", bucket, "--key", "k2"]);
    assert.equal(retention.json().Retention.Mode, "GOVERNANCE");
    const noRetention = await awsCli(stratus, ["s3api", "get-object-legal-hold", "--bucket", bucket, "--key", "k2"]);
    assert.match(noRetention.stderr, /NoSuchObjectLockConfiguration/);
  });

  it("copies and multipart uploads take lock headers; parts then need an integrity header", async () => {
    const bucket = await lockedBucket();
    const until = new Date(now() + 2 * DAY);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: "source", ContentMD5: md5("source") }));
    const copy = await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: "dst", CopySource: `${bucket}/src`, ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: until }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dst" }));
    assert.equal(head.ObjectLockMode, "GOVERNANCE");
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "dst", VersionId: copy.VersionId })), isError("AccessDenied", 403));
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp", ObjectLockLegalHoldStatus: "ON" }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId: upload.UploadId, PartNumber: 1, Body: "part", ContentMD5: md5("part") }));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp", UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
    );
    assert.equal((await s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: "mp" }))).LegalHold?.Status, "ON");
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "mp", VersionId: done.VersionId })), isError("AccessDenied", 403));
  });

  it("lifecycle expiration leaves locked versions until their retention ends", async () => {
    const bucket = await lockedBucket();
    await s3.send(
      new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 5 } } } }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "logs/1", Body: "one", ContentMD5: md5("one") }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "logs/1", Body: "two", ContentMD5: md5("two") }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: [{ ID: "gone", Status: "Enabled", Filter: { Prefix: "logs/" }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] },
      }),
    );
    await stratus.clock.advance("3d");
    let versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.equal(versions.Versions?.length, 2, "the noncurrent version is still locked");
    await stratus.clock.advance("4d");
    versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    assert.equal(versions.Versions?.length, 1, "expired once its retention ended");
  });
});

describe("S3 Object Lock and access logs across a restart", () => {
  it("keeps lock configuration, retention and legal holds; undelivered logs are written at a clean stop", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-lock-"));
    try {
      let stratus = await startStratus({ port: 0, dataDir: dir, logLevel: "silent" });
      let s3 = s3Client(stratus);
      const bucket = bucketName("keep");
      const logs = bucketName("keeplogs");
      await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
      await s3.send(new CreateBucketCommand({ Bucket: logs }));
      await s3.send(
        new PutBucketPolicyCommand({
          Bucket: logs,
          Policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Resource: `arn:aws:s3:::${logs}/*` }],
          }),
        }),
      );
      await s3.send(new PutBucketLoggingCommand({ Bucket: bucket, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: logs, TargetPrefix: "x/" } } }));
      await s3.send(
        new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 30 } } } }),
      );
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v", ObjectLockLegalHoldStatus: "ON", ContentMD5: md5("v") }));
      await stratus.stop();

      stratus = await startStratus({ port: 0, dataDir: dir, logLevel: "silent" });
      s3 = s3Client(stratus);
      const config = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      assert.deepEqual(config.ObjectLockConfiguration?.Rule?.DefaultRetention, { Mode: "COMPLIANCE", Days: 30 });
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" }));
      assert.equal(head.ObjectLockMode, "COMPLIANCE");
      assert.equal(head.ObjectLockLegalHoldStatus, "ON");
      await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "k", VersionId: put.VersionId })), isError("AccessDenied", 403));
      const delivered = await s3.send(new ListObjectsV2Command({ Bucket: logs, Prefix: "x/" }));
      assert.equal(delivered.KeyCount, 1, "the records waiting at the stop were delivered");
      await stratus.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
