/** The instance metadata tree as IMDS lays it out (runs anywhere; the namespaces suite reads it from instances). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lookup, type ImdsInstance, type RoleCredentials } from "../../src/runtime/imds/metadata.js";

const instance: ImdsInstance = {
  account: "000000000000",
  region: "us-east-1",
  instanceId: "i-0123456789abcdef0",
  instanceType: "t3.micro",
  imageId: "ami-0abc",
  architecture: "x86_64",
  launchIndex: 0,
  launchTime: new Date("2026-03-01T10:00:00.123Z"),
  availabilityZone: "us-east-1a",
  availabilityZoneId: "use1-az6",
  privateIp: "172.31.16.5",
  privateDnsName: "ip-172-31-16-5.ec2.internal",
  publicIp: "54.1.2.3",
  publicDnsName: "ec2-54-1-2-3.compute-1.amazonaws.com",
  mac: "0a:1b:2c:3d:4e:5f",
  interfaceId: "eni-0abc",
  subnetId: "subnet-1",
  subnetCidr: "172.31.16.0/20",
  vpcId: "vpc-1",
  vpcCidr: "172.31.0.0/16",
  securityGroups: [{ id: "sg-1", name: "ml-sg" }],
  reservationId: "r-1",
  keyName: "ml-key",
  publicKey: "ssh-ed25519 AAAA ml-key",
  userData: Buffer.from("#!/bin/bash\necho hi\n"),
  lifecycle: "spot",
  spotAction: { action: "terminate", time: new Date("2026-03-01T12:02:00Z") },
  httpTokens: "optional",
  httpEndpoint: "enabled",
  role: { name: "ml-role", profileArn: "arn:aws:iam::000000000000:instance-profile/ml", profileId: "AIPA1" },
};

const credentials: RoleCredentials = {
  accessKeyId: "ASIA1",
  secretAccessKey: "secret",
  token: "token",
  issued: new Date("2026-03-01T10:00:05.500Z"),
  expiration: new Date("2026-03-01T16:00:05.500Z"),
};

const get = (path: string, i: ImdsInstance = instance) => lookup(i, path, () => credentials);

describe("instance metadata", () => {
  it("lists directories in name order, subdirectories with a trailing slash", () => {
    const listing = String(get("/latest/meta-data/")).split("\n");
    assert.deepEqual(listing, [...listing].sort());
    for (const entry of ["ami-id", "hostname", "iam/", "instance-id", "instance-type", "local-ipv4", "mac", "network/", "placement/", "public-ipv4", "public-keys/", "spot/"]) {
      assert.ok(listing.includes(entry), entry);
    }
    assert.equal(get("/latest/"), "dynamic\nmeta-data\nuser-data");
    assert.equal(get("/latest/meta-data/placement/"), "availability-zone\navailability-zone-id\nregion");
    assert.equal(get("/latest/meta-data/placement"), get("/latest/meta-data/placement/"));
  });

  it("answers values, the public key by index, the interface by MAC, and 404 for the rest", () => {
    assert.equal(get("/latest/meta-data/instance-id"), instance.instanceId);
    assert.equal(get("/latest/meta-data/placement/availability-zone"), "us-east-1a");
    assert.equal(get("/latest/meta-data/public-keys/"), "0=ml-key");
    assert.equal(get("/latest/meta-data/public-keys/0/openssh-key"), "ssh-ed25519 AAAA ml-key");
    assert.equal(get(`/latest/meta-data/network/interfaces/macs/${instance.mac}/subnet-id`), "subnet-1");
    assert.equal(get("/latest/meta-data/security-groups"), "ml-sg");
    assert.equal(get("/latest/meta-data/no-such-key"), undefined);
    assert.equal(get("/latest/meta-data/instance-id/deeper"), undefined);
    assert.equal(get("/2009-04-04/meta-data/"), undefined);
  });

  it("serves the role's credentials and the profile, in IMDS's time format", () => {
    assert.equal(get("/latest/meta-data/iam/security-credentials/"), "ml-role");
    const creds = JSON.parse(String(get("/latest/meta-data/iam/security-credentials/ml-role")));
    assert.deepEqual(creds, {
      Code: "Success",
      LastUpdated: "2026-03-01T10:00:05Z",
      Type: "AWS-HMAC",
      AccessKeyId: "ASIA1",
      SecretAccessKey: "secret",
      Token: "token",
      Expiration: "2026-03-01T16:00:05Z",
    });
    const info = JSON.parse(String(get("/latest/meta-data/iam/info")));
    assert.equal(info.InstanceProfileArn, instance.role!.profileArn);
    assert.equal(get("/latest/meta-data/iam/", { ...instance, role: undefined }), undefined);
  });

  it("answers the user data as sent, the identity document, the spot notice and tags only when allowed", () => {
    assert.deepEqual(get("/latest/user-data"), instance.userData);
    assert.equal(get("/latest/user-data", { ...instance, userData: Buffer.alloc(0) }), undefined);
    const document = JSON.parse(String(get("/latest/dynamic/instance-identity/document")));
    assert.equal(document.instanceId, instance.instanceId);
    assert.equal(document.pendingTime, "2026-03-01T10:00:00Z");
    assert.deepEqual(JSON.parse(String(get("/latest/meta-data/spot/instance-action"))), { action: "terminate", time: "2026-03-01T12:02:00Z" });
    assert.equal(get("/latest/meta-data/spot/instance-action", { ...instance, spotAction: undefined }), undefined);
    assert.equal(get("/latest/meta-data/tags/instance/Name"), undefined);
    assert.equal(get("/latest/meta-data/tags/instance/Name", { ...instance, tags: { Name: "worker" } }), "worker");
  });
});
