/**
 * aws-chunked request bodies, decoded as a stream: signed chunks
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], each chunk signed in a chain
 * from the request's seed signature) and unsigned chunks with trailing
 * checksums (STREAMING-UNSIGNED-PAYLOAD-TRAILER, what current SDKs send).
 *
 *   <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
 *   [<trailer>:<value>\r\n ...][x-amz-trailer-signature:<sig>\r\n]\r\n
 *
 * The decoder starts reading its source only when first read, so a verifier
 * attached before that sees every chunk.
 */
import { crypto } from "../../core/crypto.js";
import type { Hash } from "node:crypto";
import { Readable } from "node:stream";
import { AwsError } from "../../core/errors.js";
import { S3Errors } from "./errors.js";

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const MAX_LINE = 4096;

export interface ChunkVerifier {
  signingKey: Buffer;
  amzDate: string;
  /** yyyymmdd/region/service/aws4_request */
  scope: string;
  seedSignature: string;
}

const enum State {
  Size,
  Data,
  DataEnd,
  Trailer,
  Done,
}

export class AwsChunkedDecoder extends Readable {
  /** Trailing headers (x-amz-checksum-crc32...), filled when the stream ends. */
  readonly trailers: Record<string, string> = {};
  /** Decoded bytes so far. */
  decodedLength = 0;
  private verifier: ChunkVerifier | undefined;
  private previousSignature = "";
  private started = false;
  private state = State.Size;
  private line: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  private chunkSignature: string | undefined;
  private chunkHash: Hash | undefined;
  private crlfSeen = 0;
  private trailerText = "";

  constructor(
    private readonly source: Readable,
    readonly signed: boolean,
  ) {
    super({ highWaterMark: 1 << 20 });
    // A request that fails before its body is consumed drains the decoder (resume()); a
    // malformed body then errors with nobody listening, which must not take the server down.
    this.on("error", () => {});
  }

  /** Strict mode: check every chunk's signature (and the trailer's) against the signing key. */
  verifyWith(verifier: ChunkVerifier): void {
    this.verifier = verifier;
    this.previousSignature = verifier.seedSignature;
  }

  override _read(): void {
    if (this.started) {
      this.source.resume();
      return;
    }
    this.started = true;
    this.source.on("data", (chunk: Buffer) => {
      try {
        if (!this.consume(chunk)) this.source.pause();
      } catch (error) {
        this.fail(error);
      }
    });
    this.source.on("end", () => {
      if (this.state !== State.Done) this.fail(S3Errors.incompleteBody());
      else this.push(null);
    });
    this.source.on("error", (error) => this.fail(error));
    this.source.on("aborted", () => this.fail(S3Errors.incompleteBody()));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.source.readableEnded) this.source.resume();
    callback(error);
  }

  private fail(error: unknown): void {
    if (this.destroyed) return;
    this.destroy(error instanceof AwsError ? error : S3Errors.incompleteBody());
  }

  /** Parses a piece of the encoded body; returns false when the consumer wants no more for now. */
  private consume(chunk: Buffer): boolean {
    let more = true;
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case State.Size:
        case State.Trailer: {
          const nl = chunk.indexOf(0x0a, pos);
          const end = nl < 0 ? chunk.length : nl + 1;
          this.line.push(chunk.subarray(pos, end));
          this.lineLength += end - pos;
          pos = end;
          if (this.lineLength > MAX_LINE) throw malformed("chunk header too long");
          if (nl < 0) break;
          const text = Buffer.concat(this.line).toString("latin1").replace(/\r?\n$/, "");
          this.line = [];
          this.lineLength = 0;
          if (this.state === State.Size) this.startChunk(text);
          else this.trailerLine(text);
          break;
        }
        case State.Data: {
          const take = Math.min(this.remaining, chunk.length - pos);
          const data = chunk.subarray(pos, pos + take);
          pos += take;
          this.remaining -= take;
          this.decodedLength += take;
          this.chunkHash?.update(data);
          if (!this.push(data)) more = false;
          if (this.remaining === 0) {
            this.state = State.DataEnd;
            this.crlfSeen = 0;
          }
          break;
        }
        case State.DataEnd: {
          const byte = chunk[pos++];
          const expected = this.crlfSeen === 0 ? 0x0d : 0x0a;
          if (byte !== expected) throw malformed("chunk data not followed by CRLF");
          if (++this.crlfSeen === 2) {
            this.endChunk();
            this.state = State.Size;
          }
          break;
        }
        case State.Done:
          // Bytes after the final CRLF are ignored, as S3 does.
          return more;
      }
    }
    return more;
  }

  private startChunk(header: string): void {
    const [sizeText, ...extensions] = header.split(";");
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText.trim())) throw malformed(`bad chunk size '${sizeText.slice(0, 20)}'`);
    const size = parseInt(sizeText.trim(), 16);
    this.chunkSignature = undefined;
    for (const extension of extensions) {
      const eq = extension.indexOf("=");
      if (eq > 0 && extension.slice(0, eq).trim() === "chunk-signature") this.chunkSignature = extension.slice(eq + 1).trim();
    }
    if (this.signed && !this.chunkSignature) throw malformed("missing chunk-signature");
    this.chunkHash = this.verifier ? crypto().createHash("sha256") : undefined;
    if (size === 0) {
      this.endChunk();
      this.state = State.Trailer;
      return;
    }
    this.remaining = size;
    this.state = State.Data;
  }

  private endChunk(): void {
    if (!this.verifier) return;
    const stringToSign = [
      "AWS4-HMAC-SHA256-PAYLOAD",
      this.verifier.amzDate,
      this.verifier.scope,
      this.previousSignature,
      EMPTY_SHA256,
      this.chunkHash!.digest("hex"),
    ].join("\n");
    const expected = crypto().createHmac("sha256", this.verifier.signingKey).update(stringToSign).digest("hex");
    if (expected !== this.chunkSignature) throw S3Errors.signatureDoesNotMatch();
    this.previousSignature = expected;
  }

  private trailerLine(text: string): void {
    if (text === "") {
      this.state = State.Done;
      return;
    }
    const colon = text.indexOf(":");
    if (colon <= 0) throw malformed("bad trailer line");
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === "x-amz-trailer-signature") {
      if (this.verifier) {
        const stringToSign = [
          "AWS4-HMAC-SHA256-TRAILER",
          this.verifier.amzDate,
          this.verifier.scope,
          this.previousSignature,
          crypto().createHash("sha256").update(this.trailerText).digest("hex"),
        ].join("\n");
        const expected = crypto().createHmac("sha256", this.verifier.signingKey).update(stringToSign).digest("hex");
        if (expected !== value) throw S3Errors.signatureDoesNotMatch();
      }
      return;
    }
    this.trailers[name] = value;
    this.trailerText += `${name}:${value}\n`;
  }
}

function malformed(detail: string): AwsError {
  return new AwsError("IncompleteBody", `The request body is not valid aws-chunked encoding: ${detail}.`, { status: 400 });
}

/** Whether a request body is aws-chunked (by payload hash or content encoding). */
export function isAwsChunked(headers: Record<string, string | undefined>): boolean {
  const sha = headers["x-amz-content-sha256"] ?? "";
  if (sha.startsWith("STREAMING-")) return true;
  // Content-Encoding: aws-chunked alone does not make a body chunked (S3 strips it from
  // the stored encoding and reads the body as sent); it does with the decoded length.
  if (headers["x-amz-decoded-content-length"] === undefined) return false;
  return (headers["content-encoding"] ?? "").split(",").some((e) => e.trim().toLowerCase() === "aws-chunked");
}
