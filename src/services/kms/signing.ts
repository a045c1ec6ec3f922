/**
 * The operations of key pairs: GetPublicKey, Sign and Verify on asymmetric
 * KMS keys, and GenerateDataKeyPair(WithoutPlaintext), whose private key is
 * sealed under a symmetric KMS key. Checks in AWS's order, with its errors.
 */
import type {
  GenerateDataKeyPairRequest,
  GenerateDataKeyPairResponse,
  GetPublicKeyResponse,
  SignRequest,
  SignResponse,
  VerifyRequest,
  VerifyResponse,
} from "../../generated/kms.js";
import { generateKeyPair, sign, verify } from "./asymmetric.js";
import { KmsErrors } from "./errors.js";
import type { KeyRing } from "./keys.js";
import { algorithmsOf, isAsymmetric, SIGNING, SIGNING_ALGORITHMS, type KeySpecName } from "./specs.js";
import type { KeyRecord } from "./store.js";

const DATA_KEY_PAIR_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"];

export class Signing {
  constructor(private readonly ring: KeyRing) {}

  getPublicKey(key: KeyRecord): GetPublicKeyResponse {
    if (!isAsymmetric(key)) throw KmsErrors.unsupported(`${key.Arn} key spec ${key.KeySpec} is not valid for GetPublicKey: it has no public key.`);
    this.ring.assertUsable(key);
    return {
      KeyId: key.Arn,
      PublicKey: Buffer.from(key.materials[key.materials.length - 1].publicKey!, "base64"),
      CustomerMasterKeySpec: key.KeySpec,
      KeySpec: key.KeySpec,
      KeyUsage: key.KeyUsage,
      ...(algorithmsOf(key) as Pick<GetPublicKeyResponse, "EncryptionAlgorithms" | "SigningAlgorithms">),
    };
  }

  sign(key: KeyRecord, input: SignRequest): SignResponse {
    const messageType = this.check(key, input, "Sign");
    return { KeyId: key.Arn, Signature: sign(this.ring.secret(key), input.SigningAlgorithm, input.Message, messageType), SigningAlgorithm: input.SigningAlgorithm };
  }

  verify(key: KeyRecord, input: VerifyRequest): VerifyResponse {
    const messageType = this.check(key, input, "Verify");
    if (!verify(this.ring.secret(key), input.SigningAlgorithm, input.Message, messageType, input.Signature)) throw KmsErrors.invalidSignature();
    return { KeyId: key.Arn, SignatureValid: true, SigningAlgorithm: input.SigningAlgorithm };
  }

  /** Usage, algorithm, message type and digest length, key state, then DryRun. */
  private check(key: KeyRecord, input: SignRequest | VerifyRequest, operation: string): "RAW" | "DIGEST" {
    this.ring.assertUsage(key, "SIGN_VERIFY", operation);
    const algorithm = input.SigningAlgorithm;
    if (!SIGNING_ALGORITHMS[key.KeySpec]?.includes(algorithm)) throw KmsErrors.incompatibleAlgorithm(algorithm, key.KeySpec);
    const messageType = input.MessageType ?? "RAW";
    if (messageType === "EXTERNAL_MU") throw KmsErrors.validation(`MessageType EXTERNAL_MU is not valid for key spec ${key.KeySpec}; it is for ML-DSA keys.`);
    if (messageType === "DIGEST" && input.Message.length !== SIGNING[algorithm].digestBytes) throw KmsErrors.digestLength(algorithm);
    this.ring.assertUsable(key);
    if (input.DryRun) throw KmsErrors.dryRun();
    return messageType;
  }

  /** A data key pair; its private key sealed under `key`, a symmetric encryption key, with the encryption context. */
  async dataKeyPair(key: KeyRecord, input: GenerateDataKeyPairRequest, operation: string): Promise<GenerateDataKeyPairResponse> {
    this.ring.assertSymmetric(key, operation);
    if (input.KeyPairSpec === "SM2") throw KmsErrors.unsupported("KeyPairSpec SM2 is available only in China Regions.");
    if (!DATA_KEY_PAIR_SPECS.includes(input.KeyPairSpec)) throw KmsErrors.validation(`KeyPairSpec ${input.KeyPairSpec} is not supported.`);
    this.ring.assertUsable(key);
    if (input.DryRun) throw KmsErrors.dryRun();
    const pair = await generateKeyPair(input.KeyPairSpec as KeySpecName | "ECC_NIST_EDWARDS25519");
    // The key may have changed state (or rotated) while the pair was made: seal with what it is now.
    const current = this.ring.store.keys({ account: key.AWSAccountId, region: key.Arn.split(":")[3] }).get(key.KeyId) ?? key;
    this.ring.assertUsable(current);
    return {
      KeyId: current.Arn,
      KeyPairSpec: input.KeyPairSpec,
      PublicKey: pair.publicKey,
      PrivateKeyPlaintext: pair.privateKey,
      PrivateKeyCiphertextBlob: this.ring.encrypt(current, pair.privateKey, input.EncryptionContext),
      KeyMaterialId: current.materials[current.materials.length - 1]?.id,
    };
  }
}
