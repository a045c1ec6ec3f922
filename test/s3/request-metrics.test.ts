/** CloudWatch request metrics: metrics configurations, and per-minute AWS/S3 request metrics by filter. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateBucketCommand,
  DeleteBucketMetricsConfigurationCommand,
  GetBucketMetricsConfigurationCommand,
  GetObjectCommand,
  ListBucketMetricsConfigurationsCommand,
  ListObjectsV2Command,
  PutBucketMetricsConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { bucketName, isError, s3Client } from "./support.js";

describe("S3 request metrics", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let cw: CloudWatchClient;

  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    s3 = s3Client(stratus);
    cw = new CloudWatchClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  it("stores, lists, reads and deletes metrics configurations with S3's checks", async () => {
    const bucket = bucketName("mcfg");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    assert.equal((await s3.send(new ListBucketMetricsConfigurationsCommand({ Bucket: bucket }))).MetricsConfigurationList, undefined);
    await assert.rejects(s3.send(new GetBucketMetricsConfigurationCommand({ Bucket: bucket, Id: "all" })), isError("NoSuchConfiguration", 404));
    await assert.rejects(
      s3.send(new PutBucketMetricsConfigurationCommand({ Bucket: bucket, Id: "a", MetricsConfiguration: { Id: "b" } })),
      isError("InvalidArgument", 400),
    );
    await s3.send(new PutBucketMetricsConfigurationCommand({ Bucket: bucket, Id: "EntireBucket", MetricsConfiguration: { Id: "EntireBucket" } }));
    const cli = await awsCli(stratus, [
      "s3api", "put-bucket-metrics-configuration", "--bucket", bucket, "--id", "models",
      "--metrics-configuration", JSON.stringify({ Id: "models", Filter: { Prefix: "models/" } }),
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const listed = await awsCli(stratus, ["s3api", "list-bucket-metrics-configurations", "--bucket", bucket]);
    assert.deepEqual(listed.json().MetricsConfigurationList.map((c: any) => c.Id), ["EntireBucket", "models"]);
    assert.equal((await s3.send(new GetBucketMetricsConfigurationCommand({ Bucket: bucket, Id: "models" }))).MetricsConfiguration?.Filter?.Prefix, "models/");
    await s3.send(new DeleteBucketMetricsConfigurationCommand({ Bucket: bucket, Id: "models" }));
    await assert.rejects(s3.send(new DeleteBucketMetricsConfigurationCommand({ Bucket: bucket, Id: "models" })), isError("NoSuchConfiguration", 404));
  });

  it("publishes per-minute AWS/S3 request metrics for the requests each filter matches", async () => {
    const bucket = bucketName("mreq");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketMetricsConfigurationCommand({ Bucket: bucket, Id: "EntireBucket", MetricsConfiguration: { Id: "EntireBucket" } }));
    await s3.send(new PutBucketMetricsConfigurationCommand({ Bucket: bucket, Id: "models", MetricsConfiguration: { Id: "models", Filter: { Prefix: "models/" } } }));
    const start = stratus.clock.now().getTime();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "models/a.bin", Body: Buffer.alloc(1000) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "data/b.csv", Body: Buffer.alloc(300) }));
    await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "models/a.bin" }))).Body?.transformToByteArray();
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "models/missing" })), isError("NoSuchKey", 404));
    await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    await stratus.clock.advance("2m");
    const sum = async (MetricName: string, FilterId: string) => {
      const out = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/S3",
          MetricName,
          Dimensions: [{ Name: "BucketName", Value: bucket }, { Name: "FilterId", Value: FilterId }],
          StartTime: new Date(start - 3600_000),
          EndTime: new Date(start + 3600_000),
          Period: 3600,
          Statistics: ["Sum"],
        }),
      );
      return out.Datapoints?.reduce((n, d) => n + (d.Sum ?? 0), 0) ?? 0;
    };
    // Every request to the bucket counts, the two PutBucketMetricsConfiguration ones included.
    assert.equal(await sum("AllRequests", "EntireBucket"), 7);
    assert.equal(await sum("PutRequests", "EntireBucket"), 2);
    assert.equal(await sum("GetRequests", "EntireBucket"), 2);
    assert.equal(await sum("ListRequests", "EntireBucket"), 1);
    assert.equal(await sum("4xxErrors", "EntireBucket"), 1);
    assert.equal(await sum("BytesUploaded", "EntireBucket"), 1300);
    assert.equal(await sum("BytesDownloaded", "EntireBucket"), 1000);
    // The prefix filter saw only the models/ requests (the listing is bucket-level).
    assert.equal(await sum("AllRequests", "models"), 3);
    assert.equal(await sum("BytesUploaded", "models"), 1000);
    const latency = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/S3",
        MetricName: "TotalRequestLatency",
        Dimensions: [{ Name: "BucketName", Value: bucket }, { Name: "FilterId", Value: "models" }],
        StartTime: new Date(start - 3600_000),
        EndTime: new Date(start + 3600_000),
        Period: 3600,
        Statistics: ["SampleCount"],
      }),
    );
    assert.equal(latency.Datapoints?.[0]?.SampleCount, 3);
  });
});
