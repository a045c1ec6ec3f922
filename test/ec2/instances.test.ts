/**
 * Instances through SDK v3: RunInstances' validation, the lifecycle on the
 * virtual clock (with the SDK's waiters), addresses, volumes, Describe*
 * filters, status, attributes, console output and monitoring.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  DisassociateAddressCommand,
  GetConsoleOutputCommand,
  ModifyInstanceAttributeCommand,
  MonitorInstancesCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  UnmonitorInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStatusOk,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
  type EC2Client,
  type Instance,
  type RunInstancesCommandInput,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { JAMMY_FILTER, createInstanceProfile, rejectsWith, startEc2 } from "./support.js";

describe("EC2 instances", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  let armAmi: string;
  let profileArn: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images!.sort((a, b) => (a.CreationDate! < b.CreationDate! ? -1 : 1)).at(-1)!.ImageId!;
    const arm = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "architecture", Values: ["arm64"] }] }));
    armAmi = arm.Images![0].ImageId!;
    profileArn = await createInstanceProfile(stratus, "ml-profile");
    await ec2.send(new CreateKeyPairCommand({ KeyName: "k" }));
  });
  after(() => stratus.stop());

  const run = async (input: Partial<RunInstancesCommandInput> = {}): Promise<Instance[]> => {
    const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1, ...input }));
    return r.Instances!;
  };
  const describeOne = async (id: string): Promise<Instance> => {
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return Reservations![0].Instances![0];
  };
  /** Runs an SDK waiter while the virtual clock moves past the transition. */
  const waitFor = async <T>(waiter: Promise<T>) => {
    await stratus.clock.advance("30s");
    return waiter;
  };
  const waiterConfig = () => ({ client: ec2, maxWaitTime: 60, minDelay: 1, maxDelay: 2 });

  it("validates RunInstances as EC2 does", async () => {
    await rejectsWith(run({ ImageId: undefined }), "MissingParameter", /ImageId/);
    await rejectsWith(run({ ImageId: "ami-12345" }), "InvalidAMIID.Malformed", /Invalid id: "ami-12345"/);
    await rejectsWith(run({ ImageId: "ami-0123456789abcdef0" }), "InvalidAMIID.NotFound", /\[ami-0123456789abcdef0\]/);
    await rejectsWith(run({ InstanceType: "t2.mega" as never }), "InvalidParameterValue", /Invalid value 't2.mega' for InstanceType/);
    await rejectsWith(run({ ImageId: armAmi }), "InvalidParameterValue", /architecture 'x86_64' of the specified instance type does not match the architecture 'arm64'/);
    await rejectsWith(run({ KeyName: "missing" }), "InvalidKeyPair.NotFound", /The key pair 'missing' does not exist/);
    await rejectsWith(run({ SubnetId: "subnet-0123456789abcdef0" }), "InvalidSubnetID.NotFound");
    await rejectsWith(run({ SecurityGroupIds: ["sg-0123456789abcdef0"] }), "InvalidGroup.NotFound");
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({}));
    await rejectsWith(run({ SubnetId: Subnets![0].SubnetId, SecurityGroups: ["default"] }), "InvalidParameterCombination", /groupName cannot be used with the parameter subnet/);
    await rejectsWith(
      run({ IamInstanceProfile: { Name: "nope" } }),
      "InvalidParameterValue",
      /Value \(nope\) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name/,
    );
    await rejectsWith(run({ IamInstanceProfile: { Arn: "arn:aws:iam::000000000000:instance-profile/nope" } }), "InvalidParameterValue", /Invalid IAM Instance Profile ARN/);
    await rejectsWith(run({ IamInstanceProfile: { Arn: profileArn, Name: "ml-profile" } }), "InvalidParameterCombination");
    await rejectsWith(run({ UserData: Buffer.alloc(16385, 65).toString("base64") }), "InvalidParameterValue", /User data is limited to 16384 bytes/);
    await rejectsWith(run({ UserData: "not base64!" }), "InvalidParameterValue", /BASE64/);
    await rejectsWith(run({ MinCount: 3, MaxCount: 2 }), "InvalidParameterValue");
    await rejectsWith(run({ InstanceType: "p3.2xlarge", Placement: { AvailabilityZone: "us-east-1e" } }), "Unsupported", /not supported in your requested Availability Zone \(us-east-1e\)/);
    await rejectsWith(run({ Placement: { AvailabilityZone: "us-east-1z" } }), "InvalidParameterValue", /Invalid availability zone/);
    await rejectsWith(run({ PrivateIpAddress: "10.9.9.9" }), "InvalidParameterValue", /does not fall within/);
    await rejectsWith(
      run({ TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "aws:x", Value: "y" }] }] }),
      "InvalidParameterValue",
      /reserved/,
    );
  });

  it("launches MaxCount instances in one reservation, pending, with private addresses from the subnet", async () => {
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "availability-zone", Values: ["us-east-1c"] }] }));
    const subnet = Subnets![0];
    const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 2, MaxCount: 3, SubnetId: subnet.SubnetId, KeyName: "k" }));
    assert.match(r.ReservationId!, /^r-[0-9a-f]{17}$/);
    assert.equal(r.Instances!.length, 3);
    assert.deepEqual(r.Instances!.map((i) => i.AmiLaunchIndex), [0, 1, 2]);
    for (const instance of r.Instances!) {
      assert.equal(instance.State!.Name, "pending");
      assert.equal(instance.State!.Code, 0);
      assert.equal(instance.Placement!.AvailabilityZone, "us-east-1c");
      assert.match(instance.PrivateIpAddress!, /^172\.31\.(3[2-9]|4[0-7])\.\d+$/);
      assert.equal(instance.PrivateDnsName, `ip-${instance.PrivateIpAddress!.replace(/\./g, "-")}.ec2.internal`);
      assert.equal(instance.VpcId, subnet.VpcId);
      assert.equal(instance.KeyName, "k");
    }
    assert.equal(new Set(r.Instances!.map((i) => i.PrivateIpAddress)).size, 3);
    const after = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet.SubnetId!] }));
    assert.equal(after.Subnets![0].AvailableIpAddressCount, subnet.AvailableIpAddressCount! - 3);
  });

  it("moves pending → running → stopping → stopped → pending → running → shutting-down → terminated on the clock", async () => {
    const [instance] = await run({ IamInstanceProfile: { Name: "ml-profile" } });
    const id = instance.InstanceId!;
    assert.match(instance.PublicIpAddress ?? (await describeOne(id)).PublicIpAddress!, /^\d+\.\d+\.\d+\.\d+$/);
    await waitFor(waitUntilInstanceRunning(waiterConfig(), { InstanceIds: [id] }));
    const running = await describeOne(id);
    assert.equal(running.State!.Name, "running");
    assert.equal(running.IamInstanceProfile!.Arn, profileArn);
    assert.match(running.IamInstanceProfile!.Id!, /^AIPA/);
    const firstIp = running.PublicIpAddress!;
    assert.match(running.PublicDnsName!, /^ec2-\d+-\d+-\d+-\d+\.compute-1\.amazonaws\.com$/);

    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(stop.StoppingInstances![0], { InstanceId: id, PreviousState: { Code: 16, Name: "running" }, CurrentState: { Code: 64, Name: "stopping" } });
    await waitFor(waitUntilInstanceStopped(waiterConfig(), { InstanceIds: [id] }));
    const stopped = await describeOne(id);
    assert.equal(stopped.PublicIpAddress, undefined, "the public address is released at stop");
    assert.equal(stopped.StateReason!.Code, "Client.UserInitiatedShutdown");
    assert.match(stopped.StateTransitionReason!, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);

    const again = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    assert.equal(again.StoppingInstances![0].CurrentState!.Name, "stopped");

    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await waitFor(waitUntilInstanceRunning(waiterConfig(), { InstanceIds: [id] }));
    const restarted = await describeOne(id);
    assert.match(restarted.PublicIpAddress!, /^\d+\.\d+\.\d+\.\d+$/);
    assert.notEqual(restarted.PublicIpAddress, firstIp);

    await ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
    const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.equal(term.TerminatingInstances![0].CurrentState!.Name, "shutting-down");
    await waitFor(waitUntilInstanceTerminated(waiterConfig(), { InstanceIds: [id] }));
    const terminated = await describeOne(id);
    assert.equal(terminated.State!.Code, 48);
    assert.equal(terminated.PublicIpAddress, undefined);

    await rejectsWith(ec2.send(new StartInstancesCommand({ InstanceIds: [id] })), "IncorrectInstanceState", /is not in a state from which it can be started/);
    await rejectsWith(ec2.send(new StopInstancesCommand({ InstanceIds: [id] })), "IncorrectInstanceState", /can be stopped/);
    await rejectsWith(ec2.send(new RebootInstancesCommand({ InstanceIds: [id] })), "IncorrectInstanceState");
    const twice = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.equal(twice.TerminatingInstances![0].CurrentState!.Name, "terminated");

    await stratus.clock.advance("59m");
    assert.equal((await describeOne(id)).State!.Name, "terminated", "visible for an hour");
    await stratus.clock.advance("2m");
    await rejectsWith(ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })), "InvalidInstanceID.NotFound", new RegExp(`'${id}'`));
  });

  it("waits for status checks to pass (instance-status-ok)", async () => {
    const [instance] = await run();
    const id = instance.InstanceId!;
    await stratus.clock.advance("10s");
    const early = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    assert.equal(early.InstanceStatuses![0].InstanceStatus!.Status, "initializing");
    await stratus.clock.advance("2m");
    await waitUntilInstanceStatusOk(waiterConfig(), { InstanceIds: [id] });
    const ok = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    assert.deepEqual(ok.InstanceStatuses![0].SystemStatus, { Status: "ok", Details: [{ Name: "reachability", Status: "passed" }] });
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("30s");
    const none = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    assert.equal(none.InstanceStatuses!.length, 0);
    const all = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }));
    assert.equal(all.InstanceStatuses![0].InstanceStatus!.Status, "not-applicable");
  });

  it("keeps an Elastic IP across stop and start, and assigns a new address when it is disassociated", async () => {
    const [instance] = await run();
    const id = instance.InstanceId!;
    await rejectsWith(ec2.send(new AssociateAddressCommand({ InstanceId: id, AllocationId: (await ec2.send(new AllocateAddressCommand({}))).AllocationId })), "IncorrectInstanceState");
    await stratus.clock.advance("30s");
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    const assoc = await ec2.send(new AssociateAddressCommand({ InstanceId: id, AllocationId: eip.AllocationId }));
    assert.equal((await describeOne(id)).PublicIpAddress, eip.PublicIp);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("30s");
    assert.equal((await describeOne(id)).PublicIpAddress, eip.PublicIp);
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("30s");
    const running = await describeOne(id);
    assert.equal(running.PublicIpAddress, eip.PublicIp);
    assert.equal(running.NetworkInterfaces![0].Association!.IpOwnerId, "000000000000");
    await ec2.send(new DisassociateAddressCommand({ AssociationId: assoc.AssociationId }));
    const after = await describeOne(id);
    assert.notEqual(after.PublicIpAddress, eip.PublicIp);
    assert.match(after.PublicIpAddress!, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(after.NetworkInterfaces![0].Association!.IpOwnerId, "amazon");
  });

  it("creates the image's root volume and requested volumes, and deletes DeleteOnTermination ones", async () => {
    const [instance] = await run({
      BlockDeviceMappings: [
        { DeviceName: "/dev/sda1", Ebs: { VolumeSize: 20, VolumeType: "gp3" } },
        { DeviceName: "/dev/sdf", Ebs: { VolumeSize: 50, VolumeType: "gp3", DeleteOnTermination: false } },
      ],
      TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Data", Value: "yes" }] }],
    });
    const described = await describeOne(instance.InstanceId!);
    assert.deepEqual(described.BlockDeviceMappings!.map((m) => [m.DeviceName, m.Ebs!.DeleteOnTermination]), [
      ["/dev/sda1", true],
      ["/dev/sdf", false],
    ]);
    assert.equal(described.RootDeviceName, "/dev/sda1");
    const volumeIds = described.BlockDeviceMappings!.map((m) => m.Ebs!.VolumeId!);
    const volumes = stratus.cloud.documents.collection<{ VolumeId: string; Size: number; Tags: Array<{ Key: string }> }>("ec2", "volumes").scope({ account: "000000000000", region: "us-east-1" });
    assert.deepEqual(volumeIds.map((v) => volumes.get(v)?.Size), [20, 50]);
    await rejectsWith(
      run({ BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { VolumeSize: 4 } }] }),
      "InvalidBlockDeviceMapping",
      /Volume of size 4GB is smaller than snapshot 'snap-[0-9a-f]+', expect size >= 8GB/,
    );
    // Device names are AWS's: not anything (nor a shell's words).
    for (const DeviceName of ["/dev/foo", "/dev/sdf;reboot", "/dev/sdf b"]) {
      await rejectsWith(run({ BlockDeviceMappings: [{ DeviceName, Ebs: { VolumeSize: 1 } }] }), "InvalidBlockDeviceMapping", /Invalid device name/);
    }
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    await stratus.clock.advance("30s");
    assert.equal(volumes.get(volumeIds[0]), undefined, "the root volume is deleted");
    assert.ok(volumes.get(volumeIds[1]), "the DeleteOnTermination=false volume stays");
  });

  it("filters DescribeInstances the way people do", async () => {
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "filter-sg", Description: "f" }));
    const [a] = await run({ InstanceType: "t3.small", SecurityGroupIds: [sg.GroupId!], Placement: { AvailabilityZone: "us-east-1b" }, TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Role", Value: "filter-a" }] }] });
    const [b] = await run({ InstanceType: "t3a.small", Placement: { AvailabilityZone: "us-east-1d" }, TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Role", Value: "filter-b" }] }] });
    await stratus.clock.advance("30s");
    await ec2.send(new StopInstancesCommand({ InstanceIds: [b.InstanceId!] }));
    await stratus.clock.advance("30s");
    const ids = async (Filters: Array<{ Name: string; Values: string[] }>) => {
      const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: [...Filters, { Name: "tag:Role", Values: ["filter-*"] }] }));
      return Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId)).sort();
    };
    assert.deepEqual(await ids([{ Name: "instance-state-name", Values: ["running"] }]), [a.InstanceId]);
    assert.deepEqual(await ids([{ Name: "instance-state-code", Values: ["80"] }]), [b.InstanceId]);
    assert.deepEqual(await ids([{ Name: "instance-type", Values: ["t3a.*"] }]), [b.InstanceId]);
    assert.deepEqual(await ids([{ Name: "availability-zone", Values: ["us-east-1b"] }]), [a.InstanceId]);
    assert.deepEqual(await ids([{ Name: "instance.group-id", Values: [sg.GroupId!] }]), [a.InstanceId]);
    assert.deepEqual(await ids([{ Name: "instance.group-name", Values: ["filter-sg"] }]), [a.InstanceId]);
    const described = await describeOne(a.InstanceId!);
    assert.deepEqual(await ids([{ Name: "private-ip-address", Values: [described.PrivateIpAddress!] }]), [a.InstanceId]);
    assert.deepEqual(await ids([{ Name: "ip-address", Values: [described.PublicIpAddress!] }]), [a.InstanceId]);
    assert.deepEqual(await ids([{ Name: "subnet-id", Values: [described.SubnetId!] }, { Name: "vpc-id", Values: [described.VpcId!] }]), [a.InstanceId]);
    assert.deepEqual(await ids([{ Name: "instance-lifecycle", Values: ["spot"] }]), []);
    assert.deepEqual(await ids([{ Name: "launch-time", Values: [described.LaunchTime!.toISOString().slice(0, 10) + "*"] }]), [a.InstanceId, b.InstanceId].sort());
  });

  it("describes and modifies attributes with EC2's state rules", async () => {
    const userData = Buffer.from("#!/bin/bash\necho hello\n").toString("base64");
    const [instance] = await run({ UserData: userData, DisableApiTermination: true });
    const id = instance.InstanceId!;
    const ud = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "userData" }));
    assert.equal(ud.UserData!.Value, userData);
    const protectedAttr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "disableApiTermination" }));
    assert.equal(protectedAttr.DisableApiTermination!.Value, true);
    await rejectsWith(ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })), "OperationNotPermitted", /may not be terminated/);
    await stratus.clock.advance("30s");
    await rejectsWith(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: "t3.large" } })), "IncorrectInstanceState", /'stopped' state/);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("30s");
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: "t3.large" } }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, UserData: { Value: Buffer.from("new data") } }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: false } }));
    const type = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "instanceType" }));
    assert.equal(type.InstanceType!.Value, "t3.large");
    const ud2 = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "userData" }));
    assert.equal(Buffer.from(ud2.UserData!.Value!, "base64").toString(), "new data");
    await rejectsWith(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: "x1.huge" } })), "InvalidInstanceAttributeValue");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });

  it("shows the boot console once the instance runs", async () => {
    const [instance] = await run({ UserData: Buffer.from("#!/bin/bash\ntrue\n").toString("base64") });
    const before = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instance.InstanceId }));
    assert.equal(before.Output, undefined);
    await stratus.clock.advance("30s");
    const after = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instance.InstanceId, Latest: true }));
    const text = Buffer.from(after.Output!, "base64").toString();
    assert.match(text, /Cloud-init v\. [\d.]+ finished/);
    assert.match(text, /-----BEGIN SSH HOST KEY FINGERPRINTS-----/);
    assert.match(text, new RegExp(`ip-${(await describeOne(instance.InstanceId!)).PrivateIpAddress!.replace(/\./g, "-")}`));
  });

  it("turns detailed monitoring on and off", async () => {
    const [instance] = await run();
    const on = await ec2.send(new MonitorInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    assert.equal(on.InstanceMonitorings![0].Monitoring!.State, "pending");
    assert.equal((await describeOne(instance.InstanceId!)).Monitoring!.State, "enabled");
    const off = await ec2.send(new UnmonitorInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    assert.equal(off.InstanceMonitorings![0].Monitoring!.State, "disabling");
    assert.equal((await describeOne(instance.InstanceId!)).Monitoring!.State, "disabled");
  });

  it("is idempotent on ClientToken", async () => {
    const first = await run({ ClientToken: "launch-once" });
    const second = await run({ ClientToken: "launch-once" });
    assert.equal(second[0].InstanceId, first[0].InstanceId);
  });

  it("answers NotFound and Malformed for instance ids", async () => {
    await rejectsWith(ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0", "i-0123456789abcdef1"] })), "InvalidInstanceID.NotFound", /The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist/);
    await rejectsWith(ec2.send(new StopInstancesCommand({ InstanceIds: ["i-zz"] })), "InvalidInstanceID.Malformed", /Invalid id: "i-zz"/);
  });
});
