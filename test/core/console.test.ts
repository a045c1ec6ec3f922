/**
 * The web console: its page, and the inventory and metric endpoints behind
 * it, showing what the AWS APIs (SDK v3 here) created and measured.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloudWatchClient, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

describe("web console", () => {
  let stratus: RunningStratus;
  let instanceId: string;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    const ec2 = new EC2Client(sdkConfig(stratus, "eu-west-1"));
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "architecture", Values: ["x86_64"] }] }));
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "inference" }] }] }),
    );
    instanceId = run.Instances![0].InstanceId!;
    await new S3Client({ ...sdkConfig(stratus, "eu-west-1"), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: "console-models", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    await new CloudWatchClient(sdkConfig(stratus, "eu-west-1")).send(
      new PutMetricAlarmCommand({
        AlarmName: "cpu-high",
        Namespace: "AWS/EC2",
        MetricName: "CPUUtilization",
        Dimensions: [{ Name: "InstanceId", Value: instanceId }],
        Statistic: "Average",
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 99,
        ComparisonOperator: "GreaterThanThreshold",
      }),
    );
    await stratus.clock.advance("1h");
  });
  after(() => stratus.stop());

  it("serves its page", async () => {
    const response = await fetch(`${stratus.endpoint}/_stratus/console`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /text\/html/);
    assert.match(await response.text(), /<title>Stratus console<\/title>/);
  });

  it("lists the account's resources in a region, as the APIs describe them", async () => {
    const inventory = await (await fetch(`${stratus.endpoint}/_stratus/console/inventory?region=eu-west-1`)).json();
    assert.deepEqual(inventory.regions, ["eu-west-1"]);
    assert.deepEqual(
      inventory.instances.map((i: any) => [i.id, i.name, i.type, i.state]),
      [[instanceId, "inference", "t3.micro", "running"]],
    );
    assert.ok(inventory.volumes.some((v: any) => v.attachedTo === instanceId), "the root volume");
    assert.deepEqual(inventory.buckets.map((b: any) => [b.name, b.region]), [["console-models", "eu-west-1"]]);
    assert.equal(inventory.alarms[0].name, "cpu-high");
    assert.equal(inventory.alarms[0].state, "OK");
    const compute = inventory.costs.find((c: any) => c.service === "Amazon Elastic Compute Cloud - Compute");
    assert.ok(compute && Number(compute.usd) > 0, `the month's metered costs: ${JSON.stringify(inventory.costs)}`);
    const other = await (await fetch(`${stratus.endpoint}/_stratus/console/inventory?region=us-east-1`)).json();
    assert.deepEqual(other.instances, []);
  });

  it("charts an instance's CPU from the metrics Stratus published", async () => {
    const url = `${stratus.endpoint}/_stratus/console/metrics?region=eu-west-1&namespace=AWS/EC2&metric=CPUUtilization&dimension=InstanceId=${instanceId}&hours=3&period=300`;
    const series = await (await fetch(url)).json();
    assert.ok(series.length >= 10, JSON.stringify(series));
    for (const point of series) assert.ok(point.v > 0 && point.v <= 100, JSON.stringify(point));
    assert.deepEqual([...series].sort((a: any, b: any) => (a.t < b.t ? -1 : 1)), series);
  });
});
