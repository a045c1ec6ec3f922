/**
 * The shared Describe* machinery: the filter engine (wildcards, escapes,
 * tag:K, tag-key, tag-value, OR within a filter, AND across filters,
 * booleans, numbers), tags on every kind of resource, TagSpecifications,
 * pagination bounds and DryRun.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AllocateAddressCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  type DescribeTagsCommandOutput,
  DescribeVpcsCommand,
  RunInstancesCommand,
  type EC2Client,
  type Tag,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { JAMMY_FILTER, errorOf, rejectsWith, startEc2 } from "./support.js";

describe("EC2 filters, tags and pagination", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  let instanceIds: string[];

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images!.sort((a, b) => (a.CreationDate! < b.CreationDate! ? -1 : 1)).at(-1)!.ImageId!;
    const tagsets: Tag[][] = [
      [{ Key: "Project", Value: "ml" }, { Key: "Team", Value: "vision" }, { Key: "Glob", Value: "a*b" }],
      [{ Key: "Project", Value: "ml" }, { Key: "Team", Value: "nlp" }, { Key: "Glob", Value: "axb" }],
      [{ Key: "Project", Value: "web" }, { Key: "Team", Value: "vision" }],
    ];
    instanceIds = [];
    for (const tags of tagsets) {
      const r = await ec2.send(
        new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: "instance", Tags: tags }] }),
      );
      instanceIds.push(r.Instances![0].InstanceId!);
    }
  });
  after(() => stratus.stop());

  const ids = async (filters: Array<{ Name: string; Values: string[] }>) => {
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: filters }));
    return Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)).sort();
  };

  it("matches tag:K values, ORs values within a filter and ANDs filters", async () => {
    assert.deepEqual(await ids([{ Name: "tag:Project", Values: ["ml"] }]), [instanceIds[0], instanceIds[1]].sort());
    assert.deepEqual(await ids([{ Name: "tag:Team", Values: ["nlp", "vision"] }]), [...instanceIds].sort());
    assert.deepEqual(await ids([{ Name: "tag:Project", Values: ["ml"] }, { Name: "tag:Team", Values: ["vision"] }]), [instanceIds[0]]);
    assert.deepEqual(await ids([{ Name: "tag:Project", Values: ["nothing"] }]), []);
  });

  it("supports * and ? wildcards and backslash escapes", async () => {
    assert.deepEqual(await ids([{ Name: "tag:Project", Values: ["w*"] }]), [instanceIds[2]]);
    assert.deepEqual(await ids([{ Name: "tag:Team", Values: ["?lp"] }]), [instanceIds[1]]);
    assert.deepEqual(await ids([{ Name: "tag:Glob", Values: ["a*b"] }]), [instanceIds[0], instanceIds[1]].sort());
    assert.deepEqual(await ids([{ Name: "tag:Glob", Values: ["a\\*b"] }]), [instanceIds[0]]);
    const { Images } = await ec2.send(
      new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-?md64-server-*"] }] }),
    );
    assert.ok(Images!.length >= 3);
    assert.ok(Images!.every((i) => i.Architecture === "x86_64"));
  });

  it("matches tag-key and tag-value on any tag", async () => {
    assert.deepEqual(await ids([{ Name: "tag-key", Values: ["Glob"] }]), [instanceIds[0], instanceIds[1]].sort());
    assert.deepEqual(await ids([{ Name: "tag-value", Values: ["web"] }]), [instanceIds[2]]);
  });

  it("compares booleans and numbers as their text", async () => {
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
    assert.equal(Vpcs!.length, 1);
    const none = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "isDefault", Values: ["false"] }] }));
    assert.equal(none.Vpcs!.length, 0);
    const { InstanceTypes } = await ec2.send(new DescribeInstanceTypesCommand({ Filters: [{ Name: "vcpu-info.default-vcpus", Values: ["4"] }, { Name: "instance-type", Values: ["g4dn.*", "t3.*"] }] }));
    assert.deepEqual(InstanceTypes!.map((t) => t.InstanceType).sort(), ["g4dn.xlarge", "t3.xlarge"]);
    const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "default-for-az", Values: ["true"] }, { Name: "available-ip-address-count", Values: ["409?"] }] }));
    assert.equal(subnets.Subnets!.length, 6);
  });

  it("answers InvalidParameterValue for an unknown filter", async () => {
    await rejectsWith(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] })), "InvalidParameterValue", /The filter 'bogus' is invalid/);
    await rejectsWith(ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "colour", Values: ["x"] }] })), "InvalidParameterValue");
  });

  it("tags every kind of resource and describes the tags", async () => {
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "tagged", Description: "tagged" }));
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "tagged" }));
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({}));
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({}));
    const resources = [instanceIds[0], sg.GroupId!, key.KeyPairId!, eip.AllocationId!, Vpcs![0].VpcId!, Subnets![0].SubnetId!];
    await ec2.send(new CreateTagsCommand({ Resources: resources, Tags: [{ Key: "CostCenter", Value: "42" }] }));
    const { Tags } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "key", Values: ["CostCenter"] }] }));
    assert.deepEqual(Tags!.map((t) => t.ResourceId).sort(), [...resources].sort());
    const types = new Map(Tags!.map((t) => [t.ResourceId, t.ResourceType]));
    assert.equal(types.get(sg.GroupId!), "security-group");
    assert.equal(types.get(key.KeyPairId!), "key-pair");
    assert.equal(types.get(eip.AllocationId!), "elastic-ip");
    assert.equal(types.get(instanceIds[0]), "instance");
    const onlyVpc = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "resource-type", Values: ["vpc"] }] }));
    assert.deepEqual(onlyVpc.Tags!.map((t) => t.ResourceId), [Vpcs![0].VpcId]);
  });

  it("replaces a value on CreateTags and deletes by key, by key and value, or all", async () => {
    const id = instanceIds[2];
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "Team", Value: "search" }, { Key: "Empty" }] }));
    const tagsOf = async () => {
      const { Tags } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [id] }] }));
      return Object.fromEntries(Tags!.map((t) => [t.Key, t.Value]));
    };
    assert.deepEqual(await tagsOf(), { Project: "web", Team: "search", Empty: "" });
    await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "Team", Value: "other" }] }));
    assert.equal((await tagsOf()).Team, "search", "a different value does not delete the tag");
    await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "Team" }] }));
    assert.deepEqual(await tagsOf(), { Project: "web", Empty: "" });
    await ec2.send(new DeleteTagsCommand({ Resources: [id] }));
    assert.deepEqual(await tagsOf(), {});
  });

  it("refuses bad ids, missing resources, reserved keys, long keys and too many tags", async () => {
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: ["nope"], Tags: [{ Key: "a", Value: "b" }] })), "InvalidID", /The ID 'nope' is not valid/);
    await rejectsWith(
      ec2.send(new CreateTagsCommand({ Resources: ["i-0123456789abcdef0"], Tags: [{ Key: "a", Value: "b" }] })),
      "InvalidInstanceID.NotFound",
      /The instance ID 'i-0123456789abcdef0' does not exist/,
    );
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: ["vol-0123456789abcdef0"], Tags: [{ Key: "a", Value: "b" }] })), "InvalidVolume.NotFound");
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: ["snap-0123456789abcdef0"], Tags: [{ Key: "a", Value: "b" }] })), "InvalidSnapshot.NotFound");
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: [instanceIds[0]], Tags: [{ Key: "aws:owner", Value: "b" }] })), "InvalidParameterValue", /reserved/);
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: [instanceIds[0]], Tags: [{ Key: "k".repeat(129), Value: "b" }] })), "InvalidParameterValue", /128/);
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: [instanceIds[0]], Tags: [{ Key: "k", Value: "v".repeat(257) }] })), "InvalidParameterValue", /256/);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: [instanceIds[1]], Tags: many })), "TagLimitExceeded");
  });

  it("checks TagSpecifications' resource types per operation", async () => {
    await rejectsWith(
      ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "a", Value: "b" }] }] })),
      "InvalidParameterValue",
      /'vpc' is not a valid taggable resource type for this operation/,
    );
    await rejectsWith(
      ec2.send(new CreateSecurityGroupCommand({ GroupName: "x", Description: "x", TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "a", Value: "b" }] }] })),
      "InvalidParameterValue",
    );
    const sg = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: "with-tags", Description: "x", TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "a", Value: "b" }] }] }),
    );
    assert.deepEqual(sg.Tags, [{ Key: "a", Value: "b" }]);
  });

  it("pages with MaxResults and NextToken within EC2's bounds", async () => {
    for (let i = 0; i < 4; i++) {
      await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 2, MaxCount: 2, TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Batch", Value: String(i) }] }] }));
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page: DescribeInstancesCommandOutput = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: token, Filters: [{ Name: "tag-key", Values: ["Batch"] }] }));
      const got = page.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!));
      assert.ok(got.length <= 5);
      seen.push(...got);
      token = page.NextToken;
      pages++;
    } while (token);
    assert.equal(pages, 2);
    assert.equal(new Set(seen).size, 8);

    const tagPages: string[] = [];
    token = undefined;
    do {
      const page: DescribeTagsCommandOutput = await ec2.send(new DescribeTagsCommand({ MaxResults: 5, NextToken: token }));
      tagPages.push(...page.Tags!.map((t) => `${t.ResourceId}/${t.Key}`));
      token = page.NextToken;
    } while (token);
    assert.equal(new Set(tagPages).size, tagPages.length);

    await rejectsWith(ec2.send(new DescribeInstancesCommand({ MaxResults: 4 })), "InvalidParameterValue", /Value \( 4 \) for parameter maxResults is invalid. Expecting a value greater than 5/);
    await rejectsWith(ec2.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: [instanceIds[0]] })), "InvalidParameterCombination", /instancesSet/);
    await rejectsWith(ec2.send(new DescribeInstancesCommand({ NextToken: "garbage" })), "InvalidNextToken");
  });

  it("answers DryRunOperation with HTTP 412 for a DryRun", async () => {
    try {
      await ec2.send(new DescribeInstancesCommand({ DryRun: true }));
      assert.fail("expected DryRunOperation");
    } catch (error) {
      assert.deepEqual([errorOf(error).code, errorOf(error).status], ["DryRunOperation", 412]);
    }
  });
});
