/**
 * KMS grants with @aws-sdk/client-kms and the aws CLI: the lifecycle
 * (CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant),
 * validation against the key's type, Name idempotency, paging, grant tokens,
 * AWS's errors; and grants as permissions: an IAM user or role session with no
 * policy uses a key through a grant, within its operations and encryption
 * context constraints, until it is retired; an explicit Deny still wins.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ListGrantsCommand,
  ListRetirableGrantsCommand,
  type ListGrantsCommandOutput,
  RetireGrantCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  type GrantListEntry,
  type GrantOperation,
} from "@aws-sdk/client-kms";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { bash, sdkConfig, startTestStratus } from "../support/stratus.js";

function rejectsWith(code: string, message?: RegExp | string) {
  return (error: any) => {
    assert.equal(error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, 400);
    if (typeof message === "string") assert.equal(error.message, message);
    else if (message) assert.match(error.message, message);
    return true;
  };
}

const ACCOUNT = "000000000000";
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe("KMS grants", () => {
  let stratus: RunningStratus;
  let kms: KMSClient;
  let iam: IAMClient;
  const as = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => new KMSClient({ ...sdkConfig(stratus), credentials });
  const newKey = async (init: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) => (await kms.send(new CreateKeyCommand(init))).KeyMetadata!;

  async function user(name: string) {
    await iam.send(new CreateUserCommand({ UserName: name }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  }

  async function allGrants(keyId: string): Promise<GrantListEntry[]> {
    return (await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants!;
  }

  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-01-01T00:00:00Z" });
    kms = new KMSClient(sdkConfig(stratus));
    iam = new IAMClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  it("creates, lists, retires and revokes grants", async () => {
    const key = await newKey();
    const created = await kms.send(
      new CreateGrantCommand({
        KeyId: key.Arn,
        GranteePrincipal: userArn("app"),
        RetiringPrincipal: userArn("admin"),
        Operations: ["Encrypt", "Decrypt", "DescribeKey"],
        Constraints: { EncryptionContextSubset: { team: "ml" } },
      }),
    );
    assert.match(created.GrantId!, /^[0-9a-f]{64}$/);
    assert.ok(created.GrantToken && created.GrantToken.length > 20);
    const [grant] = await allGrants(key.KeyId!);
    assert.deepEqual(
      { ...grant, CreationDate: undefined },
      {
        KeyId: key.Arn,
        GrantId: created.GrantId,
        Name: "",
        CreationDate: undefined,
        GranteePrincipal: userArn("app"),
        RetiringPrincipal: userArn("admin"),
        IssuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
        Operations: ["Encrypt", "Decrypt", "DescribeKey"],
        Constraints: { EncryptionContextSubset: { team: "ml" } },
      },
    );
    assert.ok(Math.abs(grant.CreationDate!.getTime() - stratus.clock.now().getTime()) < 60_000, "created on Stratus's clock");
    // Retire by token, by key and grant id; revoke by id.
    await kms.send(new RetireGrantCommand({ GrantToken: created.GrantToken }));
    assert.deepEqual(await allGrants(key.KeyId!), []);
    const second = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("app"), Operations: ["Encrypt"] }));
    await kms.send(new RetireGrantCommand({ KeyId: key.Arn, GrantId: second.GrantId }));
    const third = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("app"), Operations: ["Encrypt"] }));
    await kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: third.GrantId }));
    assert.deepEqual(await allGrants(key.KeyId!), []);
  });

  it("validates grants against the key's type and AWS's rules", async () => {
    const symmetric = await newKey();
    const signer = await newKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    const hmac = await newKey({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
    const grant = (KeyId: string, Operations: GrantOperation[], extra: object = {}) =>
      kms.send(new CreateGrantCommand({ KeyId, GranteePrincipal: userArn("app"), Operations, ...extra }));
    await assert.rejects(grant(symmetric.KeyId!, ["Sign"]), rejectsWith("ValidationException", /\[Sign\]/));
    await assert.rejects(grant(signer.KeyId!, ["GenerateDataKey", "Encrypt"]), rejectsWith("ValidationException", /\[GenerateDataKey, Encrypt\]/));
    await assert.rejects(grant(hmac.KeyId!, ["Decrypt"]), rejectsWith("ValidationException"));
    await grant(signer.KeyId!, ["Sign", "Verify", "GetPublicKey", "DescribeKey", "CreateGrant", "RetireGrant"]);
    await grant(hmac.KeyId!, ["GenerateMac", "VerifyMac"]);
    // Encryption context constraints: symmetric keys only.
    await assert.rejects(grant(signer.KeyId!, ["Sign"], { Constraints: { EncryptionContextEquals: { a: "b" } } }), rejectsWith("ValidationException"));
    await assert.rejects(grant(hmac.KeyId!, ["GenerateMac"], { Constraints: { EncryptionContextSubset: { a: "b" } } }), rejectsWith("ValidationException"));
    // Principals are AWS principals, not services or made-up names.
    await assert.rejects(grant(symmetric.KeyId!, ["Encrypt"], { GranteePrincipal: "s3.amazonaws.com" }), rejectsWith("InvalidArnException", "ARN does not refer to a valid principal: s3.amazonaws.com"));
    await assert.rejects(grant(symmetric.KeyId!, ["Encrypt"], { RetiringPrincipal: "bob" }), rejectsWith("InvalidArnException"));
    await grant(symmetric.KeyId!, ["Encrypt"], { GranteePrincipal: `arn:aws:iam::${ACCOUNT}:role/app`, RetiringPrincipal: "111122223333" });
    // CreateGrant takes a key id or ARN, not an alias; the key must be enabled.
    await kms.send(new CreateAliasCommand({ AliasName: "alias/granted", TargetKeyId: symmetric.KeyId }));
    await assert.rejects(grant("alias/granted", ["Encrypt"]), rejectsWith("NotFoundException", "Invalid keyId 'alias/granted'"));
    await assert.rejects(grant("11111111-2222-3333-4444-555555555555", ["Encrypt"]), rejectsWith("NotFoundException", /does not exist/));
    const disabled = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
    await assert.rejects(grant(disabled.KeyId!, ["Encrypt"]), rejectsWith("DisabledException"));
    // Grants of a disabled key are still listed.
    assert.deepEqual(await allGrants(disabled.KeyId!), []);
    await assert.rejects(grant(symmetric.KeyId!, ["Encrypt"], { DryRun: true }), rejectsWith("DryRunOperationException"));
  });

  it("takes no grants on AWS managed keys, and a deleted key's grants go with it", async () => {
    const managed = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/s3" }))).KeyMetadata!;
    await assert.rejects(
      kms.send(new CreateGrantCommand({ KeyId: managed.KeyId, GranteePrincipal: userArn("app"), Operations: ["Decrypt"] })),
      rejectsWith("AccessDeniedException", /kms:CreateGrant on resource/),
    );
    assert.deepEqual(await allGrants(managed.KeyId!), []);
    const key = await newKey();
    await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("app"), RetiringPrincipal: userArn("doomed"), Operations: ["Decrypt"] }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    // Pending deletion: the grant is still there (ListGrants works in every key state).
    assert.equal((await allGrants(key.KeyId!)).length, 1);
    await stratus.clock.advance("8d");
    await assert.rejects(kms.send(new ListGrantsCommand({ KeyId: key.KeyId })), rejectsWith("NotFoundException"));
    assert.deepEqual((await kms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: userArn("doomed") }))).Grants, []);
  });

  it("is idempotent with a Name: the same request returns the same grant with a new token", async () => {
    const key = await newKey();
    const request = { KeyId: key.KeyId, GranteePrincipal: userArn("app"), Operations: ["Encrypt", "Decrypt"] as GrantOperation[], Name: "retry-me" };
    const first = await kms.send(new CreateGrantCommand(request));
    const again = await kms.send(new CreateGrantCommand({ ...request, Operations: ["Decrypt", "Encrypt"] }));
    assert.equal(again.GrantId, first.GrantId);
    assert.notEqual(again.GrantToken, first.GrantToken);
    assert.equal((await allGrants(key.KeyId!)).length, 1);
    // Both tokens name the grant.
    await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), GrantTokens: [first.GrantToken!, again.GrantToken!] }));
    // The same name with other parameters, or no name at all, is another grant.
    const other = await kms.send(new CreateGrantCommand({ ...request, Operations: ["Encrypt"] }));
    assert.notEqual(other.GrantId, first.GrantId);
    const { Name: _name, ...unnamed } = request;
    const a = await kms.send(new CreateGrantCommand(unnamed));
    const b = await kms.send(new CreateGrantCommand(unnamed));
    assert.notEqual(a.GrantId, b.GrantId);
    const listed = await allGrants(key.KeyId!);
    assert.equal(listed.length, 4);
    assert.deepEqual(listed.map((g) => g.Name), ["retry-me", "retry-me", "", ""]);
  });

  it("pages ListGrants and ListRetirableGrants, and filters by grant id and grantee", async () => {
    const key = await newKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const grantee = i % 2 ? userArn("odd") : userArn("even");
      ids.push((await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee, RetiringPrincipal: userArn("pager"), Operations: ["Decrypt"] }))).GrantId!);
    }
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId, Limit: 2, Marker: marker }));
      assert.ok(page.Grants!.length <= 2);
      seen.push(...page.Grants!.map((g) => g.GrantId!));
      assert.equal(page.Truncated, page.NextMarker !== undefined);
      marker = page.NextMarker;
      pages++;
    } while (marker);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ids, "in creation order, each once");
    assert.deepEqual((await kms.send(new ListGrantsCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("odd") }))).Grants!.map((g) => g.GrantId), [ids[1], ids[3]]);
    assert.deepEqual((await kms.send(new ListGrantsCommand({ KeyId: key.KeyId, GrantId: ids[2] }))).Grants!.map((g) => g.GrantId), [ids[2]]);
    await assert.rejects(kms.send(new ListGrantsCommand({ KeyId: key.KeyId, GrantId: "not-a-grant-id" })), rejectsWith("InvalidGrantIdException"));
    const retirable: string[] = [];
    marker = undefined;
    do {
      const page: ListGrantsCommandOutput = await kms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: userArn("pager"), Limit: 3, Marker: marker }));
      retirable.push(...page.Grants!.map((g) => g.GrantId!));
      marker = page.NextMarker;
    } while (marker);
    assert.deepEqual(retirable, ids);
    assert.deepEqual((await kms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: userArn("nobody") }))).Grants, []);
  });

  it("answers bad grant tokens and grant ids with AWS's errors", async () => {
    const key = await newKey();
    const { GrantId, GrantToken } = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("app"), Operations: ["Encrypt"] }));
    const forged = Buffer.from(GrantToken!, "base64");
    forged[forged.length - 1] ^= 1;
    for (const token of ["not a token", forged.toString("base64"), "AAAA"]) {
      await assert.rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), GrantTokens: [token] })), rejectsWith("InvalidGrantTokenException"), token);
      await assert.rejects(kms.send(new RetireGrantCommand({ GrantToken: token })), rejectsWith("InvalidGrantTokenException"));
    }
    const signer = await newKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    await assert.rejects(
      kms.send(new SignCommand({ KeyId: signer.KeyId, SigningAlgorithm: "ECDSA_SHA_256", Message: Buffer.from("m"), GrantTokens: ["garbage"] })),
      rejectsWith("InvalidGrantTokenException"),
    );
    await assert.rejects(kms.send(new RetireGrantCommand({})), rejectsWith("ValidationException"));
    await assert.rejects(kms.send(new RetireGrantCommand({ KeyId: key.KeyId, GrantId: "abc" })), rejectsWith("InvalidGrantIdException"));
    await assert.rejects(kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: "f".repeat(64) })), rejectsWith("NotFoundException"));
    // A grant id is a grant of its key only.
    const other = await newKey();
    await assert.rejects(kms.send(new RevokeGrantCommand({ KeyId: other.KeyId, GrantId })), rejectsWith("NotFoundException"));
    await kms.send(new RetireGrantCommand({ GrantToken }));
    await assert.rejects(kms.send(new RetireGrantCommand({ GrantToken })), rejectsWith("NotFoundException"));
    await assert.rejects(kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId })), rejectsWith("NotFoundException"));
  });

  it("lets an IAM user with no policy use a key through a grant: its operations, its constraints, until retired", async () => {
    const key = await newKey();
    const app = as(await user("grant-app"));
    const denied = /User: arn:aws:iam::000000000000:user\/grant-app is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:us-east-1:000000000000:key\//;
    await assert.rejects(app.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), EncryptionContext: { team: "ml" } })), rejectsWith("AccessDeniedException", denied));
    const { GrantToken } = await kms.send(
      new CreateGrantCommand({
        KeyId: key.KeyId,
        GranteePrincipal: userArn("grant-app"),
        RetiringPrincipal: userArn("grant-admin"),
        Operations: ["Encrypt", "Decrypt"],
        Constraints: { EncryptionContextSubset: { team: "ml" } },
      }),
    );
    const sealed = await app.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("weights"), EncryptionContext: { team: "ml", run: "7" }, GrantTokens: [GrantToken!] }));
    const opened = await app.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { team: "ml", run: "7" } }));
    assert.equal(Buffer.from(opened.Plaintext!).toString(), "weights");
    // Outside the constraint, or outside the grant's operations: refused.
    await assert.rejects(app.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), EncryptionContext: { team: "web" } })), rejectsWith("AccessDeniedException"));
    await assert.rejects(app.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })), rejectsWith("AccessDeniedException"));
    await assert.rejects(app.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256", EncryptionContext: { team: "ml" } })), rejectsWith("AccessDeniedException", /kms:GenerateDataKey/));
    await assert.rejects(app.send(new DescribeKeyCommand({ KeyId: key.KeyId })), rejectsWith("AccessDeniedException", /kms:DescribeKey/));
    // The grantee cannot retire a grant that does not allow RetireGrant; its retiring principal can.
    await assert.rejects(app.send(new RetireGrantCommand({ GrantToken })), rejectsWith("AccessDeniedException", /kms:RetireGrant/));
    const admin = as(await user("grant-admin"));
    await admin.send(new RetireGrantCommand({ GrantToken }));
    await assert.rejects(app.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), EncryptionContext: { team: "ml" } })), rejectsWith("AccessDeniedException"));
  });

  it("an explicit Deny wins over a grant; a grant with RetireGrant lets its grantee retire it", async () => {
    const key = await newKey();
    const creds = await user("denied-app");
    const app = as(creds);
    const { GrantId } = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("denied-app"), Operations: ["Encrypt", "DescribeKey", "RetireGrant"] }));
    await app.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    await app.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));
    await iam.send(new PutUserPolicyCommand({ UserName: "denied-app", PolicyName: "no-encrypt", PolicyDocument: doc({ Effect: "Deny", Action: "kms:Encrypt", Resource: "*" }) }));
    await assert.rejects(app.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })), rejectsWith("AccessDeniedException", /explicit deny/));
    await app.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    await app.send(new RetireGrantCommand({ KeyId: key.KeyId, GrantId }));
    assert.deepEqual(await allGrants(key.KeyId!), []);
    // A user whose policy allows the key needs no grant; the policy's Resource is the key's ARN.
    const other = await newKey();
    await iam.send(new PutUserPolicyCommand({ UserName: "denied-app", PolicyName: "describe-one", PolicyDocument: doc({ Effect: "Allow", Action: "kms:DescribeKey", Resource: key.Arn }) }));
    await app.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    await assert.rejects(app.send(new DescribeKeyCommand({ KeyId: other.KeyId })), rejectsWith("AccessDeniedException", /kms:DescribeKey on resource/));
  });

  it("a CreateGrant permission from a grant creates only narrower grants", async () => {
    const key = await newKey();
    const delegate = as(await user("delegate"));
    await kms.send(
      new CreateGrantCommand({
        KeyId: key.KeyId,
        GranteePrincipal: userArn("delegate"),
        Operations: ["Decrypt", "GenerateDataKey", "CreateGrant"],
        Constraints: { EncryptionContextSubset: { dept: "it" } },
      }),
    );
    const child = (Operations: GrantOperation[], Constraints?: object) =>
      delegate.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("child"), Operations, Constraints }));
    const ok = await child(["Decrypt"], { EncryptionContextEquals: { dept: "it" } });
    assert.match(ok.GrantId!, /^[0-9a-f]{64}$/);
    await child(["Decrypt", "CreateGrant"], { EncryptionContextSubset: { dept: "it", project: "x" } });
    await assert.rejects(child(["Encrypt"], { EncryptionContextSubset: { dept: "it" } }), rejectsWith("AccessDeniedException"));
    await assert.rejects(child(["Decrypt"]), rejectsWith("AccessDeniedException"));
    await assert.rejects(child(["Decrypt"], { EncryptionContextSubset: { project: "x" } }), rejectsWith("AccessDeniedException"));
  });

  it("a grant to a role lets the role's sessions use the key", async () => {
    const key = await newKey();
    await iam.send(
      new CreateRoleCommand({ RoleName: "kms-worker", AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }) }),
    );
    const { Credentials } = await new STSClient(sdkConfig(stratus)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/kms-worker`, RoleSessionName: "job-1" }));
    const session = as({ accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! });
    await assert.rejects(session.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" })), rejectsWith("AccessDeniedException", /assumed-role\/kms-worker\/job-1/));
    await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:role/kms-worker`, Operations: ["GenerateDataKey", "Decrypt"] }));
    const dataKey = await session.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
    const opened = await session.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    assert.deepEqual(Buffer.from(opened.Plaintext!), Buffer.from(dataKey.Plaintext!));
  });

  it("works from the aws CLI: create-grant, a grant token in encrypt, list-grants, retire-grant", async () => {
    const result = await bash(
      stratus,
      `KEY=$(aws kms create-key --query KeyMetadata.KeyId --output text)
TOKEN=$(aws kms create-grant --key-id $KEY --grantee-principal arn:aws:iam::000000000000:user/cli --operations Encrypt Decrypt --name cli-grant --query GrantToken --output text)
aws kms encrypt --key-id $KEY --plaintext aGVsbG8= --grant-tokens $TOKEN --query EncryptionAlgorithm --output text
aws kms list-grants --key-id $KEY --query 'Grants[0].[Name,GranteePrincipal]' --output text
aws kms retire-grant --grant-token $TOKEN
aws kms list-grants --key-id $KEY --query 'length(Grants)' --output text`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split("\n"), ["SYMMETRIC_DEFAULT", "cli-grant\tarn:aws:iam::000000000000:user/cli", "0"]);
  });
});

describe("KMS grants at rest", () => {
  it("keeps grants and their tokens across a restart", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "kms-grants-disk-"));
    try {
      let stratus = await startTestStratus({ storage: "disk", dataDir });
      let kms = new KMSClient(sdkConfig(stratus));
      const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
      const { GrantId, GrantToken } = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("app"), Operations: ["Encrypt"], Name: "kept" }));
      await stratus.stop();
      stratus = await startTestStratus({ storage: "disk", dataDir });
      kms = new KMSClient(sdkConfig(stratus));
      const grants = (await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants!;
      assert.deepEqual(grants.map((g) => [g.GrantId, g.Name]), [[GrantId, "kept"]]);
      await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), GrantTokens: [GrantToken!] }));
      // A retry after the restart is still the same grant.
      const again = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: userArn("app"), Operations: ["Encrypt"], Name: "kept" }));
      assert.equal(again.GrantId, GrantId);
      await kms.send(new RetireGrantCommand({ GrantToken }));
      assert.deepEqual((await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants, []);
      await stratus.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
