/**
 * KMS answers as AWS does through boto3 and both aws CLIs: encryption context
 * bound to ciphertexts, data key sizes, key states, AWS's error codes and
 * words (sensitive values never echoed), and the key material a ciphertext
 * was made with; for HMAC and ECC keys, DescribeKey's fields and the errors
 * AWS answers (as recorded against AWS in LocalStack's KMS snapshots).
 */
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningStratus } from "../../src/index.js";
import { AWS_CLI_V1, awsCli, boto3, hasBoto3, startTestStratus } from "../support/stratus.js";

describe("KMS conformance", () => {
  let stratus: RunningStratus;
  let dir: string;
  before(async () => {
    stratus = await startTestStratus();
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-kms-"));
  });
  after(async () => {
    await stratus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("boto3: context, data keys, key states and AWS's errors", { skip: !hasBoto3() && "boto3 is not installed" }, async () => {
    const out = await boto3(
      stratus,
      `
kms = client("kms")
key = kms.create_key(Description="conformance")["KeyMetadata"]
kid = key["KeyId"]
out["material"] = key["CurrentKeyMaterialId"]
enc = kms.encrypt(KeyId=kid, Plaintext=b"secret", EncryptionContext={"purpose": "test"})
ct = enc["CiphertextBlob"]
out["encrypt-keys"] = sorted(k for k in enc if k != "ResponseMetadata" and k != "CiphertextBlob")
dec = call("decrypt", lambda: kms.decrypt(CiphertextBlob=ct, EncryptionContext={"purpose": "test"}))
dec["Plaintext"] = dec["Plaintext"].decode()
call("no-context", lambda: kms.decrypt(CiphertextBlob=ct))
call("other-context", lambda: kms.decrypt(CiphertextBlob=ct, EncryptionContext={"purpose": "other"}))
call("garbage", lambda: kms.decrypt(CiphertextBlob=b"x" * 64))
call("wrong-key", lambda: kms.decrypt(CiphertextBlob=ct, EncryptionContext={"purpose": "test"}, KeyId="alias/aws/s3"))
call("too-big", lambda: kms.encrypt(KeyId=kid, Plaintext=b"x" * 4097))
sizes = {}
for label, kw in [("AES_256", {"KeySpec": "AES_256"}), ("AES_128", {"KeySpec": "AES_128"}), ("7", {"NumberOfBytes": 7}), ("1024", {"NumberOfBytes": 1024})]:
    r = kms.generate_data_key(KeyId=kid, **kw)
    sizes[label] = len(r["Plaintext"])
    out["gdk-material"] = r.get("KeyMaterialId")
out["sizes"] = sizes
call("gdk-neither", lambda: kms.generate_data_key(KeyId=kid))
call("gdk-both", lambda: kms.generate_data_key(KeyId=kid, KeySpec="AES_256", NumberOfBytes=32))
call("gdk-1025", lambda: kms.generate_data_key(KeyId=kid, NumberOfBytes=1025))
call("random-missing", lambda: kms.generate_random())
call("dry-run", lambda: kms.encrypt(KeyId=kid, Plaintext=b"x", DryRun=True))
call("alias-prefix", lambda: kms.create_alias(AliasName="models", TargetKeyId=kid))
call("tag-dup", lambda: kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]))
call("tag-aws", lambda: kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "aws:x", "TagValue": "1"}]))
call("tag-many", lambda: kms.tag_resource(KeyId=kid, Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)]))
call("invalid-id", lambda: kms.describe_key(KeyId="fake-key-id"))
call("missing-id", lambda: kms.describe_key(KeyId="11111111-2222-3333-4444-555555555555"))
kms.disable_key(KeyId=kid)
call("disabled", lambda: kms.encrypt(KeyId=kid, Plaintext=b"x"))
kms.enable_key(KeyId=kid)
call("schedule", lambda: kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7))
call("pending", lambda: kms.decrypt(CiphertextBlob=ct, EncryptionContext={"purpose": "test"}))
kms.cancel_key_deletion(KeyId=kid)
out["after-cancel"] = kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"]
`,
    );
    const arn = `arn:aws:kms:us-east-1:000000000000:key/`;
    assert.deepEqual(out["encrypt-keys"], ["EncryptionAlgorithm", "KeyId"]);
    assert.equal(out.decrypt.Plaintext, "secret");
    assert.equal(out.decrypt.KeyMaterialId, out.material, "Decrypt names the key material");
    assert.equal(out["gdk-material"], out.material);
    for (const label of ["no-context", "other-context", "garbage"]) {
      assert.deepEqual(out[label], { error: { Code: "InvalidCiphertextException", Message: "" }, status: 400 }, label);
    }
    assert.deepEqual(out["wrong-key"].error, { Code: "IncorrectKeyException", Message: "The key ID in the request does not identify a CMK that can perform this operation." });
    assert.deepEqual(out["too-big"].error, {
      Code: "ValidationException",
      Message: "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    });
    assert.deepEqual(out.sizes, { AES_256: 32, AES_128: 16, "7": 7, "1024": 1024 });
    assert.equal(out["gdk-neither"].error.Message, "Please specify either number of bytes or key spec.");
    assert.equal(out["gdk-both"].error.Code, "ValidationException");
    assert.equal(
      out["gdk-1025"].error.Message,
      "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
    assert.deepEqual(out["random-missing"].error, { Code: "ValidationException", Message: "NumberOfBytes is required." });
    assert.deepEqual(out["dry-run"], {
      error: { Code: "DryRunOperationException", Message: "The request would have succeeded, but the DryRun option is set." },
      status: 400,
    });
    assert.equal(out["alias-prefix"].error.Message, 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
    assert.deepEqual(out["tag-dup"].error, { Code: "TagException", Message: "Duplicate tag keys" });
    assert.deepEqual(out["tag-aws"].error, { Code: "TagException", Message: "Tags beginning with aws: are reserved" });
    assert.deepEqual(out["tag-many"].error, { Code: "TagException", Message: "Too many tags" });
    assert.deepEqual(out["invalid-id"].error, { Code: "NotFoundException", Message: "Invalid keyId 'fake-key-id'" });
    assert.equal(out["missing-id"].error.Message, `Key '${arn}11111111-2222-3333-4444-555555555555' does not exist`);
    assert.equal(out.disabled.error.Code, "DisabledException");
    assert.match(out.disabled.error.Message, /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36} is disabled\.$/);
    assert.equal(out.schedule.KeyState, "PendingDeletion");
    assert.equal(out.schedule.PendingWindowInDays, 7);
    assert.equal(out.pending.error.Code, "KMSInvalidStateException");
    assert.match(out.pending.error.Message, /is pending deletion\.$/);
    assert.equal(out["after-cancel"], "Disabled", "a key whose deletion is cancelled comes back disabled");
  });

  it("boto3: asymmetric and HMAC keys answer with AWS's fields and words", { skip: !hasBoto3() && "boto3 is not installed" }, async () => {
    const out = await boto3(
      stratus,
      `
import hashlib
kms = client("kms")
hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Description="test key")["KeyMetadata"]
out["hmac-keys"] = sorted(hmac)
out["hmac-algorithms"] = hmac["MacAlgorithms"]
ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
out["ecc-keys"] = sorted(kms.describe_key(KeyId=ecc["KeyId"])["KeyMetadata"])
call("no-usage", lambda: kms.create_key(KeySpec="HMAC_256"))
call("agreement-rsa", lambda: kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT"))
call("mac-algorithm", lambda: kms.generate_mac(KeyId=hmac["KeyId"], MacAlgorithm="HMAC_SHA_512", Message=b"m"))
mac = kms.generate_mac(KeyId=hmac["KeyId"], MacAlgorithm="HMAC_SHA_256", Message=b"m")["Mac"]
call("bad-mac", lambda: kms.verify_mac(KeyId=hmac["KeyId"], MacAlgorithm="HMAC_SHA_256", Message=b"other", Mac=mac))
call("bad-digest", lambda: kms.sign(KeyId=ecc["KeyId"], SigningAlgorithm="ECDSA_SHA_256", MessageType="DIGEST", Message=b"not a digest"))
sig = kms.sign(KeyId=ecc["KeyId"], SigningAlgorithm="ECDSA_SHA_256", MessageType="DIGEST", Message=hashlib.sha256(b"m").digest())["Signature"]
out["verify-raw"] = kms.verify(KeyId=ecc["KeyId"], SigningAlgorithm="ECDSA_SHA_256", Message=b"m", Signature=sig)["SignatureValid"]
call("bad-signature", lambda: kms.verify(KeyId=ecc["KeyId"], SigningAlgorithm="ECDSA_SHA_256", Message=b"n", Signature=sig))
call("sign-with-mac-key", lambda: kms.sign(KeyId=hmac["KeyId"], SigningAlgorithm="RSASSA_PSS_SHA_256", Message=b"m"))
out["hmac-arn"] = hmac["Arn"]
`,
    );
    assert.deepEqual(out["hmac-keys"], [
      "AWSAccountId", "Arn", "CreationDate", "CustomerMasterKeySpec", "Description", "Enabled", "KeyId", "KeyManager", "KeySpec", "KeyState", "KeyUsage", "MacAlgorithms", "MultiRegion", "Origin",
    ]);
    assert.deepEqual(out["hmac-algorithms"], ["HMAC_SHA_256"]);
    assert.ok(out["ecc-keys"].includes("SigningAlgorithms") && !out["ecc-keys"].includes("EncryptionAlgorithms") && !out["ecc-keys"].includes("CurrentKeyMaterialId"));
    assert.deepEqual(out["no-usage"].error, { Code: "ValidationException", Message: "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys." });
    assert.deepEqual(out["agreement-rsa"].error, { Code: "ValidationException", Message: "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048" });
    assert.deepEqual(out["mac-algorithm"].error, { Code: "InvalidKeyUsageException", Message: "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256." });
    assert.deepEqual(out["bad-mac"], { error: { Code: "KMSInvalidMacException", Message: "" }, status: 400 });
    assert.deepEqual(out["bad-digest"].error, { Code: "ValidationException", Message: "Digest is invalid length for algorithm ECDSA_SHA_256." });
    assert.equal(out["verify-raw"], true, "a signed digest verifies as a signature of the message");
    assert.deepEqual(out["bad-signature"], { error: { Code: "KMSInvalidSignatureException", Message: "" }, status: 400 });
    assert.deepEqual(out["sign-with-mac-key"].error, { Code: "InvalidKeyUsageException", Message: `${out["hmac-arn"]} key usage is GENERATE_VERIFY_MAC which is not valid for Sign.` });
  });

  it("both aws CLIs encrypt with a context and decrypt a file:// blob", async () => {
    const created = await awsCli(stratus, ["kms", "create-key", "--description", "cli", "--query", "KeyMetadata.KeyId", "--output", "text"]);
    const keyId = created.stdout.trim();
    writeFileSync(path.join(dir, "secret.txt"), "model weights key");
    for (const binary of [undefined, AWS_CLI_V1].filter((b, i) => i === 0 || b !== undefined)) {
      const enc = await awsCli(
        stratus,
        ["kms", "encrypt", "--key-id", keyId, "--plaintext", "fileb://secret.txt", "--encryption-context", "stage=prod", "--query", "CiphertextBlob", "--output", "text"],
        { binary, cwd: dir },
      );
      assert.equal(enc.code, 0, enc.stderr);
      writeFileSync(path.join(dir, "secret.enc"), Buffer.from(enc.stdout.trim(), "base64"));
      const dec = await awsCli(
        stratus,
        ["kms", "decrypt", "--ciphertext-blob", "fileb://secret.enc", "--encryption-context", "stage=prod", "--query", "Plaintext", "--output", "text"],
        { binary, cwd: dir },
      );
      assert.equal(Buffer.from(dec.stdout.trim(), "base64").toString(), "model weights key", `${binary ?? "aws v2"}: ${dec.stderr}`);
      const wrong = await awsCli(stratus, ["kms", "decrypt", "--ciphertext-blob", "fileb://secret.enc"], { binary, cwd: dir });
      assert.match(wrong.stderr, /\(InvalidCiphertextException\) when calling the Decrypt operation/);
    }
  });
});
