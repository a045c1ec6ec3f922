/** IAM's validation, quotas and errors, through the SDK v3. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as I from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const S3_READ = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/*" }] });

function rejects(promise: Promise<unknown>, code: string, status: number, message?: RegExp | string) {
  return assert.rejects(promise, (error: any) => {
    // The wire code (error.Code); SDK v3 names modelled errors after their shape (NoSuchEntityException).
    assert.equal(error.Code ?? error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (typeof message === "string") assert.equal(error.message, message);
    else if (message) assert.match(error.message, message);
    return true;
  });
}

describe("IAM rules (SDK v3)", () => {
  let stratus: RunningStratus;
  let iam: I.IAMClient;
  before(async () => {
    stratus = await startTestStratus();
    iam = new I.IAMClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  describe("roles", () => {
    it("creates, reads, updates, lists and deletes a role", async () => {
      const created = await iam.send(
        new I.CreateRoleCommand({ RoleName: "r1", Path: "/ml/", AssumeRolePolicyDocument: TRUST, Description: "first", Tags: [{ Key: "team", Value: "ml" }] }),
      );
      assert.equal(created.Role!.Arn, "arn:aws:iam::000000000000:role/ml/r1");
      assert.match(created.Role!.RoleId!, /^AROA[A-Z2-7]{17}$/);
      assert.equal(decodeURIComponent(created.Role!.AssumeRolePolicyDocument!), TRUST);

      await iam.send(new I.UpdateRoleCommand({ RoleName: "r1", MaxSessionDuration: 7200 }));
      const described = await iam.send(new I.UpdateRoleDescriptionCommand({ RoleName: "R1", Description: "second" }));
      assert.equal(described.Role!.Description, "second");
      const role = (await iam.send(new I.GetRoleCommand({ RoleName: "r1" }))).Role!;
      assert.equal(role.MaxSessionDuration, 7200);
      assert.deepEqual(role.Tags, [{ Key: "team", Value: "ml" }]);
      assert.deepEqual(role.RoleLastUsed, {});

      const newTrust = TRUST.replace("ec2.amazonaws.com", "lambda.amazonaws.com");
      await iam.send(new I.UpdateAssumeRolePolicyCommand({ RoleName: "r1", PolicyDocument: newTrust }));
      const again = (await iam.send(new I.GetRoleCommand({ RoleName: "r1" }))).Role!;
      assert.equal(decodeURIComponent(again.AssumeRolePolicyDocument!), newTrust);

      await iam.send(new I.DeleteRoleCommand({ RoleName: "r1" }));
      await rejects(iam.send(new I.GetRoleCommand({ RoleName: "r1" })), "NoSuchEntity", 404, "The role with name r1 cannot be found.");
    });

    it("treats role names as case-insensitive and unique", async () => {
      await iam.send(new I.CreateRoleCommand({ RoleName: "CaseRole", AssumeRolePolicyDocument: TRUST }));
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "caserole", AssumeRolePolicyDocument: TRUST })),
        "EntityAlreadyExists",
        409,
        "Role with name caserole already exists.",
      );
      assert.equal((await iam.send(new I.GetRoleCommand({ RoleName: "CASEROLE" }))).Role!.RoleName, "CaseRole");
      await iam.send(new I.DeleteRoleCommand({ RoleName: "caserole" }));
    });

    it("validates names, paths and durations with Coral's ValidationError", async () => {
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "bad name", AssumeRolePolicyDocument: TRUST })),
        "ValidationError",
        400,
        "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      );
      await rejects(iam.send(new I.CreateRoleCommand({ RoleName: "p", Path: "no-slash", AssumeRolePolicyDocument: TRUST })), "ValidationError", 400, /at 'path'/);
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "d", MaxSessionDuration: 60, AssumeRolePolicyDocument: TRUST })),
        "ValidationError",
        400,
        /Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600/,
      );
      await rejects(iam.send(new I.CreateRoleCommand({ RoleName: "x".repeat(65), AssumeRolePolicyDocument: TRUST })), "ValidationError", 400, /length less than or equal to 64/);
    });

    it("lists roles by path prefix, page by page", async () => {
      for (const name of ["pa", "pb", "pc", "pd", "pe"]) {
        await iam.send(new I.CreateRoleCommand({ RoleName: name, Path: "/paged/", AssumeRolePolicyDocument: TRUST }));
      }
      await iam.send(new I.CreateRoleCommand({ RoleName: "other", Path: "/elsewhere/", AssumeRolePolicyDocument: TRUST }));
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await iam.send(new I.ListRolesCommand({ PathPrefix: "/paged/", MaxItems: 2, Marker: marker }));
        pages++;
        seen.push(...page.Roles!.map((r) => r.RoleName!));
        assert.equal(page.Roles!.every((r) => r.Tags === undefined && r.RoleLastUsed === undefined), true);
        marker = page.IsTruncated ? page.Marker : undefined;
        assert.equal(page.IsTruncated, pages < 3);
      } while (marker);
      assert.deepEqual(seen, ["pa", "pb", "pc", "pd", "pe"]);

      const paginated: string[] = [];
      for await (const page of I.paginateListRoles({ client: iam, pageSize: 1 }, { PathPrefix: "/paged/" })) {
        paginated.push(...page.Roles!.map((r) => r.RoleName!));
      }
      assert.deepEqual(paginated, seen);
    });

    it("tags and untags roles, keys case-insensitive", async () => {
      await iam.send(new I.CreateRoleCommand({ RoleName: "tagged", AssumeRolePolicyDocument: TRUST, Tags: [{ Key: "a", Value: "1" }] }));
      await iam.send(new I.TagRoleCommand({ RoleName: "tagged", Tags: [{ Key: "A", Value: "2" }, { Key: "b", Value: "3" }] }));
      let tags = await iam.send(new I.ListRoleTagsCommand({ RoleName: "tagged" }));
      assert.deepEqual(tags.Tags, [{ Key: "a", Value: "2" }, { Key: "b", Value: "3" }]);
      await iam.send(new I.UntagRoleCommand({ RoleName: "tagged", TagKeys: ["B", "missing"] }));
      tags = await iam.send(new I.ListRoleTagsCommand({ RoleName: "tagged" }));
      assert.deepEqual(tags.Tags, [{ Key: "a", Value: "2" }]);
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "dup", AssumeRolePolicyDocument: TRUST, Tags: [{ Key: "k", Value: "1" }, { Key: "K", Value: "2" }] })),
        "InvalidInput",
        400,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
      );
      const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
      await rejects(iam.send(new I.TagRoleCommand({ RoleName: "tagged", Tags: many })), "LimitExceeded", 409);
    });
  });

  describe("policy documents", () => {
    before(async () => {
      await iam.send(new I.CreateRoleCommand({ RoleName: "docs", AssumeRolePolicyDocument: TRUST }));
    });

    const malformed: Array<[string, string, string]> = [
      ["not JSON", "{not json", "This policy contains invalid Json"],
      ["no statement", JSON.stringify({ Version: "2012-10-17" }), "Syntax errors in policy."],
      ["unknown element", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*", Bogus: 1 }] }), "Syntax errors in policy."],
      ["bad version", JSON.stringify({ Version: "2020-01-01", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }), "The policy failed legacy parsing"],
      ["bad effect", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "allow", Action: "s3:*", Resource: "*" }] }), "The policy failed legacy parsing"],
      ["no action", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Resource: "*" }] }), "Policy statement must contain actions."],
      ["no resource", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*" }] }), "Policy statement must contain resources."],
      [
        "Action and NotAction",
        JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", NotAction: "ec2:*", Resource: "*" }] }),
        "Syntax errors in policy.",
      ],
      ["action without vendor", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "GetObject", Resource: "*" }] }), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."],
      ["two colons", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ec2:ec2:RunInstances", Resource: "*" }] }), "Actions/Condition can contain only one colon."],
      ["resource not an ARN", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "my-bucket" }] }), 'Resource my-bucket must be in ARN format or "*".'],
      [
        "principal in an identity policy",
        JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }] }),
        "Policy document should not specify a principal.",
      ],
      [
        "duplicate Sids",
        JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Allow", Action: "s3:*", Resource: "*" }, { Sid: "A", Effect: "Deny", Action: "s3:*", Resource: "*" }] }),
        "Statement IDs (SID) in a single policy must be unique.",
      ],
      [
        "non-alphanumeric Sid",
        JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "my-sid", Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
      ],
    ];
    for (const [what, document, message] of malformed) {
      it(`refuses an inline policy with ${what}`, async () => {
        await rejects(iam.send(new I.PutRolePolicyCommand({ RoleName: "docs", PolicyName: "p", PolicyDocument: document })), "MalformedPolicyDocument", 400, message);
      });
    }

    it("accepts the grammar's variants: single statement object, NotAction/NotResource, conditions, 2008 version", async () => {
      const variants = [
        { Version: "2008-10-17", Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: "*" } },
        { Version: "2012-10-17", Statement: [{ Sid: "S1", Effect: "Deny", NotAction: ["iam:*"], NotResource: "arn:aws:s3:::b/*" }] },
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } } }] },
      ];
      for (const [i, v] of variants.entries()) {
        await iam.send(new I.PutRolePolicyCommand({ RoleName: "docs", PolicyName: `ok${i}`, PolicyDocument: JSON.stringify(v) }));
      }
      const names = await iam.send(new I.ListRolePoliciesCommand({ RoleName: "docs" }));
      assert.deepEqual(names.PolicyNames, ["ok0", "ok1", "ok2"]);
    });

    it("checks trust policies: Principal required, Resource prohibited, STS actions only", async () => {
      const trust = (statement: object) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "t1", AssumeRolePolicyDocument: trust({ Effect: "Allow", Action: "sts:AssumeRole" }) })),
        "MalformedPolicyDocument",
        400,
        "Missing required field Principal",
      );
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "t2", AssumeRolePolicyDocument: trust({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole", Resource: "*" }) })),
        "MalformedPolicyDocument",
        400,
        "Has prohibited field Resource",
      );
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "t3", AssumeRolePolicyDocument: trust({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "s3:GetObject" }) })),
        "MalformedPolicyDocument",
        400,
        "AssumeRole policy may only specify STS AssumeRole actions.",
      );
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "t4", AssumeRolePolicyDocument: trust({ Effect: "Allow", Principal: { AWS: "arn:aws::iam::123456789012:root" }, Action: "sts:AssumeRole" }) })),
        "MalformedPolicyDocument",
        400,
        'Invalid principal in policy: "AWS":"arn:aws::iam::123456789012:root"',
      );
      await iam.send(
        new I.CreateRoleCommand({ RoleName: "t5", AssumeRolePolicyDocument: trust({ Effect: "Allow", Principal: { AWS: ["123456789012", "arn:aws:iam::123456789012:root"] }, Action: ["sts:AssumeRole", "sts:TagSession"] }) }),
      );
    });

    it("enforces the size quotas", async () => {
      const actions = Array.from({ length: 500 }, (_, i) => `s3:Action${i}`);
      const big = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] });
      await rejects(iam.send(new I.CreatePolicyCommand({ PolicyName: "big", PolicyDocument: big })), "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144");
      await iam.send(new I.PutRolePolicyCommand({ RoleName: "docs", PolicyName: "big1", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions.slice(0, 300), Resource: "*" }] }) }));
      await rejects(
        iam.send(new I.PutRolePolicyCommand({ RoleName: "docs", PolicyName: "big2", PolicyDocument: big })),
        "LimitExceeded",
        409,
        "Maximum policy size of 10240 bytes exceeded for role docs",
      );
      const principals = Array.from({ length: 120 }, (_, i) => `arn:aws:iam::${String(100000000000 + i)}:root`);
      await rejects(
        iam.send(new I.CreateRoleCommand({ RoleName: "bigtrust", AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: principals }, Action: "sts:AssumeRole" }] }) })),
        "LimitExceeded",
        409,
        "Cannot exceed quota for ACLSizePerRole: 2048",
      );
    });

    it("gets and deletes inline policies, with NoSuchEntity for missing ones", async () => {
      await iam.send(new I.PutRolePolicyCommand({ RoleName: "docs", PolicyName: "read", PolicyDocument: S3_READ }));
      const got = await iam.send(new I.GetRolePolicyCommand({ RoleName: "docs", PolicyName: "read" }));
      assert.equal(got.RoleName, "docs");
      assert.equal(decodeURIComponent(got.PolicyDocument!), S3_READ);
      await iam.send(new I.DeleteRolePolicyCommand({ RoleName: "docs", PolicyName: "read" }));
      await rejects(iam.send(new I.GetRolePolicyCommand({ RoleName: "docs", PolicyName: "read" })), "NoSuchEntity", 404, "The role policy with name read cannot be found.");
      await rejects(iam.send(new I.DeleteRolePolicyCommand({ RoleName: "docs", PolicyName: "constructor" })), "NoSuchEntity", 404);
      await rejects(iam.send(new I.PutRolePolicyCommand({ RoleName: "nobody", PolicyName: "p", PolicyDocument: S3_READ })), "NoSuchEntity", 404, "The role with name nobody cannot be found.");
    });
  });

  describe("managed policies", () => {
    it("creates a policy and manages up to five versions", async () => {
      const { Policy } = await iam.send(new I.CreatePolicyCommand({ PolicyName: "versions", Path: "/team/", PolicyDocument: S3_READ, Description: "d" }));
      assert.equal(Policy!.Arn, "arn:aws:iam::000000000000:policy/team/versions");
      assert.match(Policy!.PolicyId!, /^ANPA[A-Z2-7]{17}$/);
      assert.equal(Policy!.DefaultVersionId, "v1");
      const arn = Policy!.Arn!;
      for (let v = 2; v <= 5; v++) {
        const created = await iam.send(new I.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: S3_READ, SetAsDefault: v === 3 }));
        assert.equal(created.PolicyVersion!.VersionId, `v${v}`);
      }
      await rejects(
        iam.send(new I.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: S3_READ })),
        "LimitExceeded",
        409,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
      );
      assert.equal((await iam.send(new I.GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId, "v3");
      await rejects(iam.send(new I.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v3" })), "DeleteConflict", 409, "Cannot delete the default version of a policy.");
      await iam.send(new I.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }));
      const next = await iam.send(new I.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: S3_READ }));
      assert.equal(next.PolicyVersion!.VersionId, "v6", "version ids are never reused");
      const versions = await iam.send(new I.ListPolicyVersionsCommand({ PolicyArn: arn }));
      assert.deepEqual(versions.Versions!.map((v) => [v.VersionId, v.IsDefaultVersion, v.Document]), [
        ["v6", false, undefined],
        ["v5", false, undefined],
        ["v4", false, undefined],
        ["v3", true, undefined],
        ["v1", false, undefined],
      ]);
      await iam.send(new I.SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v6" }));
      const v6 = await iam.send(new I.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v6" }));
      assert.equal(v6.PolicyVersion!.IsDefaultVersion, true);
      assert.equal(decodeURIComponent(v6.PolicyVersion!.Document!), S3_READ);
      await rejects(
        iam.send(new I.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" })),
        "NoSuchEntity",
        404,
        `Policy ${arn} version v2 does not exist or is not attachable.`,
      );
      await rejects(
        iam.send(new I.DeletePolicyCommand({ PolicyArn: arn })),
        "DeleteConflict",
        409,
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
      );
      for (const v of ["v1", "v3", "v4", "v5"]) await iam.send(new I.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
      await iam.send(new I.DeletePolicyCommand({ PolicyArn: arn }));
      await rejects(iam.send(new I.GetPolicyCommand({ PolicyArn: arn })), "NoSuchEntity", 404, `Policy ${arn} does not exist or is not attachable.`);
    });

    it("refuses duplicate names and bad ARNs", async () => {
      await iam.send(new I.CreatePolicyCommand({ PolicyName: "dup-policy", PolicyDocument: S3_READ }));
      await rejects(
        iam.send(new I.CreatePolicyCommand({ PolicyName: "DUP-policy", Path: "/other/", PolicyDocument: S3_READ })),
        "EntityAlreadyExists",
        409,
        "A policy called DUP-policy already exists. Duplicate names are not allowed.",
      );
      await rejects(iam.send(new I.GetPolicyCommand({ PolicyArn: "not-an-arn-but-long-enough" })), "InvalidInput", 400, "ARN not-an-arn-but-long-enough is not valid.");
      await rejects(iam.send(new I.GetPolicyCommand({ PolicyArn: "short" })), "ValidationError", 400, /at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20/);
    });

    it("serves the AWS managed policies with their real ids, paths and documents", async () => {
      const expected: Array<[string, string, string]> = [
        ["arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole", "/service-role/", "ANPAIZRLOKFUFE7YXQOJS"],
        ["arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRoleForAMIManagement", "/service-role/", "ANPAZKAPJZG4MG6O7FWSP"],
        ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "/", "ANPAIZTJ4DXE7G6AGAE6M"],
        ["arn:aws:iam::aws:policy/AmazonS3FullAccess", "/", "ANPAIFIR6V6BVTRAHWINE"],
        ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "/", "ANPAIXSHM2BNB2D3AXXRU"],
        ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", "/", "ANPAIGOPKN7KRDAKTLG4I"],
        ["arn:aws:iam::aws:policy/AmazonEC2FullAccess", "/", "ANPAI3VAJF5ZCRZ7MCQE6"],
        ["arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess", "/", "ANPAIGDT4SV4GSETWTBZK"],
        ["arn:aws:iam::aws:policy/CloudWatchFullAccess", "/", "ANPAIKEABORKUXN6DEAZU"],
        ["arn:aws:iam::aws:policy/AdministratorAccess", "/", "ANPAIWMBCKSKIEE64ZLYK"],
        ["arn:aws:iam::aws:policy/ReadOnlyAccess", "/", "ANPAILL3HVNFSB6DCOWYQ"],
      ];
      for (const [arn, path, id] of expected) {
        const { Policy } = await iam.send(new I.GetPolicyCommand({ PolicyArn: arn }));
        assert.equal(Policy!.Path, path);
        assert.equal(Policy!.PolicyId, id);
        assert.ok(Policy!.Description);
        const version = await iam.send(new I.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: Policy!.DefaultVersionId! }));
        const document = JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!));
        assert.equal(document.Version, "2012-10-17");
        assert.ok(document.Statement.length > 0);
      }
      const admin = await iam.send(new I.GetPolicyVersionCommand({ PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess", VersionId: "v1" }));
      assert.deepEqual(JSON.parse(decodeURIComponent(admin.PolicyVersion!.Document!)).Statement, [{ Effect: "Allow", Action: "*", Resource: "*" }]);
      await rejects(
        iam.send(new I.DeletePolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })),
        "AccessDenied",
        403,
        /is not authorized to perform: iam:DeletePolicy on resource: policy arn:aws:iam::aws:policy\/AdministratorAccess/,
      );
      await rejects(iam.send(new I.GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/NoSuchManagedPolicy" })), "NoSuchEntity", 404);
    });

    it("lists policies by scope, path and attachment", async () => {
      await iam.send(new I.CreatePolicyCommand({ PolicyName: "scoped", Path: "/scoped/", PolicyDocument: S3_READ }));
      await iam.send(new I.CreateRoleCommand({ RoleName: "scope-role", AssumeRolePolicyDocument: TRUST }));
      await iam.send(new I.AttachRolePolicyCommand({ RoleName: "scope-role", PolicyArn: "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess" }));
      const local = await iam.send(new I.ListPoliciesCommand({ Scope: "Local", PathPrefix: "/scoped/" }));
      assert.deepEqual(local.Policies!.map((p) => p.PolicyName), ["scoped"]);
      assert.equal(local.Policies![0].Description, undefined);
      const aws = await iam.send(new I.ListPoliciesCommand({ Scope: "AWS", PathPrefix: "/service-role/" }));
      assert.deepEqual(aws.Policies!.map((p) => p.PolicyName).sort(), ["AWSDataLifecycleManagerServiceRole", "AWSDataLifecycleManagerServiceRoleForAMIManagement", "AmazonEC2SpotFleetTaggingRole"]);
      const attached = await iam.send(new I.ListPoliciesCommand({ OnlyAttached: true }));
      assert.ok(attached.Policies!.some((p) => p.PolicyName === "AmazonEC2ReadOnlyAccess" && p.AttachmentCount === 1));
      assert.ok(!attached.Policies!.some((p) => p.PolicyName === "scoped"));
      const all: string[] = [];
      for await (const page of I.paginateListPolicies({ client: iam, pageSize: 4 }, {})) all.push(...page.Policies!.map((p) => p.PolicyName!));
      assert.ok(all.length >= 13);
      assert.equal(new Set(all).size, all.length);
    });
  });

  describe("attachments", () => {
    it("attaches, lists, counts and detaches, with IAM's errors", async () => {
      await iam.send(new I.CreateRoleCommand({ RoleName: "attach", Path: "/a/", AssumeRolePolicyDocument: TRUST }));
      const local = (await iam.send(new I.CreatePolicyCommand({ PolicyName: "attach-local", PolicyDocument: S3_READ }))).Policy!.Arn!;
      await iam.send(new I.AttachRolePolicyCommand({ RoleName: "attach", PolicyArn: local }));
      await iam.send(new I.AttachRolePolicyCommand({ RoleName: "attach", PolicyArn: local }));
      await iam.send(new I.AttachRolePolicyCommand({ RoleName: "attach", PolicyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }));
      const attached = await iam.send(new I.ListAttachedRolePoliciesCommand({ RoleName: "attach" }));
      assert.deepEqual(attached.AttachedPolicies!.map((p) => p.PolicyName), ["attach-local", "AmazonSSMManagedInstanceCore"]);
      assert.equal((await iam.send(new I.GetPolicyCommand({ PolicyArn: local }))).Policy!.AttachmentCount, 1);

      const entities = await iam.send(new I.ListEntitiesForPolicyCommand({ PolicyArn: local }));
      assert.deepEqual(entities.PolicyRoles!.map((r) => r.RoleName), ["attach"]);
      assert.deepEqual(entities.PolicyUsers, []);
      const filtered = await iam.send(new I.ListEntitiesForPolicyCommand({ PolicyArn: local, EntityFilter: "User" }));
      assert.deepEqual(filtered.PolicyRoles, []);
      const byPath = await iam.send(new I.ListEntitiesForPolicyCommand({ PolicyArn: local, PathPrefix: "/b/" }));
      assert.deepEqual(byPath.PolicyRoles, []);

      await rejects(iam.send(new I.DeletePolicyCommand({ PolicyArn: local })), "DeleteConflict", 409, "Cannot delete a policy attached to entities.");
      await rejects(iam.send(new I.DeleteRoleCommand({ RoleName: "attach" })), "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.");
      await rejects(
        iam.send(new I.AttachRolePolicyCommand({ RoleName: "attach", PolicyArn: "arn:aws:iam::000000000000:policy/missing" })),
        "NoSuchEntity",
        404,
        "Policy arn:aws:iam::000000000000:policy/missing does not exist or is not attachable.",
      );
      await rejects(
        iam.send(new I.AttachRolePolicyCommand({ RoleName: "ghost", PolicyArn: local })),
        "NoSuchEntity",
        404,
        "The role with name ghost cannot be found.",
      );
      await rejects(
        iam.send(new I.DetachRolePolicyCommand({ RoleName: "attach", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })),
        "NoSuchEntity",
        404,
        "Policy arn:aws:iam::aws:policy/AdministratorAccess was not found.",
      );
      await iam.send(new I.DetachRolePolicyCommand({ RoleName: "attach", PolicyArn: local }));
      await iam.send(new I.DetachRolePolicyCommand({ RoleName: "attach", PolicyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }));
      await iam.send(new I.PutRolePolicyCommand({ RoleName: "attach", PolicyName: "inline", PolicyDocument: S3_READ }));
      await rejects(iam.send(new I.DeleteRoleCommand({ RoleName: "attach" })), "DeleteConflict", 409, "Cannot delete entity, must delete policies first.");
      await iam.send(new I.DeleteRolePolicyCommand({ RoleName: "attach", PolicyName: "inline" }));
      await iam.send(new I.DeleteRoleCommand({ RoleName: "attach" }));
      await iam.send(new I.DeletePolicyCommand({ PolicyArn: local }));
    });

    it("limits a role to ten managed policies", async () => {
      await iam.send(new I.CreateRoleCommand({ RoleName: "ten", AssumeRolePolicyDocument: TRUST }));
      for (let i = 0; i < 10; i++) {
        const arn = (await iam.send(new I.CreatePolicyCommand({ PolicyName: `ten-${i}`, PolicyDocument: S3_READ }))).Policy!.Arn!;
        await iam.send(new I.AttachRolePolicyCommand({ RoleName: "ten", PolicyArn: arn }));
      }
      await rejects(
        iam.send(new I.AttachRolePolicyCommand({ RoleName: "ten", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })),
        "LimitExceeded",
        409,
        "Cannot exceed quota for PoliciesPerRole: 10",
      );
    });
  });

  describe("instance profiles", () => {
    it("holds one role, refuses deletes while in use, and lists by role", async () => {
      await iam.send(new I.CreateRoleCommand({ RoleName: "ip-role", AssumeRolePolicyDocument: TRUST }));
      await iam.send(new I.CreateRoleCommand({ RoleName: "ip-role-2", AssumeRolePolicyDocument: TRUST }));
      const { InstanceProfile } = await iam.send(new I.CreateInstanceProfileCommand({ InstanceProfileName: "ip", Path: "/p/", Tags: [{ Key: "k", Value: "v" }] }));
      assert.equal(InstanceProfile!.Arn, "arn:aws:iam::000000000000:instance-profile/p/ip");
      assert.deepEqual(InstanceProfile!.Roles, []);
      await rejects(iam.send(new I.CreateInstanceProfileCommand({ InstanceProfileName: "IP" })), "EntityAlreadyExists", 409, "Instance Profile IP already exists.");
      await iam.send(new I.AddRoleToInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "ip-role" }));
      await rejects(
        iam.send(new I.AddRoleToInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "ip-role-2" })),
        "LimitExceeded",
        409,
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
      );
      await rejects(iam.send(new I.AddRoleToInstanceProfileCommand({ InstanceProfileName: "nope", RoleName: "ip-role" })), "NoSuchEntity", 404, "Instance Profile nope cannot be found.");
      await rejects(iam.send(new I.DeleteInstanceProfileCommand({ InstanceProfileName: "ip" })), "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.");
      await rejects(iam.send(new I.DeleteRoleCommand({ RoleName: "ip-role" })), "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.");
      const forRole = await iam.send(new I.ListInstanceProfilesForRoleCommand({ RoleName: "ip-role" }));
      assert.deepEqual(forRole.InstanceProfiles!.map((p) => p.InstanceProfileName), ["ip"]);
      const listed = await iam.send(new I.ListInstanceProfilesCommand({ PathPrefix: "/p/" }));
      assert.equal(listed.InstanceProfiles![0].Roles![0].RoleName, "ip-role");
      await iam.send(new I.TagInstanceProfileCommand({ InstanceProfileName: "ip", Tags: [{ Key: "k2", Value: "v2" }] }));
      await iam.send(new I.UntagInstanceProfileCommand({ InstanceProfileName: "ip", TagKeys: ["k"] }));
      assert.deepEqual((await iam.send(new I.ListInstanceProfileTagsCommand({ InstanceProfileName: "ip" }))).Tags, [{ Key: "k2", Value: "v2" }]);
      await rejects(iam.send(new I.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "ip-role-2" })), "NoSuchEntity", 404);
      await iam.send(new I.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "ip-role" }));
      await iam.send(new I.DeleteInstanceProfileCommand({ InstanceProfileName: "ip" }));
      await rejects(iam.send(new I.GetInstanceProfileCommand({ InstanceProfileName: "ip" })), "NoSuchEntity", 404, "Instance Profile ip cannot be found.");
    });

    it("is what other services find through IamStore", async () => {
      await iam.send(new I.CreateInstanceProfileCommand({ InstanceProfileName: "lookup" }));
      await iam.send(new I.AddRoleToInstanceProfileCommand({ InstanceProfileName: "lookup", RoleName: "ip-role" }));
      const { IamStore } = await import("../../src/services/iam/store.js");
      const store = new IamStore(stratus.cloud);
      assert.equal(store.findInstanceProfile("000000000000", "arn:aws:iam::000000000000:instance-profile/lookup")?.Roles[0], "ip-role");
      assert.equal(store.roleOfInstanceProfile("000000000000", "LOOKUP")?.RoleName, "ip-role");
      assert.equal(store.findRole("000000000000", "arn:aws:iam::000000000000:role/ip-role")?.RoleName, "ip-role");
    });
  });

  describe("users and access keys", () => {
    it("creates users, lists them, and refuses to delete one that still has keys", async () => {
      const { User } = await iam.send(new I.CreateUserCommand({ UserName: "alice", Path: "/people/" }));
      assert.equal(User!.Arn, "arn:aws:iam::000000000000:user/people/alice");
      assert.match(User!.UserId!, /^AIDA[A-Z2-7]{17}$/);
      await rejects(iam.send(new I.CreateUserCommand({ UserName: "Alice" })), "EntityAlreadyExists", 409, "User with name Alice already exists.");
      await iam.send(new I.CreateUserCommand({ UserName: "bob" }));
      const people = await iam.send(new I.ListUsersCommand({ PathPrefix: "/people/" }));
      assert.deepEqual(people.Users!.map((u) => u.UserName), ["alice"]);

      const key = (await iam.send(new I.CreateAccessKeyCommand({ UserName: "alice" }))).AccessKey!;
      assert.match(key.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
      assert.equal(key.Status, "Active");
      assert.equal(key.SecretAccessKey!.length, 40);
      await iam.send(new I.CreateAccessKeyCommand({ UserName: "alice" }));
      await rejects(iam.send(new I.CreateAccessKeyCommand({ UserName: "alice" })), "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2");
      const keys = await iam.send(new I.ListAccessKeysCommand({ UserName: "alice" }));
      assert.equal(keys.AccessKeyMetadata!.length, 2);
      assert.equal(keys.AccessKeyMetadata![0].UserName, "alice");
      await rejects(iam.send(new I.DeleteUserCommand({ UserName: "alice" })), "DeleteConflict", 409, "Cannot delete entity, must delete access keys first.");
      await rejects(iam.send(new I.DeleteAccessKeyCommand({ UserName: "bob", AccessKeyId: key.AccessKeyId! })), "NoSuchEntity", 404, `The Access Key with id ${key.AccessKeyId} cannot be found.`);
      for (const k of keys.AccessKeyMetadata!) await iam.send(new I.DeleteAccessKeyCommand({ UserName: "alice", AccessKeyId: k.AccessKeyId! }));
      await iam.send(new I.DeleteUserCommand({ UserName: "alice" }));
      await rejects(iam.send(new I.GetUserCommand({ UserName: "alice" })), "NoSuchEntity", 404, "The user with name alice cannot be found.");
    });

    it("issues keys that sign as the user, and stop working once deleted", async () => {
      await iam.send(new I.CreateUserCommand({ UserName: "carol" }));
      const key = (await iam.send(new I.CreateAccessKeyCommand({ UserName: "carol" }))).AccessKey!;
      const credentials = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
      const asCarol = { ...sdkConfig(stratus), credentials };
      const identity = await new STSClient(asCarol).send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, "arn:aws:iam::000000000000:user/carol");
      // Identity policies are enforced: reading herself takes iam:GetUser.
      await rejects(new I.IAMClient(asCarol).send(new I.GetUserCommand({})), "AccessDenied", 403, "User: arn:aws:iam::000000000000:user/carol is not authorized to perform: iam:GetUser because no identity-based policy allows the iam:GetUser action");
      const selfPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "arn:aws:iam::*:user/${aws:username}" }] };
      await iam.send(new I.PutUserPolicyCommand({ UserName: "carol", PolicyName: "self", PolicyDocument: JSON.stringify(selfPolicy) }));
      const me = await new I.IAMClient(asCarol).send(new I.GetUserCommand({}));
      assert.equal(me.User!.UserName, "carol");
      const root = await iam.send(new I.GetUserCommand({}));
      assert.equal(root.User!.Arn, "arn:aws:iam::000000000000:root");

      const lastUsed = await iam.send(new I.GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId! }));
      assert.equal(lastUsed.UserName, "carol");
      assert.equal(lastUsed.AccessKeyLastUsed!.ServiceName, "N/A");
      const summary = (await iam.send(new I.GetAccountSummaryCommand({}))).SummaryMap!;
      assert.equal(summary.Users, (await iam.send(new I.ListUsersCommand({}))).Users!.length);
      assert.equal(summary.RolesQuota, 1000);
      assert.deepEqual((await iam.send(new I.ListAccountAliasesCommand({}))).AccountAliases, []);

      await iam.send(new I.DeleteAccessKeyCommand({ UserName: "carol", AccessKeyId: key.AccessKeyId! }));
      await iam.send(new I.DeleteUserPolicyCommand({ UserName: "carol", PolicyName: "self" }));
      const after = await new STSClient(asCarol).send(new GetCallerIdentityCommand({}));
      assert.equal(after.Arn, "arn:aws:iam::000000000000:root", "a deleted key is no longer the user's (auth off accepts any key)");
    });
  });
});
