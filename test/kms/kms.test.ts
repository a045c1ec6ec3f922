import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  KMSClient,
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, bash, sdkConfig, startTestStratus } from "../support/stratus.js";

function rejectsWith(code: string, status = 400, message?: RegExp) {
  return (error: any) => {
    assert.equal(error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (message) assert.match(error.message, message);
    return true;
  };
}

describe("KMS", () => {
  let stratus: RunningStratus;
  let kms: KMSClient;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-01-01T00:00:00Z" });
    kms = new KMSClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  it("creates a symmetric key and describes it by id, ARN and alias", async () => {
    const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({ Description: "models", Tags: [{ TagKey: "team", TagValue: "ml" }] }));
    assert.match(key!.KeyId!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(key!.Arn, `arn:aws:kms:us-east-1:000000000000:key/${key!.KeyId}`);
    assert.equal(key!.KeyState, "Enabled");
    assert.equal(key!.KeyManager, "CUSTOMER");
    assert.equal(key!.KeySpec, "SYMMETRIC_DEFAULT");
    assert.deepEqual(key!.EncryptionAlgorithms, ["SYMMETRIC_DEFAULT"]);
    await kms.send(new CreateAliasCommand({ AliasName: "alias/models", TargetKeyId: key!.KeyId! }));
    for (const ref of [key!.KeyId, key!.Arn!, "alias/models", "arn:aws:kms:us-east-1:000000000000:alias/models"]) {
      const described = await kms.send(new DescribeKeyCommand({ KeyId: ref }));
      assert.equal(described.KeyMetadata!.KeyId, key!.KeyId, ref);
      assert.equal(described.KeyMetadata!.Description, "models");
    }
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: key!.KeyId }));
    assert.deepEqual(tags.Tags, [{ TagKey: "team", TagValue: "ml" }]);
  });

  it("answers NotFoundException for unknown keys and aliases, with AWS's wording", async () => {
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "11111111-2222-3333-4444-555555555555" })),
      rejectsWith("NotFoundException", 400, /Key 'arn:aws:kms:us-east-1:000000000000:key\/11111111-2222-3333-4444-555555555555' does not exist/));
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "alias/nope" })),
      rejectsWith("NotFoundException", 400, /Alias arn:aws:kms:us-east-1:000000000000:alias\/nope is not found/));
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "not-a-key" })), rejectsWith("NotFoundException", 400, /Invalid keyId 'not-a-key'/));
  });

  it("encrypts and decrypts with real cryptography, binding the encryption context", async () => {
    const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({}));
    const plaintext = Buffer.from("the weights of resnet50");
    const enc = await kms.send(new EncryptCommand({ KeyId: key!.KeyId, Plaintext: plaintext, EncryptionContext: { bucket: "models", purpose: "test" } }));
    assert.equal(enc.KeyId, key!.Arn);
    assert.equal(enc.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");
    const blob = Buffer.from(enc.CiphertextBlob!);
    assert.equal(blob.includes(plaintext), false);
    // The context's order does not matter; its content does.
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: "test", bucket: "models" } }));
    assert.equal(Buffer.from(dec.Plaintext!).toString(), plaintext.toString());
    assert.equal(dec.KeyId, key!.Arn);
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: blob })), rejectsWith("InvalidCiphertextException"));
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { bucket: "other", purpose: "test" } })), rejectsWith("InvalidCiphertextException"));
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1] ^= 1;
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { bucket: "models", purpose: "test" } })), rejectsWith("InvalidCiphertextException"));
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from("garbage") })), rejectsWith("InvalidCiphertextException"));
    const other = await kms.send(new CreateKeyCommand({}));
    await assert.rejects(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: other.KeyMetadata!.KeyId, EncryptionContext: { bucket: "models", purpose: "test" } })),
      rejectsWith("IncorrectKeyException"),
    );
  });

  it("generates data keys (with and without plaintext) that decrypt back", async () => {
    const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({}));
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: key!.Arn, KeySpec: "AES_256" }));
    assert.equal(dk.Plaintext!.length, 32);
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
    assert.deepEqual(Buffer.from(back.Plaintext!), Buffer.from(dk.Plaintext!));
    const short = await kms.send(new GenerateDataKeyCommand({ KeyId: key!.KeyId, NumberOfBytes: 64 }));
    assert.equal(short.Plaintext!.length, 64);
    const aes128 = await kms.send(new GenerateDataKeyCommand({ KeyId: key!.KeyId, KeySpec: "AES_128" }));
    assert.equal(aes128.Plaintext!.length, 16);
    const hidden = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key!.KeyId, KeySpec: "AES_256" }));
    assert.equal((hidden as any).Plaintext, undefined);
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: hidden.CiphertextBlob }));
    assert.equal(opened.Plaintext!.length, 32);
    await assert.rejects(kms.send(new GenerateDataKeyCommand({ KeyId: key!.KeyId })), rejectsWith("ValidationException", 400, /either number of bytes or key spec/));
    await assert.rejects(kms.send(new GenerateDataKeyCommand({ KeyId: key!.KeyId, KeySpec: "AES_256", NumberOfBytes: 32 })), rejectsWith("ValidationException"));
  });

  it("re-encrypts under another key", async () => {
    const a = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const b = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const enc = await kms.send(new EncryptCommand({ KeyId: a.KeyId, Plaintext: Buffer.from("move me"), EncryptionContext: { k: "1" } }));
    const re = await kms.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { k: "1" }, DestinationKeyId: b.KeyId }));
    assert.equal(re.SourceKeyId, a.Arn);
    assert.equal(re.KeyId, b.Arn);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob }));
    assert.equal(Buffer.from(dec.Plaintext!).toString(), "move me");
    assert.equal(dec.KeyId, b.Arn);
  });

  it("disables and enables keys: a disabled key refuses cryptography", async () => {
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.KeyState, "Disabled");
    await assert.rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })), rejectsWith("DisabledException", 400, /is disabled/));
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), rejectsWith("DisabledException"));
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    assert.equal(Buffer.from(dec.Plaintext!).toString(), "x");
  });

  it("schedules deletion on the clock, can cancel it, and deletes the key and its aliases when due", async () => {
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/doomed", TargetKeyId: key.KeyId }));
    await assert.rejects(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 5 })), rejectsWith("ValidationException"));
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    assert.equal(scheduled.KeyState, "PendingDeletion");
    assert.equal(scheduled.KeyId, key.Arn);
    // The virtual clock flows with wall time between the call and now, so allow a minute.
    const window = scheduled.DeletionDate!.getTime() - stratus.clock.now().getTime();
    assert.ok(window <= 7 * 86_400_000 && window > 7 * 86_400_000 - 60_000, String(window));
    await assert.rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })), rejectsWith("KMSInvalidStateException", 400, /pending deletion/));
    const cancelled = await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    assert.equal(cancelled.KeyId, key.Arn);
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.KeyState, "Disabled");
    await assert.rejects(kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId })), rejectsWith("KMSInvalidStateException"));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await stratus.clock.advance("6d");
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.KeyState, "PendingDeletion");
    await stratus.clock.advance("1d1m");
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })), rejectsWith("NotFoundException"));
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "alias/doomed" })), rejectsWith("NotFoundException"));
  });

  it("manages aliases with AWS's rules", async () => {
    const a = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const b = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/current", TargetKeyId: a.Arn }));
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "alias/current", TargetKeyId: b.KeyId })),
      rejectsWith("AlreadyExistsException", 400, /alias\/current already exists/));
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "current", TargetKeyId: b.KeyId })), rejectsWith("ValidationException"));
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "alias/aws/mine", TargetKeyId: b.KeyId })), rejectsWith("NotAuthorizedException"));
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "alias/x", TargetKeyId: "11111111-2222-3333-4444-555555555555" })), rejectsWith("NotFoundException"));
    await kms.send(new UpdateAliasCommand({ AliasName: "alias/current", TargetKeyId: b.KeyId }));
    const listed = await kms.send(new ListAliasesCommand({ KeyId: b.KeyId }));
    assert.deepEqual(listed.Aliases!.map((x) => x.AliasName), ["alias/current"]);
    assert.equal(listed.Aliases![0].AliasArn, "arn:aws:kms:us-east-1:000000000000:alias/current");
    assert.equal((await kms.send(new ListAliasesCommand({ KeyId: a.KeyId }))).Aliases!.length, 0);
    await kms.send(new DeleteAliasCommand({ AliasName: "alias/current" }));
    await assert.rejects(kms.send(new DeleteAliasCommand({ AliasName: "alias/current" })), rejectsWith("NotFoundException"));
  });

  it("creates the AWS managed aws/s3 key on first use, which the caller cannot manage", async () => {
    const all = await kms.send(new ListAliasesCommand({}));
    const before = all.Aliases!.find((a) => a.AliasName === "alias/aws/s3");
    assert.ok(before, "alias/aws/s3 is listed");
    assert.equal(before!.TargetKeyId, undefined);
    const { KeyMetadata: key } = await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/s3" }));
    assert.equal(key!.KeyManager, "AWS");
    assert.equal(key!.Description, "Default key that protects my S3 objects when no other key is defined");
    const again = await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/s3" }));
    assert.equal(again.KeyMetadata!.KeyId, key!.KeyId);
    const after = (await kms.send(new ListAliasesCommand({}))).Aliases!.find((a) => a.AliasName === "alias/aws/s3");
    assert.equal(after!.TargetKeyId, key!.KeyId);
    await assert.rejects(kms.send(new DisableKeyCommand({ KeyId: key!.KeyId })), rejectsWith("AccessDeniedException"));
    await assert.rejects(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key!.KeyId })), rejectsWith("AccessDeniedException"));
    const enc = await kms.send(new EncryptCommand({ KeyId: "alias/aws/s3", Plaintext: Buffer.from("managed") }));
    assert.equal(enc.KeyId, key!.Arn);
  });

  it("pages ListKeys with Limit and Marker", async () => {
    for (let i = 0; i < 3; i++) await kms.send(new CreateKeyCommand({}));
    const all = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
      assert.ok(page.Keys!.length <= 2);
      all.push(...page.Keys!);
      marker = page.Truncated ? page.NextMarker : undefined;
      pages++;
    } while (marker);
    const everything = await kms.send(new ListKeysCommand({}));
    assert.equal(all.length, everything.Keys!.length);
    assert.equal(new Set(all.map((k) => k.KeyId)).size, all.length);
    assert.ok(pages >= 2);
  });

  it("tags and untags keys", async () => {
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: "b", TagValue: "1" }, { TagKey: "a", TagValue: "2" }] }));
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: "b", TagValue: "3" }] }));
    assert.deepEqual((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags, [{ TagKey: "a", TagValue: "2" }, { TagKey: "b", TagValue: "3" }]);
    await kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ["a"] }));
    assert.deepEqual((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags, [{ TagKey: "b", TagValue: "3" }]);
    await assert.rejects(kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: "aws:x", TagValue: "1" }] })), rejectsWith("TagException"));
  });

  it("rotates key material (on demand and yearly on the clock) and still opens old ciphertexts", async () => {
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const old = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("old") }));
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
    const newer = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("new") }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    assert.equal(status.KeyRotationEnabled, true);
    assert.equal(status.RotationPeriodInDays, 90);
    await stratus.clock.advance("91d");
    const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }));
    assert.deepEqual(rotations.Rotations!.map((r) => r.RotationType), ["ON_DEMAND", "AUTOMATIC"]);
    for (const [blob, text] of [[old.CiphertextBlob, "old"], [newer.CiphertextBlob, "new"]] as const) {
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
      assert.equal(Buffer.from(dec.Plaintext!).toString(), text);
    }
  });

  it("works from the aws CLI: create-key, create-alias, encrypt and decrypt through files", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kms-cli-"));
    try {
      writeFileSync(path.join(dir, "secret.txt"), "hello from the cli");
      const result = await bash(
        stratus,
        `KEY_ID=$(aws kms create-key --description cli --query KeyMetadata.KeyId --output text)
aws kms create-alias --alias-name alias/cli-key --target-key-id $KEY_ID
aws kms encrypt --key-id alias/cli-key --plaintext fileb://secret.txt --query CiphertextBlob --output text | base64 -d > secret.enc
aws kms decrypt --ciphertext-blob fileb://secret.enc --query Plaintext --output text | base64 -d
echo
aws kms list-aliases --key-id $KEY_ID --query 'Aliases[0].AliasName' --output text`,
        { cwd: dir },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.trim().split("\n"), ["hello from the cli", "alias/cli-key"]);
      const missing = await awsCli(stratus, ["kms", "describe-key", "--key-id", "alias/missing"]);
      assert.equal(missing.code, 254);
      assert.match(missing.stderr, /NotFoundException/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("KMS at rest", () => {
  it("keeps key material encrypted in the data dir and decrypts after a restart", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "kms-disk-"));
    try {
      let stratus = await startTestStratus({ storage: "disk", dataDir });
      let kms = new KMSClient(sdkConfig(stratus));
      const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
      const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
      await stratus.stop();
      // The data key's plaintext appears nowhere on disk (it is never stored), and neither does any raw key.
      const needle = Buffer.from(dk.Plaintext!);
      for (const file of walk(dataDir)) {
        const bytes = readFileSync(file);
        assert.equal(bytes.includes(needle), false, file);
        assert.equal(bytes.includes(Buffer.from(needle.toString("base64"))), false, file);
      }
      stratus = await startTestStratus({ storage: "disk", dataDir });
      kms = new KMSClient(sdkConfig(stratus));
      const back = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
      assert.deepEqual(Buffer.from(back.Plaintext!), needle);
      await stratus.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}
