/**
 * CloudWatch answers as AWS does, seen through every real client: boto3 and the
 * pip aws CLI (json, awsQueryCompatible), Debian's aws CLI (query) and SDK v3
 * (json and cbor). Error codes, statuses and AWS's exact wording; response
 * shapes (both alarm lists, GetMetricData messages and default labels);
 * boto3's paginators and its alarm_exists waiter.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeAlarmsCommand, GetMetricDataCommand, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import { AWS_CLI_V1, awsCli, boto3, hasBoto3, startTestStratus } from "../support/stratus.js";
import { cloudwatchClient, MINUTE } from "./support.js";

describe("CloudWatch conformance", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus();
  });
  after(() => stratus.stop());

  it("boto3 sees AWS's error codes, statuses and wording", { skip: !hasBoto3() && "boto3 is not installed" }, async () => {
    const out = await boto3(
      stratus,
      `
cw = client("cloudwatch")
now = datetime.datetime.now(datetime.timezone.utc)
ago = lambda **kw: now - datetime.timedelta(**kw)
call("both", lambda: cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1, "Values": [1]}]))
call("counts", lambda: cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Values": [1, 2], "Counts": [1]}]))
hour = now.replace(minute=0, second=0, microsecond=0)
call("toomany", lambda: cw.get_metric_statistics(Namespace="A", MetricName="m", StartTime=hour - datetime.timedelta(days=60), EndTime=hour, Period=60, Statistics=["Sum"]))
call("inverted", lambda: cw.get_metric_statistics(Namespace="A", MetricName="m", StartTime=now, EndTime=ago(hours=1), Period=60, Statistics=["Sum"]))
stat = {"Metric": {"Namespace": "A", "MetricName": "m"}, "Period": 60, "Stat": "Sum"}
call("gmd-equal", lambda: cw.get_metric_data(MetricDataQueries=[{"Id": "m1", "MetricStat": stat}], StartTime=now, EndTime=now))
call("gmd-ids", lambda: cw.get_metric_data(MetricDataQueries=[{"Id": "M1", "MetricStat": stat}, {"Id": "ok", "MetricStat": stat}, {"Id": "9x", "MetricStat": stat}], StartTime=ago(hours=1), EndTime=now))
call("dashboard-name", lambda: cw.put_dashboard(DashboardName="has space", DashboardBody='{"widgets":[]}'))
call("bad-state", lambda: cw.set_alarm_state(AlarmName="nope", StateValue="INVALID", StateReason="x"))
call("missing-alarm", lambda: cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x"))
call("delete-missing", lambda: cw.delete_alarms(AlarmNames=["nope"]))
call("tags-missing", lambda: cw.list_tags_for_resource(ResourceARN="arn:aws:cloudwatch:us-east-1:000000000000:alarm:nope"))
call("describe", lambda: cw.describe_alarms())
`,
    );
    assert.deepEqual(out.both, {
      error: {
        Code: "InvalidParameterCombination",
        Message: "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.",
        QueryErrorCode: "InvalidParameterCombinationException",
        Type: "Sender",
      },
      status: 400,
    });
    assert.equal(out.counts.error.Message, "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.");
    assert.equal(out.toomany.error.Code, "InvalidParameterCombination");
    assert.equal(
      out.toomany.error.Message,
      "You have requested up to 86400 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
    );
    assert.deepEqual([out.inverted.error.Code, out.inverted.error.Message], ["InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime."]);
    assert.deepEqual([out["gmd-equal"].error.Code, out["gmd-equal"].error.Message], ["ValidationError", "The parameter StartTime must not equal parameter EndTime.\n"]);
    assert.equal(
      out["gmd-ids"].error.Message,
      "The value M1 for parameter MetricDataQueries.member.1.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.\n" +
        "The value 9x for parameter MetricDataQueries.member.3.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.\n",
    );
    assert.deepEqual(out["dashboard-name"], {
      error: {
        Code: "InvalidParameterValue",
        Message: "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).\n",
        QueryErrorCode: "InvalidParameterValueException",
        Type: "Sender",
      },
      status: 400,
    });
    // Coral's validation error: the query code in x-amzn-query-error, Coral's own type in the body.
    assert.deepEqual(out["bad-state"].error.QueryErrorCode, "ValidationException");
    assert.equal(out["bad-state"].error.Code, "ValidationError");
    assert.match(out["bad-state"].error.Message, /^1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: \[/);
    assert.deepEqual(out["missing-alarm"], { error: { Code: "ResourceNotFound", Message: "", QueryErrorCode: "ResourceNotFound", Type: "Sender" }, status: 404 });
    assert.deepEqual(out["delete-missing"], {});
    assert.deepEqual(out["tags-missing"], { Tags: [] });
    assert.deepEqual(out.describe, { MetricAlarms: [], CompositeAlarms: [] });
  });

  it("the query CLI prints the same codes and words", async () => {
    const name = await awsCli(stratus, ["cloudwatch", "put-dashboard", "--dashboard-name", "has space", "--dashboard-body", '{"widgets":[]}']);
    assert.equal(name.code, 254);
    assert.match(name.stderr, /\(InvalidParameterValue\) when calling the PutDashboard operation.*: The value for field DashboardName contains invalid characters/);
    const missing = await awsCli(stratus, ["cloudwatch", "set-alarm-state", "--alarm-name", "nope", "--state-value", "OK", "--state-reason", "x"]);
    assert.match(missing.stderr, /\(ResourceNotFound\) when calling the SetAlarmState operation.*: Unknown/);
    const described = await awsCli(stratus, ["cloudwatch", "describe-alarms"]);
    assert.deepEqual(described.json(), { MetricAlarms: [], CompositeAlarms: [] });
    assert.equal((await awsCli(stratus, ["cloudwatch", "delete-alarms", "--alarm-names", "nope"])).code, 0);
  });

  it("the pip aws CLI (json) prints the same codes", { skip: !AWS_CLI_V1 && "the pip aws CLI is not installed" }, async () => {
    const result = await awsCli(stratus, ["cloudwatch", "get-metric-data", "--start-time", "2030-01-01T00:00:00Z", "--end-time", "2030-01-01T00:00:00Z", "--metric-data-queries", '[{"Id":"e1","Expression":"1"}]'], { binary: AWS_CLI_V1 });
    assert.match(result.stderr, /\(ValidationError\) when calling the GetMetricData operation.*: The parameter StartTime must not equal parameter EndTime\./);
  });

  it("keeps query statuses on the json and cbor wire only in query mode", async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(stratus.endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "GraniteServiceVersion20100801.SetAlarmState", ...headers },
        body,
      });
    const body = JSON.stringify({ AlarmName: "nope", StateValue: "OK", StateReason: "x" });
    const plain = await post({}, body);
    assert.equal(plain.status, 400);
    assert.equal(plain.headers.get("x-amzn-query-error"), "ResourceNotFound;Sender");
    assert.deepEqual(await plain.json(), { __type: "com.amazonaws.cloudwatch#ResourceNotFound" });
    const queryMode = await post({ "x-amzn-query-mode": "true" }, body);
    assert.equal(queryMode.status, 404);
    const invalid = await post({}, JSON.stringify({ AlarmName: "nope", StateValue: "INVALID", StateReason: "x" }));
    assert.equal((await invalid.json()).__type, "com.amazon.coral.validate#ValidationException");
    // The SDKs send x-amzn-query-mode, so they see 404.
    for (const protocol of ["json", "cbor"] as const) {
      const { client } = cloudwatchClient(stratus, protocol);
      await assert.rejects(
        client.send(new SetAlarmStateCommand({ AlarmName: "nope", StateValue: "OK", StateReason: "x" })),
        (e: any) => e.name === "ResourceNotFound" && e.$metadata.httpStatusCode === 404,
      );
    }
  });

  it("GetMetricData labels queries of one metric by what differs, and uses one unit when several were sent", async () => {
    const { client } = cloudwatchClient(stratus, "json");
    const now = Date.now();
    const t = new Date(now - 2 * MINUTE);
    await client.send(
      new PutMetricDataCommand({
        Namespace: "Conf/Labels",
        MetricData: [
          ...[0, 2, 7, 100].map((v) => ({ MetricName: "metric1", Value: v, Unit: "Seconds" as const, Timestamp: t })),
          { MetricName: "mixed", Value: 60000, Unit: "Milliseconds", Timestamp: t },
          { MetricName: "mixed", Value: 60, Unit: "Seconds", Timestamp: t },
        ],
      }),
    );
    const query = (id: string, metric: string, stat: string, period: number, unit?: "Seconds") => ({
      Id: id,
      MetricStat: { Metric: { Namespace: "Conf/Labels", MetricName: metric }, Period: period, Stat: stat, Unit: unit },
    });
    const range = { StartTime: new Date(now - 10 * MINUTE), EndTime: new Date(now + MINUTE) };
    const labels = async (queries: ReturnType<typeof query>[]) =>
      (await client.send(new GetMetricDataCommand({ ...range, MetricDataQueries: queries }))).MetricDataResults!.map((r) => r.Label);
    assert.deepEqual(await labels([query("a", "metric1", "Sum", 60), query("b", "metric1", "Minimum", 300)]), ["metric1 Sum 60", "metric1 Minimum 300"]);
    assert.deepEqual(await labels([query("a", "metric1", "Sum", 60), query("b", "metric1", "Minimum", 60)]), ["metric1 Sum", "metric1 Minimum"]);
    assert.deepEqual(await labels([query("a", "metric1", "Sum", 60), query("b", "metric1", "Sum", 300)]), ["metric1 60", "metric1 300"]);
    assert.deepEqual(await labels([query("a", "metric1", "Sum", 60), query("b", "mixed", "Maximum", 300)]), ["metric1", "mixed"]);

    const mixed = await client.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [query("m", "mixed", "Sum", 600)] }));
    assert.deepEqual(mixed.MetricDataResults![0].Values, [60000]);
    assert.deepEqual(mixed.MetricDataResults![0].Messages, [{ Code: "MultipleUnits", Value: "Multiple units returned: '[Milliseconds, Seconds]'" }]);
    const seconds = await client.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [query("m", "mixed", "Sum", 600, "Seconds")] }));
    assert.deepEqual(seconds.MetricDataResults![0].Values, [60]);
    assert.deepEqual(seconds.MetricDataResults![0].Messages, []);
  });

  it("boto3's paginators page with NextToken and alarm_exists waits for an alarm", { skip: !hasBoto3() && "boto3 is not installed" }, async () => {
    const out = await boto3(
      stratus,
      `
cw = client("cloudwatch")
for i in range(5):
    cw.put_metric_alarm(AlarmName=f"page-{i}", MetricName="m", Namespace="Conf/Page", Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    cw.put_dashboard(DashboardName=f"page-{i}", DashboardBody='{"widgets":[]}')
    cw.put_metric_data(Namespace="Conf/Page", MetricData=[{"MetricName": f"m{i}", "Value": 1}])
pages = list(cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix="page-", PaginationConfig={"PageSize": 2}))
out["alarm-pages"] = [[a["AlarmName"] for a in p["MetricAlarms"]] for p in pages]
out["composite-lists"] = [p["CompositeAlarms"] for p in pages]
out["history-pages"] = [len(p["AlarmHistoryItems"]) for p in cw.get_paginator("describe_alarm_history").paginate(PaginationConfig={"PageSize": 2})]
out["dashboards"] = [d["DashboardName"] for p in cw.get_paginator("list_dashboards").paginate(DashboardNamePrefix="page-") for d in p["DashboardEntries"]]
out["metrics"] = sorted(m["MetricName"] for p in cw.get_paginator("list_metrics").paginate(Namespace="Conf/Page") for m in p["Metrics"])
cw.get_waiter("alarm_exists").wait(AlarmNames=["page-3"], WaiterConfig={"Delay": 1, "MaxAttempts": 1})
try:
    cw.get_waiter("alarm_exists").wait(AlarmNames=["nope"], WaiterConfig={"Delay": 1, "MaxAttempts": 1})
    out["waiter-missing"] = "returned"
except botocore.exceptions.WaiterError as e:
    out["waiter-missing"] = "failed"
`,
    );
    assert.deepEqual(out["alarm-pages"], [["page-0", "page-1"], ["page-2", "page-3"], ["page-4"]]);
    assert.deepEqual(out["composite-lists"], [[], [], []]);
    assert.deepEqual(out["history-pages"], [2, 2, 1]);
    assert.deepEqual(out.dashboards, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
    assert.deepEqual(out.metrics, ["m0", "m1", "m2", "m3", "m4"]);
    assert.equal(out["waiter-missing"], "failed");
  });
});

describe("CloudWatch alarm state reasons", () => {
  let stratus: RunningStratus;
  const START = "2025-03-10T10:00:30Z";
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: START });
  });
  after(() => stratus.stop());

  it("words state changes and writes their data as AWS does", async () => {
    const { client } = cloudwatchClient(stratus, "json");
    const alarm = { Namespace: "Conf/Alarm", Period: 60, Statistic: "Average" as const, ComparisonOperator: "GreaterThanThreshold" as const, Threshold: 2 };
    const dimensions = [{ Name: "InstanceId", Value: "abc" }];
    await client.send(
      new PutMetricAlarmCommand({ ...alarm, AlarmName: "crossed", MetricName: "lat", Dimensions: dimensions, Unit: "Seconds", EvaluationPeriods: 1, TreatMissingData: "notBreaching" }),
    );
    await client.send(new PutMetricAlarmCommand({ ...alarm, AlarmName: "silent", MetricName: "nothing", EvaluationPeriods: 2, TreatMissingData: "breaching" }));
    await client.send(
      new PutMetricDataCommand({ Namespace: "Conf/Alarm", MetricData: [20, 23].map((Value) => ({ MetricName: "lat", Value, Unit: "Seconds", Dimensions: dimensions })) }),
    );
    await stratus.clock.advance("1m");
    const states = async () =>
      Object.fromEntries(((await client.send(new DescribeAlarmsCommand({}))).MetricAlarms ?? []).map((a) => [a.AlarmName, a]));
    let now = await states();
    assert.equal(now.crossed.StateValue, "ALARM");
    assert.equal(now.crossed.StateReason, "Threshold Crossed: 1 datapoint [21.5 (10/03/25 10:00:00)] was greater than the threshold (2.0).");
    assert.equal(
      now.crossed.StateReasonData,
      '{"version":"1.0","queryDate":"2025-03-10T10:01:01.000+0000","startDate":"2025-03-10T09:58:00.000+0000","unit":"Seconds","statistic":"Average",' +
        '"period":60,"recentDatapoints":[21.5],"threshold":2.0,"evaluatedDatapoints":[{"timestamp":"2025-03-10T10:00:00.000+0000","sampleCount":2.0,"value":21.5}]}',
    );
    assert.equal(now.silent.StateReason, "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].");
    assert.equal(
      now.silent.StateReasonData,
      '{"version":"1.0","queryDate":"2025-03-10T10:01:01.000+0000","statistic":"Average","period":60,"recentDatapoints":[],"threshold":2.0,' +
        '"evaluatedDatapoints":[{"timestamp":"2025-03-10T10:00:00.000+0000"},{"timestamp":"2025-03-10T09:59:00.000+0000"}]}',
    );
    // Once the datapoint is older than the N + 2 periods looked at, missing data decides.
    await stratus.clock.advance("3m");
    now = await states();
    assert.equal(now.crossed.StateValue, "OK");
    assert.equal(now.crossed.StateReason, "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].");

    // The history, through the query CLI, holds both transitions with AWS's summaries and data.
    const history = await awsCli(stratus, ["cloudwatch", "describe-alarm-history", "--alarm-name", "crossed", "--history-item-type", "StateUpdate"]);
    const items = history.json().AlarmHistoryItems;
    assert.deepEqual(
      items.map((h: any) => [h.AlarmType, h.HistorySummary]),
      [
        ["MetricAlarm", "Alarm updated from ALARM to OK"],
        ["MetricAlarm", "Alarm updated from INSUFFICIENT_DATA to ALARM"],
      ],
    );
    const data = JSON.parse(items[1].HistoryData);
    assert.deepEqual(data.oldState, { stateValue: "INSUFFICIENT_DATA", stateReason: "Unchecked: Initial alarm creation" });
    assert.equal(data.newState.stateReasonData.evaluatedDatapoints[0].value, 21.5);
    assert.match(items[1].HistoryData, /"threshold":2\.0/);
  });
});
