/**
 * Strict mode: verify SigV4 signatures (headers and presigned URLs), the
 * payload hash, clock skew, presign expiry and session tokens against known
 * credentials (configured, from a credentials file or the environment,
 * issued by STS, or IAM access keys). Errors are worded per protocol family.
 */
import type { Cloud } from "../cloud.js";
import { AwsError, CommonErrors } from "../core/errors.js";
import { parseTimestamp } from "../protocol/values.js";
import { AuthErrors, authFamily } from "./auth-errors.js";
import type { Exchange } from "./exchange.js";
import { canonicalRequest, sha256Hex, signaturesEqual, signingKey, stringToSign } from "./sigv4.js";
import { crypto } from "../core/crypto.js";

const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const UNSIGNED = "UNSIGNED-PAYLOAD";

/** After the operation is known: an unsigned request strict mode let on must be for an operation AWS takes unsigned. */
export function requireSignature(ex: Exchange): void {
  if (ex.unsigned && ex.operation?.authtype !== "none") throw AuthErrors.missingAuthentication(authFamily(ex.protocol?.name));
}

export async function authenticate(ex: Exchange, cloud: Cloud): Promise<void> {
  const info = ex.signature;
  const family = authFamily(ex.protocol?.name);
  if (!info) {
    // Anonymous S3 requests are decided by bucket policy and ACLs; the rest needs a signature unless
    // its operation is one callers make unsigned (checked once it is known: requireSignature).
    if (family !== "s3") ex.unsigned = true;
    return;
  }
  const verifier = cloud.identity.verifier(info.accessKeyId);
  if (!verifier) throw AuthErrors.unknownAccessKey(family, info.accessKeyId);
  // Issued credentials expire on Stratus's clock (which may be virtual).
  if (verifier.expiration !== undefined && verifier.expiration < cloud.clock.now()) throw AuthErrors.expiredToken(family);
  if (verifier.sessionToken !== undefined && info.securityToken !== verifier.sessionToken) throw AuthErrors.invalidToken(family, info.accessKeyId);
  if (!info.scopeDate) throw new AwsError("AccessDenied", "Signature Version 2 is not supported in strict mode; use Signature Version 4.", { status: 403 });

  const dateText = info.amzDate ?? ex.http.headers["date"] ?? "";
  const signedAt = parseTimestamp(dateText);
  if (!signedAt) throw CommonErrors.incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  const amzDate = basicIso(signedAt);
  if (amzDate.slice(0, 8) !== info.scopeDate) {
    throw CommonErrors.incompleteSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${info.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  // Clients sign with the wall clock, whatever Stratus's clock says.
  const now = new Date();
  if (info.presigned) {
    const expires = info.expires ?? NaN;
    if (!(Number.isInteger(expires) && expires >= 1 && expires <= MAX_PRESIGN_SECONDS)) {
      throw new AwsError("AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800", { status: 400 });
    }
    const expiresAt = new Date(signedAt.getTime() + expires * 1000);
    if (now > expiresAt) throw AuthErrors.presignExpired(family, expiresAt, now);
    if (signedAt.getTime() - now.getTime() > MAX_SKEW_MS) throw AuthErrors.skewed(family, signedAt, now, MAX_SKEW_MS);
  } else if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    throw AuthErrors.skewed(family, signedAt, now, MAX_SKEW_MS);
  }

  const payloadHash = await signedPayloadHash(ex, family === "s3");
  const canonical = canonicalRequest(ex.http, info, { doubleEncodePath: family !== "s3", payloadHash });
  const toSign = stringToSign(info, amzDate, canonical);
  const expected = crypto().createHmac("sha256", signingKey(verifier.secretAccessKey, info.scopeDate, info.region, info.service)).update(toSign).digest("hex");
  if (!signaturesEqual(expected, info.signature)) {
    throw AuthErrors.signatureMismatch(family, { accessKeyId: info.accessKeyId, stringToSign: toSign, canonicalRequest: canonical, signature: info.signature });
  }
}

/**
 * The payload hash the signature covers. S3 signs what x-amz-content-sha256
 * says (S3 itself checks the body against it as it streams); every other
 * service signs the hash of the body it actually received, so a body changed
 * in flight, or a wrong x-amz-content-sha256, fails the signature.
 */
async function signedPayloadHash(ex: Exchange, isS3: boolean): Promise<string> {
  const info = ex.signature!;
  const declared = info.presigned
    ? ex.http.query.find(([k]) => k === "X-Amz-Content-Sha256")?.[1]
    : ex.http.headers["x-amz-content-sha256"];
  if (isS3) {
    if (info.presigned) return declared ?? UNSIGNED;
    if (!declared) throw new AwsError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", { status: 400 });
    return declared;
  }
  if (declared === UNSIGNED || declared?.startsWith("STREAMING-")) return declared;
  // The signature covers the body as sent: a gzip-compressed body (CloudWatch's request compression) is hashed compressed.
  return sha256Hex(await (ex.http.rawBody ? ex.http.rawBody() : ex.http.readBody()));
}

function basicIso(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}
