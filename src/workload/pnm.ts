/** Binary PPM (P6) and PGM (P5) to 8-bit RGB, with maxval up to 65535. */
import { ImageError, MAX_PIXELS, type RgbImage } from "./rgb-image.js";

export function isPnm(data: Buffer): boolean {
  return data.length >= 3 && data[0] === 0x50 && (data[1] === 0x35 || data[1] === 0x36) && /\s/.test(String.fromCharCode(data[2]));
}

export function decodePnm(data: Buffer): RgbImage {
  if (!isPnm(data)) throw new ImageError("not a binary PPM or PGM");
  const channels = data[1] === 0x36 ? 3 : 1;
  let pos = 2;
  const number = (): number => {
    for (;;) {
      while (pos < data.length && /\s/.test(String.fromCharCode(data[pos]))) pos++;
      if (data[pos] !== 0x23) break; // '#' starts a comment to the end of the line
      while (pos < data.length && data[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < data.length && data[pos] >= 0x30 && data[pos] <= 0x39) pos++;
    if (pos === start) throw new ImageError("the PNM header is damaged");
    return Number(data.toString("latin1", start, pos));
  };
  const width = number();
  const height = number();
  const maxval = number();
  pos++; // the single whitespace before the pixels
  if (width === 0 || height === 0 || width * height > MAX_PIXELS) throw new ImageError(`the PNM is ${width}x${height}: too large or empty`);
  if (maxval < 1 || maxval > 65535) throw new ImageError(`the PNM's maxval ${maxval} is invalid`);
  const wide = maxval > 255;
  const count = width * height * channels;
  if (data.length - pos < count * (wide ? 2 : 1)) throw new ImageError("the PNM is truncated");
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < count; i++) {
    const raw = wide ? data.readUInt16BE(pos + i * 2) : data[pos + i];
    const value = maxval === 255 ? raw : Math.min(255, Math.round((raw * 255) / maxval));
    if (channels === 3) out[i] = value;
    else out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = value;
  }
  return { width, height, data: out };
}
