/**
 * What each KMS key spec is: the key usages it allows (and the one it takes
 * when CreateKey names none), the algorithms DescribeKey and GetPublicKey list
 * for it, and the grant operations a grant on it may allow. AWS's tables
 * (asymmetric-key-specs, hmac, grants) as data.
 */
import type { KeyRecord } from "./store.js";

export type KeySpecName =
  | "SYMMETRIC_DEFAULT"
  | "RSA_2048" | "RSA_3072" | "RSA_4096"
  | "ECC_NIST_P256" | "ECC_NIST_P384" | "ECC_NIST_P521" | "ECC_SECG_P256K1"
  | "HMAC_224" | "HMAC_256" | "HMAC_384" | "HMAC_512";

export type KeyUsageName = "ENCRYPT_DECRYPT" | "SIGN_VERIFY" | "GENERATE_VERIFY_MAC";

export type Hash = "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

export const RSA_BITS: Partial<Record<KeySpecName, number>> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

/** node:crypto's names for the curves (OpenSSL's). */
export const CURVES: Partial<Record<KeySpecName, string>> = {
  ECC_NIST_P256: "prime256v1",
  ECC_NIST_P384: "secp384r1",
  ECC_NIST_P521: "secp521r1",
  ECC_SECG_P256K1: "secp256k1",
};

/** HMAC keys: the hash and the length of the key material (AWS's key length is the spec's bit count). */
export const HMAC_SPECS: Partial<Record<KeySpecName, { hash: Hash; bytes: number; algorithm: string }>> = {
  HMAC_224: { hash: "sha224", bytes: 28, algorithm: "HMAC_SHA_224" },
  HMAC_256: { hash: "sha256", bytes: 32, algorithm: "HMAC_SHA_256" },
  HMAC_384: { hash: "sha384", bytes: 48, algorithm: "HMAC_SHA_384" },
  HMAC_512: { hash: "sha512", bytes: 64, algorithm: "HMAC_SHA_512" },
};

export const MAC_ALGORITHMS: Record<string, Hash> = {
  HMAC_SHA_224: "sha224",
  HMAC_SHA_256: "sha256",
  HMAC_SHA_384: "sha384",
  HMAC_SHA_512: "sha512",
};

const RSA_SIGNING = [
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
];

/** The signing algorithms a SIGN_VERIFY key of each spec allows (one ECDSA hash per curve, as AWS allows). */
export const SIGNING_ALGORITHMS: Partial<Record<KeySpecName, string[]>> = {
  RSA_2048: RSA_SIGNING,
  RSA_3072: RSA_SIGNING,
  RSA_4096: RSA_SIGNING,
  ECC_NIST_P256: ["ECDSA_SHA_256"],
  ECC_NIST_P384: ["ECDSA_SHA_384"],
  ECC_NIST_P521: ["ECDSA_SHA_512"],
  ECC_SECG_P256K1: ["ECDSA_SHA_256"],
};

export interface SigningAlgorithm {
  kind: "pkcs1" | "pss" | "ecdsa";
  hash: Hash;
  digestBytes: number;
}

export const SIGNING: Record<string, SigningAlgorithm> = {
  RSASSA_PKCS1_V1_5_SHA_256: { kind: "pkcs1", hash: "sha256", digestBytes: 32 },
  RSASSA_PKCS1_V1_5_SHA_384: { kind: "pkcs1", hash: "sha384", digestBytes: 48 },
  RSASSA_PKCS1_V1_5_SHA_512: { kind: "pkcs1", hash: "sha512", digestBytes: 64 },
  RSASSA_PSS_SHA_256: { kind: "pss", hash: "sha256", digestBytes: 32 },
  RSASSA_PSS_SHA_384: { kind: "pss", hash: "sha384", digestBytes: 48 },
  RSASSA_PSS_SHA_512: { kind: "pss", hash: "sha512", digestBytes: 64 },
  ECDSA_SHA_256: { kind: "ecdsa", hash: "sha256", digestBytes: 32 },
  ECDSA_SHA_384: { kind: "ecdsa", hash: "sha384", digestBytes: 48 },
  ECDSA_SHA_512: { kind: "ecdsa", hash: "sha512", digestBytes: 64 },
};

export const RSA_ENCRYPTION: Record<string, Hash> = { RSAES_OAEP_SHA_1: "sha1", RSAES_OAEP_SHA_256: "sha256" };

/** The largest plaintext RSAES-OAEP takes: k − 2·hLen − 2 bytes (214/190, 342/318, 470/446, as AWS documents). */
export function rsaPlaintextLimit(spec: KeySpecName, algorithm: string): number {
  const bytes = (RSA_BITS[spec] ?? 0) / 8;
  return bytes - 2 * (algorithm === "RSAES_OAEP_SHA_1" ? 20 : 32) - 2;
}

export function isSymmetric(key: Pick<KeyRecord, "KeySpec">): boolean {
  return key.KeySpec === "SYMMETRIC_DEFAULT";
}

export function isAsymmetric(key: Pick<KeyRecord, "KeySpec">): boolean {
  return RSA_BITS[key.KeySpec] !== undefined || CURVES[key.KeySpec] !== undefined;
}

export const KEY_SPECS: KeySpecName[] = [
  "SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
  "ECC_SECG_P256K1", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512",
];

/** The usages CreateKey accepts for a spec; KEY_AGREEMENT is AWS's too but Stratus does not do DeriveSharedSecret. */
export function usagesOf(spec: KeySpecName): string[] {
  if (spec === "SYMMETRIC_DEFAULT") return ["ENCRYPT_DECRYPT"];
  if (RSA_BITS[spec]) return ["ENCRYPT_DECRYPT", "SIGN_VERIFY"];
  if (spec === "ECC_SECG_P256K1") return ["SIGN_VERIFY"];
  if (CURVES[spec]) return ["SIGN_VERIFY", "KEY_AGREEMENT"];
  return ["GENERATE_VERIFY_MAC"];
}

/** The algorithm lists of KeyMetadata and GetPublicKey for a key. */
export function algorithmsOf(key: Pick<KeyRecord, "KeySpec" | "KeyUsage">): {
  EncryptionAlgorithms?: string[];
  SigningAlgorithms?: string[];
  MacAlgorithms?: string[];
} {
  if (key.KeyUsage === "ENCRYPT_DECRYPT") {
    return { EncryptionAlgorithms: isSymmetric(key) ? ["SYMMETRIC_DEFAULT"] : ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] };
  }
  if (key.KeyUsage === "SIGN_VERIFY") return { SigningAlgorithms: SIGNING_ALGORITHMS[key.KeySpec] };
  return { MacAlgorithms: [HMAC_SPECS[key.KeySpec]!.algorithm] };
}

const COMMON_GRANT_OPERATIONS = ["DescribeKey", "CreateGrant", "RetireGrant"];

/** The grant operations a grant on this key may allow (grants.md: "must be supported by the KMS key"). */
export function grantOperationsOf(key: Pick<KeyRecord, "KeySpec" | "KeyUsage">): string[] {
  if (isSymmetric(key)) {
    return [
      "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
      "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", ...COMMON_GRANT_OPERATIONS,
    ];
  }
  if (key.KeyUsage === "ENCRYPT_DECRYPT") return ["Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey", ...COMMON_GRANT_OPERATIONS];
  if (key.KeyUsage === "SIGN_VERIFY") return ["Sign", "Verify", "GetPublicKey", ...COMMON_GRANT_OPERATIONS];
  return ["GenerateMac", "VerifyMac", ...COMMON_GRANT_OPERATIONS];
}
