/** What the image decoders produce, and how they say an image cannot be read. */

/** 8-bit RGB, interleaved, rows top to bottom. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** An image the server cannot decode: answered 415 with this message. */
export class ImageError extends Error {
  override readonly name = "ImageError";
}

/** The largest image decoded (width × height): a guard against decompression bombs. */
export const MAX_PIXELS = 40_000_000;
