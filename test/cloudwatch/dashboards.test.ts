/**
 * Dashboards: PutDashboard's body validation (InvalidParameterInput with a
 * DataPath and Message per problem, as AWS words them), all-or-nothing
 * DeleteDashboards, global scope, listing and tags.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchClient,
  DeleteDashboardsCommand,
  GetDashboardCommand,
  ListDashboardsCommand,
  ListTagsForResourceCommand,
  PutDashboardCommand,
  TagResourceCommand,
} from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

type Problem = [path: string, message: string];

describe("CloudWatch dashboards", () => {
  let stratus: RunningStratus;
  let cw: CloudWatchClient;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-05-05T10:00:00Z" });
    cw = new CloudWatchClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  const put = (body: unknown, name = "checked") =>
    cw.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: typeof body === "string" ? body : JSON.stringify(body) }));

  async function problems(body: unknown): Promise<Problem[]> {
    try {
      await put(body);
    } catch (error: any) {
      assert.equal(error.name, "DashboardInvalidInputError");
      assert.equal(error.$metadata.httpStatusCode, 400);
      const listed: Problem[] = (error.dashboardValidationMessages ?? []).map((m: any) => [m.DataPath, m.Message]);
      if (listed.length > 0) {
        assert.equal(
          error.message,
          `The dashboard body is invalid, there are ${listed.length} validation errors:\n` +
            JSON.stringify(listed.map(([dataPath, message]) => ({ dataPath, message })), null, 2),
        );
      }
      return listed;
    }
    assert.fail("PutDashboard accepted an invalid body");
  }

  const metric = (properties: Record<string, unknown>) => ({ widgets: [{ type: "metric", properties: { region: "us-east-1", ...properties } }] });

  it("accepts the exercise's dashboard and the other widget types", async () => {
    const body = {
      start: "-PT6H",
      periodOverride: "inherit",
      widgets: [
        {
          type: "metric",
          x: 0,
          y: 0,
          width: 12,
          height: 6,
          properties: {
            metrics: [
              ["AWS/EC2", "NetworkIn", { stat: "Sum" }],
              [".", "NetworkOut", { stat: "Sum" }],
              ["AWS/EC2", "CPUUtilization", "InstanceId", "i-012345", { stat: "p90", id: "cpu", visible: false }],
              [{ expression: "cpu * 2", label: "double", id: "e1" }],
            ],
            period: 300,
            region: "us-east-1",
            title: "EC2",
            view: "timeSeries",
          },
        },
        { type: "text", x: 0, y: 7, width: 3, height: 3, properties: { markdown: "Hello world" } },
        { type: "log", properties: { query: "SOURCE '/app' | fields @message", region: "us-east-1" } },
        { type: "alarm", properties: { alarms: ["arn:aws:cloudwatch:us-east-1:000000000000:alarm:x"] } },
        { type: "metric", properties: { annotations: { alarms: ["arn:aws:cloudwatch:us-east-1:000000000000:alarm:x"] }, region: "us-east-1" } },
      ],
    };
    const out = await put(body, "everything");
    assert.deepEqual(out.DashboardValidationMessages ?? [], []);
  });

  it("rejects what is not a JSON object with widgets", async () => {
    await assert.rejects(put("{not json"), (e: any) => e.name === "DashboardInvalidInputError" && e.message === "The field DashboardBody must be a valid JSON object");
    assert.deepEqual(await problems([]), [["", "Should be object"]]);
    assert.deepEqual(await problems({}), [["", "Should have required property 'widgets'"]]);
    assert.deepEqual(await problems({ widgets: {} }), [["/widgets", "Should be array"]]);
    assert.deepEqual(await problems({ widgets: [], periodOverride: "sometimes" }), [["/periodOverride", "Should be equal to one of the allowed values"]]);
  });

  it("checks each widget's type, placement and required properties", async () => {
    assert.deepEqual(await problems({ widgets: [{}] }), [
      ["/widgets/0", "Should have required property 'type'"],
      ["/widgets/0", "Should have required property 'properties'"],
    ]);
    assert.deepEqual(await problems({ widgets: [{ type: "graph", properties: {} }] }), [["/widgets/0/type", "Should be equal to one of the allowed values"]]);
    assert.deepEqual(await problems({ widgets: [{ type: "text", width: 25, x: -1, properties: {} }] }), [
      ["/widgets/0/x", "Should be >= 0"],
      ["/widgets/0/width", "Should be <= 24"],
      ["/widgets/0/properties", "Should have required property 'markdown'"],
    ]);
    assert.deepEqual(await problems({ widgets: [{ type: "metric", properties: {} }] }), [
      ["/widgets/0/properties", "Should have required property 'metrics'"],
      ["/widgets/0/properties", "The metric widget should have specified a region and a data source or an alarm annotation"],
      ["/widgets/0/properties", "Should have required property 'annotations'"],
    ]);
    assert.deepEqual(await problems({ widgets: [{ type: "metric", properties: { metrics: [["AWS/EC2", "CPUUtilization"]] } }] }), [
      ["/widgets/0/properties", "The metric widget should have specified a region and a data source or an alarm annotation"],
    ]);
    assert.deepEqual(await problems({ widgets: [{ type: "alarm", properties: { alarms: "x" } }] }), [["/widgets/0/properties/alarms", "Should be array"]]);
  });

  it("checks the metrics arrays", async () => {
    const shape = 'Field "metrics" has to be an array of array of strings, with an optional metricRenderer object as last element';
    assert.deepEqual(await problems(metric({ metrics: ["AWS/EC2", "CPUUtilization"] })), [
      ["/widgets/0/properties/metrics/0", "Should be array"],
      ["/widgets/0/properties/metrics/0", shape],
      ["/widgets/0/properties/metrics/1", "Should be array"],
      ["/widgets/0/properties/metrics/1", shape],
    ]);
    assert.deepEqual(await problems(metric({ metrics: [["AWS/EC2", { stat: "Sum" }, "CPUUtilization"]] })), [["/widgets/0/properties/metrics/0", shape]]);
    assert.deepEqual(await problems(metric({ metrics: [[".", "CPUUtilization"]] })), [
      ["/widgets/0/properties/metrics/0/0", 'Should not use "." when the previous metric has no value at this position'],
    ]);
    assert.deepEqual(await problems(metric({ metrics: [["AWS/EC2", "CPUUtilization", { stat: "Avg", yAxis: "top" }]] })), [
      ["/widgets/0/properties/metrics/0/2/stat", "Should be a valid statistic"],
      ["/widgets/0/properties/metrics/0/2/yAxis", "Should be equal to one of the allowed values"],
    ]);
  });

  it("rejects names with other characters than letters, digits, - and _", async () => {
    await assert.rejects(put({ widgets: [] }, "has space"), (e: any) => e.name === "InvalidParameterValueException" && /DashboardName contains invalid characters/.test(e.message));
  });

  it("lists, is global to the account, deletes all or nothing, and takes tags", async () => {
    await put({ widgets: [] }, "ops-b");
    await put({ widgets: [] }, "ops-a");
    const elsewhere = new CloudWatchClient(sdkConfig(stratus, "eu-west-1"));
    const listed = await elsewhere.send(new ListDashboardsCommand({ DashboardNamePrefix: "ops-" }));
    assert.deepEqual(listed.DashboardEntries?.map((d) => d.DashboardName), ["ops-a", "ops-b"]);
    assert.equal(listed.DashboardEntries?.[0].LastModified?.toISOString().slice(0, 13), "2025-05-05T10");
    assert.equal(listed.DashboardEntries?.[0].Size, 14);
    await assert.rejects(
      cw.send(new DeleteDashboardsCommand({ DashboardNames: ["ops-a", "nope"] })),
      (e: any) => e.$metadata.httpStatusCode === 404 && e.message === "The specified dashboard does not exist.",
    );
    await cw.send(new GetDashboardCommand({ DashboardName: "ops-a" }));
    const arn = "arn:aws:cloudwatch::000000000000:dashboard/ops-a";
    await cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "team", Value: "sre" }] }));
    assert.deepEqual((await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, [{ Key: "team", Value: "sre" }]);
    await cw.send(new DeleteDashboardsCommand({ DashboardNames: ["ops-a", "ops-b"] }));
    assert.deepEqual((await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: "ops-" }))).DashboardEntries, []);
    assert.deepEqual((await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, []);
  });
});
