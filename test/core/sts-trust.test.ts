/**
 * sts:AssumeRole decided as AWS decides it: by the role's trust policy (who it
 * names, its conditions, explicit Deny) and, for IAM users and role sessions
 * named only through their account or coming from another account, by their
 * identity policies too; session tags need sts:TagSession, a source identity
 * sts:SetSourceIdentity. Through SDK v3 and the aws CLI.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, GetFederationTokenCommand, STSClient, type AssumeRoleCommandInput } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

const ACCOUNT = "000000000000";
const OTHER = "111111111111";
type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const policy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const trusting = (principal: object, extra: object = {}) => policy({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", ...extra });
const roleArn = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;

describe("AssumeRole decided by the trust policy", () => {
  let stratus: RunningStratus;
  let iam: IAMClient;
  const sts = (keys?: Keys) => new STSClient(keys ? { ...sdkConfig(stratus), credentials: keys } : sdkConfig(stratus));
  const iamAs = (keys: Keys) => new IAMClient({ ...sdkConfig(stratus), credentials: keys });

  async function role(name: string, trust: string, client = iam): Promise<void> {
    await client.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  }
  async function user(name: string, client = iam): Promise<Keys> {
    await client.send(new CreateUserCommand({ UserName: name }));
    const key = (await client.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  }
  async function assume(keys: Keys | undefined, input: Partial<AssumeRoleCommandInput> & { RoleArn: string }): Promise<Keys> {
    const out = await sts(keys).send(new AssumeRoleCommand({ RoleSessionName: "session", ...input }));
    return { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
  }
  async function refused(keys: Keys | undefined, input: Partial<AssumeRoleCommandInput> & { RoleArn: string }, message?: string): Promise<void> {
    await assert.rejects(assume(keys, input), (error: any) => {
      assert.equal(error.Code ?? error.name, "AccessDenied", error.message);
      assert.equal(error.$metadata.httpStatusCode, 403);
      if (message) assert.equal(error.message, message);
      return true;
    });
  }
  const allowAssume = (resource: string) => policy({ Effect: "Allow", Action: "sts:AssumeRole", Resource: resource });

  before(async () => {
    stratus = await startTestStratus();
    iam = new IAMClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  it("lets a user the trust policy names in without an identity policy, and refuses others in AWS's words", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    await role("alice-only", trusting({ AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }));
    await assume(alice, { RoleArn: roleArn("alice-only") });
    await refused(bob, { RoleArn: roleArn("alice-only") }, `User: arn:aws:iam::${ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on resource: ${roleArn("alice-only")}`);
    // Naming a user is not naming the account: its root is refused too.
    await refused(undefined, { RoleArn: roleArn("alice-only") }, `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: ${roleArn("alice-only")}`);
  });

  it("matches a role session by its role's ARN", async () => {
    await role("hop-a", trusting({ AWS: `arn:aws:iam::${ACCOUNT}:root` }));
    await role("hop-c", trusting({ AWS: `arn:aws:iam::${ACCOUNT}:root` }));
    await iam.send(new PutRolePolicyCommand({ RoleName: "hop-a", PolicyName: "assume", PolicyDocument: allowAssume("*") }));
    await iam.send(new PutRolePolicyCommand({ RoleName: "hop-c", PolicyName: "assume", PolicyDocument: allowAssume("*") }));
    await role("hop-b", trusting({ AWS: roleArn("hop-a") }));
    const a = await assume(undefined, { RoleArn: roleArn("hop-a"), RoleSessionName: "first" });
    const c = await assume(undefined, { RoleArn: roleArn("hop-c"), RoleSessionName: "first" });
    const b = await assume(a, { RoleArn: roleArn("hop-b"), RoleSessionName: "second" });
    const who = await sts(b).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/hop-b/second`);
    await refused(c, { RoleArn: roleArn("hop-b") }, `User: arn:aws:sts::${ACCOUNT}:assumed-role/hop-c/first is not authorized to perform: sts:AssumeRole on resource: ${roleArn("hop-b")}`);
  });

  it("naming the account lets its root in; its users need an identity policy that allows sts:AssumeRole too", async () => {
    await role("by-root", trusting({ AWS: `arn:aws:iam::${ACCOUNT}:root` }));
    await role("by-id", trusting({ AWS: ACCOUNT }));
    await assume(undefined, { RoleArn: roleArn("by-root") });
    await assume(undefined, { RoleArn: roleArn("by-id") });
    const carol = await user("carol");
    await refused(carol, { RoleArn: roleArn("by-root") });
    await refused(carol, { RoleArn: roleArn("by-id") });
    await iam.send(new PutUserPolicyCommand({ UserName: "carol", PolicyName: "assume", PolicyDocument: allowAssume(roleArn("by-root")) }));
    await assume(carol, { RoleArn: roleArn("by-root") });
    // The identity policy names one role: the other stays closed.
    await refused(carol, { RoleArn: roleArn("by-id") });
  });

  it("lets another account in only when the trust policy names it, and its users only with their own identity policy", async () => {
    const otherRoot: Keys = { accessKeyId: OTHER, secretAccessKey: "x" };
    await role("home-only", trusting({ AWS: ACCOUNT }));
    await role("shared", trusting({ AWS: `arn:aws:iam::${OTHER}:root` }));
    await refused(otherRoot, { RoleArn: roleArn("home-only") }, `User: arn:aws:iam::${OTHER}:root is not authorized to perform: sts:AssumeRole on resource: ${roleArn("home-only")}`);
    const session = await assume(otherRoot, { RoleArn: roleArn("shared"), RoleSessionName: "visitor" });
    const who = await sts(session).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/shared/visitor`);
    assert.equal(who.Account, ACCOUNT);

    const dave = await user("dave", iamAs(otherRoot));
    await refused(dave, { RoleArn: roleArn("shared") });
    // Even naming the user itself does not spare a cross-account caller its own permission.
    await role("dave-only", trusting({ AWS: `arn:aws:iam::${OTHER}:user/dave` }));
    await refused(dave, { RoleArn: roleArn("dave-only") });
    await iamAs(otherRoot).send(new PutUserPolicyCommand({ UserName: "dave", PolicyName: "assume", PolicyDocument: allowAssume(`arn:aws:iam::${ACCOUNT}:role/*`) }));
    await assume(dave, { RoleArn: roleArn("shared") });
    await assume(dave, { RoleArn: roleArn("dave-only") });
    await refused(dave, { RoleArn: roleArn("home-only") });
  });

  it("evaluates conditions on sts:ExternalId, aws:PrincipalArn and sts:RoleSessionName", async () => {
    await role("vendor", trusting({ AWS: OTHER }, { Condition: { StringEquals: { "sts:ExternalId": "s3cr3t-42" } } }));
    const vendor: Keys = { accessKeyId: OTHER, secretAccessKey: "x" };
    await refused(vendor, { RoleArn: roleArn("vendor") });
    await refused(vendor, { RoleArn: roleArn("vendor"), ExternalId: "guess" });
    await assume(vendor, { RoleArn: roleArn("vendor"), ExternalId: "s3cr3t-42" });

    await role(
      "named-sessions",
      trusting({ AWS: ACCOUNT }, { Condition: { StringLike: { "sts:RoleSessionName": "job-*" }, ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:root` } } }),
    );
    await assume(undefined, { RoleArn: roleArn("named-sessions"), RoleSessionName: "job-7" });
    await refused(undefined, { RoleArn: roleArn("named-sessions"), RoleSessionName: "adhoc" });
  });

  it("lets an explicit Deny win, in the trust policy or in the caller's identity policy", async () => {
    const erin = await user("erin");
    const frank = await user("frank");
    await role(
      "guarded",
      policy(
        { Effect: "Allow", Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/erin`, `arn:aws:iam::${ACCOUNT}:user/frank`, ACCOUNT] }, Action: "sts:AssumeRole" },
        { Effect: "Deny", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/erin` }, Action: "sts:*" },
      ),
    );
    await refused(erin, { RoleArn: roleArn("guarded") });
    await assume(frank, { RoleArn: roleArn("guarded") });
    await assume(undefined, { RoleArn: roleArn("guarded") });
    await iam.send(new PutUserPolicyCommand({ UserName: "frank", PolicyName: "no-roles", PolicyDocument: policy({ Effect: "Deny", Action: "sts:AssumeRole", Resource: "*" }) }));
    await refused(frank, { RoleArn: roleArn("guarded") });
  });

  it("refuses users and the account when the trust policy names only a service", async () => {
    await role("for-ec2", trusting({ Service: "ec2.amazonaws.com" }));
    const gina = await user("gina");
    await iam.send(new PutUserPolicyCommand({ UserName: "gina", PolicyName: "all", PolicyDocument: allowAssume("*") }));
    await refused(undefined, { RoleArn: roleArn("for-ec2") });
    await refused(gina, { RoleArn: roleArn("for-ec2") });
  });

  it("needs sts:TagSession for session tags and sts:SetSourceIdentity for a source identity", async () => {
    await role("plain", trusting({ AWS: ACCOUNT }));
    await role(
      "taggable",
      policy(
        { Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: ["sts:AssumeRole", "sts:SetSourceIdentity"] },
        { Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:TagSession", Condition: { StringEquals: { "aws:RequestTag/team": "ml" } } },
      ),
    );
    const tags = [{ Key: "team", Value: "ml" }];
    await refused(undefined, { RoleArn: roleArn("plain"), Tags: tags }, `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:TagSession on resource: ${roleArn("plain")}`);
    await refused(undefined, { RoleArn: roleArn("plain"), SourceIdentity: "alice" }, `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:SetSourceIdentity on resource: ${roleArn("plain")}`);
    await assume(undefined, { RoleArn: roleArn("taggable"), Tags: tags, SourceIdentity: "alice" });
    await refused(undefined, { RoleArn: roleArn("taggable"), Tags: [{ Key: "team", Value: "web" }] });
  });

  it("refuses federated users (GetFederationToken credentials) and roles that do not exist", async () => {
    await role("open", trusting({ AWS: "*" }));
    const token = await sts().send(new GetFederationTokenCommand({ Name: "fed", DurationSeconds: 900 }));
    const fed = { accessKeyId: token.Credentials!.AccessKeyId!, secretAccessKey: token.Credentials!.SecretAccessKey!, sessionToken: token.Credentials!.SessionToken! };
    await refused(fed, { RoleArn: roleArn("open") });
    await refused(undefined, { RoleArn: roleArn("nobody-made-me") }, `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: ${roleArn("nobody-made-me")}`);
    // "*" names everyone: a same-account user needs nothing more.
    await assume(await user("harry"), { RoleArn: roleArn("open") });
  });

  it("refuses an unsigned AssumeRole, even of a role that trusts everyone", async () => {
    await role("anyone", trusting({ AWS: "*" }));
    const body = new URLSearchParams({ Action: "AssumeRole", Version: "2011-06-15", RoleArn: roleArn("anyone"), RoleSessionName: "anonymous" });
    const response = await fetch(stratus.endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    assert.equal(response.status, 403);
    assert.match(await response.text(), /<Code>MissingAuthenticationToken<\/Code>/);
  });

  it("answers the aws CLI's assume-role with AccessDenied, and with credentials once the trust policy allows it", async () => {
    await role("cli-target", trusting({ Service: "ec2.amazonaws.com" }));
    const denied = await awsCli(stratus, ["sts", "assume-role", "--role-arn", roleArn("cli-target"), "--role-session-name", "cli"]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /AccessDenied.*is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role\/cli-target/);
    const update = await awsCli(stratus, ["iam", "update-assume-role-policy", "--role-name", "cli-target", "--policy-document", trusting({ AWS: ACCOUNT, Service: "ec2.amazonaws.com" })]);
    assert.equal(update.code, 0, update.stderr);
    const allowed = await awsCli(stratus, ["sts", "assume-role", "--role-arn", roleArn("cli-target"), "--role-session-name", "cli"]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.json().AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/cli-target/cli`);
  });
});
