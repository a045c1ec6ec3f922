/**
 * Authentication failures in the words each protocol family uses: S3 (rest-xml),
 * EC2 (ec2), the Coral query services (IAM, STS, CloudWatch's query form) and
 * the JSON/CBOR services. Codes and statuses as AWS answers them.
 */
import { AwsError } from "../core/errors.js";
import type { ProtocolName } from "../protocol/protocol.js";

export type AuthFamily = "s3" | "ec2" | "query" | "json";

export function authFamily(protocol: ProtocolName | undefined): AuthFamily {
  switch (protocol) {
    case "rest-xml":
      return "s3";
    case "ec2":
      return "ec2";
    case "query":
      return "query";
    default:
      return "json";
  }
}

const EC2_AUTH_FAILURE = "AWS was not able to validate the provided access credentials";
const INVALID_TOKEN = "The security token included in the request is invalid.";
const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

export const AuthErrors = {
  unknownAccessKey(family: AuthFamily, accessKeyId: string): AwsError {
    switch (family) {
      case "s3":
        return new AwsError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", { status: 403, fields: { AWSAccessKeyId: accessKeyId } });
      case "ec2":
        return new AwsError("AuthFailure", EC2_AUTH_FAILURE, { status: 401 });
      case "query":
        return new AwsError("InvalidClientTokenId", INVALID_TOKEN, { status: 403 });
      default:
        return new AwsError("UnrecognizedClientException", INVALID_TOKEN, { status: 403 });
    }
  },

  signatureMismatch(family: AuthFamily, detail: { accessKeyId: string; stringToSign: string; canonicalRequest: string; signature: string }): AwsError {
    switch (family) {
      case "s3":
        return new AwsError(
          "SignatureDoesNotMatch",
          "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
          {
            status: 403,
            fields: { AWSAccessKeyId: detail.accessKeyId, StringToSign: detail.stringToSign, SignatureProvided: detail.signature, CanonicalRequest: detail.canonicalRequest },
          },
        );
      case "ec2":
        return new AwsError("AuthFailure", EC2_AUTH_FAILURE, { status: 401 });
      case "query":
        return new AwsError("SignatureDoesNotMatch", SIGNATURE_MISMATCH, { status: 403 });
      default:
        return new AwsError("InvalidSignatureException", SIGNATURE_MISMATCH, { status: 403 });
    }
  },

  /** The request was signed too long ago or too far in the future (15 minutes either way). */
  skewed(family: AuthFamily, signedAt: Date, now: Date, maxSkewMs: number): AwsError {
    const basic = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const minutes = Math.round(maxSkewMs / 60_000);
    const late = signedAt.getTime() < now.getTime();
    const bound = new Date(now.getTime() + (late ? -maxSkewMs : maxSkewMs));
    const message = late
      ? `Signature expired: ${basic(signedAt)} is now earlier than ${basic(bound)} (${basic(now)} - ${minutes} min.)`
      : `Signature not yet current: ${basic(signedAt)} is still later than ${basic(bound)} (${basic(now)} + ${minutes} min.)`;
    switch (family) {
      case "s3":
        return new AwsError("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", {
          status: 403,
          fields: { RequestTime: basic(signedAt), ServerTime: now.toISOString(), MaxAllowedSkewMilliseconds: maxSkewMs },
        });
      case "ec2":
        return new AwsError("RequestExpired", "Request has expired.", { status: 400 });
      case "query":
        return new AwsError("SignatureDoesNotMatch", message, { status: 403 });
      default:
        return new AwsError("InvalidSignatureException", message, { status: 403 });
    }
  },

  /** A presigned URL used after X-Amz-Date + X-Amz-Expires. */
  presignExpired(family: AuthFamily, expires: Date, now: Date): AwsError {
    if (family === "ec2") return new AwsError("RequestExpired", "Request has expired.", { status: 400 });
    return new AwsError("AccessDenied", "Request has expired", {
      status: 403,
      fields: family === "s3" ? { Expires: expires.toISOString(), ServerTime: now.toISOString() } : {},
    });
  },

  /** Temporary credentials past their expiration (on Stratus's clock). */
  expiredToken(family: AuthFamily): AwsError {
    switch (family) {
      case "s3":
        return new AwsError("ExpiredToken", "The provided token has expired.", { status: 400 });
      case "ec2":
        return new AwsError("RequestExpired", "Request has expired.", { status: 400 });
      case "query":
        return new AwsError("ExpiredToken", "The security token included in the request is expired", { status: 403 });
      default:
        return new AwsError("ExpiredTokenException", "The security token included in the request is expired", { status: 403 });
    }
  },

  /** Temporary credentials used without their session token, or with another one. */
  invalidToken(family: AuthFamily, accessKeyId: string): AwsError {
    if (family === "s3") return new AwsError("InvalidToken", "The provided token is malformed or otherwise invalid.", { status: 400 });
    return AuthErrors.unknownAccessKey(family, accessKeyId);
  },

  missingAuthentication(family: AuthFamily): AwsError {
    if (family === "json") return new AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", { status: 403 });
    return new AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", { status: 403 });
  },
};
