/**
 * Instances that really run (--runtime namespaces), through SDK v3: the user
 * data runs once as root, reads the metadata service (IMDSv1 and v2, the
 * role's credentials, which STS then recognises), starts a web server that
 * the host reaches at the instance's public address; the aws CLI inside it
 * reaches Stratus with the instance role's credentials; a stop ends every
 * process and a start runs the per-boot scripts and enabled services (a
 * systemctl for instances without systemd) but not the user data again;
 * HttpTokens=required refuses IMDSv1; an Elastic IP associated while it
 * runs becomes its address; the key pair's holder logs in over SSH; a spot
 * interruption notice shows in the metadata; CloudWatch gets its real CPU and traffic; its
 * EBS volumes are block devices (mkfs, mount, fstab at the next boot; snapshots and restored
 * volumes hold what it wrote; their I/O in AWS/EBS); Stratus's inference server serves a
 * model from S3 as the exercise's systemd unit; a termination removes its network and
 * root, a reset every instance's.
 * Skipped where the host cannot run namespaces (not root).
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  CreateKeyPairCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSpotPriceHistoryCommand,
  DetachVolumeCommand,
  GetConsoleOutputCommand,
  ModifyInstanceMetadataOptionsCommand,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type RunInstancesCommandInput,
  type Instance,
} from "@aws-sdk/client-ec2";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { AttachRolePolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { randomBytes } from "node:crypto";
import { sdkConfig } from "../support/stratus.js";
import type { RunningStratus } from "../../src/index.js";
import { runtimeUnsupported } from "../../src/runtime/host.js";
import { JAMMY_FILTER, createInstanceProfile, startEc2 } from "../ec2/support.js";
import type { EbsProvider } from "../../src/services/ebs/provider.js";
import { fetchWhenUp, inInstance, inInstanceNetwork, notServed } from "./support.js";
import { rgbPng } from "../workload/png-writer.js";
import { SMALL_MODEL, modelTensors, testPicture } from "../workload/reference.js";
import { saveStateDict } from "../workload/torch-writer.js";

const USER_DATA = `#!/bin/bash
echo "hello from user data as $(id -un) on $(hostname)"
mkdir -p /srv/www
ln -s /var/log/cloud-init-output.log /srv/www/cloud-init-output.log
python3 - > /srv/www/meta.json <<'PY'
import json, urllib.request
base = "http://169.254.169.254/latest/"
def get(path, token=None):
    headers = {"X-aws-ec2-metadata-token": token} if token else {}
    return urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=5).read().decode()
token = urllib.request.urlopen(urllib.request.Request(base + "api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"}), timeout=5).read().decode()
role = get("meta-data/iam/security-credentials/", token).strip()
print(json.dumps({
    "instanceId": get("meta-data/instance-id", token),
    "instanceType": get("meta-data/instance-type"),
    "zone": get("meta-data/placement/availability-zone", token),
    "privateIp": get("meta-data/local-ipv4", token),
    "publicIp": get("meta-data/public-ipv4", token),
    "document": json.loads(get("dynamic/instance-identity/document", token)),
    "role": role,
    "credentials": json.loads(get("meta-data/iam/security-credentials/" + role, token)),
}))
PY
# The aws CLI (Debian's 2.9 ignores AWS_ENDPOINT_URL, so it is named) with the instance role's credentials from IMDS.
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" sts get-caller-identity --output json > /srv/www/caller.json 2> /srv/www/aws.err
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" s3 cp s3://runtime-models/model.bin /srv/www/model.bin 2>> /srv/www/aws.err
# The role may read S3, not write: this upload is refused.
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" s3 cp /etc/hostname s3://runtime-models/from-instance.txt 2> /srv/www/upload.err || true
ls -A /root /home > /srv/www/homes.txt
mkdir -p /var/lib/cloud/scripts/per-boot
printf '#!/bin/bash\necho "per-boot script ran"\n' > /var/lib/cloud/scripts/per-boot/hello.sh
chmod +x /var/lib/cloud/scripts/per-boot/hello.sh
# The web server as a service, the way the exercise installs its inference server.
echo "only root reads this" > /srv/www/secret.txt
chmod 600 /srv/www/secret.txt
cat > /etc/systemd/system/www.service <<'UNIT'
[Unit]
Description=Web server
After=network.target

[Service]
Type=simple
User=ubuntu
WorkingDirectory=/srv/www
Environment="PATH=/usr/bin:/bin" "GREETING=hello"
ExecStart=/usr/bin/python3 -m http.server 5000
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable www
systemctl start ml-missing 2> /srv/www/missing.txt
systemctl start www
systemctl is-active www > /srv/www/active.txt
echo "user data done"
`;

const unsupported = runtimeUnsupported();

describe("instances that run (--runtime namespaces)", { skip: unsupported }, () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let instance: Instance;

  before(async () => {
    ({ stratus, ec2 } = await startEc2({ runtime: "namespaces" }));
  });
  after(async () => {
    await stratus?.stop();
  });

  const describeOne = async (id: string) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
  /** An Ubuntu (jammy) t3.micro, with what the test adds. */
  const jammy = async () => (await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }))).Images![0].ImageId!;
  const launch = async (input: Partial<RunInstancesCommandInput> = {}) =>
    (await ec2.send(new RunInstancesCommand({ ImageId: await jammy(), InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, ...input }))).Instances![0];

  it("runs the user data once as root; it reads IMDS and serves on the public address", async () => {
    const profileArn = await createInstanceProfile(stratus, "runner");
    // As the exercise's instance role: read-only S3.
    await new IAMClient(sdkConfig(stratus)).send(new AttachRolePolicyCommand({ RoleName: "runner-role", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    const model = randomBytes(300_000);
    const s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "runtime-models" }));
    await s3.send(new PutObjectCommand({ Bucket: "runtime-models", Key: "model.bin", Body: model }));
    const launched = await launch({ IamInstanceProfile: { Arn: profileArn }, UserData: Buffer.from(USER_DATA).toString("base64") });
    await stratus.clock.advance("5s");
    instance = await describeOne(launched.InstanceId!);
    assert.equal(instance.State!.Name, "running");
    const meta = JSON.parse(await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/meta.json`));
    assert.equal(meta.instanceId, instance.InstanceId);
    assert.equal(meta.instanceType, "t3.micro");
    assert.equal(meta.zone, instance.Placement!.AvailabilityZone);
    assert.equal(meta.privateIp, instance.PrivateIpAddress);
    assert.equal(meta.publicIp, instance.PublicIpAddress);
    assert.equal(meta.document.instanceId, instance.InstanceId);
    assert.equal(meta.document.region, "us-east-1");
    assert.equal(meta.role, "runner-role");
    assert.equal(meta.credentials.Code, "Success");
    assert.equal(meta.credentials.Type, "AWS-HMAC");

    // The instance's credentials are STS's: the caller is the role, in a session named for the instance.
    const sts = new STSClient({
      endpoint: stratus.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: meta.credentials.AccessKeyId, secretAccessKey: meta.credentials.SecretAccessKey, sessionToken: meta.credentials.Token },
    });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Arn, `arn:aws:sts::000000000000:assumed-role/runner-role/${instance.InstanceId}`);

    // The aws CLI inside the instance reached Stratus at AWS_ENDPOINT_URL as the instance's role, and copied the model down.
    const caller = JSON.parse(await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/caller.json`));
    assert.equal(caller.Arn, `arn:aws:sts::000000000000:assumed-role/runner-role/${instance.InstanceId}`);
    const copied = await fetch(`http://${instance.PublicIpAddress}:5000/model.bin`);
    assert.equal(copied.status, 200, await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/aws.err`));
    assert.ok(Buffer.from(await copied.arrayBuffer()).equals(model), "the model arrived byte for byte");
    // The role's identity policy (AmazonS3ReadOnlyAccess) does not let it write.
    assert.match(await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/upload.err`), /AccessDenied/);
    // Home directories are the instance's own: the image's default user's, nothing of the host's.
    assert.equal((await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/homes.txt`)).trim(), "/home:\nubuntu\n\n/root:");

    // The server runs as the unit says: as ubuntu (who cannot read root's file), active; a missing unit is refused.
    assert.equal((await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/active.txt`)).trim(), "active");
    assert.equal((await fetch(`http://${instance.PublicIpAddress}:5000/secret.txt`)).status, 404);
    assert.match(await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/missing.txt`), /Unit ml-missing.service not found/);

    // The private address answers too; the console shows the user data's output.
    await fetchWhenUp(`http://${instance.PrivateIpAddress}:5000/meta.json`);
    const log = await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/cloud-init-output.log`);
    assert.match(log, new RegExp(`hello from user data as root on ip-${instance.PrivateIpAddress!.replace(/\./g, "-")}`));
    const console = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instance.InstanceId }));
    assert.match(Buffer.from(console.Output!, "base64").toString(), /hello from user data as root/);
  });

  it("reports the instance's real CPU time and network traffic to CloudWatch", async () => {
    // Some traffic and some work inside the instance, then a metrics period of the clock.
    for (let i = 0; i < 5; i++) await fetchWhenUp(`http://${instance.PublicIpAddress}:5000/meta.json`);
    await inInstanceNetwork(instance.InstanceId!, "sum(i * i for i in range(3_000_000))");
    await stratus.clock.advance("5m");
    const cw = new CloudWatchClient(sdkConfig(stratus));
    const stat = async (MetricName: string, statistic: "Sum" | "Maximum") => {
      const { Datapoints } = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/EC2",
          MetricName,
          Dimensions: [{ Name: "InstanceId", Value: instance.InstanceId }],
          StartTime: new Date(stratus.clock.now().getTime() - 3_600_000),
          EndTime: stratus.clock.now(),
          Period: 300,
          Statistics: [statistic],
        }),
      );
      return Datapoints!.reduce((n, d) => n + (d[statistic] ?? 0), 0);
    };
    // The fetches' requests went in, their answers (meta.json, > 1 KB each) came out.
    assert.ok((await stat("NetworkIn", "Sum")) > 5 * 100, "NetworkIn");
    assert.ok((await stat("NetworkOut", "Sum")) > 5 * 1000, "NetworkOut");
    assert.ok((await stat("CPUUtilization", "Maximum")) > 0, "CPUUtilization");
  });

  it("reaches what the host reaches (a Debian mirror), through the host's NAT", async (t) => {
    const url = "http://deb.debian.org/debian/dists/bookworm/Release";
    const hostReaches = await fetch(url, { signal: AbortSignal.timeout(10_000) }).then((r) => r.ok, () => false);
    if (!hostReaches || !existsSync("/usr/sbin/nft")) return t.skip("the host does not reach deb.debian.org, or has no nft");
    const code = `import urllib.request\nprint(urllib.request.urlopen("${url}", timeout=20).status)`;
    assert.equal(await inInstanceNetwork(instance.InstanceId!, code), "200");
  });

  it("answers IMDSv1 until HttpTokens is required, then only sessions; 403 while the endpoint is disabled", async () => {
    const v1 = `import urllib.request\ntry:\n  print(urllib.request.urlopen("http://169.254.169.254/latest/meta-data/instance-id", timeout=5).read().decode())\nexcept urllib.error.HTTPError as e:\n  print(e.code)`;
    assert.equal(await inInstanceNetwork(instance.InstanceId!, v1), instance.InstanceId);
    await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: instance.InstanceId, HttpTokens: "required" }));
    assert.equal(await inInstanceNetwork(instance.InstanceId!, v1), "401");
    const v2 = [
      "import urllib.request",
      'b = "http://169.254.169.254/latest/"',
      't = urllib.request.urlopen(urllib.request.Request(b + "api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}), timeout=5).read().decode()',
      'print(urllib.request.urlopen(urllib.request.Request(b + "meta-data/instance-id", headers={"X-aws-ec2-metadata-token": t}), timeout=5).read().decode())',
      "try:",
      '  urllib.request.urlopen(urllib.request.Request(b + "meta-data/instance-id", headers={"X-aws-ec2-metadata-token": "forged"}), timeout=5)',
      "except urllib.error.HTTPError as e:",
      "  print(e.code)",
      "try:",
      '  urllib.request.urlopen(urllib.request.Request(b + "api/token", method="PUT"), timeout=5)',
      "except urllib.error.HTTPError as e:",
      "  print(e.code)",
      "try:",
      '  urllib.request.urlopen(urllib.request.Request(b + "meta-data/no-such-thing", headers={"X-aws-ec2-metadata-token": t}), timeout=5)',
      "except urllib.error.HTTPError as e:",
      "  print(e.code)",
    ].join("\n");
    assert.deepEqual((await inInstanceNetwork(instance.InstanceId!, v2)).split("\n"), [instance.InstanceId, "401", "400", "404"]);
    // Turned off, IMDS answers 403; turned on again, sessions work again.
    await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: instance.InstanceId, HttpEndpoint: "disabled" }));
    assert.equal(await inInstanceNetwork(instance.InstanceId!, v1), "403");
    await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: instance.InstanceId, HttpEndpoint: "enabled" }));
    assert.equal((await inInstanceNetwork(instance.InstanceId!, v2)).split("\n")[0], instance.InstanceId);
  });

  it("moves the public address to an Elastic IP associated while it runs", async () => {
    const old = instance.PublicIpAddress!;
    const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: instance.InstanceId }));
    instance = await describeOne(instance.InstanceId!);
    assert.equal(instance.PublicIpAddress, PublicIp);
    const meta = JSON.parse(await fetchWhenUp(`http://${PublicIp}:5000/meta.json`));
    assert.equal(meta.instanceId, instance.InstanceId);
    await notServed(`http://${old}:5000/meta.json`);
  });

  it("stops every process on stop; a start runs the per-boot scripts, not the user data again", async () => {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    await stratus.clock.advance("5s");
    assert.equal((await describeOne(instance.InstanceId!)).State!.Name, "stopped");
    await notServed(`http://${instance.PrivateIpAddress}:5000/meta.json`);

    await ec2.send(new StartInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    await stratus.clock.advance("5s");
    const restarted = await describeOne(instance.InstanceId!);
    assert.equal(restarted.State!.Name, "running");
    // The root volume kept what the first boot wrote; the enabled service serves it again.
    const meta = JSON.parse(await fetchWhenUp(`http://${restarted.PublicIpAddress}:5000/meta.json`));
    assert.equal(meta.instanceId, instance.InstanceId);
    const log = await fetchWhenUp(`http://${restarted.PublicIpAddress}:5000/cloud-init-output.log`);
    assert.equal(log.match(/hello from user data/g)?.length, 1, "the user data ran once");
    assert.equal(log.match(/per-boot script ran/g)?.length, 1, "the per-boot script ran at the second boot");
    instance = restarted;
  });

  it("takes the instance's network and root away when it is terminated", async () => {
    const root = path.join(path.dirname(stratus.cloud.blobsDir), "instances", instance.InstanceId!);
    assert.ok(existsSync(root));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    await stratus.clock.advance("5s");
    assert.equal((await describeOne(instance.InstanceId!)).State!.Name, "terminated");
    for (let i = 0; i < 50 && existsSync(root); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!existsSync(root), "the root volume is gone");
    const namespaces = spawnSync("/usr/sbin/ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    assert.ok(!namespaces.includes(`stratus-${instance.InstanceId}`), namespaces);
    await notServed(`http://${instance.PrivateIpAddress}:5000/meta.json`);
  });

  it("lets the key pair's holder in over SSH as the image's user (with sudo, where the host has it)", { skip: existsSync("/usr/sbin/sshd") ? undefined : "no openssh-server on this host" }, async () => {
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "ssh-test" }));
    const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-ssh-"));
    try {
      const keyFile = path.join(dir, "key.pem");
      writeFileSync(keyFile, key.KeyMaterial!, { mode: 0o400 });
      const { InstanceId } = await launch({ KeyName: "ssh-test" });
      await stratus.clock.advance("5s");
      const launched = await describeOne(InstanceId!);
      const ssh = (user: string, command: string) =>
        promisify(execFile)(
          "ssh",
          ["-i", keyFile, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "-o", "LogLevel=ERROR", `${user}@${launched.PublicIpAddress}`, command],
          { encoding: "utf8", timeout: 15_000 },
        );
      let out = "";
      for (let i = 0; ; i++) {
        try {
          out = (await ssh("ubuntu", "id -un; hostname; if command -v sudo >/dev/null; then sudo -n id -un; else echo no-sudo; fi; curl -s http://169.254.169.254/latest/meta-data/instance-id 2>/dev/null || python3 -c 'import urllib.request; print(urllib.request.urlopen(\"http://169.254.169.254/latest/meta-data/instance-id\").read().decode())'")).stdout;
          break;
        } catch (error) {
          if (i >= 40) throw error;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      assert.deepEqual(out.trim().split("\n"), ["ubuntu", `ip-${launched.PrivateIpAddress!.replace(/\./g, "-")}`, existsSync("/usr/bin/sudo") ? "root" : "no-sudo", launched.InstanceId]);
      // Another user, or no key, gets nowhere.
      await assert.rejects(ssh("root", "true"));
      // The console shows the instance's own host key fingerprints.
      const console = Buffer.from((await ec2.send(new GetConsoleOutputCommand({ InstanceId: launched.InstanceId }))).Output!, "base64").toString();
      assert.match(console, /-----BEGIN SSH HOST KEY FINGERPRINTS-----\n\d+ SHA256:/);
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [launched.InstanceId!] }));
      await stratus.clock.advance("5s");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shows a spot interruption notice in the instance's metadata for its two minutes", async () => {
    const series = { InstanceTypes: ["m5.large" as const], AvailabilityZone: "us-east-1b", ProductDescriptions: ["Linux/UNIX"] };
    const priceNow = async () => (await ec2.send(new DescribeSpotPriceHistoryCommand({ ...series, StartTime: stratus.clock.now() }))).SpotPriceHistory![0];
    const maxPrice = Number((await priceNow()).SpotPrice);
    const { SpotInstanceRequests } = await ec2.send(
      new RequestSpotInstancesCommand({ SpotPrice: maxPrice.toFixed(6), LaunchSpecification: { ImageId: await jammy(), InstanceType: "m5.large", Placement: { AvailabilityZone: "us-east-1b" } } }),
    );
    const requestId = SpotInstanceRequests![0].SpotInstanceRequestId!;
    const request = async () => (await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [requestId] }))).SpotInstanceRequests![0];
    const instanceId = (await request()).InstanceId!;
    await stratus.clock.advance("5s");
    const action = `import urllib.request\ntry:\n  print(urllib.request.urlopen("http://169.254.169.254/latest/meta-data/spot/instance-action", timeout=5).read().decode())\nexcept urllib.error.HTTPError as e:\n  print(e.code)`;
    // Booted, and no notice yet.
    for (let i = 0; i < 100 && !spawnSync("/usr/sbin/ip", ["netns", "list"], { encoding: "utf8" }).stdout.includes(`stratus-${instanceId}`); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await inInstanceNetwork(instanceId, action), "404");
    // Price change after price change (every six hours) until the price passes the maximum.
    let marked;
    for (let change = 0; change < 120 && !marked; change++) {
      await stratus.clock.set((await priceNow()).Timestamp!.getTime() + 6 * 3_600_000 + 1000);
      const current = await request();
      if (current.Status!.Code === "marked-for-termination") marked = current;
    }
    assert.ok(marked, "the price passed the maximum within 30 days");
    const notice = JSON.parse(await inInstanceNetwork(instanceId, action));
    assert.deepEqual(notice, { action: "terminate", time: new Date(marked.Status!.UpdateTime!.getTime() + 120_000).toISOString().replace(/\.\d{3}Z$/, "Z") });
    await stratus.clock.advance("3m");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })).catch(() => undefined);
  });

  const noLoop = spawnSync("/usr/sbin/losetup", ["--find"]).status === 0 ? undefined : "this host has no loop devices";
  it("has its EBS volumes as block devices: the exercise's mkfs, mount and fstab; snapshots hold what it wrote", { skip: noLoop }, async () => {
    const ebsUserData = `#!/bin/bash
set -e
mkfs -t ext4 -q /dev/nvme1n1
mkdir -p /mnt/ml-data
mount /dev/nvme1n1 /mnt/ml-data
chown ubuntu:ubuntu /mnt/ml-data
echo "ML training data storage" > /mnt/ml-data/README.txt
DEVICE_UUID=$(blkid /dev/nvme1n1 -s UUID -o value)
echo "UUID=$DEVICE_UUID  /mnt/ml-data  ext4  defaults,nofail  0  2" | tee -a /etc/fstab
sync
echo "volume ready"
`;
    const launched = await launch({ BlockDeviceMappings: [{ DeviceName: "/dev/sdf", Ebs: { VolumeSize: 2, VolumeType: "gp3" } }], UserData: Buffer.from(ebsUserData).toString("base64") });
    const id = launched.InstanceId!;
    await stratus.clock.advance("5s");
    const consoleText = async () => Buffer.from((await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? "", "base64").toString();
    for (let i = 0; i < 300 && !/volume ready|exited with status/.test(await consoleText()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(await consoleText(), /volume ready/);
    const volumeId = (await describeOne(id)).BlockDeviceMappings!.find((m) => m.DeviceName === "/dev/sdf")!.Ebs!.VolumeId!;
    // As on a Nitro instance: nvme1n1, with the by-id link naming the volume; the file system is there.
    assert.equal(await inInstance(stratus, id, "cat /mnt/ml-data/README.txt"), "ML training data storage");
    assert.equal(await inInstance(stratus, id, `readlink /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`), "../../nvme1n1");
    assert.match(await inInstance(stratus, id, "df -h | grep ml-data"), /^\/dev\/nvme1n1\s.*\/mnt\/ml-data$/);

    // A snapshot of the volume (attached, mounted) holds the file system; a volume restored from it, attached while the instance runs, shows the file.
    const snapshot = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: "Backup of ml-training-data volume" }));
    await stratus.clock.advance("2m");
    assert.equal((await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshot.SnapshotId!] }))).Snapshots![0].State, "completed");
    const restored = await ec2.send(new CreateVolumeCommand({ SnapshotId: snapshot.SnapshotId, AvailabilityZone: launched.Placement!.AvailabilityZone, VolumeType: "gp3" }));
    await stratus.clock.advance("5s");
    await ec2.send(new AttachVolumeCommand({ VolumeId: restored.VolumeId, InstanceId: id, Device: "/dev/sdg" }));
    await stratus.clock.advance("5s");
    let listing = "";
    for (let i = 0; i < 100 && !listing.includes("nvme2n1"); i++) listing = await inInstance(stratus, id, "ls /dev");
    assert.match(listing, /nvme2n1/);
    assert.equal(await inInstance(stratus, id, "mkdir -p /mnt/restored && mount /dev/nvme2n1 /mnt/restored && cat /mnt/restored/README.txt"), "ML training data storage");
    // Detached (unmounted first, as on EC2): its node goes.
    await inInstance(stratus, id, "umount /mnt/restored");
    await ec2.send(new DetachVolumeCommand({ VolumeId: restored.VolumeId }));
    await stratus.clock.advance("5s");
    for (let i = 0; i < 100 && listing.includes("nvme2n1"); i++) listing = await inInstance(stratus, id, "ls /dev");
    assert.doesNotMatch(listing, /nvme2n1/);

    // What mkfs wrote shows in the volume's AWS/EBS metrics.
    await stratus.clock.advance("5m");
    await stratus.clock.advance("5m");
    const { Datapoints } = await new CloudWatchClient(sdkConfig(stratus)).send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/EBS",
        MetricName: "VolumeWriteBytes",
        Dimensions: [{ Name: "VolumeId", Value: volumeId }],
        StartTime: new Date(stratus.clock.now().getTime() - 3_600_000),
        EndTime: stratus.clock.now(),
        Period: 300,
        Statistics: ["Sum"],
      }),
    );
    assert.ok(Datapoints!.reduce((n, d) => n + d.Sum!, 0) > 1_000_000, "VolumeWriteBytes");

    // A stop releases the devices; the next boot mounts the fstab entry again.
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("5s");
    const file = stratus.cloud.provider<EbsProvider>("ebs").blocks.volumePath(volumeId);
    const bound = () => spawnSync("/usr/sbin/losetup", ["--associated", file], { encoding: "utf8" }).stdout.trim();
    for (let i = 0; i < 50 && bound(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(bound(), "", "no loop device holds the volume while the instance is stopped");
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("5s");
    let readme = "";
    for (let i = 0; i < 100 && !readme; i++) readme = await inInstance(stratus, id, "cat /mnt/ml-data/README.txt 2>/dev/null || true");
    assert.equal(readme, "ML training data storage");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("5s");
  });

  it("serves a model from S3 with stratus-inference as the exercise's ml-inference service, logging predictions to its EBS volume", { skip: noLoop }, async () => {
    const profileArn = await createInstanceProfile(stratus, "inference");
    await new IAMClient(sdkConfig(stratus)).send(new AttachRolePolicyCommand({ RoleName: "inference-role", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    const s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "ml-models-dev" }));
    const model = saveStateDict(modelTensors(SMALL_MODEL, 7));
    await s3.send(new PutObjectCommand({ Bucket: "ml-models-dev", Key: "models/v1.0/resnet50.pth", Body: model, Metadata: { model_version: "1.0" } }));
    const userData = `#!/bin/bash
set -e
mkfs -t ext4 -q /dev/nvme1n1
mkdir -p /mnt/ml-data && mount /dev/nvme1n1 /mnt/ml-data && chown ubuntu:ubuntu /mnt/ml-data
cat > /etc/systemd/system/ml-inference.service <<'UNIT'
[Unit]
Description=ML Inference Server

[Service]
Type=simple
User=ubuntu
Environment="MODEL_BUCKET=ml-models-dev" "PREDICTIONS_LOG=/mnt/ml-data/predictions.jsonl"
ExecStart=/usr/local/bin/stratus-inference
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable ml-inference
systemctl start ml-inference
`;
    const launched = await launch({
      IamInstanceProfile: { Arn: profileArn },
      BlockDeviceMappings: [{ DeviceName: "/dev/sdf", Ebs: { VolumeSize: 1 } }],
      UserData: Buffer.from(userData).toString("base64"),
    });
    const id = launched.InstanceId!;
    await stratus.clock.advance("5s");
    const ip = (await describeOne(id)).PublicIpAddress!;
    // The exercise's health check, from the host, once the model (read with the instance role's credentials) is loaded.
    const logs = async () =>
      `${Buffer.from((await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? "", "base64")}\n${await inInstance(stratus, id, "tail -25 /var/log/ml-inference.log")}`;
    let health: any = {};
    for (let i = 0; i < 100 && !health.model_loaded; i++) {
      health = JSON.parse(await fetchWhenUp(`http://${ip}:5000/health`).catch(async (error) => assert.fail(`${error.message}\n${await logs()}`)));
      if (!health.model_loaded) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(health.status, "healthy");
    assert.equal(health.model_loaded, true, JSON.stringify(health));
    assert.equal(health.model_version, "1.0");
    const form = new FormData();
    form.append("image", new Blob([new Uint8Array(rgbPng(16, 16, testPicture(16, 16, 3)))], { type: "image/png" }), "cat.png");
    const answer = await fetch(`http://${ip}:5000/predict`, { method: "POST", body: form });
    assert.equal(answer.status, 200);
    const prediction = await answer.json();
    assert.ok(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"].includes(prediction.prediction), JSON.stringify(prediction));
    // The prediction is on the EBS volume, written by the service as ubuntu.
    const logged = JSON.parse(await inInstance(stratus, id, "cat /mnt/ml-data/predictions.jsonl"));
    assert.equal(logged.prediction, prediction.prediction);
    assert.equal(await inInstance(stratus, id, "stat -c %U /mnt/ml-data/predictions.jsonl"), "ubuntu");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("5s");
  });

  it("stops and forgets every instance on a reset", async () => {
    const id = (await launch()).InstanceId!;
    const namespaces = () => spawnSync("/usr/sbin/ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    for (let i = 0; i < 100 && !namespaces().includes(`stratus-${id}`); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(namespaces().includes(`stratus-${id}`), "the instance booted");
    await stratus.reset();
    assert.ok(!namespaces().includes(`stratus-${id}`), "its network is gone");
    assert.ok(!existsSync(path.join(path.dirname(stratus.cloud.blobsDir), "instances")), "and every instance's root");
  });
});
