/**
 * Non-ASCII text in S3 headers (user metadata). HTTP/1.1 headers reach node
 * as Latin-1 strings: UTF-8 bytes sent raw are recovered here, and RFC 2047
 * encoded-words are decoded. On the way out, S3 encodes any non-ASCII value
 * as an RFC 2047 encoded-word (=?UTF-8?B?...?=).
 */

const ENCODED_WORD = /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g;

export function decodeHeaderText(value: string): string {
  let text = value;
  if (/[\u0080-\u00ff]/.test(text) && !/[^\u0000-\u00ff]/.test(text)) {
    const utf8 = Buffer.from(text, "latin1").toString("utf8");
    if (!utf8.includes("\ufffd")) text = utf8;
  }
  if (text.includes("=?")) {
    text = text.replace(ENCODED_WORD, (word, charset: string, encoding: string, payload: string) => {
      const cs = charset.toLowerCase();
      if (cs !== "utf-8" && cs !== "iso-8859-1" && cs !== "us-ascii") return word;
      let bytes: Buffer;
      if (encoding.toLowerCase() === "b") bytes = Buffer.from(payload, "base64");
      else bytes = Buffer.from(payload.replace(/_/g, " ").replace(/=([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1");
      return bytes.toString(cs === "utf-8" ? "utf8" : "latin1");
    });
  }
  return text;
}

export function encodeHeaderText(value: string): string {
  if (!/[^\u0020-\u007e\t]/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}
