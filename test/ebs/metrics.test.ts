import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AttachVolumeCommand, CreateVolumeCommand, DescribeImagesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import type { BuiltInDatum } from "../../src/services/cloudwatch/publish.js";
import type { Scope } from "../../src/state/documents.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { MiB, blockStore, pattern } from "./helpers.js";

describe("AWS/EBS metrics from real I/O", () => {
  let stratus: RunningStratus;
  const published: BuiltInDatum[] = [];
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-03-01T00:00:30Z" });
    // Record what EBS publishes to CloudWatch (and pass it on to the metric store).
    const sink = stratus.cloud.provider("cloudwatch") as unknown as { publish(scope: Scope, data: BuiltInDatum[]): void };
    const publish = sink.publish.bind(sink);
    sink.publish = (scope, data) => {
      published.push(...data.filter((d) => d.namespace === "AWS/EBS"));
      publish(scope, data);
    };
  });
  after(() => stratus.stop());

  it("publishes what was read and written in each five-minute period, only while attached", async () => {
    const ec2 = new EC2Client(sdkConfig(stratus));
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "architecture", Values: ["x86_64"] }] }));
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: "us-east-1a" } }),
    );
    const loose = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, VolumeType: "gp3" }));
    const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, VolumeType: "gp3" }));
    await stratus.clock.advance("10s");
    await ec2.send(new AttachVolumeCommand({ VolumeId: volume.VolumeId!, InstanceId: Instances![0].InstanceId!, Device: "/dev/sdf" }));
    const store = blockStore(stratus);
    // Four writes (10 MiB) and three reads (3 MiB) in the first period.
    for (let i = 0; i < 4; i++) await store.write(volume.VolumeId!, i * 4 * MiB, pattern(`w${i}`, (i === 0 ? 4 : 2) * MiB));
    for (let i = 0; i < 3; i++) await store.read(volume.VolumeId!, i * MiB, MiB);
    await store.write(loose.VolumeId!, 0, pattern("loose", MiB));
    await stratus.clock.set("2025-03-01T00:05:30Z");
    // Nothing happens in the second period.
    await stratus.clock.set("2025-03-01T00:10:30Z");

    const of = (volumeId: string, metric: string) =>
      published.filter((d) => d.metricName === metric && d.dimensions[0].Value === volumeId).map((d) => [d.timestamp.toISOString(), d.value]);
    assert.deepEqual(of(volume.VolumeId!, "VolumeWriteBytes"), [["2025-03-01T00:00:00.000Z", 10 * MiB], ["2025-03-01T00:05:00.000Z", 0]]);
    assert.deepEqual(of(volume.VolumeId!, "VolumeWriteOps"), [["2025-03-01T00:00:00.000Z", 4], ["2025-03-01T00:05:00.000Z", 0]]);
    assert.deepEqual(of(volume.VolumeId!, "VolumeReadBytes"), [["2025-03-01T00:00:00.000Z", 3 * MiB], ["2025-03-01T00:05:00.000Z", 0]]);
    assert.deepEqual(of(volume.VolumeId!, "VolumeReadOps"), [["2025-03-01T00:00:00.000Z", 3], ["2025-03-01T00:05:00.000Z", 0]]);
    const idle = of(volume.VolumeId!, "VolumeIdleTime");
    assert.ok((idle[0][1] as number) < 300 && (idle[0][1] as number) > 299, `busy for a fraction of a second: ${idle[0][1]}`);
    assert.equal(idle[1][1], 300, "an idle period is idle throughout");
    assert.ok((of(volume.VolumeId!, "VolumeQueueLength")[0][1] as number) > 0);
    assert.deepEqual(of(loose.VolumeId!, "VolumeWriteBytes"), [], "unattached volumes report nothing");
    assert.ok(published.every((d) => d.dimensions.length === 1 && d.dimensions[0].Name === "VolumeId"));

    // With CloudWatch's metric store in place, the same numbers come back through the API.
    const cloudwatch = stratus.cloud.provider("cloudwatch") as unknown as Record<string, unknown>;
    if (typeof cloudwatch.GetMetricStatistics === "function") {
      const stats = await new CloudWatchClient(sdkConfig(stratus)).send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/EBS",
          MetricName: "VolumeWriteBytes",
          Dimensions: [{ Name: "VolumeId", Value: volume.VolumeId! }],
          StartTime: new Date("2025-03-01T00:00:00Z"),
          EndTime: new Date("2025-03-01T00:10:00Z"),
          Period: 600,
          Statistics: ["Sum"],
        }),
      );
      assert.equal(stats.Datapoints![0].Sum, 10 * MiB);
    }
  });
});
