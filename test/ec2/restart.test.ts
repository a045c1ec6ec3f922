/**
 * EC2 state survives a restart (storage: disk): the default network keeps its
 * ids, instances keep their state and their scheduled transitions run after
 * the restart, key pairs, groups and spot requests stay.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { startStratus, type RunningStratus } from "../../src/index.js";
import { sdkConfig } from "../support/stratus.js";

describe("EC2 across a restart", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-ec2-restart-"));
  const start = () => startStratus({ port: 0, storage: "disk", dataDir: dir, clock: "virtual", logLevel: "silent" });
  let stratus: RunningStratus | undefined;
  after(async () => {
    await stratus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps networks, instances and their pending transitions, keys, groups and spot requests", async () => {
    stratus = await start();
    let ec2 = new EC2Client(sdkConfig(stratus));
    const vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId;
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 2, MaxCount: 2 }));
    const ids = run.Instances!.map((i) => i.InstanceId!);
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "kept" }));
    const group = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "kept", Description: "kept" }));
    const spot = await ec2.send(new RequestSpotInstancesCommand({ SpotPrice: "0.0001", LaunchSpecification: { ImageId: Images![0].ImageId, InstanceType: "t3.micro" } }));
    await stratus.stop();

    stratus = await start();
    ec2 = new EC2Client(sdkConfig(stratus));
    assert.equal((await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId, vpcId);
    const pending = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    assert.deepEqual(pending.Reservations![0].Instances!.map((i) => i.State!.Name), ["pending", "pending"]);
    await stratus.clock.advance("30s");
    const running = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    assert.deepEqual(running.Reservations![0].Instances!.map((i) => i.State!.Name), ["running", "running"]);
    assert.equal((await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ["kept"] }))).KeyPairs![0].KeyFingerprint, key.KeyFingerprint);
    assert.equal((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [group.GroupId!] }))).SecurityGroups![0].GroupName, "kept");
    const request = await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [spot.SpotInstanceRequests![0].SpotInstanceRequestId!] }));
    assert.deepEqual([request.SpotInstanceRequests![0].State, request.SpotInstanceRequests![0].Status!.Code], ["open", "price-too-low"]);
  });
});
