/**
 * Asymmetric (RSA, ECC) and HMAC keys with @aws-sdk/client-kms and the aws
 * CLI: every key spec created and described as AWS lists it; signatures and
 * RSA ciphertexts checked against plain node:crypto with the public key from
 * GetPublicKey (that is what makes them real); data key pairs whose private
 * key matches the public key; MACs; AWS's errors; state across a restart.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateMacCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  KMSClient,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KeySpec,
  type KeyUsageType,
  type SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
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

const RSA_SIGNING = [
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
];

/** Every spec/usage pair AWS allows (KEY_AGREEMENT aside), with the lists DescribeKey shows for it. */
const SPECS: Array<{ spec: KeySpec; usage: KeyUsageType; lists: Record<string, string[]> }> = [
  { spec: "RSA_2048", usage: "ENCRYPT_DECRYPT", lists: { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] } },
  { spec: "RSA_3072", usage: "ENCRYPT_DECRYPT", lists: { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] } },
  { spec: "RSA_4096", usage: "ENCRYPT_DECRYPT", lists: { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] } },
  { spec: "RSA_2048", usage: "SIGN_VERIFY", lists: { SigningAlgorithms: RSA_SIGNING } },
  { spec: "RSA_3072", usage: "SIGN_VERIFY", lists: { SigningAlgorithms: RSA_SIGNING } },
  { spec: "RSA_4096", usage: "SIGN_VERIFY", lists: { SigningAlgorithms: RSA_SIGNING } },
  { spec: "ECC_NIST_P256", usage: "SIGN_VERIFY", lists: { SigningAlgorithms: ["ECDSA_SHA_256"] } },
  { spec: "ECC_NIST_P384", usage: "SIGN_VERIFY", lists: { SigningAlgorithms: ["ECDSA_SHA_384"] } },
  { spec: "ECC_NIST_P521", usage: "SIGN_VERIFY", lists: { SigningAlgorithms: ["ECDSA_SHA_512"] } },
  { spec: "ECC_SECG_P256K1", usage: "SIGN_VERIFY", lists: { SigningAlgorithms: ["ECDSA_SHA_256"] } },
  { spec: "HMAC_224", usage: "GENERATE_VERIFY_MAC", lists: { MacAlgorithms: ["HMAC_SHA_224"] } },
  { spec: "HMAC_256", usage: "GENERATE_VERIFY_MAC", lists: { MacAlgorithms: ["HMAC_SHA_256"] } },
  { spec: "HMAC_384", usage: "GENERATE_VERIFY_MAC", lists: { MacAlgorithms: ["HMAC_SHA_384"] } },
  { spec: "HMAC_512", usage: "GENERATE_VERIFY_MAC", lists: { MacAlgorithms: ["HMAC_SHA_512"] } },
];

const CURVE_OF: Record<string, string> = { ECC_NIST_P256: "prime256v1", ECC_NIST_P384: "secp384r1", ECC_NIST_P521: "secp521r1", ECC_SECG_P256K1: "secp256k1" };

const hashOf = (algorithm: string) => `sha${algorithm.slice(-3)}`;

/** How node:crypto verifies a KMS signature of each algorithm (PSS: salt as long as the hash, as KMS signs). */
function nodeVerifyOptions(algorithm: string, key: crypto.KeyObject) {
  if (algorithm.startsWith("RSASSA_PSS")) return { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(algorithm.slice(-3)) / 8 };
  if (algorithm.startsWith("RSASSA_PKCS1")) return { key, padding: crypto.constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: "der" as const };
}

describe("KMS asymmetric and HMAC keys", () => {
  let stratus: RunningStratus;
  let kms: KMSClient;
  /** One key per spec/usage, made once: RSA_4096 keys take a moment to generate. */
  const keys = new Map<string, string>();
  const keyOf = (spec: string, usage: string) => keys.get(`${spec}/${usage}`)!;
  const publicKey = async (keyId: string) =>
    crypto.createPublicKey({ key: Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!), format: "der", type: "spki" });

  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-01-01T00:00:00Z" });
    kms = new KMSClient(sdkConfig(stratus));
    await Promise.all(
      SPECS.map(async ({ spec, usage }) => {
        const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: usage, Description: `${spec} ${usage}` }));
        keys.set(`${spec}/${usage}`, KeyMetadata!.KeyId!);
      }),
    );
  });
  after(() => stratus.stop());

  it("creates and describes every key spec with its usage and AWS's algorithm lists", async () => {
    for (const { spec, usage, lists } of SPECS) {
      const { KeyMetadata: key } = await kms.send(new DescribeKeyCommand({ KeyId: keyOf(spec, usage) }));
      assert.equal(key!.KeySpec, spec);
      assert.equal(key!.CustomerMasterKeySpec, spec);
      assert.equal(key!.KeyUsage, usage);
      assert.equal(key!.KeyState, "Enabled");
      for (const list of ["EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms"]) {
        assert.deepEqual((key as any)[list], lists[list], `${spec} ${usage} ${list}`);
      }
      // AWS names the key material of symmetric encryption keys only.
      assert.equal(key!.CurrentKeyMaterialId, undefined, spec);
    }
  });

  it("GetPublicKey returns a DER SubjectPublicKeyInfo of the key's type and its algorithm lists; HMAC and symmetric keys have none", async () => {
    for (const { spec, usage, lists } of SPECS.filter((s) => !s.spec.startsWith("HMAC"))) {
      const keyId = keyOf(spec, usage);
      const got = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
      assert.equal(got.KeyId, `arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
      assert.equal(got.KeySpec, spec);
      assert.equal(got.KeyUsage, usage);
      assert.deepEqual(got.SigningAlgorithms, lists.SigningAlgorithms);
      assert.deepEqual(got.EncryptionAlgorithms, lists.EncryptionAlgorithms);
      const key = crypto.createPublicKey({ key: Buffer.from(got.PublicKey!), format: "der", type: "spki" });
      if (spec.startsWith("RSA")) {
        assert.equal(key.asymmetricKeyType, "rsa");
        assert.equal(key.asymmetricKeyDetails!.modulusLength, Number(spec.slice(4)));
        assert.equal(key.asymmetricKeyDetails!.publicExponent, 65537n);
      } else {
        assert.equal(key.asymmetricKeyType, "ec");
        assert.equal(key.asymmetricKeyDetails!.namedCurve, CURVE_OF[spec]);
      }
    }
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId;
    await assert.rejects(kms.send(new GetPublicKeyCommand({ KeyId: symmetric })), rejectsWith("UnsupportedOperationException"));
    await assert.rejects(kms.send(new GetPublicKeyCommand({ KeyId: keyOf("HMAC_256", "GENERATE_VERIFY_MAC") })), rejectsWith("UnsupportedOperationException"));
  });

  it("refuses KeySpec/KeyUsage pairs AWS refuses, with its errors", async () => {
    const create = (KeySpec: string | undefined, KeyUsage?: string) => kms.send(new CreateKeyCommand({ KeySpec: KeySpec as KeySpec, KeyUsage: KeyUsage as KeyUsageType }));
    const usageRequired = "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.";
    await assert.rejects(create("HMAC_256"), rejectsWith("ValidationException", usageRequired));
    await assert.rejects(create("RSA_2048"), rejectsWith("ValidationException", usageRequired));
    await assert.rejects(create("ECC_SECG_P256K1", "ENCRYPT_DECRYPT"), rejectsWith("ValidationException", "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_SECG_P256K1"));
    await assert.rejects(create("ECC_NIST_P256", "ENCRYPT_DECRYPT"), rejectsWith("ValidationException", "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256"));
    await assert.rejects(create("RSA_2048", "KEY_AGREEMENT"), rejectsWith("ValidationException", "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048"));
    await assert.rejects(create("HMAC_256", "SIGN_VERIFY"), rejectsWith("ValidationException", "KeyUsage SIGN_VERIFY is not compatible with KeySpec HMAC_256"));
    await assert.rejects(create(undefined, "SIGN_VERIFY"), rejectsWith("ValidationException", "KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT"));
    await assert.rejects(create("HMAC_random", "GENERATE_VERIFY_MAC"), rejectsWith("ValidationException", /Value 'HMAC_random' at 'keySpec' failed to satisfy constraint/));
    // Supported by AWS, not by Stratus: a clear refusal rather than a wrong key.
    await assert.rejects(create("ECC_NIST_P256", "KEY_AGREEMENT"), rejectsWith("UnsupportedOperationException", /KEY_AGREEMENT/));
    await assert.rejects(create("SM2", "SIGN_VERIFY"), rejectsWith("UnsupportedOperationException", /SM2/));
  });

  it("signs RAW messages and DIGESTs with every algorithm; node:crypto verifies with the public key; a tampered message or signature is KMSInvalidSignatureException", async () => {
    const message = Buffer.from("model card: resnet50, 25.6M parameters");
    const cases = [
      ...["RSA_2048", "RSA_3072", "RSA_4096"].flatMap((spec) => RSA_SIGNING.map((algorithm) => ({ spec, algorithm }))),
      { spec: "ECC_NIST_P256", algorithm: "ECDSA_SHA_256" },
      { spec: "ECC_NIST_P384", algorithm: "ECDSA_SHA_384" },
      { spec: "ECC_NIST_P521", algorithm: "ECDSA_SHA_512" },
      { spec: "ECC_SECG_P256K1", algorithm: "ECDSA_SHA_256" },
    ];
    for (const { spec, algorithm } of cases) {
      const keyId = keyOf(spec, "SIGN_VERIFY");
      const pub = await publicKey(keyId);
      const digest = crypto.createHash(hashOf(algorithm)).update(message).digest();
      for (const [messageType, signed] of [["RAW", message], ["DIGEST", digest]] as const) {
        const label = `${spec} ${algorithm} ${messageType}`;
        const signing = { KeyId: keyId, SigningAlgorithm: algorithm as SigningAlgorithmSpec, MessageType: messageType };
        const out = await kms.send(new SignCommand({ ...signing, Message: signed }));
        assert.equal(out.KeyId, `arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
        assert.equal(out.SigningAlgorithm, algorithm);
        const signature = Buffer.from(out.Signature!);
        // A digest signed by KMS is a signature over the message itself.
        assert.equal(crypto.verify(hashOf(algorithm), message, nodeVerifyOptions(algorithm, pub), signature), true, label);
        if (spec.startsWith("ECC")) assert.equal(signature[0], 0x30, `${label}: ECDSA signatures are DER`);
        const verified = await kms.send(new VerifyCommand({ ...signing, Message: signed, Signature: signature }));
        assert.equal(verified.SignatureValid, true, label);
        const tampered = Buffer.from(signed);
        tampered[0] ^= 1;
        await assert.rejects(kms.send(new VerifyCommand({ ...signing, Message: tampered, Signature: signature })), rejectsWith("KMSInvalidSignatureException"), label);
        const badSignature = Buffer.from(signature);
        badSignature[badSignature.length - 1] ^= 1;
        await assert.rejects(kms.send(new VerifyCommand({ ...signing, Message: signed, Signature: badSignature })), rejectsWith("KMSInvalidSignatureException"), label);
      }
      await assert.rejects(
        kms.send(new SignCommand({ KeyId: keyId, SigningAlgorithm: algorithm as SigningAlgorithmSpec, MessageType: "DIGEST", Message: message })),
        rejectsWith("ValidationException", `Digest is invalid length for algorithm ${algorithm}.`),
      );
    }
    // A signature node:crypto made with a key of its own is not KMS's key's.
    const stranger = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    await assert.rejects(
      kms.send(
        new VerifyCommand({
          KeyId: keyOf("ECC_NIST_P256", "SIGN_VERIFY"),
          SigningAlgorithm: "ECDSA_SHA_256",
          Message: message,
          Signature: crypto.sign("sha256", message, stranger.privateKey),
        }),
      ),
      rejectsWith("KMSInvalidSignatureException"),
    );
  });

  it("answers a wrong key usage, algorithm or key state with AWS's errors", async () => {
    const arn = (keyId: string) => `arn:aws:kms:us-east-1:000000000000:key/${keyId}`;
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const hmac = keyOf("HMAC_224", "GENERATE_VERIFY_MAC");
    const rsaSign = keyOf("RSA_2048", "SIGN_VERIFY");
    const rsaCrypt = keyOf("RSA_2048", "ENCRYPT_DECRYPT");
    const p256 = keyOf("ECC_NIST_P256", "SIGN_VERIFY");
    const message = Buffer.from("x");
    await assert.rejects(kms.send(new SignCommand({ KeyId: p256, SigningAlgorithm: "ECDSA_SHA_384", Message: message })),
      rejectsWith("InvalidKeyUsageException", "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256."));
    await assert.rejects(kms.send(new SignCommand({ KeyId: p256, SigningAlgorithm: "RSASSA_PSS_SHA_256", Message: message })),
      rejectsWith("InvalidKeyUsageException", "Algorithm RSASSA_PSS_SHA_256 is incompatible with key spec ECC_NIST_P256."));
    await assert.rejects(kms.send(new SignCommand({ KeyId: rsaSign, SigningAlgorithm: "ECDSA_SHA_256", Message: message })),
      rejectsWith("InvalidKeyUsageException", "Algorithm ECDSA_SHA_256 is incompatible with key spec RSA_2048."));
    await assert.rejects(kms.send(new SignCommand({ KeyId: hmac, SigningAlgorithm: "RSASSA_PSS_SHA_256", Message: message })),
      rejectsWith("InvalidKeyUsageException", `${arn(hmac)} key usage is GENERATE_VERIFY_MAC which is not valid for Sign.`));
    await assert.rejects(kms.send(new SignCommand({ KeyId: rsaCrypt, SigningAlgorithm: "RSASSA_PSS_SHA_256", Message: message })),
      rejectsWith("InvalidKeyUsageException", `${arn(rsaCrypt)} key usage is ENCRYPT_DECRYPT which is not valid for Sign.`));
    await assert.rejects(kms.send(new VerifyCommand({ KeyId: symmetric, SigningAlgorithm: "ECDSA_SHA_256", Message: message, Signature: Buffer.from("sig") })),
      rejectsWith("InvalidKeyUsageException", `${arn(symmetric)} key usage is ENCRYPT_DECRYPT which is not valid for Verify.`));
    await assert.rejects(kms.send(new EncryptCommand({ KeyId: rsaSign, Plaintext: message })),
      rejectsWith("InvalidKeyUsageException", `${arn(rsaSign)} key usage is SIGN_VERIFY which is not valid for Encrypt.`));
    await assert.rejects(kms.send(new EncryptCommand({ KeyId: rsaCrypt, Plaintext: message })),
      rejectsWith("InvalidKeyUsageException", "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."));
    await assert.rejects(kms.send(new GenerateMacCommand({ KeyId: symmetric, MacAlgorithm: "HMAC_SHA_224", Message: message })),
      rejectsWith("InvalidKeyUsageException", `${arn(symmetric)} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.`));
    await assert.rejects(kms.send(new GenerateDataKeyCommand({ KeyId: rsaCrypt, KeySpec: "AES_256" })), rejectsWith("InvalidKeyUsageException"));
    await assert.rejects(kms.send(new GenerateDataKeyPairCommand({ KeyId: rsaCrypt, KeyPairSpec: "RSA_2048" })), rejectsWith("InvalidKeyUsageException"));
    // A symmetric ciphertext names its key: Decrypt naming another key is IncorrectKeyException.
    const blob = (await kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: message }))).CiphertextBlob;
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: hmac })),
      rejectsWith("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation."));
    // Only symmetric encryption keys rotate.
    for (const keyId of [rsaSign, hmac]) {
      await assert.rejects(kms.send(new EnableKeyRotationCommand({ KeyId: keyId })), rejectsWith("UnsupportedOperationException"));
      await assert.rejects(kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })), rejectsWith("UnsupportedOperationException"));
      assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled, false);
    }
    // A disabled key signs nothing and shows no public key.
    const disabled = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata!.KeyId!;
    await kms.send(new DisableKeyCommand({ KeyId: disabled }));
    await assert.rejects(kms.send(new SignCommand({ KeyId: disabled, SigningAlgorithm: "ECDSA_SHA_256", Message: message })), rejectsWith("DisabledException", `${arn(disabled)} is disabled.`));
    await assert.rejects(kms.send(new GetPublicKeyCommand({ KeyId: disabled })), rejectsWith("DisabledException"));
    await assert.rejects(kms.send(new SignCommand({ KeyId: p256, SigningAlgorithm: "ECDSA_SHA_256", Message: message, DryRun: true })), rejectsWith("DryRunOperationException"));
  });

  it("RSA keys: node:crypto encrypts with the public key and KMS decrypts; KMS's ciphertexts decrypt; AWS's plaintext limits", async () => {
    const limits: Record<string, Record<string, number>> = {
      RSA_2048: { RSAES_OAEP_SHA_1: 214, RSAES_OAEP_SHA_256: 190 },
      RSA_3072: { RSAES_OAEP_SHA_1: 342, RSAES_OAEP_SHA_256: 318 },
      RSA_4096: { RSAES_OAEP_SHA_1: 470, RSAES_OAEP_SHA_256: 446 },
    };
    for (const [spec, byAlgorithm] of Object.entries(limits)) {
      const keyId = keyOf(spec, "ENCRYPT_DECRYPT");
      const pub = await publicKey(keyId);
      for (const [algorithm, limit] of Object.entries(byAlgorithm)) {
        const label = `${spec} ${algorithm}`;
        const EncryptionAlgorithm = algorithm as "RSAES_OAEP_SHA_1";
        const plaintext = crypto.randomBytes(limit);
        const outside = crypto.publicEncrypt({ key: pub, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm.endsWith("_1") ? "sha1" : "sha256" }, plaintext);
        const opened = await kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: outside, EncryptionAlgorithm }));
        assert.deepEqual(Buffer.from(opened.Plaintext!), plaintext, label);
        assert.equal(opened.EncryptionAlgorithm, algorithm);
        assert.equal(opened.KeyId, `arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
        const sealed = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionAlgorithm }));
        assert.equal(sealed.EncryptionAlgorithm, algorithm);
        assert.equal(sealed.CiphertextBlob!.length, Number(spec.slice(4)) / 8, label);
        assert.deepEqual(Buffer.from((await kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: sealed.CiphertextBlob, EncryptionAlgorithm }))).Plaintext!), plaintext);
        await assert.rejects(
          kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: crypto.randomBytes(limit + 1), EncryptionAlgorithm })),
          rejectsWith("ValidationException", `Algorithm ${algorithm} and key spec ${spec} cannot encrypt data larger than ${limit} bytes.`),
        );
      }
    }
    const keyId = keyOf("RSA_2048", "ENCRYPT_DECRYPT");
    const sealed = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("secret"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }))).CiphertextBlob!;
    // The other OAEP hash, another key, or no key at all: not this ciphertext.
    await assert.rejects(kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: sealed, EncryptionAlgorithm: "RSAES_OAEP_SHA_1" })), rejectsWith("InvalidCiphertextException"));
    await assert.rejects(kms.send(new DecryptCommand({ KeyId: keyOf("RSA_3072", "ENCRYPT_DECRYPT"), CiphertextBlob: sealed, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" })), rejectsWith("InvalidCiphertextException"));
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: sealed })), rejectsWith("InvalidCiphertextException"));
    await assert.rejects(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256", EncryptionContext: { a: "b" } })),
      rejectsWith("ValidationException"),
    );
    // ReEncrypt between an RSA key and a symmetric one, both ways.
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const toSymmetric = await kms.send(
      new ReEncryptCommand({ CiphertextBlob: sealed, SourceKeyId: keyId, SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_256", DestinationKeyId: symmetric.KeyId, DestinationEncryptionContext: { k: "v" } }),
    );
    assert.equal(toSymmetric.SourceEncryptionAlgorithm, "RSAES_OAEP_SHA_256");
    assert.equal(toSymmetric.DestinationEncryptionAlgorithm, "SYMMETRIC_DEFAULT");
    const back = await kms.send(
      new ReEncryptCommand({ CiphertextBlob: toSymmetric.CiphertextBlob, SourceEncryptionContext: { k: "v" }, DestinationKeyId: keyId, DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_1" }),
    );
    assert.equal(back.SourceKeyId, symmetric.Arn);
    const priv = await kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: back.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_1" }));
    assert.equal(Buffer.from(priv.Plaintext!).toString(), "secret");
  });

  it("generates data key pairs whose private key decrypts with Decrypt (and its context) and matches the public key", async () => {
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const context = { model: "resnet50" };
    const specs = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"] as const;
    for (const spec of specs) {
      const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: spec, EncryptionContext: context }));
      assert.equal(pair.KeyId, symmetric.Arn);
      assert.equal(pair.KeyPairSpec, spec);
      const privateDer = Buffer.from(pair.PrivateKeyPlaintext!);
      const privateKey = crypto.createPrivateKey({ key: privateDer, format: "der", type: "pkcs8" });
      assert.deepEqual(crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" }), Buffer.from(pair.PublicKey!), spec);
      if (spec.startsWith("RSA")) assert.equal(privateKey.asymmetricKeyDetails!.modulusLength, Number(spec.slice(4)));
      else if (spec !== "ECC_NIST_EDWARDS25519") assert.equal(privateKey.asymmetricKeyDetails!.namedCurve, CURVE_OF[spec]);
      else assert.equal(privateKey.asymmetricKeyType, "ed25519");
      const opened = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }));
      assert.deepEqual(Buffer.from(opened.Plaintext!), privateDer, spec);
      await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob })), rejectsWith("InvalidCiphertextException"));
    }
    const hidden = await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "ECC_NIST_P256" }));
    assert.equal((hidden as any).PrivateKeyPlaintext, undefined);
    const privateDer = Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: hidden.PrivateKeyCiphertextBlob }))).Plaintext!);
    // Sign with the private key, verify with the public key: a real pair.
    const signature = crypto.sign("sha256", Buffer.from("m"), crypto.createPrivateKey({ key: privateDer, format: "der", type: "pkcs8" }));
    assert.equal(crypto.verify("sha256", Buffer.from("m"), crypto.createPublicKey({ key: Buffer.from(hidden.PublicKey!), format: "der", type: "spki" }), signature), true);
    await assert.rejects(kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "RSA_2048", DryRun: true })), rejectsWith("DryRunOperationException"));
    await assert.rejects(kms.send(new GenerateDataKeyPairCommand({ KeyId: keyOf("HMAC_256", "GENERATE_VERIFY_MAC"), KeyPairSpec: "RSA_2048" })), rejectsWith("InvalidKeyUsageException"));
  });

  it("HMAC keys: MACs are deterministic, verify, differ per key; a wrong MAC is KMSInvalidMacException, a wrong algorithm InvalidKeyUsageException", async () => {
    const lengths: Record<string, number> = { HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 };
    const message = Buffer.from("request body to authenticate");
    for (const [spec, length] of Object.entries(lengths)) {
      const keyId = keyOf(spec, "GENERATE_VERIFY_MAC");
      const MacAlgorithm = `HMAC_SHA_${spec.slice(5)}` as "HMAC_SHA_256";
      const first = await kms.send(new GenerateMacCommand({ KeyId: keyId, MacAlgorithm, Message: message }));
      assert.equal(first.KeyId, `arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
      assert.equal(first.MacAlgorithm, MacAlgorithm);
      const mac = Buffer.from(first.Mac!);
      assert.equal(mac.length, length, spec);
      assert.deepEqual(Buffer.from((await kms.send(new GenerateMacCommand({ KeyId: keyId, MacAlgorithm, Message: message }))).Mac!), mac, `${spec} is deterministic`);
      assert.notDeepEqual(Buffer.from((await kms.send(new GenerateMacCommand({ KeyId: keyId, MacAlgorithm, Message: Buffer.from("other") }))).Mac!), mac);
      const verified = await kms.send(new VerifyMacCommand({ KeyId: keyId, MacAlgorithm, Message: message, Mac: mac }));
      assert.equal(verified.MacValid, true);
      const flipped = Buffer.from(mac);
      flipped[0] ^= 1;
      await assert.rejects(kms.send(new VerifyMacCommand({ KeyId: keyId, MacAlgorithm, Message: message, Mac: flipped })), rejectsWith("KMSInvalidMacException"));
      await assert.rejects(kms.send(new VerifyMacCommand({ KeyId: keyId, MacAlgorithm, Message: Buffer.from("tampered"), Mac: mac })), rejectsWith("KMSInvalidMacException"));
      await assert.rejects(kms.send(new VerifyMacCommand({ KeyId: keyId, MacAlgorithm, Message: message, Mac: mac.subarray(0, 16) })), rejectsWith("KMSInvalidMacException"));
    }
    // The same message under another key of the same spec: another MAC.
    const other = (await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }))).KeyMetadata!.KeyId;
    const a = await kms.send(new GenerateMacCommand({ KeyId: keyOf("HMAC_256", "GENERATE_VERIFY_MAC"), MacAlgorithm: "HMAC_SHA_256", Message: message }));
    const b = await kms.send(new GenerateMacCommand({ KeyId: other, MacAlgorithm: "HMAC_SHA_256", Message: message }));
    assert.notDeepEqual(Buffer.from(a.Mac!), Buffer.from(b.Mac!));
    await assert.rejects(kms.send(new VerifyMacCommand({ KeyId: other, MacAlgorithm: "HMAC_SHA_256", Message: message, Mac: a.Mac })), rejectsWith("KMSInvalidMacException"));
    await assert.rejects(
      kms.send(new VerifyMacCommand({ KeyId: keyOf("HMAC_256", "GENERATE_VERIFY_MAC"), MacAlgorithm: "HMAC_SHA_512", Message: message, Mac: a.Mac })),
      rejectsWith("InvalidKeyUsageException", "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256."),
    );
    await assert.rejects(
      kms.send(new GenerateMacCommand({ KeyId: keyOf("HMAC_224", "GENERATE_VERIFY_MAC"), MacAlgorithm: "HMAC_SHA_256", Message: message })),
      rejectsWith("InvalidKeyUsageException", "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."),
    );
    await assert.rejects(
      kms.send(new GenerateMacCommand({ KeyId: keyOf("HMAC_256", "GENERATE_VERIFY_MAC"), MacAlgorithm: "INVALID" as "HMAC_SHA_256", Message: message })),
      rejectsWith("ValidationException", /Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint/),
    );
  });

  it("works from the aws CLI: an ECC key signs a file, its public key verifies it outside KMS, and an HMAC key MACs", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kms-asym-cli-"));
    try {
      writeFileSync(path.join(dir, "model.bin"), "weights");
      const result = await bash(
        stratus,
        `KEY=$(aws kms create-key --key-spec ECC_NIST_P384 --key-usage SIGN_VERIFY --query KeyMetadata.KeyId --output text)
aws kms sign --key-id $KEY --message fileb://model.bin --message-type RAW --signing-algorithm ECDSA_SHA_384 --query Signature --output text | base64 -d > model.sig
aws kms get-public-key --key-id $KEY --query PublicKey --output text | base64 -d > key.der
aws kms verify --key-id $KEY --message fileb://model.bin --message-type RAW --signing-algorithm ECDSA_SHA_384 --signature fileb://model.sig --query SignatureValid --output text
MAC_KEY=$(aws kms create-key --key-spec HMAC_256 --key-usage GENERATE_VERIFY_MAC --query KeyMetadata.KeyId --output text)
aws kms generate-mac --key-id $MAC_KEY --message fileb://model.bin --mac-algorithm HMAC_SHA_256 --query Mac --output text | base64 -d > model.mac
aws kms verify-mac --key-id $MAC_KEY --message fileb://model.bin --mac-algorithm HMAC_SHA_256 --mac fileb://model.mac --query MacValid --output text`,
        { cwd: dir },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.trim().split("\n"), ["True", "True"]);
      const pub = crypto.createPublicKey({ key: readFileSync(path.join(dir, "key.der")), format: "der", type: "spki" });
      assert.equal(crypto.verify("sha384", readFileSync(path.join(dir, "model.bin")), pub, readFileSync(path.join(dir, "model.sig"))), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("KMS key pairs and HMAC keys at rest", () => {
  it("keeps them across a restart: the same public key, signatures and MACs; no data key pair's private key on disk", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "kms-asym-disk-"));
    try {
      let stratus = await startTestStratus({ storage: "disk", dataDir });
      let kms = new KMSClient(sdkConfig(stratus));
      const signer = (await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata!.KeyId!;
      const macKey = (await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_384", KeyUsage: "GENERATE_VERIFY_MAC" }))).KeyMetadata!.KeyId!;
      const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      const publicBefore = Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: signer }))).PublicKey!);
      const mac = Buffer.from((await kms.send(new GenerateMacCommand({ KeyId: macKey, MacAlgorithm: "HMAC_SHA_384", Message: Buffer.from("m") }))).Mac!);
      const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric, KeyPairSpec: "ECC_NIST_P256" }));
      await stratus.stop();
      const needle = Buffer.from(pair.PrivateKeyPlaintext!);
      for (const file of walk(dataDir)) {
        const bytes = readFileSync(file);
        assert.equal(bytes.includes(needle), false, file);
        assert.equal(bytes.includes(Buffer.from(needle.toString("base64"))), false, file);
      }
      stratus = await startTestStratus({ storage: "disk", dataDir });
      kms = new KMSClient(sdkConfig(stratus));
      assert.deepEqual(Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: signer }))).PublicKey!), publicBefore);
      const signature = (await kms.send(new SignCommand({ KeyId: signer, SigningAlgorithm: "RSASSA_PSS_SHA_256", Message: Buffer.from("m") }))).Signature!;
      const pub = crypto.createPublicKey({ key: publicBefore, format: "der", type: "spki" });
      assert.equal(crypto.verify("sha256", Buffer.from("m"), { key: pub, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature), true);
      assert.deepEqual(Buffer.from((await kms.send(new GenerateMacCommand({ KeyId: macKey, MacAlgorithm: "HMAC_SHA_384", Message: Buffer.from("m") }))).Mac!), mac);
      assert.deepEqual(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob }))).Plaintext!), needle);
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
