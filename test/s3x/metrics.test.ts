import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { S3Client, CreateBucketCommand, PutObjectCommand, PutBucketVersioningCommand, PutBucketReplicationCommand } from "@aws-sdk/client-s3";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

describe("AWS/S3 metrics in CloudWatch", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let cw: CloudWatchClient;
  let available = true;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-05-01T08:00:00Z" });
    s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    cw = new CloudWatchClient(sdkConfig(stratus));
    try {
      await cw.send(new ListMetricsCommand({ Namespace: "AWS/S3" }));
    } catch (error: any) {
      if (error.name !== "NotImplemented") throw error;
      available = false;
    }
  });
  after(() => stratus.stop());

  const daily = (bucket: string, metric: string, storageType: string) =>
    cw.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/S3",
        MetricName: metric,
        Dimensions: [{ Name: "BucketName", Value: bucket }, { Name: "StorageType", Value: storageType }],
        StartTime: new Date("2025-04-30T00:00:00Z"),
        EndTime: new Date("2025-05-10T00:00:00Z"),
        Period: 86400,
        Statistics: ["Average"],
      }),
    );

  it("publishes BucketSizeBytes per storage type and NumberOfObjects every midnight UTC", async (t) => {
    if (!available) return t.skip("CloudWatch's metric store is not on this branch");
    await s3.send(new CreateBucketCommand({ Bucket: "metered" }));
    await s3.send(new PutObjectCommand({ Bucket: "metered", Key: "a", Body: Buffer.alloc(1000) }));
    await s3.send(new PutObjectCommand({ Bucket: "metered", Key: "b", Body: Buffer.alloc(500) }));
    await s3.send(new PutObjectCommand({ Bucket: "metered", Key: "c", Body: Buffer.alloc(300), StorageClass: "STANDARD_IA" }));
    assert.equal((await daily("metered", "BucketSizeBytes", "StandardStorage")).Datapoints?.length ?? 0, 0);
    await stratus.clock.advance("1d");
    const standard = await daily("metered", "BucketSizeBytes", "StandardStorage");
    assert.equal(standard.Datapoints!.length, 1);
    assert.equal(standard.Datapoints![0].Average, 1500);
    assert.equal(standard.Datapoints![0].Unit, "Bytes");
    assert.equal((await daily("metered", "BucketSizeBytes", "StandardIAStorage")).Datapoints![0].Average, 300);
    assert.equal((await daily("metered", "NumberOfObjects", "AllStorageTypes")).Datapoints![0].Average, 3);
    await s3.send(new PutObjectCommand({ Bucket: "metered", Key: "d", Body: Buffer.alloc(100) }));
    await stratus.clock.advance("1d");
    const two = await daily("metered", "NumberOfObjects", "AllStorageTypes");
    assert.deepEqual(two.Datapoints!.map((d) => d.Average).sort(), [3, 4]);
  });

  it("publishes replication metrics for rules with Metrics enabled", async (t) => {
    if (!available) return t.skip("CloudWatch's metric store is not on this branch");
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    await new IAMClient(sdkConfig(stratus)).send(new CreateRoleCommand({ RoleName: "rep", AssumeRolePolicyDocument: trust }));
    const replication = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: "*" }] });
    await new IAMClient(sdkConfig(stratus)).send(new PutRolePolicyCommand({ RoleName: "rep", PolicyName: "replication", PolicyDocument: replication }));
    for (const b of ["m-src", "m-dst"]) {
      await s3.send(new CreateBucketCommand({ Bucket: b }));
      await s3.send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: "Enabled" } }));
    }
    await s3.send(
      new PutBucketReplicationCommand({
        Bucket: "m-src",
        ReplicationConfiguration: {
          Role: "arn:aws:iam::000000000000:role/rep",
          Rules: [
            {
              ID: "all",
              Status: "Enabled",
              Priority: 1,
              DeleteMarkerReplication: { Status: "Disabled" },
              Filter: { Prefix: "" },
              Destination: { Bucket: "arn:aws:s3:::m-dst", ReplicationTime: { Status: "Enabled", Time: { Minutes: 15 } }, Metrics: { Status: "Enabled", EventThreshold: { Minutes: 15 } } },
            },
          ],
        },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: "m-src", Key: "x", Body: "12345" }));
    await stratus.clock.settle();
    const dims = [{ Name: "SourceBucket", Value: "m-src" }, { Name: "DestinationBucket", Value: "m-dst" }, { Name: "RuleId", Value: "all" }];
    const now = stratus.clock.now().getTime();
    const stat = (MetricName: string) =>
      cw.send(new GetMetricStatisticsCommand({ Namespace: "AWS/S3", MetricName, Dimensions: dims, StartTime: new Date(now - 3600_000), EndTime: new Date(now + 60_000), Period: 3600, Statistics: ["Maximum", "SampleCount"] }));
    const latency = await stat("ReplicationLatency");
    assert.equal(latency.Datapoints![0].SampleCount, 1);
    assert.ok(latency.Datapoints![0].Maximum! >= 0);
    const pending = await stat("OperationsPendingReplication");
    assert.equal(pending.Datapoints![0].Maximum, 1, "the copy was pending before it was done");
  });
});
