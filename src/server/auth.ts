/**
 * Strict mode: verify SigV4 signatures (headers and presigned URLs), the
 * payload hash, clock skew and expiry against known credentials.
 */
import { AwsError, CommonErrors } from "../core/errors.js";
import type { Cloud } from "../cloud.js";
import { parseTimestamp } from "../protocol/values.js";
import type { Exchange } from "./exchange.js";
import { canonicalRequest, computeSignature, sha256Hex, signaturesEqual } from "./sigv4.js";

const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export async function authenticate(ex: Exchange, cloud: Cloud): Promise<void> {
  const info = ex.signature;
  const isS3 = ex.definition?.name === "s3";
  if (!info) {
    // Anonymous S3 requests are decided by bucket policy and ACLs; everything else needs a signature.
    if (isS3) return;
    throw CommonErrors.missingAuthentication();
  }
  // Clients sign with the wall clock; issued credentials expire on Stratus's clock (which may be virtual).
  const now = Date.now();
  const secret = cloud.identity.secretFor(info.accessKeyId, cloud.clock.now());
  if (!secret) {
    if (cloud.identity.isExpired(info.accessKeyId, cloud.clock.now())) {
      throw new AwsError(isS3 ? "ExpiredToken" : "ExpiredTokenException", "The security token included in the request is expired", { status: isS3 ? 400 : 403 });
    }
    if (isS3) throw new AwsError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", { status: 403, fields: { AWSAccessKeyId: info.accessKeyId } });
    throw CommonErrors.invalidClientTokenId();
  }
  if (!info.scopeDate) throw new AwsError("AccessDenied", "Signature Version 2 is not supported in strict mode; use SigV4.", { status: 403 });

  const signedAt = parseTimestamp(info.amzDate ?? ex.http.headers["date"] ?? "");
  if (!signedAt) throw CommonErrors.incompleteSignature("Authorization requires the X-Amz-Date or Date header.");
  if (info.presigned) {
    const expires = info.expires ?? 0;
    if (!(expires >= 1 && expires <= MAX_PRESIGN_SECONDS)) {
      throw new AwsError("AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800", { status: 400 });
    }
    if (now > signedAt.getTime() + expires * 1000) throw new AwsError("AccessDenied", "Request has expired", { status: 403 });
  } else if (Math.abs(now - signedAt.getTime()) > MAX_SKEW_MS) {
    throw new AwsError(
      isS3 ? "RequestTimeTooSkewed" : "SignatureDoesNotMatch",
      isS3 ? "The difference between the request time and the current time is too large." : `Signature expired: ${info.amzDate} is now earlier than the allowed window.`,
      { status: 403 },
    );
  }

  let payloadHash: string;
  if (info.presigned) payloadHash = isS3 ? "UNSIGNED-PAYLOAD" : sha256Hex(await ex.http.readBody());
  else if (ex.http.headers["x-amz-content-sha256"]) payloadHash = ex.http.headers["x-amz-content-sha256"]!;
  else if (isS3) throw new AwsError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", { status: 400 });
  else payloadHash = sha256Hex(await ex.http.readBody());

  if (!isS3 && !payloadHash.startsWith("STREAMING-") && payloadHash !== "UNSIGNED-PAYLOAD") {
    const actual = sha256Hex(await ex.http.readBody());
    if (actual !== payloadHash) throw CommonErrors.signatureDoesNotMatch();
  }

  const canonical = canonicalRequest(ex.http, info, { doubleEncodePath: !isS3, payloadHash });
  const expected = computeSignature(secret, info, canonical);
  if (!signaturesEqual(expected, info.signature)) {
    throw isS3
      ? new AwsError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", { status: 403 })
      : CommonErrors.signatureDoesNotMatch();
  }
}
