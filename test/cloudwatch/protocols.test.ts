/**
 * The protocol matrix: every implemented CloudWatch operation through SDK v3
 * in each of CloudWatch's three wire protocols — query, json
 * (awsQueryCompatible) and smithy-rpc-v2-cbor — asserting that the client
 * really sent that protocol.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteAlarmsCommand,
  DeleteDashboardsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListDashboardsCommand,
  ListMetricsCommand,
  ListTagsForResourceCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type MetricDatum,
} from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import { CREDENTIALS, startTestStratus } from "../support/stratus.js";
import { cloudwatchClient, floorTo, HOUR, MINUTE, PROTOCOLS, protocolOf, type ProtocolClient } from "./support.js";

const START = Date.parse("2025-03-10T12:00:00Z");

describe("CloudWatch protocol matrix", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: START });
  });
  after(() => stratus.stop());

  for (const protocol of PROTOCOLS) {
    describe(`over ${protocol}`, () => {
      let cw: ProtocolClient;
      const ns = `Matrix/${protocol}`;
      const host = [{ Name: "Host", Value: "web-1" }];
      let t0: number;

      before(() => {
        cw = cloudwatchClient(stratus, protocol);
        t0 = floorTo(stratus.clock.now().getTime(), MINUTE);
      });

      it("sends the protocol it is named after", async () => {
        await cw.client.send(new ListMetricsCommand({ Namespace: ns }));
        assert.equal(protocolOf(cw.sent[cw.sent.length - 1]), protocol);
      });

      it("PutMetricData stores values, value arrays with counts and statistic sets", async () => {
        await cw.client.send(
          new PutMetricDataCommand({
            Namespace: ns,
            MetricData: [
              { MetricName: "Latency", Dimensions: host, Value: 10, Unit: "Milliseconds", Timestamp: new Date(t0 - 3 * MINUTE) },
              { MetricName: "Latency", Dimensions: host, Values: [20, 30, 400], Counts: [2, 1, 1], Unit: "Milliseconds", Timestamp: new Date(t0 - 2 * MINUTE) },
              { MetricName: "Latency", Dimensions: host, StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 5, Maximum: 15 }, Unit: "Milliseconds", Timestamp: new Date(t0 - MINUTE) },
              { MetricName: "Fast", Dimensions: host, Value: 1, StorageResolution: 1, Timestamp: new Date(t0 - 50_000) },
              { MetricName: "Fast", Dimensions: host, Value: 3, StorageResolution: 1, Timestamp: new Date(t0 - 40_000) },
            ],
          }),
        );
        assert.equal(protocolOf(cw.sent[cw.sent.length - 1]), protocol);
      });

      it("PutMetricData accepts 1000 datums, gzip-compressed by the SDK", async () => {
        const data: MetricDatum[] = Array.from({ length: 1000 }, (_, i) => ({
          MetricName: "Batch",
          Dimensions: [{ Name: "Shard", Value: String(i % 10) }],
          Value: i,
          Timestamp: new Date(t0 - 5 * MINUTE),
        }));
        await cw.client.send(new PutMetricDataCommand({ Namespace: ns, MetricData: data }));
        const sent = cw.sent[cw.sent.length - 1];
        assert.equal(sent.headers["content-encoding"], "gzip");
        const stats = await cw.client.send(
          new GetMetricStatisticsCommand({
            Namespace: ns,
            MetricName: "Batch",
            Dimensions: [{ Name: "Shard", Value: "7" }],
            StartTime: new Date(t0 - HOUR),
            EndTime: new Date(t0),
            Period: 3600,
            Statistics: ["SampleCount", "Sum"],
          }),
        );
        assert.equal(stats.Datapoints?.length, 1);
        assert.equal(stats.Datapoints![0].SampleCount, 100);
        assert.equal(stats.Datapoints![0].Sum, Array.from({ length: 100 }, (_, k) => 7 + 10 * k).reduce((a, b) => a + b, 0));
      });

      it("GetMetricStatistics answers each statistic per period", async () => {
        const out = await cw.client.send(
          new GetMetricStatisticsCommand({
            Namespace: ns,
            MetricName: "Latency",
            Dimensions: host,
            StartTime: new Date(t0 - 10 * MINUTE),
            EndTime: new Date(t0),
            Period: 60,
            Statistics: ["SampleCount", "Average", "Sum", "Minimum", "Maximum"],
          }),
        );
        assert.equal(out.Label, "Latency");
        const points = (out.Datapoints ?? []).sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
        assert.deepEqual(
          points.map((p) => [p.Timestamp!.getTime() - t0, p.SampleCount, p.Sum, p.Minimum, p.Maximum, p.Average, p.Unit]),
          [
            [-3 * MINUTE, 1, 10, 10, 10, 10, "Milliseconds"],
            [-2 * MINUTE, 4, 470, 20, 400, 117.5, "Milliseconds"],
            [-MINUTE, 4, 40, 5, 15, 10, "Milliseconds"],
          ],
        );
      });

      it("GetMetricStatistics computes percentiles from stored values", async () => {
        const out = await cw.client.send(
          new GetMetricStatisticsCommand({
            Namespace: ns,
            MetricName: "Latency",
            Dimensions: host,
            StartTime: new Date(t0 - 4 * MINUTE),
            EndTime: new Date(t0 - MINUTE),
            Period: 180,
            ExtendedStatistics: ["p50", "p99"],
          }),
        );
        assert.equal(out.Datapoints?.length, 1);
        // Values 10, 20, 20, 30, 400: the median is 20, p99 the largest.
        assert.deepEqual(out.Datapoints![0].ExtendedStatistics, { p50: 20, p99: 400 });
      });

      it("GetMetricStatistics serves high-resolution data with 1-second periods", async () => {
        const out = await cw.client.send(
          new GetMetricStatisticsCommand({
            Namespace: ns,
            MetricName: "Fast",
            Dimensions: host,
            StartTime: new Date(t0 - MINUTE),
            EndTime: new Date(t0),
            Period: 10,
            Statistics: ["Maximum"],
          }),
        );
        assert.deepEqual(
          (out.Datapoints ?? []).map((p) => [p.Timestamp!.getTime() - t0, p.Maximum!]).sort((a, b) => a[0] - b[0]),
          [
            [-50_000, 1],
            [-40_000, 3],
          ],
        );
      });

      it("GetMetricData evaluates metric stats and math, and pages with NextToken", async () => {
        const queries = [
          { Id: "lat", MetricStat: { Metric: { Namespace: ns, MetricName: "Latency", Dimensions: host }, Period: 60, Stat: "Sum" } },
          { Id: "doubled", Expression: "lat * 2", Label: "Twice" },
        ];
        const full = await cw.client.send(
          new GetMetricDataCommand({ StartTime: new Date(t0 - 10 * MINUTE), EndTime: new Date(t0), MetricDataQueries: queries, ScanBy: "TimestampAscending" }),
        );
        assert.deepEqual(
          full.MetricDataResults?.map((r) => [r.Id, r.Label, r.StatusCode, r.Values]),
          [
            ["lat", "Latency", "Complete", [10, 470, 40]],
            ["doubled", "Twice", "Complete", [20, 940, 80]],
          ],
        );
        const first = await cw.client.send(
          new GetMetricDataCommand({ StartTime: new Date(t0 - 10 * MINUTE), EndTime: new Date(t0), MetricDataQueries: queries, MaxDatapoints: 4 }),
        );
        assert.deepEqual(
          first.MetricDataResults?.map((r) => [r.Id, r.StatusCode, r.Values]),
          [
            ["lat", "Complete", [40, 470, 10]],
            ["doubled", "PartialData", [80]],
          ],
        );
        assert.ok(first.NextToken);
        const second = await cw.client.send(
          new GetMetricDataCommand({
            StartTime: new Date(t0 - 10 * MINUTE),
            EndTime: new Date(t0),
            MetricDataQueries: queries,
            MaxDatapoints: 4,
            NextToken: first.NextToken,
          }),
        );
        assert.deepEqual(second.MetricDataResults?.find((r) => r.Id === "doubled")?.Values, [940, 20]);
        assert.equal(second.NextToken, undefined);
      });

      it("ListMetrics filters by namespace, name and dimension", async () => {
        const out = await cw.client.send(new ListMetricsCommand({ Namespace: ns, Dimensions: [{ Name: "Host" }] }));
        assert.deepEqual(
          out.Metrics?.map((m) => m.MetricName).sort(),
          ["Fast", "Latency"],
        );
        const shard = await cw.client.send(new ListMetricsCommand({ Namespace: ns, MetricName: "Batch", Dimensions: [{ Name: "Shard", Value: "3" }] }));
        assert.deepEqual(shard.Metrics, [{ Namespace: ns, MetricName: "Batch", Dimensions: [{ Name: "Shard", Value: "3" }] }]);
      });

      it("answers CloudWatch's error codes", async () => {
        await assert.rejects(
          cw.client.send(new PutMetricDataCommand({ Namespace: "AWS/EC2", MetricData: [{ MetricName: "x", Value: 1 }] })),
          (e: any) => e.name === "InvalidParameterValueException" && e.$metadata.httpStatusCode === 400 && /AWS\/EC2 for parameter Namespace/.test(e.message),
        );
        await assert.rejects(
          cw.client.send(new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: "x", Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] })),
          (e: any) => e.name === "InvalidParameterCombinationException" && /mutually exclusive/.test(e.message),
        );
        await assert.rejects(
          cw.client.send(
            new GetMetricStatisticsCommand({ Namespace: ns, MetricName: "Latency", StartTime: new Date(t0 - 2 * 86_400_000), EndTime: new Date(t0), Period: 60, Statistics: ["Sum"] }),
          ),
          (e: any) => e.name === "InvalidParameterCombinationException" && /exceeds the limit of 1440/.test(e.message),
        );
        await assert.rejects(
          cw.client.send(new GetMetricDataCommand({ StartTime: new Date(t0 - HOUR), EndTime: new Date(t0), MetricDataQueries: [{ Id: "e1", Expression: "FOO(1)" }] })),
          (e: any) => e.$metadata.httpStatusCode === 400 && /Error in expression e1/.test(e.message),
        );
      });

      it("PutDashboard, GetDashboard, ListDashboards and DeleteDashboards", async () => {
        const name = `dash-${protocol}`;
        const body = JSON.stringify({
          widgets: [{ type: "metric", properties: { metrics: [[ns, "Latency", "Host", "web-1"]], region: "us-east-1", period: 60 } }],
        });
        const put = await cw.client.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: body }));
        assert.deepEqual(put.DashboardValidationMessages ?? [], []);
        const got = await cw.client.send(new GetDashboardCommand({ DashboardName: name }));
        assert.equal(got.DashboardBody, body);
        assert.equal(got.DashboardArn, `arn:aws:cloudwatch::000000000000:dashboard/${name}`);
        const listed = await cw.client.send(new ListDashboardsCommand({ DashboardNamePrefix: name }));
        assert.deepEqual(listed.DashboardEntries?.map((d) => [d.DashboardName, d.Size]), [[name, Buffer.byteLength(body)]]);
        await cw.client.send(new DeleteDashboardsCommand({ DashboardNames: [name] }));
        await assert.rejects(
          cw.client.send(new GetDashboardCommand({ DashboardName: name })),
          (e: any) => e.$metadata.httpStatusCode === 404 && /ResourceNotFound|DashboardNotFoundError/.test(e.name),
        );
      });

      it("PutDashboard rejects an invalid body with DashboardValidationMessages", async () => {
        await assert.rejects(
          cw.client.send(new PutDashboardCommand({ DashboardName: "bad", DashboardBody: JSON.stringify({ widgets: [{ type: "graph", properties: {} }] }) })),
          (e: any) =>
            e.name === "DashboardInvalidInputError" &&
            e.$metadata.httpStatusCode === 400 &&
            JSON.stringify(e.dashboardValidationMessages) === JSON.stringify([{ DataPath: "/widgets/0/type", Message: "Should be equal to one of the allowed values" }]),
        );
      });

      it("alarms: put, evaluate, describe, state, history, actions switch, tags, delete", async () => {
        const name = `errors-${protocol}`;
        const now = stratus.clock.now().getTime();
        await cw.client.send(
          new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: "Errors", Dimensions: host, Value: 500, Timestamp: new Date(now - 1000) }] }),
        );
        await cw.client.send(
          new PutMetricAlarmCommand({
            AlarmName: name,
            Namespace: ns,
            MetricName: "Errors",
            Dimensions: host,
            Statistic: "Maximum",
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 100,
            ComparisonOperator: "GreaterThanThreshold",
            Tags: [{ Key: "team", Value: "ml" }],
          }),
        );
        const created = (await cw.client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
        assert.equal(created?.StateValue, "INSUFFICIENT_DATA");
        assert.equal(created?.AlarmArn, `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${name}`);

        // Evaluated on the clock at the next period boundary: 500 > 100.
        await stratus.clock.advance("2m");
        const evaluated = (await cw.client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "errors-", StateValue: "ALARM" }))).MetricAlarms;
        assert.deepEqual(evaluated?.map((a) => a.AlarmName), [name]);
        assert.match(evaluated![0].StateReason!, /^Threshold Crossed: 1 datapoint \[500\.0 \(\d\d\/\d\d\/\d\d \d\d:\d\d:00\)\] was greater than the threshold \(100\.0\)\.$/);
        assert.equal(JSON.parse(evaluated![0].StateReasonData!).recentDatapoints[0], 500);

        const forMetric = await cw.client.send(new DescribeAlarmsForMetricCommand({ Namespace: ns, MetricName: "Errors", Dimensions: host }));
        assert.deepEqual(forMetric.MetricAlarms?.map((a) => a.AlarmName), [name]);

        await cw.client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: "OK", StateReason: "testing", StateReasonData: '{"why":"test"}' }));
        const set = (await cw.client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
        assert.equal(set?.StateValue, "OK");
        assert.equal(set?.StateReasonData, '{"why":"test"}');
        await assert.rejects(
          cw.client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: "OK", StateReason: "x", StateReasonData: "{not json" })),
          (e: any) => e.name === "InvalidFormatFault" && e.$metadata.httpStatusCode === 400,
        );

        const history = await cw.client.send(new DescribeAlarmHistoryCommand({ AlarmName: name, ScanBy: "TimestampAscending" }));
        assert.deepEqual(
          history.AlarmHistoryItems?.map((h) => h.HistorySummary),
          [`Alarm "${name}" created`, "Alarm updated from INSUFFICIENT_DATA to ALARM", "Alarm updated from ALARM to OK"],
        );
        const stateOnly = await cw.client.send(new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: "StateUpdate", MaxRecords: 1 }));
        assert.equal(stateOnly.AlarmHistoryItems?.[0].HistorySummary, "Alarm updated from ALARM to OK");
        assert.ok(stateOnly.NextToken);

        await cw.client.send(new DisableAlarmActionsCommand({ AlarmNames: [name] }));
        assert.equal((await cw.client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0].ActionsEnabled, false);
        await cw.client.send(new EnableAlarmActionsCommand({ AlarmNames: [name] }));
        assert.equal((await cw.client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0].ActionsEnabled, true);

        const arn = created!.AlarmArn!;
        await cw.client.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "env", Value: "dev" }] }));
        await cw.client.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ["team"] }));
        assert.deepEqual((await cw.client.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, [{ Key: "env", Value: "dev" }]);

        await cw.client.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
        assert.deepEqual((await cw.client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms, []);
        // As on AWS, deleting an alarm that is gone succeeds, and lists no tags for it.
        await cw.client.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
        assert.deepEqual((await cw.client.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, []);
      });
    });
  }
});

describe("CloudWatch with strict SigV4", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus({ auth: "strict", credentials: [CREDENTIALS] });
  });
  after(() => stratus.stop());

  for (const protocol of PROTOCOLS) {
    it(`verifies a gzip-compressed PutMetricData over ${protocol} against the compressed bytes`, async () => {
      const cw = cloudwatchClient(stratus, protocol);
      const data: MetricDatum[] = Array.from({ length: 500 }, (_, i) => ({ MetricName: "Signed", Value: i }));
      await cw.client.send(new PutMetricDataCommand({ Namespace: `Strict/${protocol}`, MetricData: data }));
      assert.equal(cw.sent[cw.sent.length - 1].headers["content-encoding"], "gzip");
      const listed = await cw.client.send(new ListMetricsCommand({ Namespace: `Strict/${protocol}` }));
      assert.deepEqual(listed.Metrics?.map((m) => m.MetricName), ["Signed"]);
    });
  }
});
