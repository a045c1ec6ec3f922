/**
 * Launch templates: versions, the default version, RunInstances from a
 * template (the call's parameters win), GetLaunchTemplateData, spot fleets
 * with LaunchTemplateConfigs, and the aws CLI.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSecurityGroupCommand,
  DeleteLaunchTemplateCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeVolumesCommand,
  GetLaunchTemplateDataCommand,
  ModifyLaunchTemplateCommand,
  RequestSpotFleetCommand,
  RunInstancesCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig } from "../support/stratus.js";
import { JAMMY_FILTER, createInstanceProfile, rejectsWith, startEc2 } from "./support.js";

describe("EC2 launch templates", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  let sg: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images![0].ImageId!;
    sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "lt-web", Description: "web" }))).GroupId!;
    await createInstanceProfile(stratus, "lt-profile");
  });
  after(() => stratus.stop());

  it("creates, versions, describes and deletes templates with AWS's errors", async () => {
    const { LaunchTemplate } = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "web",
        VersionDescription: "first",
        LaunchTemplateData: { ImageId: ami, InstanceType: "t3.micro" },
        TagSpecifications: [{ ResourceType: "launch-template", Tags: [{ Key: "team", Value: "web" }] }],
      }),
    );
    assert.match(LaunchTemplate!.LaunchTemplateId!, /^lt-[0-9a-f]{17}$/);
    assert.equal(LaunchTemplate!.DefaultVersionNumber, 1);
    assert.equal(LaunchTemplate!.LatestVersionNumber, 1);
    assert.deepEqual(LaunchTemplate!.Tags, [{ Key: "team", Value: "web" }]);
    const id = LaunchTemplate!.LaunchTemplateId!;

    await rejectsWith(
      ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: "web", LaunchTemplateData: { ImageId: ami } })),
      "InvalidLaunchTemplateName.AlreadyExistsException",
    );
    await rejectsWith(ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: "a b", LaunchTemplateData: { ImageId: ami } })), "InvalidLaunchTemplateName.MalformedException");

    const v2 = await ec2.send(
      new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: id, SourceVersion: "1", VersionDescription: "bigger", LaunchTemplateData: { InstanceType: "t3.small" } }),
    );
    assert.equal(v2.LaunchTemplateVersion!.VersionNumber, 2);
    assert.equal(v2.LaunchTemplateVersion!.LaunchTemplateData!.ImageId, ami, "inherits the source version's image");
    assert.equal(v2.LaunchTemplateVersion!.LaunchTemplateData!.InstanceType, "t3.small");
    assert.equal(v2.LaunchTemplateVersion!.DefaultVersion, false);

    const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: "web" }));
    assert.deepEqual(versions.LaunchTemplateVersions!.map((v) => v.VersionNumber), [1, 2]);
    const latest = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["$Latest"] }));
    assert.equal(latest.LaunchTemplateVersions![0].VersionNumber, 2);
    const filtered = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Filters: [{ Name: "instance-type", Values: ["t3.micro"] }] }));
    assert.deepEqual(filtered.LaunchTemplateVersions!.map((v) => v.VersionNumber), [1]);
    await rejectsWith(ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["7"] })), "InvalidLaunchTemplateId.VersionNotFound", /version 7/);

    const modified = await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: "2" }));
    assert.equal(modified.LaunchTemplate!.DefaultVersionNumber, 2);
    const dflt = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ Versions: ["$Default"] }));
    assert.deepEqual(dflt.LaunchTemplateVersions!.map((v) => [v.LaunchTemplateName, v.VersionNumber]), [["web", 2]]);

    const deleted = await ec2.send(new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["1", "2", "9"] }));
    assert.deepEqual(deleted.SuccessfullyDeletedLaunchTemplateVersions!.map((v) => v.VersionNumber), [1]);
    assert.deepEqual(
      deleted.UnsuccessfullyDeletedLaunchTemplateVersions!.map((v) => [v.VersionNumber, v.ResponseError!.Code]),
      [
        [2, "unexpectedError"],
        [9, "launchTemplateVersionDoesNotExist"],
      ],
    );

    const byName = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:team", Values: ["web"] }] }));
    assert.deepEqual(byName.LaunchTemplates!.map((t) => t.LaunchTemplateName), ["web"]);
    await rejectsWith(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ["nope"] })), "InvalidLaunchTemplateName.NotFoundException");
    await rejectsWith(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ["lt-0123456789abcdef0"] })), "InvalidLaunchTemplateId.NotFound");
    await rejectsWith(ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ["lt-zz"] })), "InvalidLaunchTemplateId.Malformed");

    await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: "web" }));
    await rejectsWith(ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id })), "InvalidLaunchTemplateId.NotFound");
  });

  it("launches from a template, the call's parameters winning, and tags the instance with the template", async () => {
    const { LaunchTemplate } = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "app",
        LaunchTemplateData: {
          ImageId: ami,
          InstanceType: "t3.micro",
          SecurityGroupIds: [sg],
          IamInstanceProfile: { Name: "lt-profile" },
          UserData: Buffer.from("#!/bin/sh\necho hi\n").toString("base64"),
          BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { VolumeSize: 20, VolumeType: "gp3" } }],
          TagSpecifications: [
            { ResourceType: "instance", Tags: [{ Key: "app", Value: "template" }, { Key: "tier", Value: "web" }] },
            { ResourceType: "volume", Tags: [{ Key: "app", Value: "template" }] },
          ],
        },
      }),
    );
    const id = LaunchTemplate!.LaunchTemplateId!;
    await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: id, SourceVersion: "1", LaunchTemplateData: { InstanceType: "t3.large" } }));

    // $Default is version 1: t3.micro; the call's tag value wins for "app".
    const first = await ec2.send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        LaunchTemplate: { LaunchTemplateName: "app" },
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "app", Value: "call" }] }],
      }),
    );
    const a = first.Instances![0];
    assert.equal(a.InstanceType, "t3.micro");
    assert.equal(a.ImageId, ami);
    assert.deepEqual(a.SecurityGroups!.map((g) => g.GroupId), [sg]);
    assert.match(a.IamInstanceProfile!.Arn!, /instance-profile\/lt-profile$/);
    const tags = Object.fromEntries(a.Tags!.map((t) => [t.Key, t.Value]));
    assert.equal(tags.app, "call");
    assert.equal(tags.tier, "web");
    assert.equal(tags["aws:ec2launchtemplate:id"], id);
    assert.equal(tags["aws:ec2launchtemplate:version"], "1");
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [a.InstanceId!] }] }));
    assert.equal(Volumes![0].Size, 20);
    assert.equal(Volumes![0].VolumeType, "gp3");

    // $Latest, and the call's own instance type over the template's.
    const latest = await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: id, Version: "$Latest" } }));
    assert.equal(latest.Instances![0].InstanceType, "t3.large");
    const override = await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, InstanceType: "t3.medium", LaunchTemplate: { LaunchTemplateId: id, Version: "2" } }));
    assert.equal(override.Instances![0].InstanceType, "t3.medium");
    const found = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "tag:aws:ec2launchtemplate:id", Values: [id] }] }));
    assert.equal(found.Reservations!.flatMap((r) => r.Instances!).length, 3);

    await rejectsWith(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: "missing" } })), "InvalidLaunchTemplateName.NotFoundException");
    await rejectsWith(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: id, Version: "5" } })), "InvalidLaunchTemplateId.VersionNotFound");

    // GetLaunchTemplateData gives back what a template for the instance would hold.
    const { LaunchTemplateData } = await ec2.send(new GetLaunchTemplateDataCommand({ InstanceId: a.InstanceId! }));
    assert.equal(LaunchTemplateData!.ImageId, ami);
    assert.equal(LaunchTemplateData!.InstanceType, "t3.micro");
    assert.deepEqual(LaunchTemplateData!.NetworkInterfaces![0].Groups, [sg]);
    assert.equal(LaunchTemplateData!.TagSpecifications![0].Tags!.some((t) => t.Key?.startsWith("aws:")), false);
  });

  it("fills a spot fleet from LaunchTemplateConfigs with overrides", async () => {
    const iam = new IAMClient(sdkConfig(stratus));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "spotfleet.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const role = (await iam.send(new CreateRoleCommand({ RoleName: "lt-fleet-role", AssumeRolePolicyDocument: trust }))).Role!.Arn!;
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: "fleet", LaunchTemplateData: { ImageId: ami, InstanceType: "t3.micro" } }));
    const { SpotFleetRequestId } = await ec2.send(
      new RequestSpotFleetCommand({
        SpotFleetRequestConfig: {
          IamFleetRole: role,
          TargetCapacity: 2,
          LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateName: "fleet", Version: "$Latest" }, Overrides: [{ InstanceType: "t3.small" }, { InstanceType: "t3a.small" }] }],
        },
      }),
    );
    const { ActiveInstances } = await ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId }));
    assert.equal(ActiveInstances!.length, 2);
    for (const active of ActiveInstances!) assert.ok(["t3.small", "t3a.small"].includes(active.InstanceType!));
    await rejectsWith(
      ec2.send(
        new RequestSpotFleetCommand({
          SpotFleetRequestConfig: { IamFleetRole: role, TargetCapacity: 1, LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateName: "nope", Version: "1" } }] },
        }),
      ),
      "InvalidLaunchTemplateName.NotFoundException",
    );
  });

  it("works from the aws CLI", async () => {
    const created = await awsCli(stratus, [
      "ec2",
      "create-launch-template",
      "--launch-template-name",
      "cli-template",
      "--version-description",
      "v1",
      "--launch-template-data",
      JSON.stringify({ ImageId: ami, InstanceType: "t2.micro", TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "from-cli" }] }] }),
    ]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.json().LaunchTemplate.LaunchTemplateId;
    const run = await awsCli(stratus, ["ec2", "run-instances", "--launch-template", "LaunchTemplateName=cli-template,Version=$Latest", "--count", "2"]);
    assert.equal(run.code, 0, run.stderr);
    const instances = run.json().Instances;
    assert.equal(instances.length, 2);
    assert.equal(instances[0].InstanceType, "t2.micro");
    const described = await awsCli(stratus, ["ec2", "describe-launch-template-versions", "--launch-template-id", id, "--query", "LaunchTemplateVersions[0].LaunchTemplateData.InstanceType", "--output", "text"]);
    assert.equal(described.stdout.trim(), "t2.micro");
    const missing = await awsCli(stratus, ["ec2", "describe-launch-templates", "--launch-template-names", "nope"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /InvalidLaunchTemplateName\.NotFoundException/);
    const deleted = await awsCli(stratus, ["ec2", "delete-launch-template", "--launch-template-id", id]);
    assert.equal(deleted.code, 0, deleted.stderr);
  });
});
