/**
 * Server-side encryption of object bytes, really done: every object gets a
 * random 256-bit data key and nonce; its bytes are AES-256-CTR encrypted on
 * disk. The data key is kept only wrapped:
 *  - SSE-S3 (AES256): by the master key in the data dir;
 *  - SSE-KMS (aws:kms): by a KMS key (the bucket's, the request's or aws/s3),
 *    as a KMS ciphertext bound to the encryption context {aws:s3:arn};
 *  - SSE-C: by the customer's key, which S3 never stores (only its MD5).
 * Which one applies: the request's headers, else the bucket's default
 * encryption (SSE-S3 unless configured otherwise, as on AWS since 2023).
 */
import { crypto, randomKeyBytes } from "../../../core/crypto.js";
import type { Cloud } from "../../../cloud.js";
import { AwsError, isAwsError } from "../../../core/errors.js";
import { parseArn } from "../../../core/ids.js";
import type { ServerSideEncryptionConfiguration } from "../../../generated/s3.js";
import type { KmsApi } from "../../kms/api.js";
import { KeyWrapper } from "../../kms/master-key.js";
import type { ServiceProvider } from "../../types.js";
import type { AtRestEncryption, BucketRecord, EncryptionRecord, ObjectCodec, OpenRequest, Sealed, SealRequest, SseRequest } from "../hooks.js";
import { ctrCodec } from "./codec.js";

/** The default every bucket has: SSE-S3. */
export const DEFAULT_ENCRYPTION: ServerSideEncryptionConfiguration = {
  Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }],
};

const S3_CONTEXT = "sse-s3";
const C_CONTEXT = "sse-c";

const err = (code: string, message: string, status = 400) => new AwsError(code, message, { status });

export const SseErrors = {
  badAlgorithm: () => err("InvalidEncryptionAlgorithmError", "The encryption request you specified is not valid. The valid value is AES256."),
  unsupportedMethod: () => err("InvalidArgument", "The encryption method specified is not supported"),
  badCustomerKey: () => err("InvalidArgument", "The secret key was invalid for the specified algorithm."),
  customerKeyMd5Mismatch: () => err("InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."),
  missingCustomerKey: () => err("InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."),
  missingCustomerKeyMd5: () => err("InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key."),
  missingCustomerAlgorithm: () =>
    err("InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm."),
  customerWithSse: () => err("InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"),
  kmsKeyWithoutKms: () =>
    err("InvalidArgument", "Server Side Encryption with AWS Key Management Service key id is specified but the encryption method is not aws:kms"),
  badContext: () =>
    err("InvalidArgument", "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map"),
  needCustomerKey: () =>
    err("InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."),
  wrongCustomerKey: () => err("AccessDenied", "Access Denied", 403),
  partNeedsKey: () =>
    err("InvalidRequest", "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."),
  partKeyMismatch: () =>
    err("InvalidRequest", "The provided encryption parameters did not match the ones used originally."),
  notApplicable: () => err("InvalidRequest", "The encryption parameters are not applicable to this object."),
};

/** S3 reports KMS's failures under KMS.<code> (KMS.NotFoundException, KMS.DisabledException...). */
export function kmsFailure(error: unknown): never {
  if (isAwsError(error)) throw new AwsError(`KMS.${error.code}`, error.message, { status: error.status === 403 ? 403 : 400 });
  throw error;
}

interface CustomerKey {
  key: Buffer;
  md5: string;
}

/** Parses and checks the SSE-C headers; undefined when none were sent. */
export function customerKey(sse: SseRequest): CustomerKey | undefined {
  const { SSECustomerAlgorithm: algorithm, SSECustomerKey: key, SSECustomerKeyMD5: md5 } = sse;
  if (algorithm === undefined && key === undefined && md5 === undefined) return undefined;
  if (algorithm === undefined) throw SseErrors.missingCustomerAlgorithm();
  if (algorithm !== "AES256") throw SseErrors.badAlgorithm();
  if (!key) throw SseErrors.missingCustomerKey();
  if (!md5) throw SseErrors.missingCustomerKeyMd5();
  const raw = Buffer.from(key, "base64");
  if (raw.length !== 32 || raw.toString("base64") !== key.replace(/\s/g, "")) throw SseErrors.badCustomerKey();
  const actual = crypto().createHash("md5").update(raw).digest("base64");
  if (actual !== md5) throw SseErrors.customerKeyMd5Mismatch();
  return { key: raw, md5 };
}

function gcmWrap(kek: Buffer, secret: Buffer, context: string): Buffer {
  const iv = randomKeyBytes(12);
  const cipher = crypto().createCipheriv("aes-256-gcm", kek, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(secret), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function gcmUnwrap(kek: Buffer, blob: Buffer, context: string): Buffer | undefined {
  try {
    const decipher = crypto().createDecipheriv("aes-256-gcm", kek, blob.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(blob.subarray(12, 28));
    return Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function parseContext(header: string | undefined): Record<string, string> | undefined {
  if (header === undefined) return undefined;
  try {
    const doc = JSON.parse(Buffer.from(header, "base64").toString("utf8"));
    if (!doc || typeof doc !== "object" || Array.isArray(doc) || !Object.values(doc).every((v) => typeof v === "string")) throw new Error();
    return doc as Record<string, string>;
  } catch {
    throw SseErrors.badContext();
  }
}

export interface EncryptionDefaults {
  /** The bucket's default encryption configuration (DEFAULT_ENCRYPTION when none was put). */
  forBucket(bucket: BucketRecord): ServerSideEncryptionConfiguration;
}

export class AtRest implements AtRestEncryption {
  private keyWrapper: KeyWrapper | undefined;

  constructor(
    private readonly cloud: Cloud,
    private readonly defaults: EncryptionDefaults,
  ) {}

  /** Made on first use: reading (or creating) the master key is not start-up work. */
  private get wrapper(): KeyWrapper {
    return (this.keyWrapper ??= new KeyWrapper(this.cloud, "s3-sse"));
  }

  private kms(): KmsApi {
    return this.cloud.provider<KmsApi & ServiceProvider>("kms");
  }

  seal(request: SealRequest): Sealed {
    const { sse, bucket } = request;
    const customer = customerKey(sse);
    if (customer) {
      if (sse.ServerSideEncryption !== undefined) throw SseErrors.customerWithSse();
      return this.sealCustomer(customer);
    }
    let algorithm = sse.ServerSideEncryption;
    let keyId = sse.SSEKMSKeyId;
    let bucketKey = sse.BucketKeyEnabled;
    if (algorithm === undefined) {
      if (keyId !== undefined) throw SseErrors.kmsKeyWithoutKms();
      const rule = this.defaults.forBucket(bucket).Rules[0];
      algorithm = rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? "AES256";
      keyId = rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
      bucketKey ??= rule?.BucketKeyEnabled;
    }
    if (algorithm === "AES256") {
      if (keyId !== undefined && sse.ServerSideEncryption !== undefined) throw SseErrors.kmsKeyWithoutKms();
      return this.sealS3();
    }
    if (algorithm === "aws:kms" || algorithm === "aws:kms:dsse") {
      return this.sealKms(bucket, request.key, algorithm, keyId, bucketKey === true, parseContext(sse.SSEKMSEncryptionContext));
    }
    throw SseErrors.unsupportedMethod();
  }

  private sealS3(): Sealed {
    const dataKey = randomKeyBytes(32);
    const nonce = randomKeyBytes(16);
    const record: EncryptionRecord = {
      ServerSideEncryption: "AES256",
      nonce: nonce.toString("base64"),
      wrappedKey: this.wrapper.wrap(dataKey, S3_CONTEXT).toString("base64"),
    };
    return { record, codec: ctrCodec(dataKey, nonce) };
  }

  private sealKms(bucket: BucketRecord, key: string, algorithm: "aws:kms" | "aws:kms:dsse", keyId: string | undefined, bucketKey: boolean, userContext?: Record<string, string>): Sealed {
    const context: Record<string, string> = { ...(userContext ?? {}), "aws:s3:arn": bucketKey ? `arn:aws:s3:::${bucket.name}` : `arn:aws:s3:::${bucket.name}/${key}` };
    let dataKey;
    try {
      dataKey = this.kms().generateDataKeyFor({ account: bucket.account, region: bucket.region }, keyId, "s3", context);
    } catch (error) {
      kmsFailure(error);
    }
    const nonce = randomKeyBytes(16);
    const record: EncryptionRecord = {
      ServerSideEncryption: algorithm,
      SSEKMSKeyId: dataKey.keyArn,
      BucketKeyEnabled: bucketKey || undefined,
      SSEKMSEncryptionContext: userContext ? Buffer.from(JSON.stringify(userContext)).toString("base64") : undefined,
      nonce: nonce.toString("base64"),
      kmsBlob: dataKey.ciphertext.toString("base64"),
      kmsContext: context,
    };
    return { record, codec: ctrCodec(dataKey.plaintext, nonce) };
  }

  private sealCustomer(customer: CustomerKey): Sealed {
    const dataKey = randomKeyBytes(32);
    const nonce = randomKeyBytes(16);
    const record: EncryptionRecord = {
      SSECustomerAlgorithm: "AES256",
      SSECustomerKeyMD5: customer.md5,
      nonce: nonce.toString("base64"),
      wrappedKey: gcmWrap(customer.key, dataKey, C_CONTEXT).toString("base64"),
    };
    return { record, codec: ctrCodec(dataKey, nonce) };
  }

  open(request: OpenRequest): ObjectCodec {
    const { record, sse } = request;
    const nonce = Buffer.from(String(record.nonce ?? ""), "base64");
    if (record.SSECustomerAlgorithm) {
      const customer = customerKey(sse);
      if (!customer) throw request.purpose === "write" ? SseErrors.partNeedsKey() : SseErrors.needCustomerKey();
      const dataKey = customer.md5 === record.SSECustomerKeyMD5 ? gcmUnwrap(customer.key, Buffer.from(String(record.wrappedKey), "base64"), C_CONTEXT) : undefined;
      if (!dataKey) throw request.purpose === "write" ? SseErrors.partKeyMismatch() : SseErrors.wrongCustomerKey();
      return ctrCodec(dataKey, nonce);
    }
    if (customerKey(sse) && request.purpose !== "write") throw SseErrors.notApplicable();
    if (record.kmsBlob) {
      const keyArn = parseArn(String(record.SSEKMSKeyId ?? ""));
      const scope = keyArn ? { account: keyArn.account, region: keyArn.region } : { account: request.bucket.account, region: request.bucket.region };
      let plaintext: Buffer;
      try {
        plaintext = this.kms().decryptDataKeyFor(scope, Buffer.from(String(record.kmsBlob), "base64"), record.kmsContext as Record<string, string>).plaintext;
      } catch (error) {
        kmsFailure(error);
      }
      return ctrCodec(plaintext, nonce);
    }
    const dataKey = this.wrapper.unwrap(Buffer.from(String(record.wrappedKey ?? ""), "base64"), S3_CONTEXT);
    if (!dataKey) throw new AwsError("InternalError", "We encountered an internal error. Please try again.", { status: 500 });
    return ctrCodec(dataKey, nonce);
  }
}
