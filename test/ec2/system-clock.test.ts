/**
 * With the system clock (no virtual time), an instance reaches running within
 * the aws CLI waiter's first poll interval, so `aws ec2 wait instance-running`
 * returns on its second poll, as against EC2.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningStratus } from "../../src/index.js";
import { bash, startTestStratus } from "../support/stratus.js";

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
    assert.deepEqual(result.stdout.trim().split("\n"), ["pending", "running"]);
  });
});
