/**
 * Metric semantics: PutMetricData's limits and errors, GetMetricStatistics'
 * period and unit rules, GetMetricData's metric math and labels, ListMetrics'
 * windows and pages. SDK v3 (json) unless a test says otherwise.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
  type MetricDataQuery,
  type MetricDatum,
} from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { DAY, floorTo, HOUR, MINUTE } from "./support.js";

const START = Date.parse("2025-06-02T08:00:00Z");

describe("CloudWatch metrics", () => {
  let stratus: RunningStratus;
  let cw: CloudWatchClient;
  let t0: number;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: START });
    cw = new CloudWatchClient(sdkConfig(stratus));
    t0 = floorTo(stratus.clock.now().getTime(), MINUTE);
  });
  after(() => stratus.stop());

  const put = (Namespace: string, MetricData: MetricDatum[]) => cw.send(new PutMetricDataCommand({ Namespace, MetricData }));
  const rejects = (promise: Promise<unknown>, name: string, message: RegExp) =>
    assert.rejects(promise, (e: any) => {
      assert.equal(e.name, name, e.message);
      assert.match(e.message, message);
      return true;
    });

  describe("PutMetricData", () => {
    it("accepts timestamps from two weeks back to two hours ahead, and no further", async () => {
      const now = stratus.clock.now().getTime();
      await put("Window", [
        { MetricName: "m", Value: 1, Timestamp: new Date(now - 14 * DAY + MINUTE) },
        { MetricName: "m", Value: 2, Timestamp: new Date(now + 2 * HOUR - MINUTE) },
      ]);
      await rejects(
        put("Window", [{ MetricName: "m", Value: 1, Timestamp: new Date(now - 15 * DAY) }]),
        "InvalidParameterValueException",
        /^The parameter MetricData\.member\.1\.Timestamp must specify a time within the past two weeks\.$/,
      );
      await rejects(
        put("Window", [
          { MetricName: "m", Value: 1 },
          { MetricName: "m", Value: 1, Timestamp: new Date(now + 3 * HOUR) },
        ]),
        "InvalidParameterValueException",
        /MetricData\.member\.2\.Timestamp must specify a time no more than two hours in the future/,
      );
    });

    it("enforces 1000 datums, 150 values, matching counts and one kind of value per datum", async () => {
      await rejects(
        put("Limits", Array.from({ length: 1001 }, () => ({ MetricName: "m", Value: 1 }))),
        "InvalidParameterValueException",
        /^The collection MetricData must not have a size greater than 1000\.$/,
      );
      await rejects(
        put("Limits", [{ MetricName: "m", Values: Array.from({ length: 151 }, (_, i) => i) }]),
        "InvalidParameterValueException",
        /collection MetricData\.member\.1\.Values must not have a size greater than 150/,
      );
      await rejects(
        put("Limits", [{ MetricName: "m", Values: [1, 2], Counts: [1] }]),
        "InvalidParameterValueException",
        /Values and MetricData\.member\.1\.Counts must be of the same size/,
      );
      await rejects(
        put("Limits", [{ MetricName: "m", Value: 1, Values: [1] }]),
        "InvalidParameterCombinationException",
        /^The parameters MetricData\.member\.1\.Value and MetricData\.member\.1\.Values are mutually exclusive and you have specified both\.$/,
      );
      await rejects(put("Limits", [{ MetricName: "m" }]), "MissingRequiredParameterException", /must be specified/);
      await rejects(put("Limits", [{ MetricName: "m", Value: NaN }]), "InvalidParameterValueException", /The value NaN for parameter MetricData\.member\.1\.Value is invalid/);
      await rejects(put("Limits", [{ MetricName: "m", Value: 2 ** 400 }]), "InvalidParameterValueException", /MetricData\.member\.1\.Value is invalid/);
      await rejects(put("Limits", [{ MetricName: "m", Value: 1, StorageResolution: 5 }]), "InvalidParameterValueException", /StorageResolution is invalid/);
      await rejects(
        put("Limits", [{ MetricName: "m", Value: 1, Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: "v" })) }]),
        "ValidationException",
        /Member must have length less than or equal to 30/,
      );
      await rejects(
        put("Limits", [{ MetricName: "m", Value: 1, Dimensions: [{ Name: "a", Value: "1" }, { Name: "a", Value: "2" }] }]),
        "InvalidParameterValueException",
        /Dimensions is invalid/,
      );
      const listed = await cw.send(new ListMetricsCommand({ Namespace: "Limits" }));
      assert.deepEqual(listed.Metrics, [], "nothing of a rejected request is stored");
    });

    it("refuses a request over 1 MB with 413", async () => {
      const big = "x".repeat(1024);
      const data = Array.from({ length: 1000 }, (_, i) => ({ MetricName: `m${i}`, Value: 1, Dimensions: [{ Name: "pad", Value: big }] }));
      const client = new CloudWatchClient({ ...sdkConfig(stratus), disableRequestCompression: true });
      await assert.rejects(client.send(new PutMetricDataCommand({ Namespace: "Big", MetricData: data })), (e: any) => e.$metadata.httpStatusCode === 413);
    });
  });

  describe("GetMetricStatistics", () => {
    before(async () => {
      await put("Stats", [
        { MetricName: "Size", Value: 100, Unit: "Bytes", Timestamp: new Date(t0 - 5 * MINUTE) },
        { MetricName: "Size", Value: 3, Unit: "Kilobytes", Timestamp: new Date(t0 - 5 * MINUTE) },
        { MetricName: "Size", Value: 300, Unit: "Bytes", Timestamp: new Date(t0 - 4 * MINUTE) },
        { MetricName: "Sets", StatisticValues: { SampleCount: 10, Sum: 50, Minimum: 1, Maximum: 9 }, Timestamp: new Date(t0 - 5 * MINUTE) },
        { MetricName: "Sets", StatisticValues: { SampleCount: 4, Sum: 28, Minimum: 7, Maximum: 7 }, Timestamp: new Date(t0 - 4 * MINUTE) },
      ]);
    });
    const stats = (input: Partial<ConstructorParameters<typeof GetMetricStatisticsCommand>[0]>) =>
      cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "Stats",
          MetricName: "Size",
          StartTime: new Date(t0 - 10 * MINUTE),
          EndTime: new Date(t0),
          Period: 600,
          ...input,
        } as ConstructorParameters<typeof GetMetricStatisticsCommand>[0]),
      );

    it("answers a datapoint per unit, or only the unit asked for", async () => {
      const all = await stats({ Statistics: ["Sum", "SampleCount"] });
      assert.deepEqual(
        all.Datapoints?.map((p) => [p.Unit, p.Sum, p.SampleCount]).sort(),
        [
          ["Bytes", 400, 2],
          ["Kilobytes", 3, 1],
        ],
      );
      const bytes = await stats({ Statistics: ["Average"], Unit: "Bytes" });
      assert.deepEqual(bytes.Datapoints?.map((p) => [p.Unit, p.Average]), [["Bytes", 200]]);
      const none = await stats({ Statistics: ["Average"], Unit: "Seconds" });
      assert.deepEqual(none.Datapoints, []);
    });

    it("gives percentiles only where raw values are known", async () => {
      const out = await stats({ MetricName: "Sets", Period: 60, ExtendedStatistics: ["p50"] });
      // The first set (1..9) has no recoverable values; the second is 4 × 7.
      assert.deepEqual(out.Datapoints?.map((p) => [p.Timestamp!.getTime() - t0, p.ExtendedStatistics]), [[-4 * MINUTE, { p50: 7 }]]);
    });

    it("validates period, time range and statistics", async () => {
      await rejects(stats({ Period: 45, Statistics: ["Sum"] }), "InvalidParameterValueException", /Period must be 1, 5, 10, 20, 30, or a multiple of 60/);
      await rejects(stats({ Statistics: ["Sum"], EndTime: new Date(t0 - 10 * MINUTE) }), "InvalidParameterValueException", /StartTime must not equal parameter EndTime/);
      await rejects(stats({ Statistics: ["Sum"], ExtendedStatistics: ["p90"] }), "InvalidParameterCombinationException", /mutually exclusive/);
      await rejects(stats({}), "MissingRequiredParameterException", /Statistics or ExtendedStatistics/);
      await rejects(stats({ ExtendedStatistics: ["p101"] }), "InvalidParameterValueException", /p101/);
      await rejects(
        stats({ Statistics: ["Sum"], StartTime: new Date(t0 - 1441 * MINUTE), Period: 60 }),
        "InvalidParameterCombinationException",
        /^You have requested up to 1441 datapoints, which exceeds the limit of 1440\./,
      );
    });

    it("supports trimmed, winsorized and rank statistics", async () => {
      await put("Dist", [{ MetricName: "v", Values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 100], Timestamp: new Date(t0 - MINUTE) }]);
      const out = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "Dist",
          MetricName: "v",
          StartTime: new Date(t0 - MINUTE),
          EndTime: new Date(t0),
          Period: 60,
          ExtendedStatistics: ["p90", "tm90", "TM(10%:90%)", "tc90", "ts90", "wm90", "PR(:5)", "IQM"],
        }),
      );
      assert.deepEqual(out.Datapoints?.[0].ExtendedStatistics, {
        p90: 9,
        tm90: 5,
        "TM(10%:90%)": 5.5,
        tc90: 9,
        ts90: 45,
        wm90: 5.4,
        "PR(:5)": 50,
        IQM: 6,
      });
    });
  });

  describe("GetMetricData", () => {
    const ns = "Math";
    before(async () => {
      // a: 1, 2, -, 4 ; b: 10, -, 30, 40 (one value per minute)
      const at = (k: number) => new Date(t0 - (4 - k) * MINUTE);
      await put(ns, [
        { MetricName: "a", Value: 1, Timestamp: at(0) },
        { MetricName: "a", Value: 2, Timestamp: at(1) },
        { MetricName: "a", Value: 4, Timestamp: at(3) },
        { MetricName: "b", Value: 10, Timestamp: at(0) },
        { MetricName: "b", Value: 30, Timestamp: at(2) },
        { MetricName: "b", Value: 40, Timestamp: at(3) },
      ]);
    });
    const stat = (id: string, name: string, extra: Partial<MetricDataQuery> = {}): MetricDataQuery => ({
      Id: id,
      MetricStat: { Metric: { Namespace: ns, MetricName: name }, Period: 60, Stat: "Sum" },
      ReturnData: false,
      ...extra,
    });
    async function evaluate(...expressions: Array<string | MetricDataQuery>): Promise<Record<string, Array<number | string>>> {
      const queries: MetricDataQuery[] = [stat("a", "a"), stat("b", "b")];
      expressions.forEach((e, i) => queries.push(typeof e === "string" ? { Id: `e${i + 1}`, Expression: e } : e));
      const out = await cw.send(
        new GetMetricDataCommand({ StartTime: new Date(t0 - 4 * MINUTE), EndTime: new Date(t0), MetricDataQueries: queries, ScanBy: "TimestampAscending" }),
      );
      const result: Record<string, Array<number | string>> = {};
      for (const r of out.MetricDataResults ?? []) {
        const key = result[r.Id!] ? `${r.Id}:${r.Label}` : r.Id!;
        result[key] = r.Timestamps!.map((t, i) => (t.getTime() - (t0 - 4 * MINUTE)) / MINUTE + ":" + r.Values![i]);
      }
      return result;
    }

    it("arithmetic treats a missing value as 0 and drops divisions by zero", async () => {
      assert.deepEqual(await evaluate("a + b", "b / a", "-a ^ 2"), {
        e1: ["0:11", "1:2", "2:30", "3:44"],
        e2: ["0:10", "1:0", "3:10"],
        e3: ["0:-1", "1:-4", "3:-16"],
      });
    });

    it("SUM, AVG, MIN, MAX over arrays and scalars of one series", async () => {
      assert.deepEqual(await evaluate("SUM([a, b])", "AVG(METRICS())", "MAX(METRICS())", "a - MIN(a)", "MIN([a, b])"), {
        e1: ["0:11", "1:2", "2:30", "3:44"],
        e2: ["0:5.5", "1:1", "2:15", "3:22"],
        e3: ["0:10", "1:2", "2:30", "3:40"],
        e4: ["0:0", "1:1", "3:3"],
        e5: ["0:1", "1:2", "2:30", "3:4"],
      });
    });

    it("RATE, DIFF, RUNNING_SUM and FILL", async () => {
      assert.deepEqual(await evaluate("RATE(a)", "DIFF(b)", "RUNNING_SUM(a)", "FILL(a, 0)", "FILL(a, REPEAT)", "FILL(a, LINEAR)"), {
        e1: ["1:0.016666666666666666", "3:0.016666666666666666"],
        e2: ["2:20", "3:10"],
        e3: ["0:1", "1:3", "3:7"],
        e4: ["0:1", "1:2", "2:0", "3:4"],
        e5: ["0:1", "1:2", "2:2", "3:4"],
        e6: ["0:1", "1:2", "2:3", "3:4"],
      });
    });

    it("IF and comparison operators", async () => {
      assert.deepEqual(await evaluate("IF(b > 20, b, 0)", "IF(a > 1, 1)", "a < b AND b >= 30", "IF(a, b)"), {
        e1: ["0:0", "2:30", "3:40"],
        e2: ["1:1", "3:1"],
        e3: ["0:0", "1:0", "2:1", "3:1"],
        e4: ["0:10", "1:0", "3:40"],
      });
    });

    it("METRICS() with a filter, array results and labels", async () => {
      const out = await cw.send(
        new GetMetricDataCommand({
          StartTime: new Date(t0 - 4 * MINUTE),
          EndTime: new Date(t0),
          MetricDataQueries: [
            stat("errors_a", "a", { Label: "A errors" }),
            stat("errors_b", "b", { Label: "B ${PROP('MetricName')} max ${MAX}" }),
            stat("other", "a"),
            { Id: "scaled", Expression: 'METRICS("errors") * 10', Label: "x10" },
            { Id: "count", Expression: 'METRIC_COUNT(METRICS("errors")) + 0 * other' },
          ],
        }),
      );
      assert.deepEqual(
        out.MetricDataResults?.map((r) => [r.Id, r.Label, r.Values?.length]),
        [
          ["scaled", "x10 A errors", 3],
          ["scaled", "x10 B b max 400", 3],
          ["count", "count", 3],
        ],
      );
    });

    it("SEARCH finds metrics by schema, properties and words", async () => {
      const id = (value: string) => [{ Name: "InstanceId", Value: value }];
      await put("Fleet", [
        { MetricName: "CPU", Dimensions: id("i-1"), Value: 10, Timestamp: new Date(t0 - MINUTE) },
        { MetricName: "CPU", Dimensions: id("i-2"), Value: 30, Timestamp: new Date(t0 - MINUTE) },
        { MetricName: "CPU", Dimensions: [...id("i-3"), { Name: "Group", Value: "web" }], Value: 50, Timestamp: new Date(t0 - MINUTE) },
        { MetricName: "NetworkIn", Dimensions: id("i-1"), Value: 7, Timestamp: new Date(t0 - MINUTE) },
      ]);
      const search = async (expression: string) => {
        const out = await cw.send(
          new GetMetricDataCommand({ StartTime: new Date(t0 - 5 * MINUTE), EndTime: new Date(t0), MetricDataQueries: [{ Id: "s", Expression: expression }] }),
        );
        return (out.MetricDataResults ?? []).map((r) => `${r.Label}=${r.Values?.join(",")}`).sort();
      };
      assert.deepEqual(await search(`SEARCH('{Fleet,InstanceId} MetricName="CPU"', 'Average', 60)`), ["i-1 CPU=10", "i-2 CPU=30"]);
      assert.deepEqual(await search(`SUM(SEARCH('{Fleet,InstanceId} CPU', 'Sum', 60))`), ["s=40"]);
      assert.deepEqual(await search(`SEARCH('Fleet CPU NOT i-1', 'Maximum', 60)`), ["i-2 CPU=30", "web i-3 CPU=50"]);
      assert.deepEqual(await search(`SEARCH('Fleet (NetworkIn OR Group="web")', 'Sum', 60)`), ["i-1 NetworkIn=7", "web i-3 CPU=50"]);
    });

    it("rejects bad queries with AWS's errors", async () => {
      const send = (queries: MetricDataQuery[]) =>
        cw.send(new GetMetricDataCommand({ StartTime: new Date(t0 - HOUR), EndTime: new Date(t0), MetricDataQueries: queries }));
      await rejects(send([{ Id: "E1", Expression: "1" }]), "ValidationException", /^The value E1 for parameter MetricDataQueries.member.1.Id is not matching the expected pattern \^\[a-z\]\[a-zA-Z0-9_\]\*\$\.\n$/);
      await rejects(send([{ Id: "e1", Expression: "m9 * 2" }]), "ValidationException", /Unrecognized identifier m9/);
      await rejects(send([{ Id: "e1", Expression: "e2" }, { Id: "e2", Expression: "e1" }]), "ValidationException", /Circular/);
      await rejects(send([{ Id: "e1", Expression: "(1 +" }]), "ValidationException", /Error in expression e1/);
      await rejects(send([stat("a", "a")]), "ValidationException", /ReturnData/);
      await rejects(
        send([{ Id: "a", MetricStat: { Metric: { Namespace: ns, MetricName: "a" }, Period: 60, Stat: "p-5" } }]),
        "ValidationException",
        /Stat is invalid/,
      );
      await assert.rejects(
        cw.send(new GetMetricDataCommand({ StartTime: new Date(t0 - HOUR), EndTime: new Date(t0), MetricDataQueries: [{ Id: "e1", Expression: "TIME_SERIES(1)" }], NextToken: "bogus" })),
        (e: any) => e.name === "InvalidNextToken",
      );
    });
  });

  describe("ListMetrics", () => {
    it("pages 500 at a time", async () => {
      const data = Array.from({ length: 501 }, (_, i) => ({ MetricName: `m${String(i).padStart(3, "0")}`, Value: 1 }));
      await put("Pages", data.slice(0, 1000));
      const first = await cw.send(new ListMetricsCommand({ Namespace: "Pages" }));
      assert.equal(first.Metrics?.length, 500);
      assert.ok(first.NextToken);
      const second = await cw.send(new ListMetricsCommand({ Namespace: "Pages", NextToken: first.NextToken }));
      assert.deepEqual(second.Metrics?.map((m) => m.MetricName), ["m500"]);
      assert.equal(second.NextToken, undefined);
    });

    it("lists metrics with data in the last two weeks; RecentlyActive PT3H those that got data in three hours", async () => {
      await put("Recent", [{ MetricName: "old", Value: 1 }]);
      await stratus.clock.advance("4h");
      await put("Recent", [{ MetricName: "new", Value: 1 }]);
      const recent = await cw.send(new ListMetricsCommand({ Namespace: "Recent", RecentlyActive: "PT3H" }));
      assert.deepEqual(recent.Metrics?.map((m) => m.MetricName), ["new"]);
      const all = await cw.send(new ListMetricsCommand({ Namespace: "Recent" }));
      assert.deepEqual(all.Metrics?.map((m) => m.MetricName), ["new", "old"]);
      await stratus.clock.advance("13d23h59m");
      const later = await cw.send(new ListMetricsCommand({ Namespace: "Recent" }));
      assert.deepEqual(later.Metrics?.map((m) => m.MetricName), ["new"]);
      await stratus.clock.advance("5h");
      assert.deepEqual((await cw.send(new ListMetricsCommand({ Namespace: "Recent" }))).Metrics, []);
    });
  });
});
