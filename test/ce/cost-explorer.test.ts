/**
 * Cost Explorer over metered usage, with SDK v3 and /usr/bin/aws: instance
 * hours at the on-demand or spot price while instances run (not while they
 * are stopped), EBS volume and snapshot GB-months, S3 storage by class,
 * requests by tier and bytes out; grouping, filters, dimension values, tags,
 * forecasts, AWS's validation errors, and a ledger that survives a restart.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  GetCostAndUsageWithResourcesCommand,
  GetCostForecastCommand,
  GetDimensionValuesCommand,
  GetTagsCommand,
  GetUsageForecastCommand,
  ListCostAllocationTagsCommand,
  UpdateCostAllocationTagsStatusCommand,
  type Expression,
  type GetCostAndUsageCommandInput,
} from "@aws-sdk/client-cost-explorer";
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricStatisticsCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { CompleteSnapshotCommand, EBSClient, PutSnapshotBlockCommand, StartSnapshotCommand } from "@aws-sdk/client-ebs";
import {
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { CreateBucketCommand, GetObjectCommand, PutBucketTaggingCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { onDemandUsd } from "../support/pricing.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

const COMPUTE = "Amazon Elastic Compute Cloud - Compute";
const EC2_OTHER = "EC2 - Other";
const VPC = "Amazon Virtual Private Cloud";
const S3_SERVICE = "Amazon Simple Storage Service";
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const dimension = (Key: string, ...Values: string[]): Expression => ({ Dimensions: { Key: Key as never, Values } });

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: any) => {
    assert.equal(error.name, name, `${error.name}: ${error.message}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

async function onDemandPrice(pricing: PricingClient, type: string): Promise<number> {
  const { PriceList } = await pricing.send(
    new GetProductsCommand({
      ServiceCode: "AmazonEC2",
      Filters: [
        { Type: "TERM_MATCH", Field: "instanceType", Value: type },
        { Type: "TERM_MATCH", Field: "regionCode", Value: "us-east-1" },
        { Type: "TERM_MATCH", Field: "operatingSystem", Value: "Linux" },
      ],
    }),
  );
  return onDemandUsd(JSON.parse(PriceList![0] as string));
}

describe("Cost Explorer", () => {
  let stratus: RunningStratus;
  let ce: CostExplorerClient;
  let ec2: EC2Client;
  let s3: S3Client;
  let pricing: PricingClient;
  let imageId: string;
  const day = (n: number) => `2026-03-${String(n).padStart(2, "0")}`;

  async function costs(input: Partial<GetCostAndUsageCommandInput> & { TimePeriod: { Start: string; End: string } }) {
    return ce.send(new GetCostAndUsageCommand({ Granularity: "DAILY", Metrics: ["UnblendedCost", "UsageQuantity"], ...input }));
  }

  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2026-03-02T00:00:00Z" });
    ce = new CostExplorerClient(sdkConfig(stratus));
    ec2 = new EC2Client(sdkConfig(stratus));
    s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    pricing = new PricingClient(sdkConfig(stratus));
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    imageId = Images![0].ImageId!;
  });
  after(() => stratus.stop());

  it("has nothing to report, and a forecast has no history, before anything was used", async () => {
    const out = await costs({ TimePeriod: { Start: day(1), End: day(2) } });
    assert.equal(out.ResultsByTime!.length, 1);
    assert.deepEqual(out.ResultsByTime![0].Total, { UnblendedCost: { Amount: "0", Unit: "USD" }, UsageQuantity: { Amount: "0", Unit: "N/A" } });
    await rejectsWith(
      ce.send(new GetCostForecastCommand({ TimePeriod: { Start: day(2), End: day(5) }, Metric: "UNBLENDED_COST", Granularity: "DAILY" })),
      "DataUnavailableException",
      /Insufficient amount of historical data/,
    );
  });

  it("charges running hours at the on-demand price, nothing while stopped, and the root volume's GB-months all along", async () => {
    const price = await onDemandPrice(pricing, "t3.micro");
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Project", Value: "inference" }] }],
      }),
    );
    const instanceId = run.Instances![0].InstanceId!;
    await stratus.clock.advance("10h");
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await stratus.clock.advance("38h"); // to 2026-03-04T00:00 (and a little)
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    assert.equal(described.Reservations![0].Instances![0].State!.Name, "stopped");

    const compute = await costs({ TimePeriod: { Start: day(2), End: day(4) }, Filter: dimension("SERVICE", COMPUTE) });
    const [first, second] = compute.ResultsByTime!;
    assert.deepEqual(first.TimePeriod, { Start: day(2), End: day(3) });
    const hours = Number(first.Total!.UsageQuantity.Amount);
    close(hours, 10, 0.05, "running hours on the first day");
    assert.equal(first.Total!.UsageQuantity.Unit, "Hrs");
    close(Number(first.Total!.UnblendedCost.Amount), hours * price, 1e-9, "cost = hours × the price list's price");
    assert.equal(second.Total!.UnblendedCost.Amount, "0", "a stopped instance costs nothing");

    const byUsage = await costs({
      TimePeriod: { Start: day(2), End: day(4) },
      Granularity: "MONTHLY",
      Metrics: ["UsageQuantity"],
      GroupBy: [{ Type: "DIMENSION", Key: "SERVICE" }, { Type: "DIMENSION", Key: "USAGE_TYPE" }],
    });
    const month = byUsage.ResultsByTime![0];
    assert.deepEqual(month.TimePeriod, { Start: day(2), End: day(4) });
    assert.deepEqual(month.Total, {});
    assert.deepEqual(byUsage.GroupDefinitions, [{ Type: "DIMENSION", Key: "SERVICE" }, { Type: "DIMENSION", Key: "USAGE_TYPE" }]);
    const keys = month.Groups!.map((g) => g.Keys!.join(" / "));
    assert.ok(keys.includes(`${COMPUTE} / BoxUsage:t3.micro`), keys.join(", "));
    const root = month.Groups!.find((g) => g.Keys![0] === EC2_OTHER && g.Keys![1].startsWith("EBS:VolumeUsage"));
    assert.ok(root, `the root volume is billed: ${keys.join(", ")}`);
    assert.equal(root.Metrics!.UsageQuantity.Unit, "GB-Mo");
    // 8 GiB for 48 hours of March's 744.
    close(Number(root.Metrics!.UsageQuantity.Amount), (8 * 48) / 744, 0.002, "root volume GB-months");

    const byTag = await costs({ TimePeriod: { Start: day(2), End: day(3) }, GroupBy: [{ Type: "TAG", Key: "Project" }], Filter: dimension("SERVICE", COMPUTE) });
    assert.deepEqual(byTag.ResultsByTime![0].Groups!.map((g) => g.Keys), [["Project$inference"]]);
  });

  it("charges spot instances at the spot price, below on demand, as Spot Instances", async () => {
    const price = await onDemandPrice(pricing, "m5.large");
    await ec2.send(
      new RequestSpotInstancesCommand({ InstanceCount: 1, LaunchSpecification: { ImageId: imageId, InstanceType: "m5.large" } }),
    );
    await stratus.clock.advance("1d"); // through 2026-03-05
    const out = await costs({
      TimePeriod: { Start: day(4), End: day(5) },
      Filter: { And: [dimension("SERVICE", COMPUTE), dimension("PURCHASE_TYPE", "Spot Instances")] },
      GroupBy: [{ Type: "DIMENSION", Key: "USAGE_TYPE" }],
    });
    const groups = out.ResultsByTime![0].Groups!;
    assert.deepEqual(groups.map((g) => g.Keys), [["SpotUsage:m5.large"]]);
    const hours = Number(groups[0].Metrics!.UsageQuantity.Amount);
    const cost = Number(groups[0].Metrics!.UnblendedCost.Amount);
    assert.ok(hours > 23 && hours <= 24, `spot hours ${hours}`);
    assert.ok(cost > 0 && cost < hours * price, `spot cost ${cost} is below on demand (${hours * price})`);
    const types = await ce.send(new GetDimensionValuesCommand({ TimePeriod: { Start: day(1), End: day(6) }, Dimension: "PURCHASE_TYPE" }));
    assert.deepEqual(types.DimensionValues!.map((v) => v.Value), ["On Demand Instances", "Spot Instances"]);
  });

  it("charges S3 storage by class from the daily measurement, requests by tier and bytes out", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "ce-models" }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: "ce-models", Tagging: { TagSet: [{ Key: "Project", Value: "models" }] } }));
    const body = Buffer.alloc(3 * MIB, 7);
    await s3.send(new PutObjectCommand({ Bucket: "ce-models", Key: "model.bin", Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: "ce-models", Key: "archive.bin", Body: body, StorageClass: "GLACIER" }));
    for (let i = 0; i < 4; i++) {
      const got = await s3.send(new GetObjectCommand({ Bucket: "ce-models", Key: "model.bin" }));
      assert.equal((await got.Body!.transformToByteArray()).length, body.length);
    }
    await stratus.clock.advance("2d"); // midnights of 03-06 and 03-07 measure the bucket
    const out = await costs({
      TimePeriod: { Start: day(5), End: day(7) },
      Filter: dimension("SERVICE", S3_SERVICE),
      GroupBy: [{ Type: "DIMENSION", Key: "USAGE_TYPE" }],
    });
    const [first, second] = out.ResultsByTime!;
    const group = (result: typeof first, usage: string) => result.Groups!.find((g) => g.Keys![0] === usage)?.Metrics;
    const requests1 = group(first, "Requests-Tier1");
    const requests2 = group(first, "Requests-Tier2");
    assert.ok(requests1 && requests2, first.Groups!.map((g) => g.Keys![0]).join(", "));
    assert.equal(requests2.UsageQuantity.Amount, "4", "four GETs");
    assert.equal(requests2.UsageQuantity.Unit, "Requests");
    assert.equal(requests1.UsageQuantity.Amount, "4", "CreateBucket, PutBucketTagging and two PUTs");
    close(Number(requests2.UnblendedCost.Amount), (4 * 0.0004) / 1000, 1e-10, "tier 2 cost");
    const out1 = group(first, "DataTransfer-Out-Bytes")!;
    close(Number(out1.UsageQuantity.Amount), (4 * body.length) / GIB, 1e-9, "GB out");
    // The second day is a full day of storage: 3 MiB for 24 of March's 744 hours.
    const standard = group(second, "TimedStorage-ByteHrs")!;
    const glacier = group(second, "TimedStorage-GlacierByteHrs")!;
    close(Number(standard.UsageQuantity.Amount), ((3 * MIB) / GIB) * (24 / 744), 1e-9, "Standard GB-months");
    close(Number(standard.UnblendedCost.Amount), ((3 * MIB) / GIB) * (24 / 744) * 0.023, 1e-9, "Standard cost");
    close(Number(glacier.UnblendedCost.Amount), ((3 * MIB) / GIB) * (24 / 744) * 0.0036, 1e-9, "Glacier cost");

    const tagged = await costs({ TimePeriod: { Start: day(6), End: day(7) }, Filter: { Tags: { Key: "Project", Values: ["models"] } } });
    close(Number(tagged.ResultsByTime![0].Total!.UnblendedCost.Amount), Number(standard.UnblendedCost.Amount) + Number(glacier.UnblendedCost.Amount), 1e-9, "the bucket's tag selects its costs");
    const tags = await ce.send(new GetTagsCommand({ TimePeriod: { Start: day(1), End: day(8) } }));
    assert.deepEqual(tags.Tags, ["Project"]);
    const values = await ce.send(new GetTagsCommand({ TimePeriod: { Start: day(1), End: day(8) }, TagKey: "Project" }));
    assert.deepEqual(values.Tags, ["inference", "models"]);
    assert.equal(values.TotalSize, 2);
  });

  it("charges EBS volumes up to their deletion, provisioned IOPS and throughput, and snapshots by the blocks they add", async () => {
    const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 100, VolumeType: "gp3", Iops: 4000, Throughput: 250 }));
    await ec2.send(new CreateTagsCommand({ Resources: [volume.VolumeId!], Tags: [{ Key: "Project", Value: "data" }] }));
    const ebs = new EBSClient(sdkConfig(stratus));
    const block = (fill: number) => {
      const data = Buffer.alloc(512 * 1024, fill);
      return { BlockData: data, DataLength: data.length, Checksum: createHash("sha256").update(data).digest("base64"), ChecksumAlgorithm: "SHA256" as const };
    };
    const parent = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    for (let i = 0; i < 4; i++) await ebs.send(new PutSnapshotBlockCommand({ SnapshotId: parent.SnapshotId!, BlockIndex: i, ...block(i + 1) }));
    await ebs.send(new CompleteSnapshotCommand({ SnapshotId: parent.SnapshotId!, ChangedBlocksCount: 4 }));
    await stratus.clock.advance("1m"); // sealed: a child may name it as its parent
    const child = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1, ParentSnapshotId: parent.SnapshotId! }));
    await ebs.send(new PutSnapshotBlockCommand({ SnapshotId: child.SnapshotId!, BlockIndex: 0, ...block(9) }));
    await ebs.send(new CompleteSnapshotCommand({ SnapshotId: child.SnapshotId!, ChangedBlocksCount: 1 }));
    await stratus.clock.advance("24h"); // to 03-08 and a little
    await stratus.clock.advance("12h");
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volume.VolumeId! }));
    await stratus.clock.advance("12h");

    const resources = await ce.send(
      new GetCostAndUsageWithResourcesCommand({
        TimePeriod: { Start: day(7), End: day(10) },
        Granularity: "MONTHLY",
        Metrics: ["UsageQuantity", "UnblendedCost"],
        Filter: dimension("SERVICE", EC2_OTHER),
        GroupBy: [{ Type: "DIMENSION", Key: "RESOURCE_ID" }, { Type: "DIMENSION", Key: "USAGE_TYPE" }],
      }),
    );
    const groups = resources.ResultsByTime![0].Groups!;
    const of = (id: string, usage: string) => groups.find((g) => g.Keys![0] === id && g.Keys![1] === usage)?.Metrics;
    const volumeMonths = Number(of(volume.VolumeId!, "EBS:VolumeUsage.gp3")!.UsageQuantity.Amount);
    // 100 GB from creation (03-07, a few minutes in) to deletion 36 h later.
    close(volumeMonths, (100 * 36) / 744, 0.05, "volume GB-months end at deletion");
    close(Number(of(volume.VolumeId!, "EBS:VolumeP-IOPS.gp3")!.UsageQuantity.Amount), (1000 * 36) / 744, 0.5, "IOPS above 3000");
    close(Number(of(volume.VolumeId!, "EBS:VolumeP-Throughput.gp3")!.UsageQuantity.Amount), (125 * 36) / 744, 0.1, "MiB/s above 125");
    const parentMonths = Number(of(parent.SnapshotId!, "EBS:SnapshotUsage")!.UsageQuantity.Amount);
    const childMonths = Number(of(child.SnapshotId!, "EBS:SnapshotUsage")!.UsageQuantity.Amount);
    close(childMonths * 4, parentMonths, parentMonths * 0.01, "the child stores one block of the parent's four");
    // 2 MiB stored for the 48 hours since it was taken.
    close(parentMonths, (2 * MIB / GIB) * (48 / 744), (2 * MIB / GIB) * (1 / 744), "the parent's 2 MiB");
    const byTag = await costs({ TimePeriod: { Start: day(7), End: day(10) }, Granularity: "MONTHLY", GroupBy: [{ Type: "TAG", Key: "Project" }], Filter: dimension("SERVICE", EC2_OTHER) });
    const keys = byTag.ResultsByTime![0].Groups!.map((g) => g.Keys![0]);
    assert.ok(keys.includes("Project$data") && keys.includes("Project$"), keys.join(", "));
  });

  it("forecasts from the days behind it, at the requested prediction level", async () => {
    const now = stratus.clock.now();
    const today = now.toISOString().slice(0, 10);
    const inThree = new Date(now.getTime() + 3 * 86_400_000).toISOString().slice(0, 10);
    const out = await ce.send(new GetCostForecastCommand({ TimePeriod: { Start: today, End: inThree }, Metric: "UNBLENDED_COST", Granularity: "DAILY", PredictionIntervalLevel: 90 }));
    assert.equal(out.ForecastResultsByTime!.length, 3);
    assert.equal(out.Total!.Unit, "USD");
    const total = out.ForecastResultsByTime!.reduce((a, r) => a + Number(r.MeanValue), 0);
    close(Number(out.Total!.Amount), total, 1e-6, "the total is the windows' sum");
    for (const r of out.ForecastResultsByTime!) {
      assert.ok(Number(r.PredictionIntervalLowerBound) <= Number(r.MeanValue) && Number(r.MeanValue) <= Number(r.PredictionIntervalUpperBound));
      assert.ok(Number(r.MeanValue) > 0);
    }
    const usage = await ce.send(
      new GetUsageForecastCommand({ TimePeriod: { Start: today, End: inThree }, Metric: "USAGE_QUANTITY", Granularity: "MONTHLY", Filter: dimension("USAGE_TYPE", "SpotUsage:m5.large") }),
    );
    // The spot instance has run around the clock since 03-04: 24 hours a day.
    close(Number(usage.Total!.Amount), 24 * 3 * (5 / 6), 24 * 3 * 0.5, "spot hours ahead");
    await rejectsWith(
      ce.send(new GetCostForecastCommand({ TimePeriod: { Start: day(1), End: inThree }, Metric: "UNBLENDED_COST", Granularity: "DAILY" })),
      "ValidationException",
      /current date/,
    );
    await rejectsWith(
      ce.send(new GetCostForecastCommand({ TimePeriod: { Start: today, End: inThree }, Metric: "USAGE_QUANTITY", Granularity: "DAILY" })),
      "ValidationException",
    );
  });

  it("answers malformed queries with ValidationException", async () => {
    const period = { Start: day(2), End: day(3) };
    await rejectsWith(costs({ TimePeriod: { Start: day(3), End: day(3) } }), "ValidationException", /Start date \(and hour\) should be before end date/);
    await rejectsWith(costs({ TimePeriod: { Start: "2026-02-30", End: day(3) } }), "ValidationException", /Start date is invalid/);
    await rejectsWith(costs({ TimePeriod: period, Metrics: ["Dollars"] }), "ValidationException", /Invalid metric name: Dollars/);
    await rejectsWith(costs({ TimePeriod: period, GroupBy: [{ Type: "DIMENSION", Key: "RESOURCE_ID" }] }), "ValidationException", /Group Definition dimension is invalid/);
    await rejectsWith(
      costs({ TimePeriod: period, GroupBy: [{ Type: "DIMENSION", Key: "SERVICE" }, { Type: "DIMENSION", Key: "REGION" }, { Type: "TAG", Key: "Project" }] }),
      "ValidationException",
    );
    await rejectsWith(
      costs({ TimePeriod: period, Filter: { Dimensions: { Key: "SERVICE", Values: [COMPUTE] }, Tags: { Key: "Project", Values: ["x"] } } }),
      "ValidationException",
      /more than one roots/,
    );
    await rejectsWith(costs({ TimePeriod: period, Granularity: "WEEKLY" as never }), "ValidationException");
  });

  it("filters with Not and Or, and serves the aws CLI", async () => {
    const all = await costs({ TimePeriod: { Start: day(2), End: day(3) }, Metrics: ["UnblendedCost"] });
    const compute = await costs({ TimePeriod: { Start: day(2), End: day(3) }, Metrics: ["UnblendedCost"], Filter: dimension("SERVICE", COMPUTE) });
    const rest = await costs({ TimePeriod: { Start: day(2), End: day(3) }, Metrics: ["UnblendedCost"], Filter: { Not: dimension("SERVICE", COMPUTE) } });
    const either = await costs({
      TimePeriod: { Start: day(2), End: day(3) },
      Metrics: ["UnblendedCost"],
      Filter: { Or: [dimension("SERVICE", COMPUTE), dimension("SERVICE", EC2_OTHER), dimension("SERVICE", VPC)] },
    });
    const amountOf = (out: typeof all) => Number(out.ResultsByTime![0].Total!.UnblendedCost.Amount);
    close(amountOf(compute) + amountOf(rest), amountOf(all), 1e-9, "a filter and its Not add up to everything");
    close(amountOf(either), amountOf(all), 1e-9, "on that day, compute, EC2 - Other and the instances' public IPv4 addresses are everything");

    const hourly = await costs({
      TimePeriod: { Start: "2026-03-05T10:00:00Z", End: "2026-03-05T13:00:00Z" },
      Granularity: "HOURLY",
      Metrics: ["UsageQuantity"],
      Filter: dimension("USAGE_TYPE", "SpotUsage:m5.large"),
    });
    assert.deepEqual(
      hourly.ResultsByTime!.map((r) => r.TimePeriod),
      [10, 11, 12].map((h) => ({ Start: `2026-03-05T${h}:00:00Z`, End: `2026-03-05T${h + 1}:00:00Z` })),
    );
    for (const r of hourly.ResultsByTime!) close(Number(r.Total!.UsageQuantity.Amount), 1, 1e-9, "an hour of a running spot instance");

    const cli = await awsCli(stratus, [
      "ce", "get-cost-and-usage",
      "--time-period", `Start=${day(1)},End=${day(8)}`,
      "--granularity", "MONTHLY",
      "--metrics", "BlendedCost", "UsageQuantity",
      "--group-by", "Type=DIMENSION,Key=SERVICE",
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const out = JSON.parse(cli.stdout);
    const services = out.ResultsByTime[0].Groups.map((g: any) => g.Keys[0]);
    assert.deepEqual([...services].sort(), [COMPUTE, S3_SERVICE, EC2_OTHER, VPC].sort());
    assert.equal(out.ResultsByTime[0].Estimated, true, "the current month is an estimate");
    const dims = await awsCli(stratus, ["ce", "get-dimension-values", "--time-period", `Start=${day(1)},End=${day(8)}`, "--dimension", "SERVICE"]);
    assert.equal(dims.code, 0, dims.stderr);
    assert.deepEqual(JSON.parse(dims.stdout).DimensionValues.map((v: any) => v.Value).sort(), [COMPUTE, S3_SERVICE, EC2_OTHER, VPC].sort());
    const notImplemented = await awsCli(stratus, ["ce", "get-anomaly-monitors"]);
    assert.notEqual(notImplemented.code, 0);
    assert.match(notImplemented.stderr, /NotImplemented|not supported/);
  });

  it("lists the tag keys usage carried as cost allocation tags; an inactive one drops out of grouping", async () => {
    const listed = await ce.send(new ListCostAllocationTagsCommand({}));
    assert.deepEqual(listed.CostAllocationTags!.map((t) => [t.TagKey, t.Type, t.Status]), [["Project", "UserDefined", "Active"]]);
    assert.ok(listed.CostAllocationTags![0].LastUsedDate);
    const update = await ce.send(
      new UpdateCostAllocationTagsStatusCommand({ CostAllocationTagsStatus: [{ TagKey: "Project", Status: "Inactive" }, { TagKey: "Nope", Status: "Active" }] }),
    );
    assert.deepEqual(update.Errors!.map((e) => e.TagKey), ["Nope"]);
    const grouped = await costs({ TimePeriod: { Start: day(2), End: day(3) }, GroupBy: [{ Type: "TAG", Key: "Project" }] });
    assert.deepEqual(grouped.ResultsByTime![0].Groups!.map((g) => g.Keys), [["Project$"]]);
    assert.deepEqual((await ce.send(new GetTagsCommand({ TimePeriod: { Start: day(1), End: day(8) } }))).Tags, []);
    const inactive = await ce.send(new ListCostAllocationTagsCommand({ Status: "Inactive" }));
    assert.deepEqual(inactive.CostAllocationTags!.map((t) => t.TagKey), ["Project"]);
    await ce.send(new UpdateCostAllocationTagsStatusCommand({ CostAllocationTagsStatus: [{ TagKey: "Project", Status: "Active" }] }));
    const again = await costs({ TimePeriod: { Start: day(2), End: day(3) }, GroupBy: [{ Type: "TAG", Key: "Project" }], Filter: dimension("SERVICE", COMPUTE) });
    assert.deepEqual(again.ResultsByTime![0].Groups!.map((g) => g.Keys), [["Project$inference"]]);
  });
});

describe("AWS/Billing EstimatedCharges", () => {
  it("publishes the month-to-date charges every six hours, and a billing alarm fires on them", async () => {
    const stratus = await startTestStratus({ clock: "virtual", clockStart: "2026-04-01T00:00:00Z" });
    try {
      const ec2 = new EC2Client(sdkConfig(stratus));
      const cloudwatch = new CloudWatchClient(sdkConfig(stratus));
      const price = await onDemandPrice(new PricingClient(sdkConfig(stratus)), "m5.large");
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: "billing-over-5-usd",
          Namespace: "AWS/Billing",
          MetricName: "EstimatedCharges",
          Dimensions: [{ Name: "Currency", Value: "USD" }],
          Statistic: "Maximum",
          Period: 21600,
          EvaluationPeriods: 1,
          Threshold: 5,
          ComparisonOperator: "GreaterThanThreshold",
        }),
      );
      const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
      await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId!, InstanceType: "m5.large", MinCount: 1, MaxCount: 1 }));
      await stratus.clock.advance("1d");
      const state = async () => (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ["billing-over-5-usd"] }))).MetricAlarms![0].StateValue;
      assert.equal(await state(), "OK", "a day of m5.large is under 5 USD");
      await stratus.clock.advance("2d");
      assert.equal(await state(), "ALARM", "three days are over 5 USD");
      const stats = await cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/Billing",
          MetricName: "EstimatedCharges",
          Dimensions: [{ Name: "ServiceName", Value: "AmazonEC2" }, { Name: "Currency", Value: "USD" }],
          StartTime: new Date("2026-04-01T00:00:00Z"),
          EndTime: new Date("2026-04-04T00:00:00Z"),
          Period: 21600,
          Statistics: ["Maximum"],
        }),
      );
      const sorted = stats.Datapoints!.sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
      const points = sorted.map((d) => d.Maximum!);
      assert.ok(points.length >= 11, `a datapoint every six hours: ${points.length}`);
      for (let i = 1; i < points.length; i++) assert.ok(points[i] >= points[i - 1], "month to date only grows");
      // The instance's hours until the last datapoint (its 8 GiB root volume adds cents).
      const hours = (sorted[sorted.length - 1].Timestamp!.getTime() - Date.parse("2026-04-01T00:00:00Z")) / 3_600_000;
      close(points[points.length - 1], hours * price, 0.1, "EC2's charges so far");
    } finally {
      await stratus.stop();
    }
  });
});

describe("Cost Explorer's ledger", () => {
  it("survives a restart", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "stratus-ce-"));
    try {
      let stratus = await startTestStratus({ storage: "disk", dataDir, clock: "virtual", clockStart: "2026-05-04T00:00:00Z" });
      const ec2 = new EC2Client(sdkConfig(stratus));
      const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
      await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId!, InstanceType: "t3.small", MinCount: 1, MaxCount: 1 }));
      await stratus.clock.advance("6h");
      const query = { TimePeriod: { Start: "2026-05-04", End: "2026-05-05" }, Granularity: "DAILY" as const, Metrics: ["UnblendedCost"], Filter: dimension("SERVICE", COMPUTE) };
      const before = await new CostExplorerClient(sdkConfig(stratus)).send(new GetCostAndUsageCommand(query));
      await stratus.stop();
      stratus = await startTestStratus({ storage: "disk", dataDir, clock: "virtual" });
      const afterRestart = await new CostExplorerClient(sdkConfig(stratus)).send(new GetCostAndUsageCommand(query));
      await stratus.stop();
      assert.ok(Number(before.ResultsByTime![0].Total!.UnblendedCost.Amount) > 0);
      assert.deepEqual(afterRestart.ResultsByTime![0].Total, before.ResultsByTime![0].Total);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
