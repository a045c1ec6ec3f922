import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  S3Client,
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  ListMultipartUploadsCommand,
  CreateMultipartUploadCommand,
  PutBucketLifecycleConfigurationCommand,
  GetBucketLifecycleConfigurationCommand,
  DeleteBucketLifecycleCommand,
  RestoreObjectCommand,
  type LifecycleRule,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { bash, sdkConfig, startTestStratus } from "../support/stratus.js";

const KIB = 1024;
const big = (n = 200) => Buffer.alloc(n * KIB, 7);

function rejectsWith(code: string, status: number) {
  return (error: any) => {
    assert.equal(error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    return true;
  };
}

/** The exercise's Part 3.3 rules, written with ID and with the 30-day IA minimum S3 enforces on noncurrent transitions. */
const EXERCISE_RULES: LifecycleRule[] = [
  {
    ID: "archive-old-models",
    Status: "Enabled",
    Filter: { Prefix: "models/" },
    Transitions: [{ Days: 30, StorageClass: "STANDARD_IA" }, { Days: 90, StorageClass: "GLACIER_IR" }],
    NoncurrentVersionTransitions: [{ NoncurrentDays: 30, StorageClass: "STANDARD_IA" }, { NoncurrentDays: 60, StorageClass: "GLACIER_IR" }],
    NoncurrentVersionExpiration: { NoncurrentDays: 180 },
  },
  { ID: "delete-old-logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 30 } },
  { ID: "cleanup-incomplete-uploads", Status: "Enabled", Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
];

/** Part 3.3's JSON as the exercise writes it, once "Id" is spelled "ID" so that the CLI sends it. */
const PART_3_3_WITH_ID = {
  Rules: [
    {
      ID: "archive-old-models",
      Status: "Enabled",
      Filter: { Prefix: "models/" },
      Transitions: [{ Days: 30, StorageClass: "STANDARD_IA" }, { Days: 90, StorageClass: "GLACIER_IR" }],
      NoncurrentVersionTransitions: [{ NoncurrentDays: 7, StorageClass: "STANDARD_IA" }, { NoncurrentDays: 30, StorageClass: "GLACIER_IR" }],
      NoncurrentVersionExpiration: { NoncurrentDays: 180 },
    },
    { ID: "delete-old-logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 30 } },
    { ID: "cleanup-incomplete-uploads", Status: "Enabled", Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
  ],
};

async function versions(s3: S3Client, bucket: string, prefix: string) {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
  return { versions: out.Versions ?? [], markers: out.DeleteMarkers ?? [] };
}

describe("S3 lifecycle on the virtual clock", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-01-01T10:00:00Z" });
    s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
  });
  after(() => stratus.stop());

  it("answers the exercise's Part 3.3 rules (with ID) as AWS does, and accepts them with 30-day noncurrent IA", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "ml-models-dev-000000000000" }));
    const dir = mkdtempSync(path.join(os.tmpdir(), "lc-cli-"));
    try {
      writeFileSync(path.join(dir, "s3-lifecycle-policy.json"), JSON.stringify(PART_3_3_WITH_ID, null, 2));
      writeFileSync(path.join(dir, "fixed.json"), JSON.stringify({ Rules: EXERCISE_RULES }));
      const withId = await bash(stratus, "aws s3api put-bucket-lifecycle-configuration --bucket ml-models-dev-000000000000 --lifecycle-configuration file://s3-lifecycle-policy.json", { cwd: dir });
      assert.notEqual(withId.code, 0);
      assert.match(withId.stderr, /InvalidArgument/);
      assert.match(withId.stderr, /'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'/);
      const fixed = await bash(
        stratus,
        `aws s3api put-bucket-lifecycle-configuration --bucket ml-models-dev-000000000000 --lifecycle-configuration file://fixed.json
aws s3api get-bucket-lifecycle-configuration --bucket ml-models-dev-000000000000`,
        { cwd: dir },
      );
      assert.equal(fixed.code, 0, fixed.stderr);
      const got = JSON.parse(fixed.stdout);
      assert.deepEqual(got.Rules.map((r: any) => r.ID), ["archive-old-models", "delete-old-logs", "cleanup-incomplete-uploads"]);
      assert.deepEqual(got.Rules[0].NoncurrentVersionTransitions, [{ NoncurrentDays: 30, StorageClass: "STANDARD_IA" }, { NoncurrentDays: 60, StorageClass: "GLACIER_IR" }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("transitions at 31 and 91 days, expires logs/ after 30, drops noncurrent versions after 180, aborts stale uploads after 7", async () => {
    const B = "lc-exercise";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: B, LifecycleConfiguration: { Rules: EXERCISE_RULES } }));
    const start = stratus.clock.now().getTime();
    const v1 = await s3.send(new PutObjectCommand({ Bucket: B, Key: "models/resnet50.pth", Body: big() }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: B, Key: "models/resnet50.pth", Body: big(201) }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "models/tiny.txt", Body: "too small to move" }));
    const log = await s3.send(new PutObjectCommand({ Bucket: B, Key: "logs/app.log", Body: "log line" }));
    assert.match(log.Expiration!, /^expiry-date="Sat, 01 Feb 2025 00:00:00 GMT", rule-id="delete-old-logs"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "logs/app.log" }));
    assert.equal(head.Expiration, log.Expiration);
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "datasets/imagenet.tar" }));
    const at = (days: number) => stratus.clock.set(start + days * 86_400_000);

    await at(6);
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads?.length, 1);
    await at(7.6); // past the midnight after initiation + 7 days
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads, undefined, `upload ${upload.UploadId} should be aborted`);

    await at(30);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "models/resnet50.pth" }))).StorageClass, undefined);
    await s3.send(new HeadObjectCommand({ Bucket: B, Key: "logs/app.log" }));
    await at(31);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "models/resnet50.pth" }))).StorageClass, "STANDARD_IA");
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "models/tiny.txt" }))).StorageClass, undefined, "objects under 128 KiB stay");
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: "logs/app.log" })), rejectsWith("NoSuchKey", 404));
    const logs = await versions(s3, B, "logs/");
    assert.equal(logs.markers.length, 1, "a versioned bucket expires with a delete marker");
    assert.equal(logs.markers[0].IsLatest, true);
    let models = await versions(s3, B, "models/resnet50.pth");
    assert.equal(models.versions.find((v) => v.VersionId === v1.VersionId)!.StorageClass, "STANDARD_IA");

    await at(91);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "models/resnet50.pth" }))).StorageClass, "GLACIER_IR");
    models = await versions(s3, B, "models/resnet50.pth");
    assert.equal(models.versions.find((v) => v.VersionId === v1.VersionId)!.StorageClass, "GLACIER_IR");
    // GLACIER_IR is instantly readable.
    const body = await s3.send(new GetObjectCommand({ Bucket: B, Key: "models/resnet50.pth" }));
    assert.equal((await body.Body!.transformToByteArray()).length, 201 * KIB);

    await at(180);
    assert.equal((await versions(s3, B, "models/resnet50.pth")).versions.length, 2);
    await at(181);
    models = await versions(s3, B, "models/resnet50.pth");
    assert.deepEqual(models.versions.map((v) => v.VersionId), [v2.VersionId]);
  });

  it("expires for good in unversioned buckets, keeps NewerNoncurrentVersions, removes expired delete markers", async () => {
    const B = "lc-misc";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: B,
        LifecycleConfiguration: { Rules: [{ ID: "tmp", Status: "Enabled", Filter: { And: { Prefix: "tmp/", Tags: [{ Key: "scratch", Value: "yes" }] } }, Expiration: { Days: 1 } }] },
      }),
    );
    const start = stratus.clock.now().getTime();
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "tmp/a", Body: "a", Tagging: "scratch=yes" }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "tmp/b", Body: "b" }));
    await stratus.clock.set(start + 2 * 86_400_000);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: "tmp/a" })), (e: any) => e.$metadata.httpStatusCode === 404);
    await s3.send(new HeadObjectCommand({ Bucket: B, Key: "tmp/b" }));
    assert.equal((await versions(s3, B, "tmp/a")).markers.length, 0, "no delete marker without versioning");

    const V = "lc-versions";
    await s3.send(new CreateBucketCommand({ Bucket: V }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: V,
        LifecycleConfiguration: {
          Rules: [
            { ID: "keep-two", Status: "Enabled", Filter: { Prefix: "ckpt/" }, NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 2 } },
            { ID: "markers", Status: "Enabled", Filter: { Prefix: "gone/" }, Expiration: { ExpiredObjectDeleteMarker: true } },
          ],
        },
      }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await s3.send(new PutObjectCommand({ Bucket: V, Key: "ckpt/model.pt", Body: `v${i}` }))).VersionId!);
    await s3.send(new PutObjectCommand({ Bucket: V, Key: "gone/x", Body: "x" }));
    const x = await versions(s3, V, "gone/x");
    await s3.send(new DeleteObjectCommand({ Bucket: V, Key: "gone/x" }));
    await s3.send(new DeleteObjectCommand({ Bucket: V, Key: "gone/x", VersionId: x.versions[0].VersionId }));
    await stratus.clock.advance("3d");
    const left = await versions(s3, V, "ckpt/");
    assert.deepEqual(left.versions.map((v) => v.VersionId), [ids[4], ids[3], ids[2]], "the current version and 2 newer noncurrent ones stay");
    assert.equal((await versions(s3, V, "gone/")).markers.length, 0, "the lone delete marker is removed");
  });

  it("validates configurations and answers NoSuchLifecycleConfiguration once deleted", async () => {
    const B = "lc-validate";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await assert.rejects(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })), rejectsWith("NoSuchLifecycleConfiguration", 404));
    await assert.rejects(
      s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: B, LifecycleConfiguration: { Rules: [{ ID: "x", Status: "Enabled", Filter: {}, Transitions: [{ Days: 10, StorageClass: "STANDARD_IA" }] }] } })),
      rejectsWith("InvalidArgument", 400),
    );
    await assert.rejects(
      s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: B, LifecycleConfiguration: { Rules: [{ ID: "x".repeat(256), Status: "Enabled", Filter: {}, Expiration: { Days: 1 } }] } })),
      rejectsWith("InvalidArgument", 400),
    );
    await assert.rejects(
      s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: B, LifecycleConfiguration: { Rules: [{ ID: "x", Status: "Enabled", Filter: {}, Expiration: { Date: new Date("2025-06-01T12:00:00Z") } }] } })),
      (e: any) => e.name === "InvalidArgument" && /midnight GMT/.test(e.message),
    );
    const put = await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: B, LifecycleConfiguration: { Rules: [{ Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 5 } }] } }));
    assert.equal(put.TransitionDefaultMinimumObjectSize, "all_storage_classes_128K");
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B }));
    assert.ok(got.Rules![0].ID, "S3 names rules that came without an ID");
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: B }));
    await assert.rejects(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })), rejectsWith("NoSuchLifecycleConfiguration", 404));
  });

  it("restores archived objects after the tier's time, with x-amz-restore, and forgets them after the days", async () => {
    const B = "lc-restore";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "archive.tar", Body: "cold data", StorageClass: "GLACIER" }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "deep.tar", Body: "colder", StorageClass: "DEEP_ARCHIVE" }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "warm.txt", Body: "warm" }));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: "archive.tar" })), rejectsWith("InvalidObjectState", 403));
    await assert.rejects(s3.send(new RestoreObjectCommand({ Bucket: B, Key: "warm.txt", RestoreRequest: { Days: 1 } })), rejectsWith("InvalidObjectState", 403));
    await assert.rejects(
      s3.send(new RestoreObjectCommand({ Bucket: B, Key: "deep.tar", RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: "Expedited" } } })),
      rejectsWith("InvalidArgument", 400),
    );
    const started = await s3.send(new RestoreObjectCommand({ Bucket: B, Key: "archive.tar", RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: "Standard" } } }));
    assert.equal(started.$metadata.httpStatusCode, 202);
    await assert.rejects(s3.send(new RestoreObjectCommand({ Bucket: B, Key: "archive.tar", RestoreRequest: { Days: 2 } })), rejectsWith("RestoreAlreadyInProgress", 409));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "archive.tar" }))).Restore, 'ongoing-request="true"');
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: "archive.tar" })), rejectsWith("InvalidObjectState", 403));
    await stratus.clock.advance("4h");
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: "archive.tar" })), rejectsWith("InvalidObjectState", 403));
    await stratus.clock.advance("1h1m");
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "archive.tar" }));
    assert.match(head.Restore!, /^ongoing-request="false", expiry-date="[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} 00:00:00 GMT"$/);
    assert.equal(head.StorageClass, "GLACIER");
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "archive.tar" }));
    assert.equal(await got.Body!.transformToString(), "cold data");
    const again = await s3.send(new RestoreObjectCommand({ Bucket: B, Key: "archive.tar", RestoreRequest: { Days: 1 } }));
    assert.equal(again.$metadata.httpStatusCode, 200);
    await stratus.clock.advance("3d");
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: "archive.tar" })), rejectsWith("InvalidObjectState", 403));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "archive.tar" }))).Restore, undefined);
  });
});

describe("S3 lifecycle durability", () => {
  it("keeps applying rules after a restart", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "lc-disk-"));
    try {
      let stratus = await startTestStratus({ storage: "disk", dataDir, clock: "virtual", clockStart: "2025-03-01T12:00:00Z" });
      let s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: "lc-durable" }));
      await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "lc-durable", LifecycleConfiguration: { Rules: [{ ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 2 } }] } }));
      await s3.send(new PutObjectCommand({ Bucket: "lc-durable", Key: "logs/a", Body: "a" }));
      await stratus.stop();
      stratus = await startTestStratus({ storage: "disk", dataDir, clock: "virtual" });
      s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
      await s3.send(new HeadObjectCommand({ Bucket: "lc-durable", Key: "logs/a" }));
      await stratus.clock.advance("3d");
      await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: "lc-durable", Key: "logs/a" })), (e: any) => e.$metadata.httpStatusCode === 404);
      await stratus.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
