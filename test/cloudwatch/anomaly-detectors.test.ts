/**
 * Anomaly detectors through SDK v3 and the aws CLI, on the virtual clock:
 * Put/Describe/DeleteAnomalyDetector with CloudWatch's validation and paging,
 * the state following the metric's data, the band learning a daily pattern
 * (an alarm fires on a value that is normal at another hour of the day, not
 * at this one), excluded time ranges left out of training, and an alarm on
 * a band creating the metric's detector.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchClient,
  DeleteAnomalyDetectorCommand,
  DescribeAlarmsCommand,
  DescribeAnomalyDetectorsCommand,
  GetMetricDataCommand,
  PutAnomalyDetectorCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  type MetricDatum,
} from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { DAY, HOUR } from "./support.js";

/** SDK v3 names CloudWatch's errors after the model's shapes (InvalidParameterValue → InvalidParameterValueException). */
const rejectsWith = (code: string, status = 400) => (error: any) => {
  assert.equal(error.name, code, error.message);
  assert.equal(error.$metadata.httpStatusCode, status);
  return true;
};

describe("CloudWatch anomaly detectors", () => {
  let stratus: RunningStratus;
  let cw: CloudWatchClient;
  /** Midnight UTC, three days after the clock's start: the history below fills the days before. */
  let today: number;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-06-01T00:00:00Z" });
    cw = new CloudWatchClient(sdkConfig(stratus));
    today = Date.parse("2025-06-04T00:00:00Z");
  });
  after(() => stratus.stop());

  /** Hourly values for the three days before `today`: ~10 from 00:00 to 11:59 UTC, ~50 after; `spike` days read 1000. */
  async function history(metric: string, spikeDay?: number): Promise<void> {
    const data: MetricDatum[] = [];
    for (let h = 0; h < 72; h++) {
      const at = today - 3 * DAY + h * HOUR;
      const base = new Date(at).getUTCHours() < 12 ? 10 : 50;
      const value = spikeDay !== undefined && Math.floor(h / 24) === spikeDay ? 1000 : base + ((h * 7) % 3) - 1;
      data.push({ MetricName: metric, Value: value, Timestamp: new Date(at + 10 * 60_000) });
    }
    await cw.send(new PutMetricDataCommand({ Namespace: "Inference", MetricData: data }));
  }

  const single = (metric: string) => ({ Namespace: "Inference", MetricName: metric, Stat: "Average" });

  async function band(metric: string): Promise<{ upper: Map<number, number>; lower: Map<number, number> }> {
    const { MetricDataResults } = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(today),
        EndTime: new Date(today + DAY),
        MetricDataQueries: [
          { Id: "m1", MetricStat: { Metric: { Namespace: "Inference", MetricName: metric }, Period: 3600, Stat: "Average" }, ReturnData: false },
          { Id: "band", Expression: "ANOMALY_DETECTION_BAND(m1, 2)" },
        ],
      }),
    );
    const series = (label: RegExp) => {
      const r = MetricDataResults!.find((x) => label.test(x.Label!))!;
      return new Map(r.Timestamps!.map((t, i) => [t.getTime(), r.Values![i]]));
    };
    return { upper: series(/upper$/), lower: series(/lower$/) };
  }

  it("stores detectors with CloudWatch's validation; describes them with their state, filtered and paged", async () => {
    await cw.send(new PutAnomalyDetectorCommand({ SingleMetricAnomalyDetector: { ...single("empty"), Dimensions: [{ Name: "Model", Value: "resnet" }] } }));
    // The deprecated top-level form names the same kind of detector.
    await cw.send(new PutAnomalyDetectorCommand({ Namespace: "Inference", MetricName: "legacy", Stat: "p90" }));
    const { AnomalyDetectors } = await cw.send(new DescribeAnomalyDetectorsCommand({ Namespace: "Inference", Dimensions: [{ Name: "Model", Value: "resnet" }] }));
    assert.equal(AnomalyDetectors!.length, 1);
    assert.equal(AnomalyDetectors![0].StateValue, "PENDING_TRAINING");
    assert.deepEqual(AnomalyDetectors![0].SingleMetricAnomalyDetector, { ...single("empty"), Dimensions: [{ Name: "Model", Value: "resnet" }] });
    assert.equal(AnomalyDetectors![0].MetricName, "empty");

    await assert.rejects(cw.send(new PutAnomalyDetectorCommand({ Namespace: "Inference", MetricName: "x", Stat: "Average", SingleMetricAnomalyDetector: single("x") })), rejectsWith("InvalidParameterCombinationException"));
    await assert.rejects(cw.send(new PutAnomalyDetectorCommand({ SingleMetricAnomalyDetector: { Namespace: "Inference", MetricName: "x" } })), rejectsWith("MissingRequiredParameterException"));
    await assert.rejects(cw.send(new PutAnomalyDetectorCommand({ SingleMetricAnomalyDetector: { ...single("x"), Stat: "Median" } })), rejectsWith("ValidationException"));
    await assert.rejects(cw.send(new PutAnomalyDetectorCommand({ SingleMetricAnomalyDetector: single("x"), Configuration: { MetricTimezone: "Mars/Olympus_Mons" } })), rejectsWith("InvalidParameterValueException"));
    await assert.rejects(
      cw.send(new PutAnomalyDetectorCommand({ SingleMetricAnomalyDetector: single("x"), Configuration: { ExcludedTimeRanges: [{ StartTime: new Date(today), EndTime: new Date(today - HOUR) }] } })),
      rejectsWith("InvalidParameterValueException"),
    );
    await assert.rejects(cw.send(new DeleteAnomalyDetectorCommand({ SingleMetricAnomalyDetector: single("never") })), rejectsWith("ResourceNotFoundException", 404));

    // A metric math detector: exactly one returned series.
    const m1 = { Id: "m1", MetricStat: { Metric: { Namespace: "Inference", MetricName: "errors" }, Period: 300, Stat: "Sum" }, ReturnData: false };
    await cw.send(new PutAnomalyDetectorCommand({ MetricMathAnomalyDetector: { MetricDataQueries: [m1, { Id: "e1", Expression: "m1 * 2" }] } }));
    await assert.rejects(cw.send(new PutAnomalyDetectorCommand({ MetricMathAnomalyDetector: { MetricDataQueries: [{ ...m1, ReturnData: true }, { Id: "e1", Expression: "m1 * 2" }] } })), rejectsWith("InvalidParameterValueException"));
    const math = await cw.send(new DescribeAnomalyDetectorsCommand({ AnomalyDetectorTypes: ["METRIC_MATH"] }));
    assert.equal(math.AnomalyDetectors!.length, 1);
    assert.equal(math.AnomalyDetectors![0].MetricMathAnomalyDetector!.MetricDataQueries!.length, 2);

    const first = await cw.send(new DescribeAnomalyDetectorsCommand({ MaxResults: 2 }));
    assert.equal(first.AnomalyDetectors!.length, 2);
    const rest = await cw.send(new DescribeAnomalyDetectorsCommand({ MaxResults: 2, NextToken: first.NextToken }));
    assert.equal(rest.AnomalyDetectors!.length, 1);
    assert.equal(rest.NextToken, undefined);

    await cw.send(new DeleteAnomalyDetectorCommand({ Namespace: "Inference", MetricName: "legacy", Stat: "p90" }));
    const cli = await awsCli(stratus, ["cloudwatch", "describe-anomaly-detectors", "--namespace", "Inference", "--output", "json"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(cli.json().AnomalyDetectors.map((d: any) => d.MetricName), ["empty"]);
  });

  it("learns the metric's daily pattern: the band follows the hour of the day", async () => {
    await stratus.clock.set(today);
    await history("latency");
    await cw.send(new PutAnomalyDetectorCommand({ SingleMetricAnomalyDetector: single("latency") }));
    assert.equal((await cw.send(new DescribeAnomalyDetectorsCommand({ MetricName: "latency" }))).AnomalyDetectors![0].StateValue, "TRAINED");
    const { upper, lower } = await band("latency");
    const at = (h: number) => today + h * HOUR;
    // Morning hours expect ~10, afternoon ones ~50: the bands do not even overlap.
    assert.ok(upper.get(at(3))! < 20 && lower.get(at(3))! > 0, `03:00 band ${lower.get(at(3))}..${upper.get(at(3))}`);
    assert.ok(lower.get(at(15))! > 40 && upper.get(at(15))! < 60, `15:00 band ${lower.get(at(15))}..${upper.get(at(15))}`);
  });

  it("leaves the excluded time ranges out of training", async () => {
    await history("throughput", 1);
    const spiky = await band("throughput");
    await cw.send(
      new PutAnomalyDetectorCommand({
        SingleMetricAnomalyDetector: single("throughput"),
        Configuration: { ExcludedTimeRanges: [{ StartTime: new Date(today - 2 * DAY), EndTime: new Date(today - DAY) }], MetricTimezone: "UTC" },
      }),
    );
    const clean = await band("throughput");
    const at3 = today + 3 * HOUR;
    assert.ok(spiky.upper.get(at3)! > 300, "the spike day widens the band");
    assert.ok(clean.upper.get(at3)! < 20, `without it the band is ${clean.lower.get(at3)}..${clean.upper.get(at3)}`);
  });

  it("alarms on a value normal at another hour; the alarm creates the metric's detector", async () => {
    await history("queue");
    assert.equal((await cw.send(new DescribeAnomalyDetectorsCommand({ MetricName: "queue" }))).AnomalyDetectors!.length, 0);
    // 50 is the afternoon's normal; at 03:00 it is an anomaly.
    await stratus.clock.set(today + 3 * HOUR);
    await cw.send(new PutMetricDataCommand({ Namespace: "Inference", MetricData: [{ MetricName: "queue", Value: 50, Timestamp: new Date(today + 3 * HOUR + 60_000) }] }));
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "queue-anomaly",
        EvaluationPeriods: 1,
        ComparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold",
        ThresholdMetricId: "band",
        Metrics: [
          { Id: "m1", MetricStat: { Metric: { Namespace: "Inference", MetricName: "queue" }, Period: 3600, Stat: "Average" }, ReturnData: true },
          { Id: "band", Expression: "ANOMALY_DETECTION_BAND(m1, 2)", ReturnData: true },
        ],
      }),
    );
    await stratus.clock.advance("90m");
    const { MetricAlarms } = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["queue-anomaly"] }));
    assert.equal(MetricAlarms![0].StateValue, "ALARM", MetricAlarms![0].StateReason);
    const detectors = (await cw.send(new DescribeAnomalyDetectorsCommand({ MetricName: "queue" }))).AnomalyDetectors!;
    assert.deepEqual(detectors.map((d) => d.SingleMetricAnomalyDetector), [{ ...single("queue"), Dimensions: [] }]);
  });
});
