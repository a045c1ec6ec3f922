/**
 * multipart/form-data for browser POST uploads (PostObject): the fields that
 * precede the file are read into memory (S3 caps them at 20 KB); the file's
 * bytes are a stream that ends at the next boundary, so an upload of any size
 * passes through in small buffers. Fields after the file are ignored, as S3
 * ignores them.
 */
import { Readable } from "node:stream";
import { AwsError } from "../../core/errors.js";

/** S3's limit on the form fields before the file. */
export const MAX_PRE_DATA = 20 * 1024;

export interface PostFile {
  filename?: string;
  contentType?: string;
  stream: Readable;
}

export interface PostForm {
  /** Field names as sent (S3 compares them case-insensitively), in order. */
  fields: Array<[string, string]>;
  file?: PostFile;
}

export function malformedPost(): AwsError {
  return new AwsError("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", { status: 400 });
}

/** The boundary of a multipart/form-data Content-Type, or undefined for any other type. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(";");
  if (type.trim().toLowerCase() !== "multipart/form-data") return undefined;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value || undefined;
  }
  return undefined;
}

interface PartHeaders {
  name?: string;
  filename?: string;
  contentType?: string;
}

function parsePartHeaders(block: string): PartHeaders {
  const out: PartHeaders = {};
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-type") out.contentType = value;
    if (name !== "content-disposition") continue;
    // form-data; name="key"; filename="a.txt" (quoted values may contain ';').
    const re = /;\s*([A-Za-z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
    for (let m = re.exec(value); m; m = re.exec(value)) {
      const param = m[1].toLowerCase();
      const text = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3].trim();
      if (param === "name") out.name = text;
      else if (param === "filename") out.filename = text;
    }
  }
  return out;
}

/**
 * Reads the fields of a form up to its file part. The returned file stream
 * must be consumed (or resumed) for the request body to be drained.
 */
export async function readPostForm(source: Readable, boundary: string): Promise<PostForm> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let buf: Buffer = Buffer.alloc(0);
  let preData = 0;
  const more = async (): Promise<boolean> => {
    const next = await it.next();
    if (next.done) return false;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    return true;
  };
  const tooLarge = () =>
    new AwsError("MaxPostPreDataLengthExceeded", "Your POST request fields preceding the upload file were too large.", { status: 400 });
  /** Reads until `needle` is in the buffer (counting against the pre-data limit); its index. */
  const find = async (needle: Buffer): Promise<number> => {
    for (;;) {
      const at = buf.indexOf(needle);
      if (at >= 0) return at;
      if (preData + buf.length > MAX_PRE_DATA + needle.length + 4096) throw tooLarge();
      if (!(await more())) throw malformedPost();
    }
  };
  const take = (n: number): Buffer => {
    const head = buf.subarray(0, n);
    buf = buf.subarray(n);
    preData += n;
    return head;
  };

  const first = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  take((await find(first)) + first.length);
  const fields: Array<[string, string]> = [];
  for (;;) {
    while (buf.length < 2) if (!(await more())) throw malformedPost();
    if (buf[0] === 0x2d && buf[1] === 0x2d) {
      // The closing delimiter: a form without a file.
      drain(it);
      return { fields };
    }
    const headersEnd = await find(Buffer.from("\r\n\r\n", "latin1"));
    const headers = parsePartHeaders(take(headersEnd + 4).toString("utf8"));
    if (headers.name === undefined) throw malformedPost();
    if (headers.name.toLowerCase() === "file") {
      if (preData > MAX_PRE_DATA) throw tooLarge();
      return { fields, file: { filename: headers.filename, contentType: headers.contentType, stream: Readable.from(fileBytes(), { objectMode: false }) } };
    }
    const end = await find(delimiter);
    fields.push([headers.name, take(end).toString("utf8")]);
    take(delimiter.length);
    if (preData > MAX_PRE_DATA) throw tooLarge();
  }

  async function* fileBytes(): AsyncGenerator<Buffer> {
    const keep = delimiter.length - 1;
    for (;;) {
      const at = buf.indexOf(delimiter);
      if (at >= 0) {
        if (at > 0) yield buf.subarray(0, at);
        buf = Buffer.alloc(0);
        drain(it);
        return;
      }
      // Hold back what could be the start of a delimiter split across chunks.
      if (buf.length > keep) {
        const out = buf.subarray(0, buf.length - keep);
        buf = buf.subarray(buf.length - keep);
        yield out;
      }
      if (!(await more())) throw malformedPost();
    }
  }
}

/** Reads and discards the rest of a body (fields after the file, the epilogue). */
function drain(it: AsyncIterator<Buffer>): void {
  void (async () => {
    try {
      for (let next = await it.next(); !next.done; next = await it.next());
    } catch {
      // The request is already answered or failing on its own.
    }
  })();
}
