/**
 * The image catalogue and the account's own images, instance types and
 * offerings, key pairs with real key material, and Elastic IPs.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  DeleteKeyPairCommand,
  DeregisterImageCommand,
  DescribeAddressesCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand,
  EC2Client,
  ImportKeyPairCommand,
  ModifyImageAttributeCommand,
  ReleaseAddressCommand,
  RunInstancesCommand,
  waitUntilImageAvailable,
  type Image,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig } from "../support/stratus.js";
import { JAMMY_FILTER, rejectsWith, startEc2 } from "./support.js";

const newest = (images: Image[]) => [...images].sort((a, b) => (a.CreationDate! < b.CreationDate! ? -1 : 1)).at(-1)!;

describe("EC2 images", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
  });
  after(() => stratus.stop());

  it("serves Canonical's Ubuntu 22.04 and 24.04 for amd64 and arm64, several builds each", async () => {
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"] }));
    const names = Images!.map((i) => i.Name!);
    const jammyAmd = names.filter((n) => /^ubuntu\/images\/hvm-ssd\/ubuntu-jammy-22\.04-amd64-server-\d{8}$/.test(n));
    const nobleArm = names.filter((n) => /^ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble-24\.04-arm64-server-\d{8}$/.test(n));
    assert.ok(jammyAmd.length >= 3, `jammy builds: ${jammyAmd.length}`);
    assert.ok(nobleArm.length >= 3);
    const jammy = newest(Images!.filter((i) => jammyAmd.includes(i.Name!)));
    assert.match(jammy.CreationDate!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    assert.equal(jammy.OwnerId, "099720109477");
    assert.equal(jammy.RootDeviceName, "/dev/sda1");
    assert.equal(jammy.BlockDeviceMappings![0].Ebs!.VolumeType, "gp2");
    assert.equal(jammy.Architecture, "x86_64");
    assert.equal(jammy.State, "available");
    assert.equal(jammy.Public, true);
    assert.ok(Date.parse(jammy.CreationDate!) <= stratus.clock.now().getTime());
    const noble = Images!.find((i) => i.Name!.includes("noble-24.04-amd64"))!;
    assert.equal(noble.BlockDeviceMappings![0].Ebs!.VolumeType, "gp3");
  });

  it("finds images by owner alias, owner id and self, with the exercise's newest-first query", async () => {
    const amazon = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023.*-x86_64"] }] }));
    assert.ok(amazon.Images!.length >= 1);
    assert.ok(amazon.Images!.every((i) => i.ImageOwnerAlias === "amazon" && i.OwnerId === "137112412989" && i.RootDeviceName === "/dev/xvda"));
    const debian = await ec2.send(new DescribeImagesCommand({ Owners: ["136693071363"], Filters: [{ Name: "name", Values: ["debian-12-amd64-*"] }] }));
    assert.ok(debian.Images!.length >= 2);
    assert.match(newest(debian.Images!).Name!, /^debian-12-amd64-\d{8}-\d{4}$/);
    const mine = await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    assert.deepEqual(mine.Images, []);
    const jammy = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    const again = await ec2.send(new DescribeImagesCommand({ ImageIds: [newest(jammy.Images!).ImageId!] }));
    assert.equal(again.Images![0].Name, newest(jammy.Images!).Name, "ids are stable");
    const west = await new EC2Client(sdkConfig(stratus, "us-west-2")).send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [newest(jammy.Images!).Name!] }] }));
    assert.notEqual(west.Images![0].ImageId, newest(jammy.Images!).ImageId, "each region has its own AMI ids");
  });

  it("hides deprecated images unless asked or named by id", async () => {
    const visible = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    const all = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], IncludeDeprecated: true, Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    const now = stratus.clock.now().getTime();
    const deprecated = all.Images!.filter((i) => Date.parse(i.DeprecationTime!) <= now);
    assert.ok(deprecated.length > 0, "the oldest builds are past their deprecation time");
    assert.equal(visible.Images!.length, all.Images!.length - deprecated.length);
    const byId = await ec2.send(new DescribeImagesCommand({ ImageIds: [deprecated[0].ImageId!] }));
    assert.equal(byId.Images!.length, 1);
  });

  it("answers AWS's errors for unknown and malformed image ids", async () => {
    await rejectsWith(ec2.send(new DescribeImagesCommand({ ImageIds: ["ami-0123456789abcdef0"] })), "InvalidAMIID.NotFound", /The image id '\[ami-0123456789abcdef0\]' does not exist/);
    await rejectsWith(ec2.send(new DescribeImagesCommand({ ImageIds: ["ami-x"] })), "InvalidAMIID.Malformed");
  });

  it("creates an image from an instance, pending then available, launchable, and deregisters it", async () => {
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    const base = newest(Images!);
    const run = await ec2.send(new RunInstancesCommand({ ImageId: base.ImageId, MinCount: 1, MaxCount: 1, BlockDeviceMappings: [{ DeviceName: "/dev/sdf", Ebs: { VolumeSize: 10 } }] }));
    const instanceId = run.Instances![0].InstanceId!;
    await rejectsWith(ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: "too-early" })), "IncorrectInstanceState");
    await stratus.clock.advance("30s");
    const { ImageId } = await ec2.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: "ml-base-v1",
        Description: "ML base image",
        TagSpecifications: [
          { ResourceType: "image", Tags: [{ Key: "Stage", Value: "dev" }] },
          { ResourceType: "snapshot", Tags: [{ Key: "Stage", Value: "dev" }] },
        ],
      }),
    );
    assert.match(ImageId!, /^ami-[0-9a-f]{17}$/);
    await rejectsWith(ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: "ml-base-v1" })), "InvalidAMIName.Duplicate", new RegExp(`in use by AMI ${ImageId}`));
    await rejectsWith(ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: "x" })), "InvalidAMIName.Malformed");
    const pending = await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    assert.equal(pending.Images![0].State, "pending");
    await stratus.clock.advance("1m");
    await waitUntilImageAvailable({ client: ec2, maxWaitTime: 30, minDelay: 1 }, { ImageIds: [ImageId!] });
    const [image] = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images!;
    assert.deepEqual([image.OwnerId, image.Public, image.Name, image.SourceInstanceId, image.Tags], ["000000000000", false, "ml-base-v1", instanceId, [{ Key: "Stage", Value: "dev" }]]);
    assert.deepEqual(image.BlockDeviceMappings!.map((m) => [m.DeviceName, m.Ebs!.VolumeSize]), [
      ["/dev/sda1", 8],
      ["/dev/sdf", 10],
    ]);
    assert.ok(image.BlockDeviceMappings!.every((m) => /^snap-[0-9a-f]{17}$/.test(m.Ebs!.SnapshotId!)));
    const description = await ec2.send(new DescribeImageAttributeCommand({ ImageId, Attribute: "description" }));
    assert.equal(description.Description!.Value, "ML base image");

    const child = await ec2.send(new RunInstancesCommand({ ImageId, MinCount: 1, MaxCount: 1 }));
    assert.equal(child.Instances![0].ImageId, ImageId);

    await ec2.send(new ModifyImageAttributeCommand({ ImageId, LaunchPermission: { Add: [{ Group: "all" }] } }));
    const permissions = await ec2.send(new DescribeImageAttributeCommand({ ImageId, Attribute: "launchPermission" }));
    assert.deepEqual(permissions.LaunchPermissions, [{ Group: "all" }]);
    assert.equal((await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0].Public, true);

    await rejectsWith(ec2.send(new DeregisterImageCommand({ ImageId: base.ImageId })), "AuthFailure", /Not authorized for image/);
    await ec2.send(new DeregisterImageCommand({ ImageId }));
    await rejectsWith(ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] })), "InvalidAMIID.NotFound");
  });
});

describe("EC2 instance types", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
  });
  after(() => stratus.stop());

  it("describes the families with AWS's figures", async () => {
    const { InstanceTypes } = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["t2.micro", "g4dn.xlarge", "g5.12xlarge", "p3.8xlarge", "m5.large"] }));
    const byName = new Map(InstanceTypes!.map((t) => [t.InstanceType, t]));
    const micro = byName.get("t2.micro")!;
    assert.deepEqual([micro.VCpuInfo!.DefaultVCpus, micro.MemoryInfo!.SizeInMiB, micro.FreeTierEligible, micro.BurstablePerformanceSupported], [1, 1024, true, true]);
    assert.deepEqual(micro.ProcessorInfo!.SupportedArchitectures, ["i386", "x86_64"]);
    assert.equal(micro.NetworkInfo!.NetworkPerformance, "Low to Moderate");
    const g4 = byName.get("g4dn.xlarge")!;
    assert.deepEqual(g4.GpuInfo, { Gpus: [{ Name: "T4", Manufacturer: "NVIDIA", Count: 1, MemoryInfo: { SizeInMiB: 16384 } }], TotalGpuMemoryInMiB: 16384 });
    assert.equal(g4.InstanceStorageInfo!.TotalSizeInGB, 125);
    assert.equal(byName.get("g5.12xlarge")!.GpuInfo!.Gpus![0].Count, 4);
    assert.equal(byName.get("g5.12xlarge")!.GpuInfo!.Gpus![0].Name, "A10G");
    assert.equal(byName.get("p3.8xlarge")!.GpuInfo!.TotalGpuMemoryInMiB, 4 * 16384);
    const m5 = byName.get("m5.large")!;
    assert.deepEqual([m5.VCpuInfo!.DefaultVCpus, m5.MemoryInfo!.SizeInMiB, m5.EbsInfo!.EbsOptimizedSupport, m5.NetworkInfo!.EnaSupport], [2, 8192, "default", "required"]);
    await rejectsWith(ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["t9.huge" as never] })), "InvalidInstanceType", /t9\.huge/);
  });

  it("filters and pages the catalogue", async () => {
    const gpus = await ec2.send(new DescribeInstanceTypesCommand({ Filters: [{ Name: "instance-type", Values: ["g*", "p*"] }, { Name: "network-info.efa-supported", Values: ["true"] }] }));
    assert.ok(gpus.InstanceTypes!.every((t) => t.GpuInfo && t.NetworkInfo!.EfaSupported));
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const page: { InstanceTypes?: Array<{ InstanceType?: string }>; NextToken?: string } = await ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 20, NextToken: token }));
      for (const t of page.InstanceTypes!) seen.add(t.InstanceType!);
      token = page.NextToken;
    } while (token);
    for (const family of ["t2", "t3", "t3a", "m5", "c5", "r5", "g4dn", "g5", "p3"]) assert.ok([...seen].some((t) => t.startsWith(`${family}.`)), family);
    await rejectsWith(ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 101 })), "InvalidParameterValue");
  });

  it("offers types per region and per zone", async () => {
    const region = await ec2.send(new DescribeInstanceTypeOfferingsCommand({ Filters: [{ Name: "instance-type", Values: ["p3.2xlarge"] }] }));
    assert.deepEqual(region.InstanceTypeOfferings, [{ InstanceType: "p3.2xlarge", LocationType: "region", Location: "us-east-1" }]);
    const zones = await ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone", Filters: [{ Name: "instance-type", Values: ["p3.2xlarge"] }] }));
    const names = zones.InstanceTypeOfferings!.map((o) => o.Location);
    assert.ok(names.length > 0 && names.length < 6);
    assert.ok(!names.includes("us-east-1e"));
    const ids = await ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone-id", Filters: [{ Name: "location", Values: ["use1-az3"] }] }));
    assert.ok(ids.InstanceTypeOfferings!.every((o) => /^(t2|t3|m5|c5|r5)\./.test(o.InstanceType!)));
  });
});

describe("EC2 key pairs and Elastic IPs", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let dir: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-keys-"));
  });
  after(() => stratus.stop());

  const save = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text.endsWith("\n") ? text : text + "\n");
    chmodSync(file, 0o600);
    return file;
  };

  it("creates RSA keys ssh-keygen accepts, with EC2's SHA-1 fingerprint of the private key", async () => {
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "rsa-key" }));
    assert.match(key.KeyPairId!, /^key-[0-9a-f]{17}$/);
    const file = save("rsa.pem", key.KeyMaterial!);
    const publicKey = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" });
    assert.match(publicKey, /^ssh-rsa AAAA/);
    const der = execFileSync("openssl", ["pkcs8", "-in", file, "-inform", "PEM", "-outform", "DER", "-topk8", "-nocrypt"]);
    const expected = execFileSync("openssl", ["sha1", "-c"], { input: der, encoding: "utf8" }).trim().split(/\s+/).pop();
    assert.equal(key.KeyFingerprint, expected);
    const described = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ["rsa-key"], IncludePublicKey: true }));
    assert.equal(described.KeyPairs![0].PublicKey!.split(" ")[1], publicKey.trim().split(" ")[1]);
    await rejectsWith(ec2.send(new CreateKeyPairCommand({ KeyName: "rsa-key" })), "InvalidKeyPair.Duplicate", /'rsa-key' already exists/);
  });

  it("creates ED25519 keys in OpenSSH format, with the SHA-256 fingerprint", async () => {
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "ed-key", KeyType: "ed25519" }));
    assert.match(key.KeyMaterial!, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
    const file = save("ed", key.KeyMaterial!);
    assert.match(execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }), /^ssh-ed25519 AAAA/);
    const listed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", file], { encoding: "utf8" });
    assert.equal(key.KeyFingerprint!.replace(/=+$/, ""), /SHA256:(\S+)/.exec(listed)![1]);
    const ppk = await ec2.send(new CreateKeyPairCommand({ KeyName: "putty", KeyFormat: "ppk" }));
    assert.match(ppk.KeyMaterial!, /^PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\n/);
  });

  it("imports OpenSSH public keys with EC2's fingerprints, refusing anything else", async () => {
    const rsaFile = path.join(dir, "imported");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", rsaFile]);
    const imported = await ec2.send(new ImportKeyPairCommand({ KeyName: "imported", PublicKeyMaterial: readFileSync(`${rsaFile}.pub`) }));
    const spki = execFileSync("openssl", ["rsa", "-in", rsaFile, "-pubout", "-outform", "DER"], { stdio: ["ignore", "pipe", "ignore"] });
    const md5 = execFileSync("openssl", ["md5", "-c"], { input: spki, encoding: "utf8" }).trim().split(/\s+/).pop();
    assert.equal(imported.KeyFingerprint, md5);
    const edFile = path.join(dir, "imported-ed");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", edFile]);
    const ed = await ec2.send(new ImportKeyPairCommand({ KeyName: "imported-ed", PublicKeyMaterial: readFileSync(`${edFile}.pub`) }));
    const listed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${edFile}.pub`], { encoding: "utf8" });
    assert.equal(ed.KeyFingerprint!.replace(/=+$/, ""), /SHA256:(\S+)/.exec(listed)![1]);
    await rejectsWith(ec2.send(new ImportKeyPairCommand({ KeyName: "junk", PublicKeyMaterial: Buffer.from("not a key") })), "InvalidKey.Format");
    const types = await ec2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: "key-type", Values: ["ed25519"] }] }));
    assert.deepEqual(types.KeyPairs!.map((k) => k.KeyName).sort(), ["ed-key", "imported-ed"]);
  });

  it("describes and deletes key pairs with EC2's errors", async () => {
    await rejectsWith(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ["missing"] })), "InvalidKeyPair.NotFound", /The key pair 'missing' does not exist/);
    await ec2.send(new DeleteKeyPairCommand({ KeyName: "missing" }));
    await rejectsWith(ec2.send(new DeleteKeyPairCommand({ KeyPairId: "key-0123456789abcdef0" })), "InvalidKeyPair.NotFound");
    const deleted = await ec2.send(new DeleteKeyPairCommand({ KeyName: "putty" }));
    assert.equal(deleted.Return, true);
    await rejectsWith(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ["putty"] })), "InvalidKeyPair.NotFound");
  });

  it("allocates, associates, refuses to release an address in use, and releases it", async () => {
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, MinCount: 1, MaxCount: 1 }));
    const instanceId = run.Instances![0].InstanceId!;
    await stratus.clock.advance("30s");
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: "vpc", TagSpecifications: [{ ResourceType: "elastic-ip", Tags: [{ Key: "Name", Value: "api" }] }] }));
    assert.match(eip.AllocationId!, /^eipalloc-[0-9a-f]{17}$/);
    assert.equal(eip.Domain, "vpc");
    const assoc = await ec2.send(new AssociateAddressCommand({ InstanceId: instanceId, AllocationId: eip.AllocationId }));
    const { Addresses } = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: "instance-id", Values: [instanceId] }] }));
    assert.deepEqual([Addresses![0].AssociationId, Addresses![0].PublicIp, Addresses![0].Tags], [assoc.AssociationId, eip.PublicIp, [{ Key: "Name", Value: "api" }]]);
    const second = await ec2.send(new AllocateAddressCommand({}));
    await ec2.send(new AssociateAddressCommand({ InstanceId: instanceId, AllocationId: second.AllocationId }));
    const moved = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] }));
    assert.equal(moved.Addresses![0].InstanceId, undefined, "the instance's previous Elastic IP came off");
    await rejectsWith(ec2.send(new ReleaseAddressCommand({ AllocationId: second.AllocationId })), "InvalidIPAddress.InUse");
    await ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
    await rejectsWith(ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] })), "InvalidAllocationID.NotFound", /The allocation ID 'eipalloc-[0-9a-f]+' does not exist/);
    for (let i = 0; i < 4; i++) await ec2.send(new AllocateAddressCommand({}));
    await rejectsWith(ec2.send(new AllocateAddressCommand({})), "AddressLimitExceeded");
  });
});
