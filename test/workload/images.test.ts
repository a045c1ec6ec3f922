/** Image decoding (PNG, baseline JPEG, PPM/PGM) and the model input (resize, normalization). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeImage, resize, toModelInput } from "../../src/workload/image-input.js";
import { ImageError, type RgbImage } from "../../src/workload/rgb-image.js";
import { encodeJpeg } from "./jpeg-writer.js";
import { encodePng, type PngInput } from "./png-writer.js";
import { random } from "./reference.js";

/** A smooth picture (what JPEG is for): gradients and a soft disc. */
function smoothPicture(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - width / 2, y - height / 2) / Math.min(width, height);
      out.set([Math.round((230 * x) / width + 10), Math.round((200 * y) / height + 20), Math.round(200 * Math.max(0, 1 - 2 * d) + 30)], (y * width + x) * 3);
    }
  return out;
}

function meanAbsoluteError(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe("image decoding", () => {
  it("decodes PNG of every colour type and bit depth, plain and Adam7-interlaced, to RGB", () => {
    const width = 13;
    const height = 7;
    const next = random(5);
    const palette: Array<[number, number, number]> = Array.from({ length: 256 }, (_, i) => [i, 255 - i, (i * 7) % 256]);
    const cases: Array<{ colourType: PngInput["colourType"]; depth: PngInput["depth"] }> = [
      ...[1, 2, 4, 8, 16].map((depth) => ({ colourType: 0 as const, depth: depth as PngInput["depth"] })),
      ...[8, 16].flatMap((depth) => [2, 4, 6].map((colourType) => ({ colourType: colourType as PngInput["colourType"], depth: depth as PngInput["depth"] }))),
      ...[1, 2, 4, 8].map((depth) => ({ colourType: 3 as const, depth: depth as PngInput["depth"] })),
    ];
    for (const { colourType, depth } of cases) {
      const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colourType];
      const max = 2 ** depth - 1;
      const samples = Array.from({ length: width * height * channels }, () => Math.floor(((next() + 1) / 2) * (max + 1)) % (max + 1));
      const expected = new Uint8Array(width * height * 3);
      for (let p = 0; p < width * height; p++) {
        const s = samples.slice(p * channels, (p + 1) * channels);
        const scale = (v: number) => Math.round((v * 255) / max);
        const rgb = colourType === 3 ? palette[s[0]] : channels >= 3 ? [scale(s[0]), scale(s[1]), scale(s[2])] : [scale(s[0]), scale(s[0]), scale(s[0])];
        expected.set(rgb, p * 3);
      }
      for (const interlaced of [false, true]) {
        const png = encodePng({ width, height, samples, colourType, depth, interlaced, palette: colourType === 3 ? palette.slice(0, max + 1) : undefined });
        const image = decodeImage(png);
        assert.deepEqual([image.width, image.height], [width, height]);
        assert.deepEqual(image.data, expected, `colour type ${colourType}, depth ${depth}, interlaced ${interlaced}`);
      }
    }
  });

  it("decodes baseline JPEG (4:4:4, 4:2:2, 4:2:0, greyscale, restart intervals) close to the encoded pixels", () => {
    const width = 37;
    const height = 29;
    const rgb = smoothPicture(width, height);
    const grey = new Uint8Array(rgb.length);
    for (let i = 0; i < rgb.length; i += 3) grey.fill(Math.round(0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2]), i, i + 3);
    const cases = [
      { options: { sampling: "444" as const }, expected: rgb, tolerance: 1.5 },
      { options: { sampling: "422" as const, restartInterval: 3 }, expected: rgb, tolerance: 3 },
      { options: { sampling: "420" as const }, expected: rgb, tolerance: 3 },
      { options: { sampling: "420" as const, restartInterval: 1 }, expected: rgb, tolerance: 3 },
      { options: { grey: true, restartInterval: 5 }, expected: grey, tolerance: 1.5 },
    ];
    for (const { options, expected, tolerance } of cases) {
      const image = decodeImage(encodeJpeg(rgb, width, height, options));
      assert.deepEqual([image.width, image.height], [width, height]);
      const error = meanAbsoluteError(image.data, expected);
      assert.ok(error < tolerance, `${JSON.stringify(options)}: mean error ${error.toFixed(2)}`);
    }
    // The error is small because the decoder is right, not because anything is close to a smooth picture.
    const flipped = decodeImage(encodeJpeg(rgb.slice().reverse(), width, height));
    assert.ok(meanAbsoluteError(flipped.data, rgb) > 20);
  });

  it("refuses progressive and other JPEG processes by name, and damaged files", () => {
    const jpeg = encodeJpeg(smoothPicture(16, 16), 16, 16);
    const progressive = Buffer.from(jpeg);
    progressive[progressive.indexOf(Buffer.from([0xff, 0xc0])) + 1] = 0xc2;
    assert.throws(() => decodeImage(progressive), (e: Error) => e instanceof ImageError && /progressive JPEG is not supported/.test(e.message));
    const arithmetic = Buffer.from(jpeg);
    arithmetic[arithmetic.indexOf(Buffer.from([0xff, 0xc0])) + 1] = 0xc9;
    assert.throws(() => decodeImage(arithmetic), /arithmetic-coded JPEG is not supported/);
    assert.throws(() => decodeImage(jpeg.subarray(0, 40)), ImageError);
  });

  it("decodes binary PPM and PGM, with comments and 16-bit samples", () => {
    const ppm = Buffer.concat([Buffer.from("P6\n# made by a test\n2 1\n255\n"), Buffer.from([255, 0, 10, 1, 2, 3])]);
    assert.deepEqual(decodeImage(ppm), { width: 2, height: 1, data: Uint8Array.from([255, 0, 10, 1, 2, 3]) });
    const pgm = Buffer.concat([Buffer.from("P5 2 2 1023\n"), Buffer.from([0x03, 0xff, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00])]);
    assert.deepEqual([...decodeImage(pgm).data], [255, 255, 255, 0, 0, 0, 128, 128, 128, 64, 64, 64]);
  });

  it("says what it cannot read", () => {
    assert.throws(() => decodeImage(Buffer.from("not an image at all")), /not an image this server reads \(PNG, baseline JPEG, binary PPM\/PGM\)/);
    assert.throws(() => decodeImage(Buffer.alloc(0)), /empty/);
    const png = encodePng({ width: 4, height: 4, samples: new Array(48).fill(9), colourType: 2, depth: 8 });
    assert.throws(() => decodeImage(png.subarray(0, 60)), ImageError);
  });
});

describe("model input", () => {
  const image = (width: number, height: number, f: (x: number, y: number, c: number) => number): RgbImage => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
    return { width, height, data };
  };

  it("resizes with a triangle filter: constants stay, 2x2 blocks average, gradients stay ordered", () => {
    assert.ok(resize(image(50, 30, () => 77), 16, 16).every((v) => Math.abs(v - 77) < 1e-3));
    const checker = resize(image(32, 32, (x, y) => ((x + y) % 2 ? 200 : 0)), 16, 16);
    assert.ok(checker.every((v) => Math.abs(v - 100) < 20), "a fine checkerboard shrinks to grey, not to an alias");
    const ramp = resize(image(8, 1, (x) => x * 30), 16, 1);
    for (let x = 1; x < 16; x++) assert.ok(ramp[x * 3] >= ramp[(x - 1) * 3]);
    assert.equal(ramp[0], 0);
    assert.equal(ramp[15 * 3], 210);
  });

  it("scales to [0, 1], normalizes with ImageNet's mean and std (or not), and lays out C×H×W", () => {
    const picture = image(2, 2, (x, y, c) => [255, 0, 128][c] * ((x + y) % 2));
    const plain = toModelInput(picture, 2, "none");
    assert.deepEqual([...plain.subarray(0, 4)], [0, 1, 1, 0]);
    assert.equal(plain[9], Math.fround(128 / 255));
    const normalized = toModelInput(picture, 2, "imagenet");
    assert.ok(Math.abs(normalized[1] - (1 - 0.485) / 0.229) < 1e-6);
    assert.ok(Math.abs(normalized[4] - (0 - 0.456) / 0.224) < 1e-6);
    assert.equal(toModelInput(picture, 4, "none").length, 48);
  });
});
