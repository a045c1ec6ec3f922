import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, bash, sdkConfig, startTestStratus } from "../support/stratus.js";

/** The aws CLI's waiters poll real time, so these run on the system clock. */
describe("EBS waiters through /usr/bin/aws (system clock)", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus();
  });
  after(() => stratus.stop());

  it("volume-available, snapshot-completed, volume-in-use and volume-deleted", async () => {
    // The instance boots while the volume and snapshot steps run.
    const ec2 = new EC2Client(sdkConfig(stratus));
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "architecture", Values: ["x86_64"] }] }));
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: "us-east-1a" } }),
    );
    const result = await bash(
      stratus,
      `
INSTANCE_ID=${Instances![0].InstanceId}
VOLUME_ID=$(aws ec2 create-volume --availability-zone us-east-1a --size 8 --volume-type gp3 --query 'VolumeId' --output text)
aws ec2 wait volume-available --volume-ids $VOLUME_ID
aws ec2 describe-volumes --volume-ids $VOLUME_ID --query 'Volumes[0].State' --output text
SNAPSHOT_ID=$(aws ec2 create-snapshot --volume-id $VOLUME_ID --description "waiter test" --query 'SnapshotId' --output text)
aws ec2 wait snapshot-completed --snapshot-ids $SNAPSHOT_ID
aws ec2 describe-snapshots --snapshot-ids $SNAPSHOT_ID --query 'Snapshots[0].[State,Progress]' --output text
aws ec2 wait instance-running --instance-ids $INSTANCE_ID
aws ec2 attach-volume --volume-id $VOLUME_ID --instance-id $INSTANCE_ID --device /dev/sdf > /dev/null
aws ec2 wait volume-in-use --volume-ids $VOLUME_ID
aws ec2 describe-volumes --volume-ids $VOLUME_ID --query 'Volumes[0].Attachments[0].State' --output text
aws ec2 detach-volume --volume-id $VOLUME_ID > /dev/null
aws ec2 wait volume-available --volume-ids $VOLUME_ID
aws ec2 delete-volume --volume-id $VOLUME_ID
aws ec2 wait volume-deleted --volume-ids $VOLUME_ID
echo deleted
`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split("\n"), ["available", "completed\t100%", "attached", "deleted"]);
  });

  it("answers CLI errors as AWS does", async () => {
    const missing = await awsCli(stratus, ["ec2", "delete-volume", "--volume-id", "vol-0123456789abcdef0"]);
    assert.equal(missing.code, 254);
    assert.match(missing.stderr, /InvalidVolume\.NotFound/);
    const inUse = await awsCli(stratus, ["ec2", "create-volume", "--availability-zone", "us-east-1a", "--size", "10", "--volume-type", "gp3", "--iops", "100"]);
    assert.equal(inUse.code, 254);
    assert.match(inUse.stderr, /InvalidParameterValue/);
  });
});
