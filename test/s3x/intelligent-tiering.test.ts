/**
 * S3 Intelligent-Tiering on the virtual clock, through SDK v3 and the aws CLI:
 * the bucket configurations (validation, paging, errors); objects moving to
 * Infrequent Access after 30 idle days and back on a GET, as BucketSizeBytes
 * per StorageType and the bill show; small objects staying in Frequent
 * Access; the opt-in Archive Access tier after its days, where GET is refused
 * and HEAD shows the archive status, until a restore (no Days) brings the
 * object back to Frequent Access.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  DeleteBucketIntelligentTieringConfigurationCommand,
  GetBucketIntelligentTieringConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketIntelligentTieringConfigurationsCommand,
  PutBucketIntelligentTieringConfigurationCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  type S3Client,
  type IntelligentTieringConfiguration,
} from "@aws-sdk/client-s3";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { CostExplorerClient, GetCostAndUsageCommand } from "@aws-sdk/client-cost-explorer";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { bodyBytes, isError, pattern, s3Client } from "../s3/support.js";

const KiB = 1024;
const DAY = 86_400_000;

describe("S3 Intelligent-Tiering", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-05-01T08:00:00Z" });
    s3 = s3Client(stratus);
  });
  after(() => stratus.stop());

  const config = (Id: string, tierings: Array<[number, "ARCHIVE_ACCESS" | "DEEP_ARCHIVE_ACCESS"]>, extra: Partial<IntelligentTieringConfiguration> = {}): IntelligentTieringConfiguration => ({
    Id,
    Status: "Enabled",
    Tierings: tierings.map(([Days, AccessTier]) => ({ Days, AccessTier })),
    ...extra,
  });

  it("stores configurations with S3's validation, lists them in pages of 100", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "tiering-config" }));
    const put = (c: IntelligentTieringConfiguration, Id = c.Id) => s3.send(new PutBucketIntelligentTieringConfigurationCommand({ Bucket: "tiering-config", Id, IntelligentTieringConfiguration: c }));
    await put(config("archive", [[90, "ARCHIVE_ACCESS"], [180, "DEEP_ARCHIVE_ACCESS"]], { Filter: { And: { Prefix: "models/", Tags: [{ Key: "tier", Value: "cold" }] } } }));
    const got = await s3.send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket: "tiering-config", Id: "archive" }));
    assert.deepEqual(got.IntelligentTieringConfiguration, {
      Id: "archive",
      Status: "Enabled",
      Filter: { And: { Prefix: "models/", Tags: [{ Key: "tier", Value: "cold" }] } },
      Tierings: [{ Days: 90, AccessTier: "ARCHIVE_ACCESS" }, { Days: 180, AccessTier: "DEEP_ARCHIVE_ACCESS" }],
    });
    await assert.rejects(put(config("early", [[89, "ARCHIVE_ACCESS"]])), isError("InvalidArgument", 400));
    await assert.rejects(put(config("deep-early", [[179, "DEEP_ARCHIVE_ACCESS"]])), isError("InvalidArgument", 400));
    await assert.rejects(put(config("late", [[731, "ARCHIVE_ACCESS"]])), isError("InvalidArgument", 400));
    await assert.rejects(put(config("order", [[200, "ARCHIVE_ACCESS"], [180, "DEEP_ARCHIVE_ACCESS"]])), isError("InvalidArgument", 400));
    await assert.rejects(put(config("twice", [[90, "ARCHIVE_ACCESS"], [100, "ARCHIVE_ACCESS"]])), isError("InvalidArgument", 400));
    await assert.rejects(put(config("mismatch", [[90, "ARCHIVE_ACCESS"]]), "other"), isError("InvalidArgument", 400));
    await assert.rejects(s3.send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket: "tiering-config", Id: "missing" })), isError("NoSuchConfiguration", 404));
    await assert.rejects(s3.send(new DeleteBucketIntelligentTieringConfigurationCommand({ Bucket: "tiering-config", Id: "missing" })), isError("NoSuchConfiguration", 404));

    for (let i = 0; i < 120; i++) await put(config(`c${String(i).padStart(3, "0")}`, [[90 + i, "ARCHIVE_ACCESS"]], { Status: "Disabled" }));
    const first = await s3.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket: "tiering-config" }));
    assert.equal(first.IntelligentTieringConfigurationList!.length, 100);
    assert.equal(first.IsTruncated, true);
    const second = await s3.send(new ListBucketIntelligentTieringConfigurationsCommand({ Bucket: "tiering-config", ContinuationToken: first.NextContinuationToken }));
    assert.equal(second.IntelligentTieringConfigurationList!.length, 21);
    assert.equal(second.IsTruncated, false);
    assert.equal(first.IntelligentTieringConfigurationList![0].Id, "archive");
    assert.equal(second.IntelligentTieringConfigurationList!.at(-1)!.Id, "c119");

    // The aws CLI reads and deletes them too.
    const cli = await awsCli(stratus, ["s3api", "get-bucket-intelligent-tiering-configuration", "--bucket", "tiering-config", "--id", "archive", "--output", "json"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(cli.json().IntelligentTieringConfiguration.Tierings, [{ Days: 90, AccessTier: "ARCHIVE_ACCESS" }, { Days: 180, AccessTier: "DEEP_ARCHIVE_ACCESS" }]);
    const deleted = await awsCli(stratus, ["s3api", "delete-bucket-intelligent-tiering-configuration", "--bucket", "tiering-config", "--id", "archive"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await assert.rejects(s3.send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket: "tiering-config", Id: "archive" })), isError("NoSuchConfiguration", 404));
  });

  it("moves idle objects to Infrequent Access, back on a GET, and into Archive Access, restored without Days", async () => {
    const bucket = "tiering-live";
    const start = stratus.clock.now().getTime();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const cold = pattern(200 * KiB, 1);
    const hot = pattern(200 * KiB, 2);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "models/cold.pth", Body: cold, StorageClass: "INTELLIGENT_TIERING" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "models/hot.pth", Body: hot, StorageClass: "INTELLIGENT_TIERING" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "small.txt", Body: Buffer.alloc(KiB), StorageClass: "INTELLIGENT_TIERING" }));
    const cli = await awsCli(stratus, [
      "s3api", "put-bucket-intelligent-tiering-configuration", "--bucket", bucket, "--id", "archive-models",
      "--intelligent-tiering-configuration", JSON.stringify({ Id: "archive-models", Status: "Enabled", Filter: { Prefix: "models/" }, Tierings: [{ Days: 90, AccessTier: "ARCHIVE_ACCESS" }] }),
    ]);
    assert.equal(cli.code, 0, cli.stderr);

    const cw = new CloudWatchClient(sdkConfig(stratus));
    const sizeOn = async (storageType: string, day: number) => {
      const at = Date.UTC(2025, 4, 2) + day * DAY; // the midnight `day` days after the first
      const { Datapoints } = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/S3", MetricName: "BucketSizeBytes", Dimensions: [{ Name: "BucketName", Value: bucket }, { Name: "StorageType", Value: storageType }],
          StartTime: new Date(at), EndTime: new Date(at + 1000), Period: 86400, Statistics: ["Average"],
        }),
      );
      return Datapoints?.[0]?.Average ?? 0;
    };
    // Day 25: the hot model is read. Day 31: the cold one has been idle for 30 days, the small object is not monitored.
    await stratus.clock.set(start + 25 * DAY);
    await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "models/hot.pth" }))).Body);
    await stratus.clock.set(start + 31 * DAY);
    assert.equal(await sizeOn("IntelligentTieringIAStorage", 30), 200 * KiB);
    assert.equal(await sizeOn("IntelligentTieringFAStorage", 30), 200 * KiB + KiB);
    // Reading the cold model brings it back to Frequent Access.
    await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "models/cold.pth" }))).Body);
    await stratus.clock.set(start + 32 * DAY);
    assert.equal(await sizeOn("IntelligentTieringIAStorage", 31), 0);
    assert.equal(await sizeOn("IntelligentTieringFAStorage", 31), 2 * 200 * KiB + KiB);

    // 90 idle days later (from day 31): Archive Access. GET refused, HEAD says so; the small object is not archived.
    await stratus.clock.set(start + 122 * DAY);
    // Measured at the midnight before the cold model's 90th idle day: only the hot one (idle since day 25) is archived.
    assert.equal(await sizeOn("IntelligentTieringAAStorage", 120), 200 * KiB);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "models/cold.pth" })), (error: any) => {
      assert.equal(error.name, "InvalidObjectState");
      assert.equal(error.$metadata.httpStatusCode, 403);
      assert.equal(error.AccessTier, "ARCHIVE_ACCESS");
      assert.equal(error.StorageClass, "INTELLIGENT_TIERING");
      return true;
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "models/cold.pth" }));
    assert.equal(head.ArchiveStatus, "ARCHIVE_ACCESS");
    assert.equal(head.StorageClass, "INTELLIGENT_TIERING");
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "small.txt" }))).ArchiveStatus, undefined);
    // The hot model (read on day 25) went to Archive Access a few days earlier.
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "models/hot.pth" }))).ArchiveStatus, "ARCHIVE_ACCESS");

    // Restores: no Days for these tiers; one at a time; an object not archived cannot be restored.
    await assert.rejects(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "models/cold.pth", RestoreRequest: { Days: 2 } })), isError("InvalidArgument", 400));
    await assert.rejects(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "small.txt", RestoreRequest: {} })), isError("InvalidObjectState", 403));
    const restore = await awsCli(stratus, ["s3api", "restore-object", "--bucket", bucket, "--key", "models/cold.pth", "--restore-request", "{}"]);
    assert.equal(restore.code, 0, restore.stderr);
    await assert.rejects(s3.send(new RestoreObjectCommand({ Bucket: bucket, Key: "models/cold.pth", RestoreRequest: {} })), isError("RestoreAlreadyInProgress", 409));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "models/cold.pth" }))).Restore, 'ongoing-request="true"');
    await stratus.clock.advance("4h");
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "models/cold.pth" })), isError("InvalidObjectState", 403));
    await stratus.clock.advance("1h");
    const back = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "models/cold.pth" }));
    assert.ok((await bodyBytes(back.Body)).equals(cold));
    const after = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "models/cold.pth" }));
    assert.equal(after.ArchiveStatus, undefined);
    assert.equal(after.Restore, undefined);

    // The bill follows the tiers: Infrequent Access and Archive Access storage, each under its usage type.
    await stratus.clock.advance("1d");
    const ce = new CostExplorerClient(sdkConfig(stratus));
    const { ResultsByTime } = await ce.send(
      new GetCostAndUsageCommand({
        TimePeriod: { Start: "2025-05-01", End: new Date(stratus.clock.now().getTime()).toISOString().slice(0, 10) },
        Granularity: "MONTHLY",
        Metrics: ["UsageQuantity"],
        GroupBy: [{ Type: "DIMENSION", Key: "USAGE_TYPE" }],
        Filter: { Dimensions: { Key: "SERVICE", Values: ["Amazon Simple Storage Service"] } },
      }),
    );
    const usageTypes = new Set(ResultsByTime!.flatMap((r) => (r.Groups ?? []).map((g) => g.Keys![0])));
    for (const type of ["TimedStorage-INT-FA-ByteHrs", "TimedStorage-INT-IA-ByteHrs", "TimedStorage-INT-AA-ByteHrs"]) assert.ok(usageTypes.has(type), `${type} in ${[...usageTypes].join(", ")}`);
  });
});
