/**
 * JSON Web Tokens as AssumeRoleWithWebIdentity reads them: three base64url
 * parts, a JSON header and claims, and a signature checked against the
 * issuer's published keys (a JWKS) with the algorithms STS accepts: RS256,
 * RS384, RS512 (RSASSA-PKCS1-v1_5) and ES256, ES384, ES512 (ECDSA, the
 * signature as r||s).
 */
import { crypto } from "../../core/crypto.js";

export interface Jwt {
  header: { alg?: unknown; kid?: unknown; typ?: unknown };
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** A published key, as a JWKS lists it. */
export type Jwk = Record<string, unknown> & { kty?: string; kid?: string; alg?: string; use?: string };

const ALGORITHMS: Record<string, { kty: "RSA" | "EC"; hash: string }> = {
  RS256: { kty: "RSA", hash: "sha256" },
  RS384: { kty: "RSA", hash: "sha384" },
  RS512: { kty: "RSA", hash: "sha512" },
  ES256: { kty: "EC", hash: "sha256" },
  ES384: { kty: "EC", hash: "sha384" },
  ES512: { kty: "EC", hash: "sha512" },
};

function json(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The token's parts; undefined when it is not a signed JWT (an opaque access token, garbage). */
export function decodeJwt(token: string): Jwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  const header = json(parts[0]);
  const claims = json(parts[1]);
  if (!header || !claims) return undefined;
  return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], "base64url") };
}

export function supportedAlgorithm(alg: unknown): boolean {
  return typeof alg === "string" && alg in ALGORITHMS;
}

/**
 * "valid" when one of the issuer's keys (the one the header's kid names, or
 * any of the right type when it names none) verifies the signature;
 * "no-key" when no published key can be the signer's.
 */
export function verifyJwt(jwt: Jwt, keys: Jwk[]): "valid" | "invalid" | "no-key" {
  const algorithm = ALGORITHMS[String(jwt.header.alg)];
  if (!algorithm) return "invalid";
  const kid = typeof jwt.header.kid === "string" ? jwt.header.kid : undefined;
  const candidates = keys.filter(
    (k) => k.kty === algorithm.kty && (kid === undefined || k.kid === kid) && (k.use === undefined || k.use === "sig") && (k.alg === undefined || k.alg === jwt.header.alg),
  );
  if (candidates.length === 0) return "no-key";
  const node = crypto();
  for (const jwk of candidates) {
    let key;
    try {
      key = node.createPublicKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" });
    } catch {
      continue;
    }
    try {
      if (node.verify(algorithm.hash, Buffer.from(jwt.signingInput), algorithm.kty === "EC" ? { key, dsaEncoding: "ieee-p1363" } : key, jwt.signature)) return "valid";
    } catch {
      // A key of another curve or size than the signature's: not the signer's.
    }
  }
  return "invalid";
}
