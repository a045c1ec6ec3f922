/** multipart/form-data bodies (RFC 7578): the boundary from Content-Type, then each part's headers and bytes. */

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary of a multipart/form-data Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return parts;
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) break; // "--": the closing delimiter
    // The rest of the delimiter line (transport padding, then CRLF).
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const headersEnd = body.indexOf("\r\n\r\n", lineEnd);
    if (headersEnd < 0) break;
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headersEnd + 4);
    if (next < 0) break;
    const headers = parseHeaders(body.toString("utf8", lineEnd + 2, headersEnd));
    const disposition = headers.get("content-disposition") ?? "";
    const name = parameter(disposition, "name");
    if (name !== undefined) {
      parts.push({
        name,
        filename: parameter(disposition, "filename"),
        contentType: headers.get("content-type"),
        data: body.subarray(headersEnd + 4, next),
      });
    }
    at = next + 2;
  }
  return parts;
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** A parameter of a Content-Disposition value: name="value" (with \" escapes) or name=token. */
function parameter(header: string, key: string): string | undefined {
  const pattern = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, "i");
  const match = pattern.exec(header);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}
