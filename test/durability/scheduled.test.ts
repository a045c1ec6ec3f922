/**
 * Scheduled work resumes across restarts, neither lost nor run twice: a
 * `stratus start --clock virtual` child gets a lifecycle rule, replication,
 * a DLM policy, a pending snapshot, pending instances, an alarm and an open
 * spot request; it is SIGKILLed, restarted, moved forward, stopped
 * gracefully, restarted and moved forward again; every piece of work happened
 * once, at its time.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeSpotInstanceRequestsCommand,
  EC2Client,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateLifecyclePolicyCommand, DLMClient } from "@aws-sdk/client-dlm";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, PutMetricAlarmCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { ChildStratus } from "./child.js";

const START = "2026-03-01T00:00:00Z";
const trust = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

describe("scheduled work across kill -9 and graceful restarts", () => {
  const stratus = new ChildStratus(["--clock", "virtual"]);
  after(() => stratus.dispose());

  it("lifecycle, replication, DLM, snapshots, instances, alarms and spot each run once, at their time", async () => {
    await stratus.start(["--clock-start", START]);
    const s3 = () => new S3Client(stratus.config());
    const west = () => new S3Client(stratus.config("us-west-2"));
    const ec2 = () => new EC2Client(stratus.config());
    const cw = () => new CloudWatchClient(stratus.config());
    const iam = new IAMClient(stratus.config());
    await iam.send(new CreateRoleCommand({ RoleName: "dlm-role", AssumeRolePolicyDocument: trust("dlm.amazonaws.com") }));
    await iam.send(new CreateRoleCommand({ RoleName: "replicator", AssumeRolePolicyDocument: trust("s3.amazonaws.com") }));
    const replication = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: "*" }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: "replicator", PolicyName: "replication", PolicyDocument: replication }));

    // Lifecycle on a versioned bucket: expiring the current version adds exactly one delete marker.
    await s3().send(new CreateBucketCommand({ Bucket: "lc-bucket" }));
    await s3().send(new PutBucketVersioningCommand({ Bucket: "lc-bucket", VersioningConfiguration: { Status: "Enabled" } }));
    await s3().send(new PutBucketLifecycleConfigurationCommand({ Bucket: "lc-bucket", LifecycleConfiguration: { Rules: [{ ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 2 } }] } }));
    await s3().send(new PutObjectCommand({ Bucket: "lc-bucket", Key: "logs/a", Body: "a" }));
    await s3().send(new PutObjectCommand({ Bucket: "lc-bucket", Key: "keep/b", Body: "b" }));

    // Replication to another region.
    await s3().send(new CreateBucketCommand({ Bucket: "src-bucket" }));
    await s3().send(new PutBucketVersioningCommand({ Bucket: "src-bucket", VersioningConfiguration: { Status: "Enabled" } }));
    await west().send(new CreateBucketCommand({ Bucket: "dst-bucket", CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }));
    await west().send(new PutBucketVersioningCommand({ Bucket: "dst-bucket", VersioningConfiguration: { Status: "Enabled" } }));
    await s3().send(
      new PutBucketReplicationCommand({
        Bucket: "src-bucket",
        ReplicationConfiguration: { Role: "arn:aws:iam::000000000000:role/replicator", Rules: [{ ID: "all", Status: "Enabled", Priority: 1, Filter: { Prefix: "" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { Bucket: "arn:aws:s3:::dst-bucket" } }] },
      }),
    );
    const replicated = (await s3().send(new PutObjectCommand({ Bucket: "src-bucket", Key: "models/m", Body: "weights" }))).VersionId;

    // A DLM policy over a tagged volume, daily at 01:00, keeping more than the test makes.
    const volume = await ec2().send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Backup", Value: "nightly" }] }] }));
    await new DLMClient(stratus.config()).send(
      new CreateLifecyclePolicyCommand({
        ExecutionRoleArn: "arn:aws:iam::000000000000:role/dlm-role",
        Description: "nightly",
        State: "ENABLED",
        PolicyDetails: { ResourceTypes: ["VOLUME"], TargetTags: [{ Key: "Backup", Value: "nightly" }], Schedules: [{ Name: "nightly", CreateRule: { Interval: 24, IntervalUnit: "HOURS", Times: ["01:00"] }, RetainRule: { Count: 10 } }] },
      }),
    );
    await stratus.advance("10s");
    const manual = (await ec2().send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId }))).SnapshotId!;

    // Instances still pending, an alarm whose metric is above its threshold, an open spot request that expires.
    const { Images } = await ec2().send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const run = await ec2().send(new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }));
    const instanceId = run.Instances![0].InstanceId!;
    await cw().send(
      new PutMetricAlarmCommand({ AlarmName: "hot", Namespace: "Dura", MetricName: "temp", Statistic: "Maximum", Period: 60, EvaluationPeriods: 1, Threshold: 50, ComparisonOperator: "GreaterThanThreshold" }),
    );
    await cw().send(new PutMetricDataCommand({ Namespace: "Dura", MetricData: [{ MetricName: "temp", Value: 90, Timestamp: new Date(await stratus.now()) }] }));
    const validUntil = new Date((await stratus.now()) + 3 * 3_600_000);
    const spot = await ec2().send(new RequestSpotInstancesCommand({ SpotPrice: "0.0001", ValidUntil: validUntil, LaunchSpecification: { ImageId: Images![0].ImageId, InstanceType: "r5.large" } }));
    const spotId = spot.SpotInstanceRequests![0].SpotInstanceRequestId!;

    // Crash, then a day and two hours.
    await stratus.restart("kill");
    await stratus.advance("1d2h");
    const dlmSnapshots = async () =>
      (await ec2().send(new DescribeSnapshotsCommand({ Filters: [{ Name: "volume-id", Values: [volume.VolumeId!] }, { Name: "tag-key", Values: ["aws:dlm:lifecycle-policy-id"] }] }))).Snapshots!
        .map((s) => s.StartTime!.toISOString())
        .sort();
    assert.deepEqual(await dlmSnapshots(), ["2026-03-01T01:00:00.000Z", "2026-03-02T01:00:00.000Z"]);
    const { Snapshots } = await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [manual] }));
    assert.equal(Snapshots![0].State, "completed");
    const instance = (await ec2().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0];
    assert.equal(instance.State!.Name, "running");
    const copies = await west().send(new ListObjectVersionsCommand({ Bucket: "dst-bucket" }));
    assert.deepEqual(copies.Versions!.map((v) => [v.Key, v.VersionId]), [["models/m", replicated]]);
    assert.equal((await s3().send(new HeadObjectCommand({ Bucket: "src-bucket", Key: "models/m" }))).ReplicationStatus, "COMPLETED");
    const alarmHistory = async () =>
      (await cw().send(new DescribeAlarmHistoryCommand({ AlarmName: "hot", HistoryItemType: "StateUpdate", ScanBy: "TimestampAscending" }))).AlarmHistoryItems!.map((h) => h.HistorySummary);
    const transitions = ["Alarm updated from INSUFFICIENT_DATA to ALARM", "Alarm updated from ALARM to INSUFFICIENT_DATA"];
    assert.deepEqual(await alarmHistory(), transitions);
    assert.equal((await cw().send(new DescribeAlarmsCommand({ AlarmNames: ["hot"] }))).MetricAlarms![0].StateValue, "INSUFFICIENT_DATA");
    const spotRequest = (await ec2().send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [spotId] }))).SpotInstanceRequests![0];
    assert.deepEqual([spotRequest.State, spotRequest.Status!.Code], ["closed", "schedule-expired"]);
    await s3().send(new HeadObjectCommand({ Bucket: "lc-bucket", Key: "logs/a" }));

    // A graceful restart, then two more days.
    await stratus.restart("stop");
    await stratus.advance("2d");
    assert.deepEqual(await dlmSnapshots(), ["2026-03-01T01:00:00.000Z", "2026-03-02T01:00:00.000Z", "2026-03-03T01:00:00.000Z", "2026-03-04T01:00:00.000Z"]);
    const lc = await s3().send(new ListObjectVersionsCommand({ Bucket: "lc-bucket" }));
    assert.deepEqual(lc.DeleteMarkers!.map((m) => m.Key), ["logs/a"], "expired once: one delete marker");
    assert.deepEqual(lc.Versions!.map((v) => v.Key).sort(), ["keep/b", "logs/a"]);
    assert.deepEqual((await west().send(new ListObjectVersionsCommand({ Bucket: "dst-bucket" }))).Versions!.length, 1, "replicated once");
    assert.deepEqual(await alarmHistory(), transitions, "each transition once");
  });

  it("a kill in the middle of a 60-day jump loses no DLM run and repeats none once the clock is moved on", async () => {
    const again = new ChildStratus(["--clock", "virtual"]);
    try {
      await again.start(["--clock-start", "2026-06-01T00:00:00Z"]);
      const ec2 = () => new EC2Client(again.config());
      await new IAMClient(again.config()).send(new CreateRoleCommand({ RoleName: "dlm-role", AssumeRolePolicyDocument: trust("dlm.amazonaws.com") }));
      const volume = await ec2().send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Backup", Value: "daily" }] }] }));
      await new DLMClient(again.config()).send(
        new CreateLifecyclePolicyCommand({
          ExecutionRoleArn: "arn:aws:iam::000000000000:role/dlm-role",
          Description: "daily",
          State: "ENABLED",
          PolicyDetails: { ResourceTypes: ["VOLUME"], TargetTags: [{ Key: "Backup", Value: "daily" }], Schedules: [{ Name: "daily", CreateRule: { Interval: 24, IntervalUnit: "HOURS", Times: ["03:00"] }, RetainRule: { Count: 100 } }] },
        }),
      );
      const snapshots = async () =>
        (await ec2().send(new DescribeSnapshotsCommand({ Filters: [{ Name: "volume-id", Values: [volume.VolumeId!] }] }))).Snapshots!.map((s) => s.StartTime!.toISOString()).sort();
      // The jump runs in the server; the client does not wait for it.
      void fetch(`${again.endpoint}/_stratus/clock`, { method: "POST", body: JSON.stringify({ set: "2026-07-31T00:00:00Z" }) }).catch(() => undefined);
      // Killed once the jump is under way (on a loaded machine it may already have finished:
      // the checks below hold either way; scheduler-crash.test pins the mid-jump case down).
      while ((await snapshots()).length < 3) await new Promise((r) => setTimeout(r, 10));
      await again.restart("kill");
      await fetch(`${again.endpoint}/_stratus/clock`, { method: "POST", body: JSON.stringify({ set: "2026-07-31T00:00:00Z" }) });
      const times = await snapshots();
      assert.equal(new Set(times).size, times.length, "no run repeated");
      const days = new Set(times.map((t) => t.slice(0, 10)));
      assert.equal(days.size, times.length, "one snapshot a day");
      for (const t of times) assert.match(t, /T03:00:00\.000Z$/, "each at its scheduled time");
      // 60 runs from June 1 to July 30; a run the kill cut off in its first instant may be missing.
      assert.ok(times.length === 60 || times.length === 59, `${times.length} daily snapshots`);
    } finally {
      await again.dispose();
    }
  });
});
