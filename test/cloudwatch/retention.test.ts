/**
 * Retention and roll-up on the virtual clock, as AWS documents them: data
 * below 60 s kept 3 hours, 1-minute data 15 days, 5-minute 63 days, 1-hour
 * 455 days — and a 90-day jump with a built-in publisher running all along.
 * Also: metrics, dashboards and alarms survive a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import { metricSink, type BuiltInDatum } from "../../src/services/cloudwatch/publish.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { DAY, floorTo, HOUR, MINUTE } from "./support.js";

const START = Date.parse("2025-01-06T00:00:00Z");

function tiers(stratus: RunningStratus, namespace: string): Record<number, number> {
  const rows = stratus.cloud.db.sql
    .prepare(
      "SELECT p.res AS res, COUNT(*) AS n FROM cw_points p JOIN cw_metrics m ON m.id = p.metric_id WHERE m.namespace = ? GROUP BY p.res",
    )
    .all(namespace) as Array<{ res: number; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.res, r.n]));
}

describe("CloudWatch retention and roll-up", () => {
  let stratus: RunningStratus;
  let cw: CloudWatchClient;
  let t0: number;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: START });
    cw = new CloudWatchClient(sdkConfig(stratus));
    t0 = floorTo(stratus.clock.now().getTime(), HOUR);
    // One value per minute for 10 minutes (0..9, plus 100 at minute 9), and
    // high-resolution values every second for 20 seconds.
    const standard = Array.from({ length: 10 }, (_, k) => ({
      MetricName: "load",
      Values: k === 9 ? [9, 100] : [k],
      Timestamp: new Date(t0 + k * MINUTE + 30_000),
    }));
    const fast = Array.from({ length: 20 }, (_, s) => ({ MetricName: "fast", Value: s, StorageResolution: 1, Timestamp: new Date(t0 + s * 1000) }));
    await stratus.clock.set(t0 + 11 * MINUTE);
    await cw.send(new PutMetricDataCommand({ Namespace: "Aging", MetricData: [...standard, ...fast] }));
  });
  after(() => stratus.stop());

  const stats = (name: string, period: number, statistics: string[] = ["Sum", "SampleCount", "Maximum"], extended?: string[]) =>
    cw.send(
      new GetMetricStatisticsCommand({
        Namespace: "Aging",
        MetricName: name,
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 10 * MINUTE),
        Period: period,
        ...(extended ? { ExtendedStatistics: extended } : { Statistics: statistics as never }),
      }),
    );
  const summary = (points: Array<{ Timestamp?: Date; Sum?: number; SampleCount?: number; Maximum?: number }> | undefined) =>
    (points ?? [])
      .map((p) => [(p.Timestamp!.getTime() - t0) / 1000, p.Sum, p.SampleCount, p.Maximum])
      .sort((a, b) => (a[0] as number) - (b[0] as number));

  it("serves high-resolution data at 1-second periods for three hours, then by the minute", async () => {
    assert.equal((await stats("fast", 1)).Datapoints?.length, 20);
    await stratus.clock.set(t0 + 3 * HOUR + 2 * MINUTE);
    assert.deepEqual((await stats("fast", 10)).Datapoints, [], "sub-minute periods no longer serve 3-hour-old data");
    assert.deepEqual(summary((await stats("fast", 60)).Datapoints), [[0, 190, 20, 19]]);
    await stratus.clock.set(t0 + 4 * HOUR + 2 * MINUTE);
    assert.equal(tiers(stratus, "Aging")[1], undefined, "high-resolution cells were rolled into minutes");
    assert.deepEqual(summary((await stats("fast", 60)).Datapoints), [[0, 190, 20, 19]]);
  });

  it("keeps 1-minute data 15 days, then 5-minute data with the same sums and percentiles", async () => {
    assert.equal((await stats("load", 60)).Datapoints?.length, 10);
    await stratus.clock.set(t0 + 16 * DAY);
    assert.deepEqual((await stats("load", 60)).Datapoints, [], "1-minute periods no longer serve 16-day-old data");
    assert.deepEqual(summary((await stats("load", 300)).Datapoints), [
      [0, 10, 5, 4],
      [300, 135, 6, 100],
    ]);
    const percentiles = await stats("load", 600, [], ["p50", "p90"]);
    assert.deepEqual(percentiles.Datapoints?.[0].ExtendedStatistics, { p50: 5, p90: 9 });
    assert.deepEqual(tiers(stratus, "Aging"), { 300: 3 });
  });

  it("keeps 5-minute data 63 days, then hourly data, and nothing after 455 days", async () => {
    await stratus.clock.set(t0 + 64 * DAY);
    assert.deepEqual((await stats("load", 300)).Datapoints, []);
    assert.deepEqual(summary((await stats("load", 3600)).Datapoints), [[0, 145, 11, 100]]);
    assert.deepEqual(tiers(stratus, "Aging"), { 3600: 2 });
    await stratus.clock.set(t0 + 456 * DAY);
    assert.deepEqual((await stats("load", 3600)).Datapoints, []);
    assert.deepEqual(tiers(stratus, "Aging"), {});
    const left = stratus.cloud.db.sql.prepare("SELECT COUNT(*) AS n FROM cw_metrics WHERE namespace = 'Aging'").get() as { n: number };
    assert.equal(left.n, 0, "metrics without data past retention are forgotten");
  });
});

describe("a 90-day virtual-clock jump with a built-in publisher", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: START });
  });
  after(() => stratus.stop());

  it("keeps every datapoint the publisher sent, rolled up by age", async () => {
    const sink = metricSink(stratus.cloud);
    const scope = { account: "000000000000", region: "us-east-1" };
    const instances = ["i-00000000000000001", "i-00000000000000002"];
    // What EC2 does: every 5 minutes, datapoints for each running instance.
    stratus.cloud.scheduler.on<null>("test.ec2-basic-monitoring", (job) => {
      const data: BuiltInDatum[] = [];
      for (const id of instances) {
        const dimensions = [{ Name: "InstanceId", Value: id }];
        data.push({ namespace: "AWS/EC2", metricName: "CPUUtilization", dimensions, timestamp: new Date(job.due), value: 50, unit: "Percent" });
        data.push({ namespace: "AWS/EC2", metricName: "NetworkIn", dimensions, timestamp: new Date(job.due), value: 1000, unit: "Bytes" });
      }
      sink.publish(scope, data);
      stratus.cloud.scheduler.schedule({ kind: "test.ec2-basic-monitoring", due: job.due + 5 * MINUTE, key: "test.ec2" });
    });
    const begin = floorTo(stratus.clock.now().getTime(), HOUR) + HOUR;
    stratus.cloud.scheduler.schedule({ kind: "test.ec2-basic-monitoring", due: begin, key: "test.ec2" });
    await stratus.clock.set(begin + 90 * DAY);

    const cw = new CloudWatchClient(sdkConfig(stratus));
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(begin),
        EndTime: new Date(begin + 90 * DAY),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          {
            Id: "net",
            MetricStat: {
              Metric: { Namespace: "AWS/EC2", MetricName: "NetworkIn", Dimensions: [{ Name: "InstanceId", Value: instances[1] }] },
              Period: 3600,
              Stat: "Sum",
            },
          },
        ],
      }),
    );
    const values = out.MetricDataResults?.[0].Values ?? [];
    assert.equal(values.length, 90 * 24);
    assert.ok(values.every((v) => v === 12_000), "each hour holds twelve 5-minute datapoints");
    const listed = await cw.send(new ListMetricsCommand({ Namespace: "AWS/EC2" }));
    assert.equal(listed.Metrics?.length, 4);
    const rows = tiers(stratus, "AWS/EC2");
    assert.ok(rows[60] < 4 * 16 * 288 && rows[300] > 0 && rows[3600] > 0, JSON.stringify(rows));
  });
});

describe("CloudWatch state survives a restart", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cw-restart-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps metrics, dashboards and alarms, and goes on evaluating", async () => {
    let stratus = await startTestStratus({ storage: "disk", dataDir: dir, clock: "virtual", clockStart: START });
    let cw = new CloudWatchClient(sdkConfig(stratus));
    const t = floorTo(stratus.clock.now().getTime(), MINUTE);
    await cw.send(new PutMetricDataCommand({ Namespace: "Durable", MetricData: [{ MetricName: "queue", Value: 42, Timestamp: new Date(t) }] }));
    await cw.send(
      new PutDashboardCommand({ DashboardName: "ops", DashboardBody: JSON.stringify({ widgets: [{ type: "text", properties: { markdown: "# Ops" } }] }) }),
    );
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "queue-deep",
        Namespace: "Durable",
        MetricName: "queue",
        Statistic: "Maximum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: "GreaterThanThreshold",
      }),
    );
    await stratus.stop();

    stratus = await startTestStratus({ storage: "disk", dataDir: dir, clock: "virtual" });
    cw = new CloudWatchClient(sdkConfig(stratus));
    try {
      const stats = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "Durable",
          MetricName: "queue",
          StartTime: new Date(t),
          EndTime: new Date(t + MINUTE),
          Period: 60,
          Statistics: ["Maximum"],
        }),
      );
      assert.equal(stats.Datapoints?.[0].Maximum, 42);
      assert.match((await cw.send(new GetDashboardCommand({ DashboardName: "ops" }))).DashboardBody!, /# Ops/);
      await stratus.clock.advance("2m");
      const alarm = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["queue-deep"] }))).MetricAlarms?.[0];
      assert.equal(alarm?.StateValue, "ALARM");
    } finally {
      await stratus.stop();
    }
  });
});
