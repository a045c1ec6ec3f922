/**
 * Alarm evaluation on the virtual clock: AWS's missing-data tables row by
 * row, M-out-of-N transitions over time, metric-math and anomaly-band alarms,
 * EC2 actions through the EC2 provider, DescribeAlarms filters and pages,
 * PutMetricAlarm validation, and two weeks of history.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DisableAlarmActionsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { DAY, floorTo, HOUR, MINUTE } from "./support.js";

const START = Date.parse("2025-09-01T06:00:00Z");
const BREACHING = 10;
const FINE = 1;

/** Publishes a pattern like "0 - X - X" (oldest first): 0 fine, X breaching, - missing, one per minute from `base`. */
async function publishPattern(cw: CloudWatchClient, namespace: string, metric: string, pattern: string, base: number): Promise<void> {
  const data = [...pattern.replace(/ /g, "")].flatMap((c, k) =>
    c === "-" ? [] : [{ MetricName: metric, Value: c === "X" ? BREACHING : FINE, Timestamp: new Date(base + k * MINUTE) }],
  );
  if (data.length > 0) await cw.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
}

async function state(cw: CloudWatchClient, name: string) {
  return (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
}

describe("CloudWatch alarms", () => {
  let stratus: RunningStratus;
  let cw: CloudWatchClient;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: START });
    cw = new CloudWatchClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());
  // Alarms evaluate every period for as long as they exist: each test cleans up after itself.
  afterEach(async () => {
    for (;;) {
      const names = ((await cw.send(new DescribeAlarmsCommand({ MaxRecords: 100 }))).MetricAlarms ?? []).map((a) => a.AlarmName!);
      if (names.length === 0) break;
      await cw.send(new DeleteAlarmsCommand({ AlarmNames: names }));
    }
  });

  const alarm = (input: Partial<PutMetricAlarmCommandInput> & { AlarmName: string }) =>
    cw.send(
      new PutMetricAlarmCommand({
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: "GreaterThanThreshold",
        Statistic: "Maximum",
        ...input,
      } as PutMetricAlarmCommandInput),
    );

  describe("missing data, as AWS's evaluation tables show it", () => {
    // [pattern, datapoints to alarm, MISSING, IGNORE, BREACHING, NOT BREACHING]; "retain" keeps the prior state.
    const TABLE: Array<[string, number, string, string, string, string]> = [
      ["0 - X - X", 3, "OK", "OK", "OK", "OK"],
      ["0 - - - -", 3, "OK", "OK", "OK", "OK"],
      ["- - - - -", 3, "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
      ["0 X X - X", 3, "ALARM", "ALARM", "ALARM", "ALARM"],
      ["- - - - X", 3, "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
      ["X - - - -", 3, "ALARM", "retain", "ALARM", "OK"],
      ["0 - X - X", 2, "ALARM", "ALARM", "ALARM", "ALARM"],
      ["0 0 X 0 X", 2, "ALARM", "ALARM", "ALARM", "ALARM"],
      ["0 - X - -", 2, "OK", "OK", "ALARM", "OK"],
      ["- - - - 0", 2, "OK", "OK", "ALARM", "OK"],
      ["- - - - X", 2, "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
    ];
    const TREATMENTS = ["missing", "ignore", "breaching", "notBreaching"];

    it("evaluates 3-of-3 and 2-of-3 alarms over the 5 most recent periods", async () => {
      const base = floorTo(stratus.clock.now().getTime(), HOUR) + HOUR;
      await stratus.clock.set(base + 4 * MINUTE + 30_000);
      const expected = new Map<string, string>();
      for (const [row, [pattern, m, ...outcomes]] of TABLE.entries()) {
        const metric = `row${row}`;
        await publishPattern(cw, "Missing", metric, pattern, base);
        for (const [i, treat] of TREATMENTS.entries()) {
          const name = `${metric}-${treat}`;
          await alarm({ AlarmName: name, Namespace: "Missing", MetricName: metric, EvaluationPeriods: 3, DatapointsToAlarm: m, TreatMissingData: treat });
          // Alarms expected to stay put or to fall back to INSUFFICIENT_DATA start from OK, so that evaluation shows.
          if (outcomes[i] === "retain" || outcomes[i] === "INSUFFICIENT_DATA") {
            await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: "OK", StateReason: "preset" }));
          }
          expected.set(name, outcomes[i] === "retain" ? "OK" : outcomes[i]);
        }
      }
      await stratus.clock.set(base + 5 * MINUTE + 5_000);
      const actual = new Map(
        ((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "row" }))).MetricAlarms ?? []).map((a) => [a.AlarmName!, a.StateValue!]),
      );
      assert.equal(actual.size, expected.size);
      for (const [name, want] of expected) assert.equal(actual.get(name), want, `${name}: ${TABLE[Number(name.slice(3, name.indexOf("-")))][0]}`);
      // "retain" really means no evaluation transition: the only state change is the preset.
      const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "row2-ignore", HistoryItemType: "StateUpdate" }));
      assert.deepEqual(history.AlarmHistoryItems?.map((h) => h.HistorySummary), ["Alarm updated from INSUFFICIENT_DATA to OK"]);
    });
  });

  it("moves through OK and ALARM as an M-out-of-N alarm sees its datapoints", async () => {
    const base = floorTo(stratus.clock.now().getTime(), HOUR) + HOUR;
    await stratus.clock.set(base - 30_000);
    const values = [1, 9, 1, 9, 9, 1, 1, 1];
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Flappy",
        MetricData: values.map((Value, k) => ({ MetricName: "load", Value, Timestamp: new Date(base + k * MINUTE + 10_000) })),
      }),
    );
    await alarm({ AlarmName: "two-of-three", Namespace: "Flappy", MetricName: "load", EvaluationPeriods: 3, DatapointsToAlarm: 2, Statistic: "Average" });
    const seen: string[] = [];
    for (let k = 0; k < values.length; k++) {
      await stratus.clock.set(base + (k + 1) * MINUTE + 2_000);
      seen.push((await state(cw, "two-of-three"))!.StateValue!);
    }
    assert.deepEqual(seen, ["OK", "OK", "OK", "ALARM", "ALARM", "ALARM", "OK", "OK"]);
    const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "two-of-three", HistoryItemType: "StateUpdate", ScanBy: "TimestampAscending" }));
    assert.deepEqual(history.AlarmHistoryItems?.map((h) => h.HistorySummary), [
      "Alarm updated from INSUFFICIENT_DATA to OK",
      "Alarm updated from OK to ALARM",
      "Alarm updated from ALARM to OK",
    ]);
    const toAlarm = JSON.parse(history.AlarmHistoryItems![1].HistoryData!);
    assert.equal(toAlarm.newState.stateValue, "ALARM");
    assert.match(
      toAlarm.newState.stateReason,
      /^Threshold Crossed: 2 out of the last 3 datapoints \[9\.0 \(.+\), 9\.0 \(.+\)\] were greater than the threshold \(5\.0\) \(minimum 2 datapoints for OK -> ALARM transition\)\.$/,
    );
    assert.deepEqual(toAlarm.newState.stateReasonData.recentDatapoints, [9, 1, 9]);
    assert.equal(toAlarm.newState.stateReasonData.period, 60);
    assert.equal(toAlarm.newState.stateReasonData.threshold, 5);
  });

  it("an alarm without data settles, and wakes when its metric gets data", async () => {
    await alarm({ AlarmName: "idle", Namespace: "Idle", MetricName: "jobs", Dimensions: [{ Name: "Queue", Value: "q1" }], TreatMissingData: "missing" });
    await stratus.clock.advance("3d");
    assert.equal((await state(cw, "idle"))?.StateValue, "INSUFFICIENT_DATA");
    // A state set by hand lasts until the next evaluation.
    await cw.send(new SetAlarmStateCommand({ AlarmName: "idle", StateValue: "ALARM", StateReason: "drill" }));
    await stratus.clock.advance("2m");
    assert.equal((await state(cw, "idle"))?.StateValue, "INSUFFICIENT_DATA");
    await stratus.clock.advance("1d");
    const now = stratus.clock.now().getTime();
    await cw.send(
      new PutMetricDataCommand({ Namespace: "Idle", MetricData: [{ MetricName: "jobs", Dimensions: [{ Name: "Queue", Value: "q1" }], Value: 50, Timestamp: new Date(now - 1000) }] }),
    );
    await stratus.clock.advance("2m");
    const woke = await state(cw, "idle");
    assert.equal(woke?.StateValue, "ALARM");
    assert.match(woke!.StateReason!, /\[50\.0 /);
  });

  it("percentile alarms may ignore evaluations with too few samples", async () => {
    const now = stratus.clock.now().getTime();
    await cw.send(new PutMetricDataCommand({ Namespace: "Pct", MetricData: [{ MetricName: "lat", Values: [50, 60, 70, 80, 90], Timestamp: new Date(now - 1000) }] }));
    for (const mode of ["ignore", "evaluate"]) {
      await alarm({ AlarmName: `p99-${mode}`, Namespace: "Pct", MetricName: "lat", Statistic: undefined, ExtendedStatistic: "p99", EvaluateLowSampleCountPercentile: mode });
    }
    await stratus.clock.advance("2m");
    assert.equal((await state(cw, "p99-ignore"))?.StateValue, "INSUFFICIENT_DATA", "5 samples are fewer than the 1000 a p99 needs");
    assert.equal((await state(cw, "p99-evaluate"))?.StateValue, "ALARM");
  });

  it("evaluates metric-math alarms", async () => {
    const now = stratus.clock.now().getTime();
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Web",
        MetricData: [
          { MetricName: "Errors", Value: 30, Timestamp: new Date(now - 5_000) },
          { MetricName: "Requests", Value: 200, Timestamp: new Date(now - 5_000) },
        ],
      }),
    );
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "error-rate",
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: "GreaterThanThreshold",
        Metrics: [
          { Id: "errors", MetricStat: { Metric: { Namespace: "Web", MetricName: "Errors" }, Period: 60, Stat: "Sum" }, ReturnData: false },
          { Id: "requests", MetricStat: { Metric: { Namespace: "Web", MetricName: "Requests" }, Period: 60, Stat: "Sum" }, ReturnData: false },
          { Id: "rate", Expression: "100 * errors / requests", Label: "Error rate", ReturnData: true },
        ],
      }),
    );
    await stratus.clock.advance("2m");
    const described = await state(cw, "error-rate");
    assert.equal(described?.StateValue, "ALARM");
    assert.match(described!.StateReason!, /\[15\.0 /);
    assert.equal(described?.Metrics?.length, 3);
  });

  it("alarms outside an anomaly detection band learned from two weeks of history", async () => {
    const now = floorTo(stratus.clock.now().getTime(), MINUTE);
    const history = Array.from({ length: 120 }, (_, k) => ({
      MetricName: "latency",
      Value: k % 2 === 0 ? 9 : 11,
      Timestamp: new Date(now - (200 - k) * MINUTE),
    }));
    await cw.send(new PutMetricDataCommand({ Namespace: "Band", MetricData: [...history, { MetricName: "latency", Value: 60, Timestamp: new Date(now + 10_000) }] }));
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "latency-anomaly",
        EvaluationPeriods: 1,
        ComparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold",
        ThresholdMetricId: "band",
        Metrics: [
          { Id: "m1", MetricStat: { Metric: { Namespace: "Band", MetricName: "latency" }, Period: 60, Stat: "Average" }, ReturnData: true },
          { Id: "band", Expression: "ANOMALY_DETECTION_BAND(m1, 2)", ReturnData: true },
        ],
      }),
    );
    await stratus.clock.advance("2m");
    assert.equal((await state(cw, "latency-anomaly"))?.StateValue, "ALARM");
  });

  describe("EC2 actions", () => {
    // With EC2's instance operations present the actions act on real (mock-driver) instances;
    // until then a stand-in on the EC2 provider records the calls CloudWatch makes.
    let real = false;
    let ec2: EC2Client;
    const standIn = new Map<string, string>();

    before(() => {
      ec2 = new EC2Client(sdkConfig(stratus));
      const provider = stratus.cloud.provider("ec2") as unknown as Record<string, unknown>;
      real = typeof provider.RunInstances === "function";
      if (real) return;
      const act = (next: string) => (input: { InstanceIds: string[] }) => {
        for (const id of input.InstanceIds) {
          if (!standIn.has(id)) throw Object.assign(new Error(`The instance ID '${id}' does not exist`), { code: "InvalidInstanceID.NotFound" });
          standIn.set(id, next);
        }
      };
      provider.StopInstances = act("stopped");
      provider.RebootInstances = act("running");
      provider.TerminateInstances = act("terminated");
    });

    async function instance(): Promise<string> {
      if (!real) {
        const id = `i-0${(standIn.size + 1).toString(16).padStart(16, "0")}`;
        standIn.set(id, "running");
        return id;
      }
      const images = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"] }));
      const run = await ec2.send(new RunInstancesCommand({ ImageId: images.Images![0].ImageId!, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 }));
      return run.Instances![0].InstanceId!;
    }

    async function instanceState(id: string): Promise<string> {
      if (!real) return standIn.get(id)!;
      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      return described.Reservations![0].Instances![0].State!.Name!;
    }

    async function trip(name: string, id: string, actions: Partial<PutMetricAlarmCommandInput>): Promise<void> {
      const now = stratus.clock.now().getTime();
      await cw.send(
        new PutMetricDataCommand({
          Namespace: "Custom/EC2",
          MetricData: [{ MetricName: "CPUUtilization", Dimensions: [{ Name: "InstanceId", Value: id }], Value: 99, Timestamp: new Date(now - 1000) }],
        }),
      );
      await alarm({ AlarmName: name, Namespace: "Custom/EC2", MetricName: "CPUUtilization", Dimensions: [{ Name: "InstanceId", Value: id }], Threshold: 90, ...actions });
    }

    const actionHistory = async (name: string) =>
      ((await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: "Action" }))).AlarmHistoryItems ?? []).map((h) => h.HistorySummary);

    it("stops or terminates the instance when the alarm fires, and records the action", async () => {
      const [stopMe, terminateMe] = [await instance(), await instance()];
      await trip("cpu-stop", stopMe, { AlarmActions: ["arn:aws:automate:us-east-1:ec2:stop"] });
      await trip("cpu-terminate", terminateMe, { AlarmActions: ["arn:aws:automate:us-east-1:ec2:terminate"] });
      await stratus.clock.advance("2m");
      assert.deepEqual(await actionHistory("cpu-stop"), ["Successfully executed action arn:aws:automate:us-east-1:ec2:stop"]);
      assert.ok(["stopping", "stopped"].includes(await instanceState(stopMe)), await instanceState(stopMe));
      assert.ok(["shutting-down", "terminated"].includes(await instanceState(terminateMe)), await instanceState(terminateMe));
    });

    it("does nothing while actions are disabled, and records failures", async () => {
      const quiet = await instance();
      await trip("cpu-quiet", quiet, { AlarmActions: ["arn:aws:automate:us-east-1:ec2:stop"], ActionsEnabled: false });
      await trip("cpu-sns", await instance(), { AlarmActions: ["arn:aws:sns:us-east-1:000000000000:ops"] });
      await trip("cpu-gone", "i-0fffffffffffffff0", { AlarmActions: ["arn:aws:automate:us-east-1:ec2:stop"] });
      await stratus.clock.advance("2m");
      assert.equal((await state(cw, "cpu-quiet"))?.StateValue, "ALARM");
      assert.deepEqual(await actionHistory("cpu-quiet"), []);
      assert.equal(await instanceState(quiet), "running");
      assert.match((await actionHistory("cpu-sns"))[0]!, /^Failed to execute action arn:aws:sns:us-east-1:000000000000:ops/);
      assert.match((await actionHistory("cpu-gone"))[0]!, /^Failed to execute action arn:aws:automate:us-east-1:ec2:stop: InvalidInstanceID\.NotFound/);
    });

    it("runs OK actions on the way back; SetAlarmState triggers actions too", async () => {
      const id = await instance();
      await trip("cpu-reboot", id, { OKActions: ["arn:aws:automate:us-east-1:ec2:reboot"] });
      await stratus.clock.advance("2m");
      assert.deepEqual(await actionHistory("cpu-reboot"), []);
      await cw.send(new SetAlarmStateCommand({ AlarmName: "cpu-reboot", StateValue: "OK", StateReason: "manual" }));
      assert.deepEqual(await actionHistory("cpu-reboot"), ["Successfully executed action arn:aws:automate:us-east-1:ec2:reboot"]);
      assert.equal(await instanceState(id), "running");
    });

    it("rejects EC2 actions in another region or without an InstanceId dimension", async () => {
      await assert.rejects(
        alarm({ AlarmName: "bad", Namespace: "N", MetricName: "m", AlarmActions: ["arn:aws:automate:eu-west-1:ec2:stop"], Dimensions: [{ Name: "InstanceId", Value: "i-1" }] }),
        (e: any) => e.$metadata.httpStatusCode === 400 && /Invalid region eu-west-1/.test(e.message),
      );
      await assert.rejects(
        alarm({ AlarmName: "bad", Namespace: "N", MetricName: "m", AlarmActions: ["arn:aws:automate:us-east-1:ec2:terminate"] }),
        (e: any) => e.$metadata.httpStatusCode === 400 && /InstanceId/.test(e.message),
      );
    });
  });

  it("DescribeAlarms filters by name, prefix, state and action prefix, and pages", async () => {
    for (const name of ["page-a", "page-b", "page-c", "page-d", "page-e"]) {
      await alarm({ AlarmName: name, Namespace: "Pages", MetricName: name, AlarmActions: name === "page-c" ? ["arn:aws:sns:us-east-1:000000000000:pager"] : [] });
    }
    await cw.send(new SetAlarmStateCommand({ AlarmName: "page-d", StateValue: "ALARM", StateReason: "x" }));
    const first = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "page-", MaxRecords: 2 }));
    assert.deepEqual(first.MetricAlarms?.map((a) => a.AlarmName), ["page-a", "page-b"]);
    const second = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "page-", MaxRecords: 2, NextToken: first.NextToken }));
    assert.deepEqual(second.MetricAlarms?.map((a) => a.AlarmName), ["page-c", "page-d"]);
    const third = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "page-", MaxRecords: 2, NextToken: second.NextToken }));
    assert.deepEqual(third.MetricAlarms?.map((a) => a.AlarmName), ["page-e"]);
    assert.equal(third.NextToken, undefined);
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "page-", StateValue: "ALARM" }))).MetricAlarms?.map((a) => a.AlarmName), ["page-d"]);
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ ActionPrefix: "arn:aws:sns:us-east-1:000000000000:pa" }))).MetricAlarms?.map((a) => a.AlarmName), ["page-c"]);
    const composite = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ["CompositeAlarm"] }));
    assert.deepEqual([composite.CompositeAlarms, composite.MetricAlarms], [[], []]);
    await assert.rejects(cw.send(new DescribeAlarmsCommand({ AlarmNames: ["page-a"], AlarmNamePrefix: "page" })), (e: any) => e.$metadata.httpStatusCode === 400);
    await cw.send(new DisableAlarmActionsCommand({ AlarmNames: ["page-a", "not-there"] }));
  });

  it("PutMetricAlarm validates like AWS", async () => {
    const bad = async (input: Partial<PutMetricAlarmCommandInput>, message: RegExp) =>
      assert.rejects(alarm({ AlarmName: "invalid", Namespace: "N", MetricName: "m", ...input }), (e: any) => {
        assert.equal(e.$metadata.httpStatusCode, 400);
        assert.match(e.message, message);
        return true;
      });
    await bad({ Period: 45 }, /Valid values are 10, 20, 30, and any multiple of 60/);
    await bad({ Period: 60, EvaluationPeriods: 1441 }, /^Metrics cannot be checked across more than a day \(EvaluationPeriods \* Period must be <= 86400\)\.$/);
    await bad({ Period: 3600, EvaluationPeriods: 169 }, /more than 7 days/);
    await bad({ EvaluationPeriods: 2, DatapointsToAlarm: 3 }, /DatapointsToAlarm/);
    await bad({ ExtendedStatistic: "p99" }, /mutually exclusive/);
    await bad({ Statistic: undefined, ExtendedStatistic: "p999" }, /p999/);
    await bad({ TreatMissingData: "sometimes" }, /TreatMissingData/);
    await bad({ AlarmActions: ["arn:aws:nothing:us-east-1:000000000000:x"] }, /Invalid arn syntax/);
    await bad({ ComparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold" }, /ThresholdMetricId/);
    await bad({ Threshold: undefined }, /Threshold/);
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["invalid"] }))).MetricAlarms, []);
  });

  it("keeps two weeks of alarm history", async () => {
    await alarm({ AlarmName: "short-memory", Namespace: "Memory", MetricName: "m", Period: 3600 });
    const before = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "short-memory" }));
    assert.equal(before.AlarmHistoryItems?.[0].HistorySummary, 'Alarm "short-memory" created');
    await stratus.clock.advance("15d");
    const after = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "short-memory" }));
    const oldest = Math.min(...(after.AlarmHistoryItems ?? []).map((h) => h.Timestamp!.getTime()));
    assert.ok(stratus.clock.now().getTime() - oldest <= 14 * DAY + HOUR + MINUTE, "nothing older than two weeks (pruned hourly)");
    assert.ok(!(after.AlarmHistoryItems ?? []).some((h) => h.HistoryItemType === "ConfigurationUpdate"));
  });
});
