/**
 * The whole exercise (Exercise 02: Compute & Storage Foundations), part after
 * part, as one user types it in one terminal: the bash files next to this one
 * (0-prerequisites.sh ... 7-cleanup.sh, run by run.sh with harness.sh) against
 * one Stratus on a virtual clock. Each part runs with the variables the earlier
 * parts left; each test checks what the part printed and what it left behind.
 *
 * The three test files run it with Debian's aws CLI v2.9, the pip aws CLI
 * v1.45, and the `stratus aws` wrapper (bin/stratus.cjs) over whichever aws
 * CLI is on PATH.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { CloudWatchClient, GetDashboardCommand } from "@aws-sdk/client-cloudwatch";
import { DLMClient, GetLifecyclePolicyCommand } from "@aws-sdk/client-dlm";
import {
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSpotFleetRequestsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
} from "@aws-sdk/client-ec2";
import { GetInstanceProfileCommand, IAMClient, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import { GetObjectCommand, HeadObjectCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { CREDENTIALS, sdkConfig, startTestStratus, type CliResult } from "../support/stratus.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The bash files live in the source tree (test/exercise), next to this file's source. */
const SCRIPTS = path.resolve(HERE, "../../../test/exercise");
const STRATUS_BIN = path.resolve(HERE, "../../../bin/stratus.cjs");

/** When the exercise starts (its snapshot is named ...-backup-2025-10-23). */
export const EXERCISE_START = "2025-10-23T10:00:00Z";

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Splits the output of consecutive JSON-printing commands into documents. */
export function jsonDocuments(text: string): any[] {
  const out: any[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" && depth > 0) {
      depth--;
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out;
}

/** The rows of an `--output table` (cells trimmed), without its title and header lines. */
function tableRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => /^\|.*\|$/.test(line) && line.split("|").length > 3)
    .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));
}

export interface ExerciseCli {
  /** Test suite name. */
  name: string;
  /** An aws CLI binary, or "stratus" for `node bin/stratus.cjs aws ...`. */
  aws: string;
  /** Why the suite is skipped (e.g. the CLI is not installed). */
  skip?: string | false;
  /** Only these parts, in order (default: all of them). */
  parts?: string[];
}

export function exerciseScenario(cli: ExerciseCli): void {
  describe(`the exercise, part after part, through ${cli.name}`, { skip: cli.skip }, () => {
    let stratus: RunningStratus;
    let work: string;
    let home: string;
    let ec2: EC2Client;
    let vars: Record<string, string> = {};

    before(async () => {
      stratus = await startTestStratus({ clock: "virtual", clockStart: EXERCISE_START });
      work = mkdtempSync(path.join(os.tmpdir(), "stratus-exercise-"));
      home = path.join(work, "home");
      mkdirSync(path.join(home, ".ssh"), { recursive: true });
      ec2 = new EC2Client(sdkConfig(stratus));
    });
    after(async () => {
      await stratus?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /** A test for one part of the exercise, unless the suite leaves that part out. */
    function step(part: string, name: string, fn: () => Promise<void>): void {
      if (!cli.parts || cli.parts.includes(part)) it(name, fn);
    }

    /** Runs parts of the exercise with run.sh in the work directory; returns what they printed. */
    async function part(...parts: string[]): Promise<CliResult> {
      const env: Record<string, string> = {
        PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin:/usr/local/bin`,
        HOME: home,
        STRATUS_ENDPOINT: stratus.endpoint,
        EXERCISE_AWS: cli.aws,
        STRATUS_BIN,
        AWS_PAGER: "",
        TZ: "UTC",
      };
      if (cli.aws !== "stratus") {
        // The wrapper fills in credentials and region itself; the CLIs get them as a user exports them.
        Object.assign(env, {
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          AWS_DEFAULT_REGION: "us-east-1",
        });
      }
      const result = await new Promise<CliResult>((resolve, reject) => {
        const child = spawn("bash", [path.join(SCRIPTS, "run.sh"), ...parts], { cwd: work, env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) }));
      });
      assert.equal(result.code, 0, `${parts.join(" ")} failed:\n${result.stderr}\n--- stdout ---\n${result.stdout.slice(-4000)}`);
      vars = readVars();
      return result;
    }

    function readVars(): Record<string, string> {
      const out: Record<string, string> = {};
      for (const line of readFileSync(path.join(work, "exercise-vars.sh"), "utf8").split("\n")) {
        const match = /^declare -- (\w+)="(.*)"$/.exec(line);
        if (match) out[match[1]] = match[2];
      }
      return out;
    }

    async function instance(id: string): Promise<Instance> {
      const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      return Reservations![0].Instances![0];
    }

    step("0-prerequisites", "prerequisites: the instance profile the launches name, holding an EC2 role", async () => {
      await part("0-prerequisites");
      const iam = new IAMClient(sdkConfig(stratus));
      const { InstanceProfile } = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "ml-inference-ec2-profile" }));
      assert.deepEqual(
        InstanceProfile!.Roles!.map((r) => r.RoleName),
        ["ml-inference-ec2-role"],
      );
    });

    step("1-ec2", "Part 1: AMI, security group, key pair, two launches, stop/start, Elastic IP, reboot, terminate", async () => {
      const { stdout } = await part("1-ec2");

      // 1.1: the table shows the newest Ubuntu 22.04 amd64 image, and that is the AMI launched.
      const { Images } = await ec2.send(
        new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] }] }),
      );
      const newest = Images!.sort((a, b) => a.CreationDate!.localeCompare(b.CreationDate!)).at(-1)!;
      const table = Object.fromEntries(tableRows(stdout.slice(stdout.indexOf("DescribeImages"))).slice(0, 3).map(([k, v]) => [k, v]));
      assert.deepEqual(table, { Date: newest.CreationDate, ID: newest.ImageId, Name: newest.Name });
      assert.match(newest.Name!, /^ubuntu\/images\/hvm-ssd\/ubuntu-jammy-22\.04-amd64-server-\d{8}$/);
      assert.ok(newest.CreationDate! <= EXERCISE_START.replace("Z", ".000Z"), "no image from the future");
      assert.equal(vars.AMI_ID, newest.ImageId);

      // The security group's three rules and the key written to ~/.ssh.
      const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [vars.SG_ID] }));
      assert.equal(SecurityGroups![0].VpcId, vars.VPC_ID);
      const rules = SecurityGroups![0].IpPermissions!.map((p) => `${p.IpProtocol} ${p.FromPort}-${p.ToPort} ${p.IpRanges!.map((r) => r.CidrIp)}`).sort();
      assert.deepEqual(rules, ["tcp 22-22 203.0.113.25/32", "tcp 5000-5000 0.0.0.0/0", "tcp 80-80 0.0.0.0/0"]);
      const keyFile = path.join(home, ".ssh", "ml-inference-key.pem");
      assert.match(readFileSync(keyFile, "utf8"), /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/);
      assert.equal(statSync(keyFile).mode & 0o777, 0o400);
      assert.match(stdout, /"KeyName": "ml-inference-key"/);

      // The first instance: launched as specified, ran with a public address, now terminated with its root volume.
      const launched = JSON.parse(readFileSync(path.join(work, "run-instances.json"), "utf8")).Instances[0];
      assert.equal(launched.State.Name, "pending");
      assert.match(vars.PUBLIC_IP, IPV4);
      assert.match(stdout, new RegExp(`Instance is running at: ${vars.PUBLIC_IP.replace(/\./g, "\\.")}\n`));
      const first = await instance(vars.INSTANCE_ID);
      assert.equal(first.State!.Name, "terminated");
      assert.equal(first.PublicIpAddress, undefined);
      assert.match(first.IamInstanceProfile!.Arn!, /^arn:aws:iam::000000000000:instance-profile\/ml-inference-ec2-profile$/);
      assert.deepEqual(first.Tags!.map((t) => `${t.Key}=${t.Value}`).sort(), ["Environment=dev", "Name=ml-inference-server", "Owner=alice", "Project=ml-infrastructure"]);
      const rootVolume = launched.BlockDeviceMappings[0].Ebs.VolumeId;
      await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: [rootVolume] })), (e: any) => e.name === "InvalidVolume.NotFound");

      // The second keeps its user data; stop/start changed its address, the Elastic IP then stayed through the reboot.
      const userData = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: vars.INSTANCE_ID_V2, Attribute: "userData" }));
      assert.equal(Buffer.from(userData.UserData!.Value!, "base64").toString(), readFileSync(path.join(work, "user-data.sh"), "utf8"));
      assert.match(stdout, /^"stopped"$/m);
      assert.match(vars.PUBLIC_IP_V2, IPV4);
      assert.match(vars.PUBLIC_IP_NEW, IPV4);
      assert.notEqual(vars.PUBLIC_IP_NEW, vars.PUBLIC_IP_V2, "a stop and start gives a new public address");
      assert.match(vars.EIP_ALLOC_ID, /^eipalloc-[0-9a-f]{17}$/);
      assert.match(stdout, new RegExp(`Elastic IP ${vars.EIP_ADDRESS.replace(/\./g, "\\.")} associated with instance`));
      const second = await instance(vars.INSTANCE_ID_V2);
      assert.equal(second.State!.Name, "running");
      assert.equal(second.PublicIpAddress, vars.EIP_ADDRESS);
    });

    step("2-ebs", "Part 2: a 50 GiB gp3 volume attached, snapshotted, restored; the DLM role and policy", async () => {
      const { stdout } = await part("2-ebs");
      assert.match(stdout, new RegExp(`Created volume: ${vars.VOLUME_ID}\n`));
      assert.match(stdout, /^"attached"$/m);
      assert.match(stdout, new RegExp(`Created snapshot: ${vars.SNAPSHOT_ID}\n`));
      const verify = jsonDocuments(stdout).find((d) => d.ID === vars.SNAPSHOT_ID);
      assert.deepEqual(verify, { ID: vars.SNAPSHOT_ID, Progress: "100%", State: "completed" });
      assert.match(stdout, new RegExp(`Restored volume: ${vars.RESTORED_VOLUME_ID}\n`));

      const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [vars.VOLUME_ID, vars.RESTORED_VOLUME_ID] }));
      const byId = new Map(Volumes!.map((v) => [v.VolumeId, v]));
      const data = byId.get(vars.VOLUME_ID)!;
      assert.deepEqual([data.Size, data.VolumeType, data.Iops, data.Throughput, data.AvailabilityZone], [50, "gp3", 3000, 125, vars.AZ]);
      assert.deepEqual(data.Attachments!.map((a) => [a.InstanceId, a.Device, a.State]), [[vars.INSTANCE_ID_V2, "/dev/sdf", "attached"]]);
      const restored = byId.get(vars.RESTORED_VOLUME_ID)!;
      assert.deepEqual([restored.Size, restored.VolumeType, restored.SnapshotId, restored.AvailabilityZone], [50, "gp3", vars.SNAPSHOT_ID, vars.AZ]);

      const policyId = /"PolicyId": "(policy-[0-9a-f]{17})"/.exec(stdout)?.[1];
      assert.ok(policyId, stdout);
      const { Policy } = await new DLMClient(sdkConfig(stratus)).send(new GetLifecyclePolicyCommand({ PolicyId: policyId }));
      assert.equal(Policy!.State, "ENABLED");
      assert.equal(Policy!.ExecutionRoleArn, "arn:aws:iam::000000000000:role/AWSDataLifecycleManagerDefaultRole");
      assert.deepEqual(Policy!.PolicyDetails!.Schedules![0].CreateRule, { Interval: 24, IntervalUnit: "HOURS", Times: ["03:00"] });
      const iam = new IAMClient(sdkConfig(stratus));
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole" }));
      assert.deepEqual(attached.AttachedPolicies!.map((p) => p.PolicyArn), ["arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"]);
    });

    step("3-s3", "Part 3: the bucket, uploads with metadata, sync, lifecycle (Id refused), cross-region replication", async () => {
      const { stdout } = await part("3-s3");
      assert.equal(vars.BUCKET_NAME, "ml-models-dev-000000000000");
      assert.match(stdout, /^make_bucket: ml-models-dev-000000000000$/m);
      assert.match(stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ml-models-dev-000000000000$/m);
      const docs = jsonDocuments(stdout);
      assert.deepEqual(docs[0], { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: true }] } });
      assert.deepEqual(docs[1], { Status: "Enabled" });
      assert.deepEqual(docs[2], { PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } });

      // 3.2: the model with its metadata, the synced training data.
      assert.match(stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {9}26 resnet50\.pth$/m);
      const head = docs[3];
      assert.deepEqual(head.Metadata, { model_version: "1.0", framework: "pytorch", accuracy: "0.95" });
      assert.equal(head.ContentLength, 26);
      assert.equal(head.ServerSideEncryption, "AES256");
      assert.match(head.VersionId, /^\S{32}$/);
      assert.match(stdout, /upload: training-data\/images\/cat1\.jpg to s3:\/\/ml-models-dev-000000000000\/training-data\/images\/cat1\.jpg/);
      assert.match(stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {9}11 training-data\/images\/cat1\.jpg\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {9}11 training-data\/images\/dog1\.jpg$/m);

      // 3.3: the CLI refuses "Id" (three times, one per rule); S3 refuses 7 noncurrent days to STANDARD_IA; the fixed rules apply.
      assert.match(stdout, /Parameter validation failed:\nUnknown parameter in LifecycleConfiguration\.Rules\[0\]: "Id", must be one of: Expiration, ID, Prefix, Filter, Status, Transitions/);
      assert.match(stdout, /Unknown parameter in LifecycleConfiguration\.Rules\[2\]: "Id"/);
      assert.match(
        stdout,
        /An error occurred \(InvalidArgument\) when calling the PutBucketLifecycleConfiguration operation: 'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'/,
      );
      const lifecycle = docs.find((d) => d.Rules && d.Rules[0].ID);
      assert.deepEqual(
        lifecycle.Rules.map((r: any) => [r.ID, r.Status]),
        [
          ["archive-old-models", "Enabled"],
          ["delete-old-logs", "Enabled"],
          ["cleanup-incomplete-uploads", "Enabled"],
        ],
      );

      // 3.4: the replica in us-west-2 lists the object, a replica of the source's version.
      const replication = docs.find((d) => d.ReplicationConfiguration).ReplicationConfiguration;
      assert.equal(replication.Role, "arn:aws:iam::000000000000:role/s3-replication-role");
      assert.equal(replication.Rules[0].Destination.Bucket, "arn:aws:s3:::ml-models-replica-000000000000");
      assert.match(stdout, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {9}17 test-replication\.txt\n$/);
      const west = new S3Client({ ...sdkConfig(stratus, "us-west-2"), forcePathStyle: true });
      const replica = await west.send(new GetObjectCommand({ Bucket: "ml-models-replica-000000000000", Key: "models/test-replication.txt" }));
      assert.equal(await replica.Body!.transformToString(), "test replication\n");
      assert.equal(replica.ReplicationStatus, "REPLICA");
      const east = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
      const source = await east.send(new HeadObjectCommand({ Bucket: vars.BUCKET_NAME, Key: "models/test-replication.txt" }));
      assert.equal(source.ReplicationStatus, "COMPLETED");
      assert.equal(source.VersionId, replica.VersionId);
    });

    step("4-spot", "Part 4: spot price, a spot request (its launch specification's tags refused), a spot fleet", async () => {
      const { stdout } = await part("4-spot");
      const [priceRow] = tableRows(stdout.slice(stdout.indexOf("DescribeSpotPriceHistory"))).filter((row) => row[0] === "us-east-1a");
      assert.ok(priceRow, stdout);
      const price = Number(priceRow[1]);
      assert.ok(price > 0 && price < 0.0116, `spot price ${price} is below on-demand`);
      assert.match(stdout, /Parameter validation failed:\nUnknown parameter in LaunchSpecification: "TagSpecifications", must be one of: /);

      assert.match(vars.SPOT_REQUEST_ID, /^sir-[0-9a-z]{8}$/);
      assert.match(vars.SPOT_INSTANCE_ID, /^i-[0-9a-f]{17}$/);
      assert.match(stdout, new RegExp(`Spot instance: ${vars.SPOT_INSTANCE_ID}\n`));
      const spot = await instance(vars.SPOT_INSTANCE_ID);
      assert.equal(spot.InstanceLifecycle, "spot");
      assert.equal(spot.SpotInstanceRequestId, vars.SPOT_REQUEST_ID);
      assert.equal(spot.KeyName, "ml-inference-key");
      const described = jsonDocuments(stdout).find((d) => d.SpotInstanceRequests?.[0]?.InstanceId);
      assert.deepEqual(
        described.SpotInstanceRequests[0].Tags.map((t: any) => t.Value),
        ["ml-training-spot", "ml-infrastructure", "dev"],
      );

      // 4.3: the fleet runs two instances of the types it allows.
      assert.match(vars.SPOT_FLEET_REQUEST_ID, /^sfr-[0-9a-f-]{36}$/);
      const fleet = await ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [vars.SPOT_FLEET_REQUEST_ID] }));
      assert.equal(fleet.SpotFleetRequestConfigs![0].SpotFleetRequestState, "active");
      const active = jsonDocuments(stdout).find((d) => d.ActiveInstances).ActiveInstances;
      assert.equal(active.length, 2);
      for (const member of active) assert.ok(["t2.small", "t3.small"].includes(member.InstanceType), member.InstanceType);
    });

    step("5-cloudwatch", "Part 5: CPU utilization datapoints of the v2 instance, network in, the dashboard", async () => {
      const { stdout } = await part("5-cloudwatch");
      const rows = tableRows(stdout).filter((row) => row[2] === "Percent");
      assert.ok(rows.length >= 1, stdout);
      for (const [average, timestamp] of rows) {
        assert.ok(Number(average) > 0 && Number(average) <= 100, average);
        // The pip CLI v1 prints timestamps as the JSON protocol carries them: epoch seconds.
        const iso = /^\d+(\.\d+)?$/.test(timestamp) ? new Date(Number(timestamp) * 1000).toISOString() : timestamp;
        assert.match(iso, /^2025-10-23T(09|10):\d\d:00(\+00:00|\.000Z|Z)$/);
      }
      const network = jsonDocuments(stdout).find((d) => d.Label === "NetworkIn");
      assert.ok(network.Datapoints.length >= 1, stdout);
      for (const point of network.Datapoints) assert.ok(point.Sum > 0 && point.Unit === "Bytes", JSON.stringify(point));
      assert.ok(jsonDocuments(stdout).some((d) => Array.isArray(d.DashboardValidationMessages) && d.DashboardValidationMessages.length === 0));
      const dashboard = await new CloudWatchClient(sdkConfig(stratus)).send(new GetDashboardCommand({ DashboardName: "ml-infrastructure-dashboard" }));
      assert.equal(JSON.parse(dashboard.DashboardBody!).widgets[0].properties.title, "EC2 CPU Utilization");
    });

    step("6-validation", "Part 6: the inventory tables, the buckets and their size, the cost estimate", async () => {
      const { stdout } = await part("6-validation");
      const rows = tableRows(stdout);
      const ip = (value: string | undefined) => value ?? "None";
      assert.deepEqual(
        rows.filter((row) => row[0].startsWith("i-")).sort(),
        [
          [vars.INSTANCE_ID, "t2.micro", "terminated", "None", "ml-inference-server"],
          [vars.INSTANCE_ID_V2, "t2.micro", "running", ip(vars.EIP_ADDRESS), "ml-inference-server-v2"],
        ].sort(),
      );
      assert.deepEqual(
        rows.filter((row) => row[0].startsWith("vol-")),
        [[vars.VOLUME_ID, "50", "gp3", "in-use", vars.INSTANCE_ID_V2]],
      );
      assert.match(stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ml-models-dev-000000000000\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ml-models-replica-000000000000\n/m);
      assert.match(stdout, /^Total Objects: 4\n {3}Total Size: 65\n/m);
      assert.match(stdout, /=== TOTAL ESTIMATED COST ===/);
    });

    step("7-cleanup", "clean-up: everything the exercise made is gone (versioned buckets need their versions deleted, as on AWS)", async () => {
      const { stdout } = await part("7-cleanup");
      for (const bucket of ["ml-models-dev-000000000000", "ml-models-replica-000000000000"]) {
        assert.match(
          stdout,
          new RegExp(
            `remove_bucket failed: s3://${bucket} An error occurred \\(BucketNotEmpty\\) when calling the DeleteBucket operation: The bucket you tried to delete is not empty\\. You must delete all versions in the bucket\\.`,
          ),
        );
        assert.match(stdout, new RegExp(`^remove_bucket: ${bucket}$`, "m"));
      }
      for (const region of ["us-east-1", "us-west-2"]) {
        const { Buckets } = await new S3Client({ ...sdkConfig(stratus, region), forcePathStyle: true }).send(new ListBucketsCommand({}));
        assert.deepEqual(Buckets, []);
      }
      const { Reservations } = await ec2.send(new DescribeInstancesCommand({}));
      for (const each of Reservations!.flatMap((r) => r.Instances!)) assert.equal(each.State!.Name, "terminated", each.InstanceId);
      const { Addresses } = await ec2.send(new DescribeAddressesCommand({}));
      assert.deepEqual(Addresses, []);
      for (const volumeId of [vars.VOLUME_ID, vars.RESTORED_VOLUME_ID]) {
        await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })), (e: any) => e.name === "InvalidVolume.NotFound");
      }
      await assert.rejects(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [vars.SNAPSHOT_ID] })), (e: any) => e.name === "InvalidSnapshot.NotFound");
      await assert.rejects(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [vars.SG_ID] })), (e: any) => e.name === "InvalidGroup.NotFound");
      assert.deepEqual((await ec2.send(new DescribeKeyPairsCommand({}))).KeyPairs, []);
      assert.equal(existsSync(path.join(home, ".ssh", "ml-inference-key.pem")), false);
      const fleet = await ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [vars.SPOT_FLEET_REQUEST_ID] }));
      assert.equal(fleet.SpotFleetRequestConfigs![0].SpotFleetRequestState, "cancelled");
    });
  });
}
