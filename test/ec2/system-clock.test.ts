/**
 * With the system clock (no virtual time), an instance is pending right after
 * launch and reaches running about a second later, so that a separate
 * `aws ec2 wait instance-running` usually returns on its first poll.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningStratus } from "../../src/index.js";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { bash, sdkConfig, startTestStratus } from "../support/stratus.js";

describe("EC2 waiters on the system clock", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus();
  });
  after(() => stratus.stop());

  it("waits for instance-running through the aws CLI", async () => {
    const result = await bash(
      stratus,
      [
        `AMI_ID=$(aws ec2 describe-images --owners amazon --filters "Name=name,Values=al2023-ami-2023*-x86_64" --query 'Images | sort_by(@, &CreationDate) | [-1].ImageId' --output text)`,
        `INSTANCE_ID=$(aws ec2 run-instances --image-id $AMI_ID --instance-type t3.micro --query 'Instances[0].InstanceId' --output text)`,
        `aws ec2 describe-instances --instance-ids $INSTANCE_ID --query 'Reservations[0].Instances[0].State.Name' --output text`,
        `aws ec2 wait instance-running --instance-ids $INSTANCE_ID`,
        `aws ec2 describe-instances --instance-ids $INSTANCE_ID --query 'Reservations[0].Instances[0].State.Name' --output text`,
      ].join("\n"),
    );
    assert.equal(result.code, 0, result.stderr);
    const [first, last] = result.stdout.trim().split("\n");
    assert.ok(first === "pending" || first === "running", first);
    assert.equal(last, "running");
  });

  it("shows pending right after launch, then running", async () => {
    const ec2 = new EC2Client(sdkConfig(stratus));
    const images = await bash(stratus, `aws ec2 describe-images --owners amazon --filters "Name=name,Values=al2023-ami-2023*-x86_64" --query 'Images[0].ImageId' --output text`);
    const launched = await ec2.send(new RunInstancesCommand({ ImageId: images.stdout.trim(), InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }));
    const id = launched.Instances![0].InstanceId!;
    assert.equal(launched.Instances![0].State!.Name, "pending");
    const state = async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].State!.Name;
    assert.equal(await state(), "pending");
    await stratus.cloud.scheduler.idle();
    for (let i = 0; i < 50 && (await state()) !== "running"; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await state(), "running");
  });
});
