/**
 * EC2 behaviour checked against AWS's documentation with real clients: the
 * EC2 protocol's UnknownParameter, ClientToken idempotency, how a launching
 * instance looks, ModifyInstanceAttribute's BlockDeviceMapping, and boto3's
 * resource API.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeVolumesCommand,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { CREDENTIALS, awsCli } from "../support/stratus.js";
import { sendSigned } from "../support/sign.js";
import { JAMMY_FILTER, rejectsWith, startEc2 } from "./support.js";

const PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3";
const HAS_BOTO3 = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import boto3"]).status === 0;

function runPython(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ["-c", script, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("EC2 conformance", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images![0].ImageId!;
  });
  after(() => stratus.stop());

  const raw = async (params: Record<string, string>) => {
    const body = new URLSearchParams({ Version: "2016-11-15", ...params }).toString();
    const response = await sendSigned(
      stratus.endpoint,
      { method: "POST", path: "/", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body },
      { service: "ec2", credentials: CREDENTIALS },
    );
    return { status: response.status, text: await response.text() };
  };

  it("answers UnknownParameter for a parameter the operation does not have", async () => {
    const top = await raw({ Action: "DescribeInstances", Foo: "bar" });
    assert.equal(top.status, 400);
    assert.match(top.text, /<Code>UnknownParameter<\/Code><Message>The parameter Foo is not recognized<\/Message>/);
    // Names are case-sensitive, as sent.
    const cased = await raw({ Action: "DescribeVolumes", "volumeId.1": "vol-1234567890abcdef0" });
    assert.match(cased.text, /The parameter volumeId is not recognized/);
    const nested = await raw({ Action: "DescribeInstances", "Filter.1.Name": "instance-type", "Filter.1.Value.1": "t2.micro", "Filter.1.Bogus": "x" });
    assert.match(nested.text, /The parameter Filter\.1\.Bogus is not recognized/);
    const notAList = await raw({ Action: "DescribeInstances", "InstanceId.x": "i-1234567890abcdef0" });
    assert.match(notAList.text, /The parameter InstanceId\.x is not recognized/);
    // The envelope (Action, Version) and what every client sends are accepted.
    const ok = await raw({ Action: "DescribeInstances", "Filter.1.Name": "instance-type", "Filter.1.Value.1": "t2.micro", MaxResults: "5" });
    assert.equal(ok.status, 200, ok.text);
    const cli = await awsCli(stratus, ["ec2", "describe-instances", "--filters", "Name=instance-type,Values=t2.micro", "--max-items", "5"]);
    assert.equal(cli.code, 0, cli.stderr);
  });

  it("keeps RunInstances, CreateVolume and RequestSpotInstances idempotent on ClientToken", async () => {
    const launch = { ImageId: ami, InstanceType: "t3.micro" as const, MinCount: 1, MaxCount: 2, ClientToken: "launch-1" };
    const first = await ec2.send(new RunInstancesCommand(launch));
    const again = await ec2.send(new RunInstancesCommand(launch));
    assert.equal(again.ReservationId, first.ReservationId);
    assert.deepEqual(again.Instances!.map((i) => i.InstanceId), first.Instances!.map((i) => i.InstanceId));
    const tagged = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "client-token", Values: ["launch-1"] }] }));
    assert.equal(tagged.Reservations![0].Instances!.length, 2);
    await rejectsWith(
      ec2.send(new RunInstancesCommand({ ...launch, InstanceType: "t3.small" })),
      "IdempotentParameterMismatch",
      /^Arguments on this idempotent request are inconsistent with arguments used in previous request\(s\)\.$/,
    );

    const volume = { AvailabilityZone: "us-east-1a", Size: 4, ClientToken: "volume-1" };
    const v1 = await ec2.send(new CreateVolumeCommand(volume));
    const v2 = await ec2.send(new CreateVolumeCommand(volume));
    assert.equal(v2.VolumeId, v1.VolumeId);
    await rejectsWith(ec2.send(new CreateVolumeCommand({ ...volume, Size: 5 })), "IdempotentParameterMismatch");
    const volumes = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "size", Values: ["4"] }] }));
    assert.equal(volumes.Volumes!.length, 1);

    const spot = { InstanceCount: 1, ClientToken: "spot-1", LaunchSpecification: { ImageId: ami, InstanceType: "t3.micro" as const } };
    const s1 = await ec2.send(new RequestSpotInstancesCommand(spot));
    const s2 = await ec2.send(new RequestSpotInstancesCommand(spot));
    assert.equal(s2.SpotInstanceRequests![0].SpotInstanceRequestId, s1.SpotInstanceRequests![0].SpotInstanceRequestId);
    await rejectsWith(ec2.send(new RequestSpotInstancesCommand({ ...spot, InstanceCount: 2 })), "IdempotentParameterMismatch");
    const requests = await ec2.send(new DescribeSpotInstanceRequestsCommand({}));
    assert.equal(requests.SpotInstanceRequests!.length, 1);
  });

  it("shows a launching instance as EC2 does: StateReason pending, interface attaching, metadata options pending", async () => {
    const { Instances } = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }));
    const launched = Instances![0];
    assert.deepEqual(launched.State, { Code: 0, Name: "pending" });
    assert.deepEqual(launched.StateReason, { Code: "pending", Message: "pending" });
    assert.equal(launched.NetworkInterfaces![0].Attachment!.Status, "attaching");
    assert.equal(launched.MetadataOptions!.State, "pending");
    await stratus.clock.advance("5s");
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [launched.InstanceId!] }));
    const running = Reservations![0].Instances![0];
    assert.equal(running.State!.Name, "running");
    assert.equal(running.StateReason, undefined);
    assert.equal(running.NetworkInterfaces![0].Attachment!.Status, "attached");
    assert.equal(running.MetadataOptions!.State, "applied");
  });

  it("changes DeleteOnTermination with ModifyInstanceAttribute's BlockDeviceMapping (aws CLI), and termination follows it", async () => {
    const { Instances } = await ec2.send(
      new RunInstancesCommand({
        ImageId: ami,
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        BlockDeviceMappings: [{ DeviceName: "/dev/sdf", Ebs: { VolumeSize: 2, DeleteOnTermination: false } }],
      }),
    );
    const id = Instances![0].InstanceId!;
    await stratus.clock.advance("5s");
    const modify = await awsCli(stratus, [
      "ec2",
      "modify-instance-attribute",
      "--instance-id",
      id,
      "--block-device-mappings",
      '[{"DeviceName":"/dev/sda1","Ebs":{"DeleteOnTermination":false}},{"DeviceName":"/dev/sdf","Ebs":{"DeleteOnTermination":true}}]',
    ]);
    assert.equal(modify.code, 0, modify.stderr);
    const attribute = await awsCli(stratus, ["ec2", "describe-instance-attribute", "--instance-id", id, "--attribute", "blockDeviceMapping"]);
    assert.equal(attribute.code, 0, attribute.stderr);
    const flags = Object.fromEntries(attribute.json().BlockDeviceMappings.map((m: { DeviceName: string; Ebs: { DeleteOnTermination: boolean } }) => [m.DeviceName, m.Ebs.DeleteOnTermination]));
    assert.deepEqual(flags, { "/dev/sda1": false, "/dev/sdf": true });
    const volumeOf = async (device: string) => {
      const { Volumes } = await ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [id] }, { Name: "attachment.device", Values: [device] }] }),
      );
      return Volumes![0].VolumeId!;
    };
    const root = await volumeOf("/dev/sda1");
    const data = await volumeOf("/dev/sdf");

    const unmapped = await awsCli(stratus, ["ec2", "modify-instance-attribute", "--instance-id", id, "--block-device-mappings", '[{"DeviceName":"/dev/sdz","Ebs":{"DeleteOnTermination":false}}]']);
    assert.notEqual(unmapped.code, 0);
    assert.match(unmapped.stderr, /\(InvalidInstanceAttributeValue\).*No device is currently mapped at \/dev\/sdz/);

    const terminate = await awsCli(stratus, ["ec2", "terminate-instances", "--instance-ids", id]);
    assert.equal(terminate.code, 0, terminate.stderr);
    await stratus.clock.advance("5s");
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "volume-id", Values: [root, data] }] }));
    assert.deepEqual(
      Volumes!.map((v) => [v.VolumeId, v.State]),
      [[root, "available"]],
    );
  });

  it("works with boto3's resource API and waiters", { skip: !HAS_BOTO3 && "boto3 is not installed for the pip python" }, async () => {
    const script = `
import sys, json, urllib.request
import boto3
endpoint, ami = sys.argv[1], sys.argv[2]
def advance(span):
    urllib.request.urlopen(urllib.request.Request(endpoint + "/_stratus/clock", data=json.dumps({"advance": span}).encode(), headers={"content-type": "application/json"}, method="POST"))
session = boto3.session.Session(aws_access_key_id="${CREDENTIALS.accessKeyId}", aws_secret_access_key="${CREDENTIALS.secretAccessKey}", region_name="us-east-1")
ec2 = session.resource("ec2", endpoint_url=endpoint)
client = session.client("ec2", endpoint_url=endpoint)
waiter = {"Delay": 1, "MaxAttempts": 5}
[instance] = ec2.create_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
    TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "boto"}]}])
assert instance.state["Name"] == "pending", instance.state
advance("30s")
instance.wait_until_running(WaiterConfig=waiter)
instance.reload()
assert instance.state["Name"] == "running"
assert instance.public_ip_address and instance.private_ip_address.startswith("172.31.")
assert instance.vpc.is_default and instance.subnet.availability_zone == instance.placement["AvailabilityZone"]
assert instance.image.id == ami
assert [v.id for v in instance.volumes.all()] == [instance.block_device_mappings[0]["Ebs"]["VolumeId"]]
assert instance.network_interfaces[0].id.startswith("eni-")
assert {t["Key"]: t["Value"] for t in instance.tags} == {"Name": "boto"}
assert [i.id for i in ec2.instances.filter(Filters=[{"Name": "tag:Name", "Values": ["boto"]}])] == [instance.id]
volume = ec2.create_volume(Size=1, AvailabilityZone=instance.placement["AvailabilityZone"])
advance("5s")
client.get_waiter("volume_available").wait(VolumeIds=[volume.id], WaiterConfig=waiter)
volume.attach_to_instance(InstanceId=instance.id, Device="/dev/sdf")
snapshot = volume.create_snapshot(Description="from boto3")
advance("30s")
snapshot.wait_until_completed(WaiterConfig=waiter)
snapshot.reload()
assert snapshot.state == "completed" and snapshot.volume_id == volume.id and snapshot.progress == "100%"
instance.stop()
advance("30s")
instance.wait_until_stopped(WaiterConfig=waiter)
instance.terminate()
advance("30s")
instance.wait_until_terminated(WaiterConfig=waiter)
instance.reload()
assert instance.state_reason["Code"] == "Client.UserInitiatedShutdown", instance.state_reason
try:
    client.describe_instances(InstanceIds=["i-123"])
    raise SystemExit("expected an error")
except client.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidInstanceID.Malformed", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
print("ok")
`;
    const result = await runPython(script, [stratus.endpoint, ami]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "ok");
  });
});
