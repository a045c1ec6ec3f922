/**
 * Alarm mute rules on the virtual clock, through SDK v3 (every wire protocol)
 * and the pip aws CLI: an at() window keeps an EC2 stop action from running
 * while the alarm still goes to ALARM (the same breach after the window stops
 * the instance); held actions run when the window ends or the rule goes; a
 * daily cron() window in New York time across a DST change, clipped by start
 * and expire dates; composite targets; validation, filters, pages, tags,
 * deletion and a restart.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import {
  CloudWatchClient,
  DeleteAlarmMuteRuleCommand,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetAlarmMuteRuleCommand,
  ListAlarmMuteRulesCommand,
  ListTagsForResourceCommand,
  PutAlarmMuteRuleCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type PutAlarmMuteRuleCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { AWS_CLI_V1, AWS_CLI_V2, awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { cloudwatchClient, PROTOCOLS } from "./support.js";

const SNS = "arn:aws:sns:us-east-1:000000000000:ops";
const STOP = "arn:aws:automate:us-east-1:ec2:stop";
const ARN = "arn:aws:cloudwatch:us-east-1:000000000000:alarm-mute-rule:";
const at = (iso: string) => Date.parse(iso);
const rejectsWith = (code: string, status = 400) => (e: any) => {
  // SDK v3 names coral validation errors of the json forms ValidationException.
  if (code === "ValidationError") assert.match(e.name, /^Validation(Error|Exception)$/, e.message);
  else assert.equal(e.name, code, e.message);
  assert.equal(e.$metadata.httpStatusCode, status);
  return true;
};

describe("CloudWatch alarm mute rules", () => {
  let stratus: RunningStratus;
  let cw: CloudWatchClient;
  let ec2: EC2Client;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: at("2026-03-02T00:00:00Z") });
    cw = new CloudWatchClient(sdkConfig(stratus));
    ec2 = new EC2Client(sdkConfig(stratus));
  });
  after(() => stratus.stop());
  afterEach(async () => {
    const alarms = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ["CompositeAlarm", "MetricAlarm"], MaxRecords: 100 }));
    for (const a of alarms.CompositeAlarms ?? []) await cw.send(new DeleteAlarmsCommand({ AlarmNames: [a.AlarmName!] }));
    const names = (alarms.MetricAlarms ?? []).map((a) => a.AlarmName!);
    if (names.length > 0) await cw.send(new DeleteAlarmsCommand({ AlarmNames: names }));
    for (const r of (await cw.send(new ListAlarmMuteRulesCommand({}))).AlarmMuteRuleSummaries ?? []) {
      await cw.send(new DeleteAlarmMuteRuleCommand({ AlarmMuteRuleName: r.AlarmMuteRuleArn!.slice(ARN.length) }));
    }
  });

  const setClock = (iso: string) => stratus.clock.set(at(iso));
  const muteRule = (Name: string, Expression: string, Duration: string, extra: Partial<PutAlarmMuteRuleCommandInput> = {}) =>
    cw.send(new PutAlarmMuteRuleCommand({ Name, Rule: { Schedule: { Expression, Duration } }, ...extra }));
  const status = async (name: string) => (await cw.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: name }))).Status;
  const alarmState = async (name: string) => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0]?.StateValue;
  const history = async (name: string, type: "Action" | "StateUpdate", composite = false) =>
    (
      await cw.send(
        new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: type, ScanBy: "TimestampAscending", ...(composite ? { AlarmTypes: ["CompositeAlarm"] } : {}) }),
      )
    ).AlarmHistoryItems ?? [];

  async function instance(): Promise<string> {
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: images.Images![0].ImageId!, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 }));
    return run.Instances![0].InstanceId!;
  }
  const instanceState = async (id: string) =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].State!.Name!;
  const cpu = (id: string, Value: number) =>
    cw.send(
      new PutMetricDataCommand({
        Namespace: "Custom/EC2",
        MetricData: [{ MetricName: "CPUUtilization", Dimensions: [{ Name: "InstanceId", Value: id }], Value, Timestamp: new Date(stratus.clock.now().getTime() - 1000) }],
      }),
    );
  const cpuAlarm = (AlarmName: string, id: string) =>
    cw.send(
      new PutMetricAlarmCommand({
        AlarmName,
        Namespace: "Custom/EC2",
        MetricName: "CPUUtilization",
        Dimensions: [{ Name: "InstanceId", Value: id }],
        Statistic: "Maximum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 90,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "ignore",
        AlarmActions: [STOP],
      }),
    );
  const plainAlarm = (AlarmName: string, actions: { AlarmActions?: string[]; OKActions?: string[] }) =>
    cw.send(
      new PutMetricAlarmCommand({
        AlarmName,
        Namespace: "Quiet",
        MetricName: AlarmName,
        Statistic: "Maximum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "ignore",
        ...actions,
      }),
    );
  const setState = (AlarmName: string, StateValue: "ALARM" | "OK") => cw.send(new SetAlarmStateCommand({ AlarmName, StateValue, StateReason: "test" }));

  it("keeps an instance running while an at() window mutes its alarm; the same breach after the window stops it", async () => {
    const id = await instance();
    await setClock("2026-03-02T00:30:00Z");
    await muteRule("deploy", "at(2026-03-02T01:00)", "PT1H", { MuteTargets: { AlarmNames: ["cpu-guard"] }, Description: "release" });
    const rule = await cw.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: "deploy" }));
    assert.equal(rule.AlarmMuteRuleArn, `${ARN}deploy`);
    assert.equal(rule.MuteType, "ONE_TIME");
    assert.equal(rule.Status, "SCHEDULED");
    assert.deepEqual(rule.Rule?.Schedule, { Expression: "at(2026-03-02T01:00)", Duration: "PT1H", Timezone: "UTC" });
    assert.deepEqual(rule.MuteTargets?.AlarmNames, ["cpu-guard"]);
    await cpuAlarm("cpu-guard", id);

    await setClock("2026-03-02T01:10:00Z");
    assert.equal(await status("deploy"), "ACTIVE");
    await cpu(id, 99);
    await stratus.clock.advance("2m");
    assert.equal(await alarmState("cpu-guard"), "ALARM");
    assert.equal(await instanceState(id), "running");
    assert.deepEqual((await history("cpu-guard", "StateUpdate")).map((h) => h.HistorySummary), ["Alarm updated from INSUFFICIENT_DATA to ALARM"]);
    const [muted] = await history("cpu-guard", "Action");
    assert.equal(muted.HistorySummary, "Actions muted by alarm mute rule deploy");
    assert.deepEqual(JSON.parse(muted.HistoryData!).notificationResources, [STOP]);

    // Back to OK inside the window: when it ends there is nothing to run.
    await cpu(id, 1);
    await stratus.clock.advance("2m");
    assert.equal(await alarmState("cpu-guard"), "OK");
    await setClock("2026-03-02T02:05:00Z");
    assert.equal(await status("deploy"), "EXPIRED");
    assert.equal(await instanceState(id), "running");
    assert.equal((await history("cpu-guard", "Action")).length, 1);

    await cpu(id, 99);
    await stratus.clock.advance("2m");
    assert.ok(["stopping", "stopped"].includes(await instanceState(id)));
    assert.equal((await history("cpu-guard", "Action")).at(-1)?.HistorySummary, `Successfully executed action ${STOP}`);
  });

  it("runs the held actions when the window ends with the alarm still in ALARM, or when its rule is deleted", async () => {
    const id = await instance();
    await setClock("2026-03-03T00:50:00Z");
    await muteRule("maintenance", "at(2026-03-03T01:00)", "PT30M", { MuteTargets: { AlarmNames: ["cpu-held"] } });
    await muteRule("incident", "at(2026-03-03T01:00)", "PT2H", { MuteTargets: { AlarmNames: ["pager"] } });
    await cpuAlarm("cpu-held", id);
    await plainAlarm("pager", { AlarmActions: [SNS] });
    await setClock("2026-03-03T01:05:00Z");
    await cpu(id, 99);
    await setState("pager", "ALARM");
    await stratus.clock.advance("2m");
    assert.equal(await alarmState("cpu-held"), "ALARM");
    assert.equal(await instanceState(id), "running");
    assert.equal((await history("pager", "Action"))[0]?.HistorySummary, "Actions muted by alarm mute rule incident");

    await setClock("2026-03-03T01:29:00Z");
    assert.equal(await instanceState(id), "running");
    await setClock("2026-03-03T01:31:00Z");
    assert.ok(["stopping", "stopped"].includes(await instanceState(id)));
    const ran = (await history("cpu-held", "Action")).at(-1)!;
    assert.equal(ran.HistorySummary, `Successfully executed action ${STOP}`);
    assert.equal(ran.Timestamp?.toISOString(), "2026-03-03T01:30:00.000Z");

    await setClock("2026-03-03T01:40:00Z");
    assert.equal((await history("pager", "Action")).length, 1);
    await cw.send(new DeleteAlarmMuteRuleCommand({ AlarmMuteRuleName: "incident" }));
    const pager = (await history("pager", "Action")).at(-1)!;
    assert.match(pager.HistorySummary!, new RegExp(`^Failed to execute action ${SNS}`));
    assert.ok(pager.Timestamp!.getTime() - at("2026-03-03T01:40:00Z") < 5_000, "the delete ran them at once");
  });

  it("mutes daily in New York time across a DST change, between its start and expire dates", async () => {
    await setClock("2026-03-06T07:30:00Z"); // 02:30 EST: inside a window, but before StartDate
    await muteRule("nightly", "cron(0 2 * * *)", "PT2H", {
      Rule: { Schedule: { Expression: "cron(0 2 * * *)", Duration: "PT2H", Timezone: "America/New_York" } },
      StartDate: new Date("2026-03-07T00:00:30Z"), // AWS keeps whole minutes
      ExpireDate: new Date("2026-03-10T00:00:00Z"),
      MuteTargets: { AlarmNames: ["backup-latency"] },
    });
    const rule = await cw.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: "nightly" }));
    assert.equal(rule.MuteType, "RECURRING");
    assert.equal(rule.StartDate?.toISOString(), "2026-03-07T00:00:00.000Z");
    const seen: Array<[string, string | undefined]> = [];
    for (const time of [
      "2026-03-06T07:31:00Z",
      "2026-03-07T06:59:00Z", // 01:59 EST
      "2026-03-07T07:00:00Z", // 02:00 EST
      "2026-03-07T08:59:00Z",
      "2026-03-07T09:00:00Z",
      "2026-03-08T06:30:00Z", // 01:30 EST; 02:00 does not exist that night, so the window starts at 03:00 EDT
      "2026-03-08T07:30:00Z",
      "2026-03-09T06:30:00Z", // 02:30 EDT
    ]) {
      await setClock(time);
      seen.push([time, await status("nightly")]);
    }
    assert.deepEqual(
      seen.map(([, s]) => s),
      ["SCHEDULED", "SCHEDULED", "ACTIVE", "ACTIVE", "SCHEDULED", "SCHEDULED", "ACTIVE", "ACTIVE"],
      JSON.stringify(seen),
    );
    // Muting covers every state's actions; when the window ends the alarm's current state's actions run.
    await plainAlarm("backup-latency", { AlarmActions: [SNS], OKActions: [`${SNS}-ok`] });
    await setState("backup-latency", "ALARM");
    await stratus.clock.advance("10m");
    await setState("backup-latency", "OK");
    assert.deepEqual((await history("backup-latency", "Action")).map((h) => h.HistorySummary), [
      "Actions muted by alarm mute rule nightly",
      "Actions muted by alarm mute rule nightly",
    ]);
    const listed = await cw.send(new ListAlarmMuteRulesCommand({ AlarmName: "backup-latency", Statuses: ["ACTIVE"] }));
    assert.deepEqual(listed.AlarmMuteRuleSummaries?.map((s) => s.AlarmMuteRuleArn), [`${ARN}nightly`]);
    await setClock("2026-03-09T08:01:00Z");
    const actions = await history("backup-latency", "Action");
    assert.equal(actions.length, 3);
    assert.match(actions[2].HistorySummary!, new RegExp(`^Failed to execute action ${SNS}-ok`));
    assert.equal(actions[2].Timestamp?.toISOString(), "2026-03-09T08:00:00.000Z");
    await setClock("2026-03-10T00:00:00Z");
    assert.equal(await status("nightly"), "EXPIRED");
  });

  it("mutes composite alarms it targets", async () => {
    await setClock("2026-03-11T00:00:00Z");
    await plainAlarm("svc-child", {});
    await cw.send(new PutCompositeAlarmCommand({ AlarmName: "svc-health", AlarmRule: "ALARM(svc-child)", AlarmActions: [SNS] }));
    await muteRule("quiet", "at(2026-03-11T00:00)", "PT1H", { MuteTargets: { AlarmNames: ["svc-health", "svc-child"] } });
    await setState("svc-child", "ALARM");
    const items = await history("svc-health", "Action", true);
    assert.deepEqual(items.map((h) => [h.AlarmType, h.HistorySummary]), [["CompositeAlarm", "Actions muted by alarm mute rule quiet"]]);
    // An alarm without actions for the state records nothing: there was nothing to mute.
    assert.deepEqual(await history("svc-child", "Action"), []);
  });

  it("validates rules as AWS does", async () => {
    const schedule = (Expression: string, Duration = "PT1H", Timezone?: string) => ({ Schedule: { Expression, Duration, Timezone } });
    const put = (Rule: PutAlarmMuteRuleCommandInput["Rule"], extra: Partial<PutAlarmMuteRuleCommandInput> = {}) =>
      cw.send(new PutAlarmMuteRuleCommand({ Name: "bad", Rule, ...extra }));
    for (const expression of ["cron(0 2 ? * SUN *)", "cron(0 2 * *)", "cron(0 25 * * *)", "cron(0 2 L * *)", "at(2026-09-05T02:00:00)", "at(2026-02-30T02:00)", "rate(1 hour)"]) {
      await assert.rejects(put(schedule(expression)), rejectsWith("ValidationError"), expression);
    }
    for (const duration of ["2h", "PT30S", "P16D", "PT", "P1M"]) {
      await assert.rejects(put(schedule("cron(0 2 * * *)", duration)), (e: any) => rejectsWith("ValidationError")(e) && e.message === "The Duration provided is not valid.");
    }
    await assert.rejects(put(schedule("cron(0 2 * * *)", "PT1H", "Mars/Olympus_Mons")), rejectsWith("ValidationError"));
    await assert.rejects(
      put(schedule("cron(0 2 * * *)"), { StartDate: new Date("2026-04-02T00:00:00Z"), ExpireDate: new Date("2026-04-01T00:00:00Z") }),
      rejectsWith("ValidationError"),
    );
    await assert.rejects(put(schedule("cron(0 2 * * *)"), { Name: "n".repeat(256) }), rejectsWith("ValidationError"));
    await assert.rejects(put(schedule("cron(0 2 * * *)"), { MuteTargets: { AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`) } }), rejectsWith("ValidationError"));
    // Standard cron forms AWS's examples use are fine: ?, names, ranges, lists, steps, 7 for Sunday.
    for (const expression of ["cron(0 2 * * ?)", "cron(0 0 ? * SAT)", "cron(*/15 9-17 * * MON-FRI)", "cron(0 1 1,15 JAN-JUN 7)"]) {
      await put(schedule(expression, "P2DT12H", "Europe/London"));
    }
    assert.equal((await cw.send(new ListAlarmMuteRulesCommand({}))).AlarmMuteRuleSummaries?.length, 1);
    await assert.rejects(cw.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: "never" })), rejectsWith("ResourceNotFoundException", 404));
    await cw.send(new DeleteAlarmMuteRuleCommand({ AlarmMuteRuleName: "never" })); // idempotent, as AWS documents
    await assert.rejects(cw.send(new ListAlarmMuteRulesCommand({ AlarmName: "no-such-alarm" })), rejectsWith("ResourceNotFoundException", 404));
    await assert.rejects(cw.send(new ListAlarmMuteRulesCommand({ NextToken: "bogus" })), rejectsWith("InvalidNextToken"));
  });

  it("lists by alarm and status in pages, updates in place, tags and deletes", async () => {
    await setClock("2026-03-12T00:00:00Z");
    await plainAlarm("web", {});
    await muteRule("r1-active", "at(2026-03-11T23:30)", "PT1H", { MuteTargets: { AlarmNames: ["web"] }, Tags: [{ Key: "team", Value: "ops" }] });
    await muteRule("r2-expired", "at(2026-03-11T20:00)", "PT1H", { MuteTargets: { AlarmNames: ["web"] } });
    await muteRule("r3-scheduled", "cron(0 3 * * *)", "PT1H", { MuteTargets: { AlarmNames: ["web", "db"] } });
    await muteRule("r4-scheduled", "cron(0 4 * * 1-5)", "PT1H", { ExpireDate: new Date("2026-12-31T00:00:00Z") });
    await muteRule("r5-expired", "cron(0 4 * * *)", "PT1H", { ExpireDate: new Date("2026-03-11T00:00:00Z") });
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await cw.send(new ListAlarmMuteRulesCommand({ MaxRecords: 2, NextToken }));
      assert.ok(page.AlarmMuteRuleSummaries!.length <= 2);
      names.push(...page.AlarmMuteRuleSummaries!.map((s) => `${s.AlarmMuteRuleArn!.slice(ARN.length)}:${s.Status}:${s.MuteType}`));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(names, [
      "r1-active:ACTIVE:ONE_TIME",
      "r2-expired:EXPIRED:ONE_TIME",
      "r3-scheduled:SCHEDULED:RECURRING",
      "r4-scheduled:SCHEDULED:RECURRING",
      "r5-expired:EXPIRED:RECURRING",
    ]);
    const list = async (input: { AlarmName?: string; Statuses?: Array<"SCHEDULED" | "ACTIVE" | "EXPIRED"> }) =>
      ((await cw.send(new ListAlarmMuteRulesCommand(input))).AlarmMuteRuleSummaries ?? []).map((s) => s.AlarmMuteRuleArn!.slice(ARN.length));
    assert.deepEqual(await list({ AlarmName: "web" }), ["r1-active", "r2-expired", "r3-scheduled"]);
    assert.deepEqual(await list({ Statuses: ["EXPIRED"] }), ["r2-expired", "r5-expired"]);
    assert.deepEqual(await list({ AlarmName: "web", Statuses: ["SCHEDULED", "ACTIVE"] }), ["r1-active", "r3-scheduled"]);
    const summary = (await cw.send(new ListAlarmMuteRulesCommand({ Statuses: ["SCHEDULED"] }))).AlarmMuteRuleSummaries!;
    assert.equal(summary[1].ExpireDate?.toISOString(), "2026-12-31T00:00:00.000Z");

    // A second put replaces the configuration; tags stay as they were (TagResource changes them).
    await stratus.clock.advance("5m");
    await muteRule("r1-active", "cron(0 5 * * *)", "PT1H", { Tags: [{ Key: "ignored", Value: "x" }] });
    const updated = await cw.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: "r1-active" }));
    assert.equal(updated.Status, "SCHEDULED");
    assert.equal(updated.MuteTargets, undefined);
    assert.ok(Math.abs(updated.LastUpdatedTimestamp!.getTime() - at("2026-03-12T00:05:00Z")) < 5_000);
    const tags = async () => (await cw.send(new ListTagsForResourceCommand({ ResourceARN: `${ARN}r1-active` }))).Tags;
    assert.deepEqual(await tags(), [{ Key: "team", Value: "ops" }]);
    await cw.send(new TagResourceCommand({ ResourceARN: `${ARN}r1-active`, Tags: [{ Key: "env", Value: "prod" }] }));
    await cw.send(new UntagResourceCommand({ ResourceARN: `${ARN}r1-active`, TagKeys: ["team"] }));
    assert.deepEqual(await tags(), [{ Key: "env", Value: "prod" }]);
    await assert.rejects(cw.send(new TagResourceCommand({ ResourceARN: `${ARN}missing`, Tags: [{ Key: "a", Value: "b" }] })), rejectsWith("ResourceNotFoundException", 404));

    await cw.send(new DeleteAlarmMuteRuleCommand({ AlarmMuteRuleName: "r1-active" }));
    await assert.rejects(cw.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: "r1-active" })), rejectsWith("ResourceNotFoundException", 404));
    assert.deepEqual(await list({ AlarmName: "web" }), ["r2-expired", "r3-scheduled"]);
    assert.deepEqual(await tags(), []);
  });

  it("answers in every wire protocol", async () => {
    for (const protocol of PROTOCOLS) {
      const { client } = cloudwatchClient(stratus, protocol);
      const Name = `wire-${protocol}`;
      await client.send(
        new PutAlarmMuteRuleCommand({
          Name,
          Rule: { Schedule: { Expression: "cron(30 1 * * SUN)", Duration: "PT90M", Timezone: "Asia/Tokyo" } },
          ExpireDate: new Date("2027-01-01T00:00:00Z"),
          MuteTargets: { AlarmNames: ["a", "b"] },
        }),
      );
      const got = await client.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: Name }));
      assert.equal(got.Name, Name, protocol);
      assert.equal(got.Status, "SCHEDULED", protocol);
      assert.equal(got.ExpireDate?.toISOString(), "2027-01-01T00:00:00.000Z", protocol);
      assert.deepEqual(got.Rule?.Schedule, { Expression: "cron(30 1 * * SUN)", Duration: "PT90M", Timezone: "Asia/Tokyo" }, protocol);
      const listed = await client.send(new ListAlarmMuteRulesCommand({ MaxRecords: 1 }));
      assert.equal(listed.AlarmMuteRuleSummaries?.length, 1, protocol);
      await assert.rejects(client.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: "gone" })), rejectsWith("ResourceNotFoundException", 404));
      await client.send(new DeleteAlarmMuteRuleCommand({ AlarmMuteRuleName: Name }));
    }
  });
});

// Debian's aws 2.9 predates alarm mute rules (they came in 2026); the pip aws 1.45 knows them.
const knows = (binary: string | undefined) =>
  !!binary && spawnSync(binary, ["cloudwatch", "list-alarm-mute-rules", "--generate-cli-skeleton"], { encoding: "utf8", timeout: 30_000 }).status === 0;
for (const [cli, binary] of [
  ["aws CLI v2 (query)", AWS_CLI_V2],
  ["pip aws CLI v1 (json)", AWS_CLI_V1],
] as const) {
  describe(`alarm mute rules through the ${cli}`, { skip: knows(binary) ? false : `${binary ?? "the pip aws CLI"} has no alarm mute rule commands` }, () => {
    let stratus: RunningStratus;
    before(async () => {
      stratus = await startTestStratus();
    });
    after(() => stratus.stop());

    it("puts, gets, lists and deletes", async () => {
      const aws = (...args: string[]) => awsCli(stratus, ["cloudwatch", ...args, "--output", "json"], { binary });
      const put = await aws("put-alarm-mute-rule", "--name", "cli", "--rule", '{"Schedule":{"Expression":"cron(0 2 * * *)","Duration":"PT4H"}}');
      assert.equal(put.code, 0, put.stderr);
      const got = (await aws("get-alarm-mute-rule", "--alarm-mute-rule-name", "cli")).json();
      assert.equal(got.AlarmMuteRuleArn, `${ARN}cli`);
      assert.equal(got.MuteType, "RECURRING");
      const listed = (await aws("list-alarm-mute-rules", "--statuses", "SCHEDULED")).json();
      assert.equal(listed.AlarmMuteRuleSummaries.length, 1);
      const bad = await aws("put-alarm-mute-rule", "--name", "bad", "--rule", '{"Schedule":{"Expression":"cron(0 2 * * *)","Duration":"2h"}}');
      assert.match(bad.stderr, /An error occurred \(ValidationError\).*The Duration provided is not valid\./);
      assert.equal((await aws("delete-alarm-mute-rule", "--alarm-mute-rule-name", "cli")).code, 0);
      const gone = await aws("get-alarm-mute-rule", "--alarm-mute-rule-name", "cli");
      assert.match(gone.stderr, /\(ResourceNotFoundException\)/);
    });
  });
}

describe("alarm mute rules survive a restart", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cw-mute-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps rules, tags and held actions, which run when the window ends", async () => {
    let stratus = await startTestStratus({ storage: "disk", dataDir: dir, clock: "virtual", clockStart: at("2026-05-01T10:00:00Z") });
    let cw = new CloudWatchClient(sdkConfig(stratus));
    await cw.send(
      new PutAlarmMuteRuleCommand({
        Name: "hold",
        Rule: { Schedule: { Expression: "at(2026-05-01T10:00)", Duration: "PT1H" } },
        MuteTargets: { AlarmNames: ["held"] },
        Tags: [{ Key: "k", Value: "v" }],
      }),
    );
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "held",
        Namespace: "Quiet",
        MetricName: "m",
        Statistic: "Maximum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "ignore",
        AlarmActions: [SNS],
      }),
    );
    await cw.send(new SetAlarmStateCommand({ AlarmName: "held", StateValue: "ALARM", StateReason: "test" }));
    await stratus.stop();

    stratus = await startTestStratus({ storage: "disk", dataDir: dir, clock: "virtual" });
    cw = new CloudWatchClient(sdkConfig(stratus));
    try {
      assert.equal((await cw.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: "hold" }))).Status, "ACTIVE");
      assert.deepEqual((await cw.send(new ListTagsForResourceCommand({ ResourceARN: `${ARN}hold` }))).Tags, [{ Key: "k", Value: "v" }]);
      await stratus.clock.set(at("2026-05-01T11:00:30Z"));
      const items = (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "held", HistoryItemType: "Action", ScanBy: "TimestampAscending" }))).AlarmHistoryItems!;
      assert.deepEqual(
        items.map((h) => h.HistorySummary!.slice(0, 26)),
        ["Actions muted by alarm mut", "Failed to execute action a"],
      );
    } finally {
      await stratus.stop();
    }
  });
});
