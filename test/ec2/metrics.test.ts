/**
 * AWS/EC2 metrics from the mock driver, as published to CloudWatch's sink
 * (the contract between EC2 and CloudWatch: metricSink(cloud).publish), and
 * as CloudWatch then answers them. The sink is observed, not replaced.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeImagesCommand, MonitorInstancesCommand, RunInstancesCommand, StopInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { sdkConfig } from "../support/stratus.js";
import type { RunningStratus } from "../../src/index.js";
import type { BuiltInDatum } from "../../src/services/cloudwatch/publish.js";
import { JAMMY_FILTER, startEc2 } from "./support.js";

const METRIC_NAMES = [
  "CPUUtilization",
  "DiskReadBytes",
  "DiskReadOps",
  "DiskWriteBytes",
  "DiskWriteOps",
  "NetworkIn",
  "NetworkOut",
  "NetworkPacketsIn",
  "NetworkPacketsOut",
  "StatusCheckFailed",
  "StatusCheckFailed_Instance",
  "StatusCheckFailed_System",
];

describe("AWS/EC2 metrics", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  const published: BuiltInDatum[] = [];

  before(async () => {
    // A fixed start keeps the daily swing of the model in the same phase on every run.
    ({ stratus, ec2 } = await startEc2({ clockStart: "2026-03-02T06:00:00Z" }));
    const sink = stratus.cloud.provider("cloudwatch") as unknown as { publish(scope: unknown, data: BuiltInDatum[]): void };
    const original = sink.publish.bind(sink);
    sink.publish = (scope, data) => {
      published.push(...data);
      original(scope, data);
    };
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images!.sort((a, b) => (a.CreationDate! < b.CreationDate! ? -1 : 1)).at(-1)!.ImageId!;
  });
  after(() => stratus.stop());

  const of = (instanceId: string, metric: string) =>
    published
      .filter((d) => d.metricName === metric && d.dimensions.length === 1 && d.dimensions[0].Name === "InstanceId" && d.dimensions[0].Value === instanceId)
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());

  it("publishes every 5 minutes while an instance runs: a boot spike, then a steady load", async () => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }));
    const id = run.Instances![0].InstanceId!;
    await stratus.clock.advance("1h");
    const cpu = of(id, "CPUUtilization");
    assert.ok(cpu.length >= 11 && cpu.length <= 13, `${cpu.length} datapoints in an hour`);
    for (let i = 1; i < cpu.length; i++) assert.equal(cpu[i].timestamp.getTime() - cpu[i - 1].timestamp.getTime(), 300_000);
    assert.ok(cpu.every((d) => d.namespace === "AWS/EC2" && d.unit === "Percent" && d.value >= 0 && d.value <= 100));
    assert.ok(cpu.every((d) => d.timestamp.getTime() % 300_000 === 0), "periods start on 5-minute boundaries");
    const names = new Set(published.filter((d) => d.dimensions[0]?.Value === id).map((d) => d.metricName));
    assert.deepEqual([...names].sort(), METRIC_NAMES);
    // The first period is the one the instance booted in.
    const bootPeriod = cpu[0];
    assert.ok(bootPeriod.timestamp.getTime() <= run.Instances![0].LaunchTime!.getTime());
    const steady = cpu.slice(-4);
    assert.ok(steady.every((d) => d.value < bootPeriod.value), "the boot period is the busiest");
    const netIn = of(id, "NetworkIn");
    assert.ok(netIn.slice(0, 2).some((d) => d.value > 10_000_000), "packages come in during boot");
    assert.ok(netIn.slice(-3).every((d) => d.value > 0 && d.value < 10_000_000));
    assert.ok(of(id, "NetworkPacketsIn").every((d) => d.unit === "Count"));
    assert.ok(of(id, "DiskReadBytes").every((d) => d.value === 0), "no instance store: no disk metrics");
    assert.ok(of(id, "StatusCheckFailed").every((d) => d.value === 0));
  });

  it("publishes every minute after MonitorInstances, with the InstanceType and ImageId aggregations", async () => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "g4dn.xlarge", MinCount: 1, MaxCount: 1 }));
    const id = run.Instances![0].InstanceId!;
    await ec2.send(new MonitorInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("30m");
    const cpu = of(id, "CPUUtilization");
    assert.ok(cpu.length >= 28, `${cpu.length} one-minute datapoints`);
    assert.equal(cpu[1].timestamp.getTime() - cpu[0].timestamp.getTime(), 60_000);
    const byType = published.filter((d) => d.metricName === "CPUUtilization" && d.dimensions[0].Name === "InstanceType" && d.dimensions[0].Value === "g4dn.xlarge");
    const byImage = published.filter((d) => d.metricName === "CPUUtilization" && d.dimensions[0].Name === "ImageId" && d.dimensions[0].Value === ami);
    assert.equal(byType.length, cpu.length);
    assert.ok(byImage.length >= cpu.length);
    assert.ok(of(id, "DiskReadBytes").slice(-5).every((d) => d.value > 0), "instance store volumes report disk activity");
  });

  it("answers the exercise's get-metric-statistics with the instance's datapoints", async () => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 }));
    const id = run.Instances![0].InstanceId!;
    await stratus.clock.advance("90m");
    const cw = new CloudWatchClient(sdkConfig(stratus));
    const end = stratus.clock.now();
    const start = new Date(end.getTime() - 3_600_000);
    const cpu = await cw.send(
      new GetMetricStatisticsCommand({ Namespace: "AWS/EC2", MetricName: "CPUUtilization", Dimensions: [{ Name: "InstanceId", Value: id }], StartTime: start, EndTime: end, Period: 300, Statistics: ["Average"] }),
    );
    assert.ok(cpu.Datapoints!.length >= 11, `${cpu.Datapoints!.length} datapoints in the last hour`);
    assert.ok(cpu.Datapoints!.every((d) => d.Unit === "Percent" && d.Average! > 0 && d.Average! < 100));
    const published = of(id, "CPUUtilization").filter((d) => d.timestamp >= start && d.timestamp < end);
    const byTime = new Map(cpu.Datapoints!.map((d) => [d.Timestamp!.getTime(), d.Average!]));
    for (const d of published) assert.ok(Math.abs(byTime.get(d.timestamp.getTime())! - d.value) < 1e-6, "CloudWatch holds what EC2 published");
    const net = await cw.send(
      new GetMetricStatisticsCommand({ Namespace: "AWS/EC2", MetricName: "NetworkIn", Dimensions: [{ Name: "InstanceId", Value: id }], StartTime: start, EndTime: end, Period: 300, Statistics: ["Sum"] }),
    );
    assert.ok(net.Datapoints!.every((d) => d.Unit === "Bytes" && d.Sum! > 0));
  });

  it("stops publishing for an instance once it has stopped", async () => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "m5.large", MinCount: 1, MaxCount: 1 }));
    const id = run.Instances![0].InstanceId!;
    await stratus.clock.advance("20m");
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    const stoppedAt = stratus.clock.now().getTime();
    await stratus.clock.advance("30m");
    const cpu = of(id, "CPUUtilization");
    assert.ok(cpu.length >= 3);
    assert.ok(cpu.every((d) => d.timestamp.getTime() < stoppedAt), "no datapoint for periods after the stop");
  });
});

describe("AWS/EC2 metrics over a long clock jump", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  /** CPU datapoints per instance, summed per hour of the day (nothing else is kept). */
  const cpu = new Map<string, { count: number; byHour: number[][] }>();

  before(async () => {
    ({ stratus, ec2 } = await startEc2({ clockStart: "2026-03-02T06:00:00Z" }));
    const sink = stratus.cloud.provider("cloudwatch") as unknown as { publish(scope: unknown, data: BuiltInDatum[]): void };
    const original = sink.publish.bind(sink);
    sink.publish = (scope, data) => {
      for (const d of data) {
        if (d.metricName !== "CPUUtilization" || d.dimensions[0].Name !== "InstanceId") continue;
        let entry = cpu.get(d.dimensions[0].Value);
        if (!entry) cpu.set(d.dimensions[0].Value, (entry = { count: 0, byHour: Array.from({ length: 24 }, () => [0, 0]) }));
        entry.count++;
        const bucket = entry.byHour[d.timestamp.getUTCHours()];
        bucket[0] += d.value;
        bucket[1]++;
      }
      original(scope, data);
    };
  });
  after(() => stratus.stop());

  it("gets through 30 days with three instances running, publishing every period", async () => {
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "c5.large", MinCount: 3, MaxCount: 3 }));
    await stratus.clock.advance("30d");
    for (const instance of run.Instances!) {
      const entry = cpu.get(instance.InstanceId!)!;
      assert.ok(entry.count >= 30 * 288 - 1, `${entry.count} periods in 30 days`);
      const mean = (hour: number) => entry.byHour[hour][0] / entry.byHour[hour][1];
      assert.ok(mean(14) > mean(2), "the load swings over the day");
    }
  });
});
