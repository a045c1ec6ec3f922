import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { IAMClient, CreateRoleCommand } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

/** The account may assume the role (a trust policy naming only EC2 would refuse the account's own callers). */
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "sts:AssumeRole" }],
});

describe("STS", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus();
  });
  after(() => stratus.stop());

  it("answers GetCallerIdentity with the default account", async () => {
    const sts = new STSClient(sdkConfig(stratus));
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Account, "000000000000");
    assert.equal(identity.Arn, "arn:aws:iam::000000000000:root");
  });

  it("takes the account from a 12-digit access key id", async () => {
    const sts = new STSClient({ ...sdkConfig(stratus), credentials: { accessKeyId: "123456789012", secretAccessKey: "x" } });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Account, "123456789012");
  });

  it("runs the exercise's get-caller-identity query through the aws CLI", async () => {
    const result = await awsCli(stratus, ["sts", "get-caller-identity", "--query", "Account", "--output", "text"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "000000000000");
  });

  it("assumes a role and the returned credentials act as the role session", async () => {
    const iam = new IAMClient(sdkConfig(stratus));
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: "trainer", AssumeRolePolicyDocument: TRUST }));
    const sts = new STSClient(sdkConfig(stratus));
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn!, RoleSessionName: "job-1", DurationSeconds: 900 }));
    assert.match(assumed.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(assumed.AssumedRoleUser!.Arn, "arn:aws:sts::000000000000:assumed-role/trainer/job-1");
    assert.equal(assumed.AssumedRoleUser!.AssumedRoleId, `${Role!.RoleId}:job-1`);
    const asRole = new STSClient({
      ...sdkConfig(stratus),
      credentials: {
        accessKeyId: assumed.Credentials!.AccessKeyId!,
        secretAccessKey: assumed.Credentials!.SecretAccessKey!,
        sessionToken: assumed.Credentials!.SessionToken!,
      },
    });
    const identity = await asRole.send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Arn, "arn:aws:sts::000000000000:assumed-role/trainer/job-1");
    assert.equal(identity.UserId, `${Role!.RoleId}:job-1`);
  });

  it("refuses to assume a role that does not exist", async () => {
    const sts = new STSClient(sdkConfig(stratus));
    await assert.rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/nope", RoleSessionName: "session" })),
      (error: any) => error.name === "AccessDenied" && error.$metadata.httpStatusCode === 403,
    );
  });

  it("validates RoleSessionName and DurationSeconds like AWS", async () => {
    const sts = new STSClient(sdkConfig(stratus));
    await assert.rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/trainer", RoleSessionName: "has space" })),
      (error: any) => error.name === "ValidationError" && /roleSessionName/.test(error.message),
    );
    await assert.rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/trainer", RoleSessionName: "ok", DurationSeconds: 60 })),
      (error: any) => error.name === "ValidationError" && /durationSeconds/.test(error.message),
    );
  });

  it("issues session tokens", async () => {
    const sts = new STSClient(sdkConfig(stratus));
    const token = await sts.send(new GetSessionTokenCommand({ DurationSeconds: 3600 }));
    assert.ok(token.Credentials?.SessionToken);
    const expiresIn = token.Credentials!.Expiration!.getTime() - Date.now();
    assert.ok(expiresIn > 3500_000 && expiresIn <= 3600_000, `expires in ${expiresIn}`);
  });
});
