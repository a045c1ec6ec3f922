/**
 * Taking in a request body: counting, hashing (MD5 for the ETag, SHA-256 when
 * the signature names a payload hash, the flexible checksum the client asked
 * for) as the bytes stream past, then checking what the client claimed.
 */
import { crypto } from "../../core/crypto.js";
import type { Hash } from "node:crypto";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { AwsChunkedDecoder } from "./chunked.js";
import { checksumHeader, checksumLength, checksummer, isChecksumAlgorithm, type ChecksumAlgorithm, type Checksummer } from "./checksums.js";
import { S3Errors } from "./errors.js";

export interface BodyClaims {
  /** Declared plaintext length (Content-Length or x-amz-decoded-content-length). */
  length?: number;
  /** Content-MD5, base64. */
  contentMd5?: string;
  /** x-amz-content-sha256 when it is a hex digest. */
  sha256?: string;
  /** The flexible checksum to compute (x-amz-sdk-checksum-algorithm, a checksum header, or a trailer). */
  checksumAlgorithm?: ChecksumAlgorithm;
  /** Its expected value when sent as a header; trailers are read when the body ends. */
  checksumValue?: string;
  /** Largest acceptable body. */
  maxSize: number;
}

export interface BodyFacts {
  size: number;
  md5Hex: string;
  /** The computed flexible checksum, base64. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/** What hashing a body measured. */
export interface Measured {
  size: number;
  md5Hex: string;
  sha256Hex?: string;
  /** base64 */
  checksum?: string;
}

/** Counts and hashes a body chunk by chunk (MD5, and SHA-256 / a flexible checksum when claimed). */
export interface Digester {
  readonly size: number;
  /**
   * Feeds a chunk; `next` runs when more may come (at once, unless the hashing thread is behind).
   * `spare`: nothing reads the chunk afterwards, so its memory may be taken over.
   */
  push(chunk: Buffer, next: (error?: Error) => void, spare?: boolean): void;
  finish(): Promise<Measured>;
  /** Forgets an abandoned body. */
  drop(): void;
}

/** Hashing on the calling thread: for small bodies, where a hand-off would cost more than the hash. */
export class LocalDigester implements Digester {
  size = 0;
  private readonly md5: Hash = crypto().createHash("md5");
  private readonly sha256: Hash | undefined;
  private readonly sum: Checksummer | undefined;

  constructor(readonly claims: BodyClaims) {
    if (claims.sha256) this.sha256 = crypto().createHash("sha256");
    if (claims.checksumAlgorithm) this.sum = checksummer(claims.checksumAlgorithm);
  }

  push(chunk: Buffer, next: (error?: Error) => void): void {
    this.size += chunk.length;
    if (this.size > this.claims.maxSize) return next(S3Errors.entityTooLarge(this.size, this.claims.maxSize));
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.sum?.update(chunk);
    next();
  }

  async finish(): Promise<Measured> {
    return { size: this.size, md5Hex: this.md5.digest("hex"), sha256Hex: this.sha256?.digest("hex"), checksum: this.sum?.digest() };
  }

  drop(): void {}
}

/** After the body ended: checks every claim against what was measured. */
export function checkClaims(claims: BodyClaims, measured: Measured, source: Readable | Buffer): BodyFacts {
  if (claims.length !== undefined && claims.length !== measured.size) throw S3Errors.incompleteBody();
  const md5Base64 = Buffer.from(measured.md5Hex, "hex").toString("base64");
  if (claims.contentMd5 !== undefined && md5Base64 !== claims.contentMd5) throw S3Errors.badDigest(claims.contentMd5, md5Base64);
  if (claims.sha256 !== undefined && measured.sha256Hex !== claims.sha256) throw S3Errors.sha256Mismatch(claims.sha256, measured.sha256Hex ?? "");
  let checksum: BodyFacts["checksum"];
  if (claims.checksumAlgorithm && measured.checksum !== undefined) {
    let expected = claims.checksumValue;
    if (expected === undefined && source instanceof AwsChunkedDecoder) expected = source.trailers[checksumHeader(claims.checksumAlgorithm)];
    if (expected !== undefined && expected !== measured.checksum) throw S3Errors.badChecksum(claims.checksumAlgorithm);
    checksum = { algorithm: claims.checksumAlgorithm, value: measured.checksum };
  }
  return { size: measured.size, md5Hex: measured.md5Hex, checksum };
}

/**
 * A digester as a stream stage: hashes each chunk and passes it on (encrypted, with `encrypt`).
 * `ownChunks`: the source's chunks are read once, here — then the plaintext of a chunk passed
 * on encrypted is the digester's to take over.
 */
export class BodyDigest extends Transform {
  constructor(
    readonly digester: Digester,
    private readonly encrypt?: (data: Buffer) => Buffer,
    private readonly ownChunks = false,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out = this.encrypt ? this.encrypt(chunk) : chunk;
    this.digester.push(chunk, (error) => (error ? callback(error) : callback(null, out)), this.ownChunks && out !== chunk);
  }
}

/** Content-MD5 must be 16 bytes of base64. */
export function checkContentMd5(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bytes = Buffer.from(value, "base64");
  if (bytes.length !== 16 || bytes.toString("base64") !== value.trim()) throw S3Errors.invalidDigest(value);
  return value.trim();
}

/** The payload hash to verify, when x-amz-content-sha256 is a digest (not UNSIGNED-PAYLOAD or STREAMING-...). */
export function payloadSha256(headers: Record<string, string | undefined>): string | undefined {
  const value = headers["x-amz-content-sha256"];
  if (!value || !/^[0-9a-f]{64}$/i.test(value)) return undefined;
  return value.toLowerCase();
}

/**
 * Which flexible checksum a write asks for: the algorithm header, a checksum
 * header, or the trailer announced in x-amz-trailer. Validates header values'
 * form.
 */
export function requestedChecksum(
  input: Record<string, unknown>,
  headers: Record<string, string | undefined>,
): { algorithm?: ChecksumAlgorithm; value?: string } {
  let algorithm: string | undefined = (input.ChecksumAlgorithm as string | undefined) ?? headers["x-amz-sdk-checksum-algorithm"];
  let value: string | undefined;
  for (const name of ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512", "MD5"] as const) {
    const given = input[`Checksum${name}`] as string | undefined;
    if (given === undefined) continue;
    if (value !== undefined) throw S3Errors.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    if (given.length !== checksumLength(name) || Buffer.from(given, "base64").toString("base64") !== given) {
      throw S3Errors.invalidRequest(`Value for x-amz-checksum-${name.toLowerCase()} header is invalid.`);
    }
    if (algorithm && algorithm.toUpperCase() !== name) {
      throw S3Errors.invalidRequest(`Value for x-amz-sdk-checksum-algorithm header is invalid.`);
    }
    algorithm = name;
    value = given;
  }
  const trailer = headers["x-amz-trailer"];
  if (!value && trailer) {
    const match = /^x-amz-checksum-([a-z0-9]+)$/i.exec(trailer.trim());
    if (!match) throw S3Errors.invalidRequest(`The value specified in the x-amz-trailer header is not supported`);
    algorithm = match[1].toUpperCase();
  }
  if (algorithm === undefined) return {};
  algorithm = algorithm.toUpperCase();
  if (!isChecksumAlgorithm(algorithm)) {
    if (/^XXHASH/.test(algorithm)) throw S3Errors.invalidRequest(`Checksum algorithm ${algorithm} is not supported by Stratus.`);
    throw S3Errors.invalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.");
  }
  return { algorithm, value };
}
