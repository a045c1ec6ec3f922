/**
 * One error type for every AWS-style failure. Providers throw it; the protocol
 * serializers own how it looks on the wire (XML, JSON, CBOR, headers).
 */
export interface AwsErrorOptions {
  /** HTTP status; defaults to 400. */
  status?: number;
  /** "Sender" (client fault, default for 4xx) or "Receiver" (server fault). */
  fault?: "Sender" | "Receiver";
  /**
   * Extra fields some errors carry in their body (S3's BucketName, Key, ...;
   * structured values for modelled error members, like CloudWatch's
   * dashboardValidationMessages).
   */
  fields?: Record<string, unknown>;
  /** Extra response headers (S3's x-amz-delete-marker on a 404, ...). */
  headers?: Record<string, string>;
}

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: "Sender" | "Receiver";
  readonly fields: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: string, message: string, options: AwsErrorOptions = {}) {
    super(message);
    this.name = "AwsError";
    this.code = code;
    this.status = options.status ?? 400;
    this.fault = options.fault ?? (this.status >= 500 ? "Receiver" : "Sender");
    this.fields = options.fields ?? {};
    this.headers = options.headers ?? {};
  }
}

export function isAwsError(value: unknown): value is AwsError {
  return value instanceof AwsError;
}

/** The catalogue of errors that are not specific to one service. */
export const CommonErrors = {
  notImplemented: (service: string, operation: string) =>
    new AwsError("NotImplemented", `${service}:${operation} is not implemented in Stratus`, { status: 501 }),
  internal: (detail?: string) =>
    new AwsError("InternalFailure", detail ? `Internal error: ${detail}` : "The request processing has failed because of an unknown error.", { status: 500 }),
  unknownOperation: (what: string) =>
    new AwsError("UnknownOperationException", `Operation ${what} is not recognized.`, { status: 400 }),
  invalidAction: (action: string) =>
    new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`, { status: 400 }),
  missingAction: () =>
    new AwsError("MissingAction", "The request must contain the parameter Action.", { status: 400 }),
  serialization: (message: string) =>
    new AwsError("SerializationException", message, { status: 400 }),
  malformedQueryString: (message: string) =>
    new AwsError("MalformedQueryString", message, { status: 400 }),
  requestTooLarge: (limit: number) =>
    new AwsError("RequestEntityTooLarge", `Request body must not exceed ${limit} bytes.`, { status: 413 }),
  missingAuthentication: () =>
    new AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", { status: 403 }),
  incompleteSignature: (message: string) =>
    new AwsError("IncompleteSignature", message, { status: 400 }),
  invalidClientTokenId: () =>
    new AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", { status: 403 }),
  signatureDoesNotMatch: () =>
    new AwsError(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      { status: 403 },
    ),
  signatureExpired: (message: string) => new AwsError("SignatureDoesNotMatch", message, { status: 403 }),
};
