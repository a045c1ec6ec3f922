/**
 * IAM instance profile associations and CPU credit specifications of
 * burstable instances, with the SDK and the aws CLI.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AssociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeImagesCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeInstancesCommand,
  DisassociateIamInstanceProfileCommand,
  ModifyInstanceCreditSpecificationCommand,
  ModifyInstanceMetadataOptionsCommand,
  ReplaceIamInstanceProfileAssociationCommand,
  RunInstancesCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { awsCli } from "../support/stratus.js";
import { JAMMY_FILTER, createInstanceProfile, rejectsWith, startEc2 } from "./support.js";

describe("EC2 instance profile associations and credit specifications", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  let profileA: string;
  let profileB: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images![0].ImageId!;
    profileA = await createInstanceProfile(stratus, "settings-a");
    profileB = await createInstanceProfile(stratus, "settings-b");
  });
  after(() => stratus.stop());

  const launch = async (type: string, extra: Record<string, unknown> = {}) => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: type as never, MinCount: 1, MaxCount: 1, ...extra }));
    await stratus.clock.advance("5s");
    return run.Instances![0].InstanceId!;
  };
  const profileOf = async (id: string) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].IamInstanceProfile;

  it("associates, replaces and disassociates an instance profile", async () => {
    const id = await launch("t3.micro");
    await rejectsWith(
      ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: id, IamInstanceProfile: { Name: "missing" } })),
      "InvalidParameterValue",
      /Invalid IAM Instance Profile name/,
    );
    const { IamInstanceProfileAssociation } = await ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: id, IamInstanceProfile: { Name: "settings-a" } }));
    const assoc = IamInstanceProfileAssociation!;
    assert.match(assoc.AssociationId!, /^iip-assoc-[0-9a-f]{17}$/);
    assert.equal(assoc.State, "associating");
    assert.equal(assoc.IamInstanceProfile!.Arn, profileA);
    assert.equal((await profileOf(id))!.Arn, profileA);
    await rejectsWith(ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: id, IamInstanceProfile: { Arn: profileB } })), "IncorrectState");

    const listed = await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [id] }] }));
    assert.deepEqual(listed.IamInstanceProfileAssociations!.map((a) => [a.AssociationId, a.State]), [[assoc.AssociationId, "associated"]]);

    const replaced = await ec2.send(new ReplaceIamInstanceProfileAssociationCommand({ AssociationId: assoc.AssociationId, IamInstanceProfile: { Arn: profileB } }));
    const newId = replaced.IamInstanceProfileAssociation!.AssociationId!;
    assert.notEqual(newId, assoc.AssociationId);
    assert.equal((await profileOf(id))!.Arn, profileB);
    await rejectsWith(ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: assoc.AssociationId })), "InvalidAssociationID.NotFound");
    const gone = await ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: newId }));
    assert.equal(gone.IamInstanceProfileAssociation!.State, "disassociating");
    assert.equal(await profileOf(id), undefined);
  });

  it("lists the associations of instances launched with a profile", async () => {
    const id = await launch("t3.micro", { IamInstanceProfile: { Name: "settings-a" } });
    const { IamInstanceProfileAssociations } = await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: "instance-id", Values: [id] }] }));
    assert.equal(IamInstanceProfileAssociations!.length, 1);
    assert.equal(IamInstanceProfileAssociations![0].IamInstanceProfile!.Arn, profileA);
    const byId = await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ AssociationIds: [IamInstanceProfileAssociations![0].AssociationId!] }));
    assert.equal(byId.IamInstanceProfileAssociations![0].InstanceId, id);
  });

  it("requires IMDSv2 with ModifyInstanceMetadataOptions", async () => {
    const id = await launch("t3.micro", { MetadataOptions: { HttpTokens: "optional" } });
    const out = await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpTokens: "required", HttpPutResponseHopLimit: 2 }));
    assert.equal(out.InstanceMetadataOptions!.State, "pending");
    assert.equal(out.InstanceMetadataOptions!.HttpTokens, "required");
    const options = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].MetadataOptions!;
    assert.equal(options.HttpTokens, "required");
    assert.equal(options.HttpPutResponseHopLimit, 2);
    assert.equal(options.HttpEndpoint, "enabled");
    const filtered = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "metadata-options.http-tokens", Values: ["required"] }, { Name: "instance-id", Values: [id] }] }));
    assert.equal(filtered.Reservations!.length, 1);
    await rejectsWith(ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpPutResponseHopLimit: 65 })), "InvalidParameterValue");
  });

  it("gives burstable instances their credit option: t2 standard, t3 unlimited, changeable", async () => {
    const t2 = await launch("t2.micro");
    const t3 = await launch("t3.micro");
    const t3standard = await launch("t3.small", { CreditSpecification: { CpuCredits: "standard" } });
    const m5 = await launch("m5.large");
    const { InstanceCreditSpecifications } = await ec2.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [t2, t3, t3standard] }));
    assert.deepEqual(
      Object.fromEntries(InstanceCreditSpecifications!.map((c) => [c.InstanceId, c.CpuCredits])),
      { [t2]: "standard", [t3]: "unlimited", [t3standard]: "standard" },
    );
    const modified = await ec2.send(
      new ModifyInstanceCreditSpecificationCommand({
        InstanceCreditSpecifications: [
          { InstanceId: t2, CpuCredits: "unlimited" },
          { InstanceId: m5, CpuCredits: "unlimited" },
          { InstanceId: "i-0123456789abcdef0", CpuCredits: "unlimited" },
        ],
      }),
    );
    assert.deepEqual(modified.SuccessfulInstanceCreditSpecifications!.map((s) => s.InstanceId), [t2]);
    assert.deepEqual(
      modified.UnsuccessfulInstanceCreditSpecifications!.map((u) => u.Error!.Code),
      ["InstanceCreditSpecification.NotSupported", "InvalidInstanceID.NotFound"],
    );
    // Without ids: the instances with the unlimited option.
    const cli = await awsCli(stratus, ["ec2", "describe-instance-credit-specifications", "--query", "InstanceCreditSpecifications[].InstanceId", "--output", "json"]);
    assert.equal(cli.code, 0, cli.stderr);
    const unlimited = cli.json() as string[];
    assert.ok(unlimited.includes(t2) && unlimited.includes(t3));
    assert.ok(!unlimited.includes(t3standard) && !unlimited.includes(m5));
  });
});
