/**
 * Composite alarms on the virtual clock: a metric alarm driven into ALARM by
 * real datapoints carries its composite parent with it (and a composite of
 * composites), rule grammar and validation, DescribeAlarms filters
 * (AlarmTypes, ChildrenOfAlarmName, ParentsOfAlarmName), history by type,
 * SetAlarmState, actions (recorded) and the actions suppressor, and
 * DeleteAlarms' rules — with SDK v3 and the aws CLI.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  ListTagsForResourceCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { floorTo, HOUR, MINUTE } from "./support.js";

const START = Date.parse("2025-09-01T06:00:00Z");
/** CloudWatch's ValidationError (SDK v3 names it ValidationException, the query-compatible code being ValidationError). */
const isValidation = (e: any) => /^Validation(Error|Exception)$/.test(e.name) && e.$metadata?.httpStatusCode === 400;
const SNS = "arn:aws:sns:us-east-1:000000000000:ops";

describe("CloudWatch composite alarms", () => {
  let stratus: RunningStratus;
  let cw: CloudWatchClient;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: START });
    cw = new CloudWatchClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  const metricAlarm = (name: string, metric: string) =>
    cw.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: "Comp/App",
        MetricName: metric,
        Statistic: "Maximum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: "GreaterThanThreshold",
      }),
    );
  const composite = async (name: string) => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ["CompositeAlarm"] }))).CompositeAlarms?.[0];

  it("follows its children as real data moves them, through a composite of composites", async () => {
    await metricAlarm("cpu-high", "Cpu");
    await metricAlarm("mem-high", "Mem");
    await cw.send(
      new PutCompositeAlarmCommand({
        AlarmName: "host-trouble",
        AlarmRule: 'ALARM("cpu-high") AND (ALARM(mem-high) OR NOT OK("mem-high"))',
        AlarmActions: [SNS],
        AlarmDescription: "both",
        Tags: [{ Key: "team", Value: "ml" }],
      }),
    );
    const created = await composite("host-trouble");
    // Both children are INSUFFICIENT_DATA, so NOT OK(mem-high) holds, but ALARM(cpu-high) does not.
    assert.equal(created?.StateValue, "OK");
    assert.equal(created?.AlarmRule, 'ALARM("cpu-high") AND (ALARM(mem-high) OR NOT OK("mem-high"))');
    assert.deepEqual(created?.AlarmActions, [SNS]);
    assert.equal(created?.ActionsEnabled, true);
    const arn = created!.AlarmArn!;
    assert.match(arn, /^arn:aws:cloudwatch:us-east-1:\d{12}:alarm:host-trouble$/);
    const cpuArn = arn.replace(/host-trouble$/, "cpu-high");
    // A composite over a composite, naming its child by ARN.
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: "fleet", AlarmRule: `ALARM("${arn}") OR FALSE` }));
    assert.equal((await composite("fleet"))?.StateValue, "OK");

    const tags = await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    assert.deepEqual(tags.Tags, [{ Key: "team", Value: "ml" }]);

    // Cpu breaches; the next evaluation moves cpu-high to ALARM, and the composites follow.
    const base = floorTo(START, HOUR) + HOUR;
    await stratus.clock.set(base + 30_000);
    await cw.send(new PutMetricDataCommand({ Namespace: "Comp/App", MetricData: [{ MetricName: "Cpu", Value: 50, Timestamp: new Date(base) }] }));
    await stratus.clock.set(base + MINUTE + 5_000);
    const cpu = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["cpu-high"] }))).MetricAlarms?.[0];
    assert.equal(cpu?.StateValue, "ALARM");
    const trouble = await composite("host-trouble");
    assert.equal(trouble?.StateValue, "ALARM");
    assert.equal(trouble?.StateReason, `${cpuArn} transitioned to ALARM at Monday 01 September, 2025 07:01:01 UTC`);
    assert.deepEqual(JSON.parse(trouble!.StateReasonData!), {
      triggeringAlarms: [{ arn: cpuArn, state: { value: "ALARM", timestamp: "2025-09-01T07:01:01.000+0000" } }],
    });
    assert.equal((await composite("fleet"))?.StateValue, "ALARM");

    // Mem reports fine: mem-high goes OK, NOT OK(mem-high) fails, the composite returns to OK.
    await cw.send(new PutMetricDataCommand({ Namespace: "Comp/App", MetricData: [{ MetricName: "Mem", Value: 1, Timestamp: new Date(base + MINUTE + 10_000) }] }));
    await stratus.clock.set(base + 2 * MINUTE + 5_000);
    assert.equal((await composite("host-trouble"))?.StateValue, "OK");
    assert.equal((await composite("fleet"))?.StateValue, "OK");

    // History: state updates of composites appear only when asked for composite alarms.
    const metricOnly = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "host-trouble" }));
    assert.deepEqual(metricOnly.AlarmHistoryItems, []);
    const history = await cw.send(
      new DescribeAlarmHistoryCommand({ AlarmName: "host-trouble", AlarmTypes: ["CompositeAlarm"], ScanBy: "TimestampAscending" }),
    );
    const items = history.AlarmHistoryItems!.map((h) => [h.AlarmType, h.HistoryItemType, h.HistorySummary]);
    assert.deepEqual(items, [
      ["CompositeAlarm", "ConfigurationUpdate", 'Alarm "host-trouble" created'],
      ["CompositeAlarm", "StateUpdate", "Alarm updated from INSUFFICIENT_DATA to OK"],
      ["CompositeAlarm", "StateUpdate", "Alarm updated from OK to ALARM"],
      ["CompositeAlarm", "Action", `Failed to execute action ${SNS}: the sns service is not available in Stratus`],
      ["CompositeAlarm", "StateUpdate", "Alarm updated from ALARM to OK"],
    ]);
    const both = await cw.send(new DescribeAlarmHistoryCommand({ AlarmTypes: ["CompositeAlarm", "MetricAlarm"], HistoryItemType: "StateUpdate" }));
    assert.ok(both.AlarmHistoryItems!.some((h) => h.AlarmName === "cpu-high"));
    assert.ok(both.AlarmHistoryItems!.some((h) => h.AlarmName === "fleet"));

    // Relatives.
    const children = await cw.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: "host-trouble" }));
    assert.deepEqual(children.MetricAlarms!.map((a) => a.AlarmName), ["cpu-high", "mem-high"]);
    assert.deepEqual(Object.keys(children.MetricAlarms![0]).sort(), ["AlarmArn", "AlarmName", "StateUpdatedTimestamp", "StateValue"]);
    const parents = await cw.send(new DescribeAlarmsCommand({ ParentsOfAlarmName: "host-trouble" }));
    assert.deepEqual(parents.CompositeAlarms!.map((a) => a.AlarmName), ["fleet"]);
    assert.deepEqual(parents.MetricAlarms, []);
    await assert.rejects(cw.send(new DescribeAlarmsCommand({ ChildrenOfAlarmName: "host-trouble", StateValue: "OK" })), isValidation);
    const all = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ["CompositeAlarm", "MetricAlarm"], StateValue: "OK" }));
    assert.deepEqual(all.CompositeAlarms!.map((a) => a.AlarmName), ["fleet", "host-trouble"]);
    assert.deepEqual(all.MetricAlarms!.map((a) => a.AlarmName), ["mem-high"]);
    const metricsOnly = await cw.send(new DescribeAlarmsCommand({}));
    assert.deepEqual(metricsOnly.CompositeAlarms, []);

    // Deleting: referenced alarms stay, one composite per request, the top down.
    await assert.rejects(cw.send(new DeleteAlarmsCommand({ AlarmNames: ["cpu-high"] })), isValidation);
    await assert.rejects(cw.send(new DeleteAlarmsCommand({ AlarmNames: ["fleet", "host-trouble"] })), isValidation);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["fleet"] }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["host-trouble", "cpu-high", "mem-high"] }));
    const left = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ["CompositeAlarm", "MetricAlarm"] }));
    assert.deepEqual([left.MetricAlarms, left.CompositeAlarms], [[], []]);
  });

  it("validates the rule, the alarms it names and the actions", async () => {
    await metricAlarm("v-child", "V");
    const put = (input: Partial<ConstructorParameters<typeof PutCompositeAlarmCommand>[0]>) =>
      cw.send(new PutCompositeAlarmCommand({ AlarmName: "v-comp", AlarmRule: "ALARM(v-child)", ...input }));
    const bad = [
      { AlarmRule: 'ALARM("no-such-alarm")' },
      { AlarmRule: "ALARM(v-child) AND" },
      { AlarmRule: "ALARM(v-child) XOR OK(v-child)" },
      { AlarmRule: "(ALARM(v-child)" },
      { AlarmRule: "ALARMS(v-child)" },
      { AlarmRule: "ALARM()" },
      { AlarmActions: ["arn:aws:automate:us-east-1:ec2:stop"] },
      { OKActions: ["not-an-arn"] },
      { ActionsSuppressor: "no-such-alarm" },
      { ActionsSuppressorWaitPeriod: 30 },
      { AlarmName: "v-child" },
    ];
    for (const input of bad) {
      await assert.rejects(put(input), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.ok(isValidation(e), JSON.stringify(input));
        assert.equal(e.$metadata?.httpStatusCode, 400);
        return true;
      });
    }
    // Too long a rule is refused (by the model's length limit or the service).
    await assert.rejects(put({ AlarmRule: `${"TRUE OR ".repeat(1300)}TRUE` }));
    // Constants and lower-case keywords are fine.
    await put({ AlarmRule: "true and not false" });
    assert.equal((await composite("v-comp"))?.StateValue, "ALARM");
    await put({ AlarmRule: "FALSE" });
    assert.equal((await composite("v-comp"))?.StateValue, "OK");
    // A metric alarm cannot take a composite's name.
    await assert.rejects(metricAlarm("v-comp", "V"), isValidation);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["v-comp"] }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["v-child"] }));
  });

  it("SetAlarmState, actions enabled or suppressed", async () => {
    // Children held in the states the test sets: composites over constants are never re-evaluated
    // (a metric alarm would be, on the clock, as the test advances it).
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: "s-child", AlarmRule: "FALSE" }));
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: "s-maint", AlarmRule: "FALSE" }));
    await cw.send(
      new PutCompositeAlarmCommand({
        AlarmName: "s-comp",
        AlarmRule: "ALARM(s-child)",
        AlarmActions: [SNS],
        ActionsSuppressor: "s-maint",
        ActionsSuppressorWaitPeriod: 120,
        ActionsSuppressorExtensionPeriod: 180,
      }),
    );
    const stored = await composite("s-comp");
    assert.deepEqual([stored?.ActionsSuppressor, stored?.ActionsSuppressorWaitPeriod, stored?.ActionsSuppressorExtensionPeriod], ["s-maint", 120, 180]);
    const actions = async () =>
      (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "s-comp", AlarmTypes: ["CompositeAlarm"], HistoryItemType: "Action" }))).AlarmHistoryItems!.length;

    // The suppressor is in ALARM: the composite changes state, its actions do not run.
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-maint", StateValue: "ALARM", StateReason: "maintenance" }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-child", StateValue: "ALARM", StateReason: "test" }));
    let comp = await composite("s-comp");
    assert.equal(comp?.StateValue, "ALARM");
    assert.equal(comp?.ActionsSuppressedBy, "Alarm");
    assert.equal(await actions(), 0);

    // SetAlarmState on the composite itself.
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-comp", StateValue: "OK", StateReason: "manual", StateReasonData: '{"by":"ops"}' }));
    comp = await composite("s-comp");
    assert.deepEqual([comp?.StateValue, comp?.StateReason, comp?.StateReasonData], ["OK", "manual", '{"by":"ops"}']);

    // Disabled actions do not run.
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-maint", StateValue: "OK", StateReason: "done" }));
    await cw.send(new DisableAlarmActionsCommand({ AlarmNames: ["s-comp"] }));
    assert.equal((await composite("s-comp"))?.ActionsEnabled, false);
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-child", StateValue: "OK", StateReason: "test" }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-child", StateValue: "ALARM", StateReason: "test" }));
    assert.equal((await composite("s-comp"))?.StateValue, "ALARM");
    assert.equal(await actions(), 0);

    // Enabled: actions wait up to the wait period (120 s) for the suppressor, then run
    // (and fail: no SNS in Stratus).
    await cw.send(new EnableAlarmActionsCommand({ AlarmNames: ["s-comp"] }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-child", StateValue: "OK", StateReason: "test" }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-child", StateValue: "ALARM", StateReason: "test" }));
    assert.equal((await composite("s-comp"))?.ActionsSuppressedBy, "WaitPeriod");
    await stratus.clock.advance("119s");
    assert.equal(await actions(), 0);
    await stratus.clock.advance("2s");
    assert.equal(await actions(), 1);
    assert.equal((await composite("s-comp"))?.ActionsSuppressedBy, undefined);

    // The suppressor goes into ALARM during the wait: suppressed; when it leaves ALARM, the
    // actions run after the extension period (180 s) if the composite is still in ALARM.
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-child", StateValue: "OK", StateReason: "test" }));
    await stratus.clock.advance("121s");
    assert.equal(await actions(), 1); // OK has no actions
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-child", StateValue: "ALARM", StateReason: "test" }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-maint", StateValue: "ALARM", StateReason: "maintenance" }));
    assert.equal((await composite("s-comp"))?.ActionsSuppressedBy, "Alarm");
    await stratus.clock.advance("300s");
    assert.equal(await actions(), 1);
    await cw.send(new SetAlarmStateCommand({ AlarmName: "s-maint", StateValue: "OK", StateReason: "done" }));
    assert.equal((await composite("s-comp"))?.ActionsSuppressedBy, "ExtensionPeriod");
    await stratus.clock.advance("179s");
    assert.equal(await actions(), 1);
    await stratus.clock.advance("2s");
    assert.equal(await actions(), 2);
    assert.equal((await composite("s-comp"))?.ActionsSuppressedBy, undefined);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["s-comp"] }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["s-child"] }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["s-maint"] }));
  });

  it("works from the aws CLI", async () => {
    await metricAlarm("cli-child", "Cli");
    const put = await awsCli(stratus, [
      "cloudwatch",
      "put-composite-alarm",
      "--alarm-name",
      "cli-comp",
      "--alarm-rule",
      'INSUFFICIENT_DATA("cli-child")',
      "--alarm-actions",
      SNS,
    ]);
    assert.equal(put.code, 0, put.stderr);
    const described = await awsCli(stratus, ["cloudwatch", "describe-alarms", "--alarm-types", "CompositeAlarm", "--alarm-names", "cli-comp"]);
    assert.equal(described.code, 0, described.stderr);
    const alarm = described.json().CompositeAlarms[0];
    assert.equal(alarm.AlarmName, "cli-comp");
    assert.equal(alarm.StateValue, "ALARM");
    assert.equal(alarm.AlarmRule, 'INSUFFICIENT_DATA("cli-child")');
    const missing = await awsCli(stratus, ["cloudwatch", "put-composite-alarm", "--alarm-name", "x", "--alarm-rule", "OK(nope)"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /\(ValidationError\) when calling the PutCompositeAlarm operation/);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["cli-comp", "cli-child"] }));
    assert.equal(await composite("cli-comp"), undefined);
  });
});
