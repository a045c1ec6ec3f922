/**
 * GetMetricWidgetImage with SDK v3: the answer is a valid PNG (signature,
 * chunk CRCs, IHDR of the requested size, IDAT inflating to the raster) with
 * the series drawn in its colour, and bad widgets are refused.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import { CloudWatchClient, GetMetricWidgetImageCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { MINUTE } from "./support.js";

const START = Date.parse("2025-09-01T06:00:00Z");

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** Parses a PNG: checks every chunk's CRC and returns the header and the inflated raster. */
function readPng(png: Buffer): { width: number; height: number; colourType: number; raster: Buffer } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let pos = 8;
  const idat: Buffer[] = [];
  let header: Buffer | undefined;
  let ended = false;
  while (pos < png.length) {
    const length = png.readUInt32BE(pos);
    const type = png.toString("ascii", pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + length);
    assert.equal(png.readUInt32BE(pos + 8 + length), crc32(png.subarray(pos + 4, pos + 8 + length)), `CRC of ${type}`);
    if (type === "IHDR") header = data;
    if (type === "IDAT") idat.push(data);
    if (type === "IEND") ended = true;
    pos += 12 + length;
  }
  assert.ok(header && ended && idat.length > 0);
  return { width: header.readUInt32BE(0), height: header.readUInt32BE(4), colourType: header[9], raster: inflateSync(Buffer.concat(idat)) };
}

describe("CloudWatch GetMetricWidgetImage", () => {
  let stratus: RunningStratus;
  let cw: CloudWatchClient;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: START });
    cw = new CloudWatchClient(sdkConfig(stratus));
    const now = stratus.clock.now().getTime();
    const data = Array.from({ length: 30 }, (_, k) => ({ MetricName: "Load", Value: (k % 7) * 10, Timestamp: new Date(now - (30 - k) * MINUTE) }));
    await cw.send(new PutMetricDataCommand({ Namespace: "Widget/App", MetricData: data }));
  });
  after(() => stratus.stop());

  it("returns a PNG chart of the requested size with the series drawn", async () => {
    const widget = { width: 320, height: 200, start: "-PT1H", period: 60, metrics: [["Widget/App", "Load", { color: "#d62728" }]] };
    const out = await cw.send(new GetMetricWidgetImageCommand({ MetricWidget: JSON.stringify(widget), OutputFormat: "png" }));
    const png = Buffer.from(out.MetricWidgetImage!);
    const { width, height, colourType, raster } = readPng(png);
    assert.deepEqual([width, height, colourType], [320, 200, 2]);
    assert.equal(raster.length, height * (1 + width * 3));
    let red = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = y * (1 + width * 3) + 1 + x * 3;
        if (raster[o] === 0xd6 && raster[o + 1] === 0x27 && raster[o + 2] === 0x28) red++;
      }
    }
    assert.ok(red > 100, `the series is drawn (${red} pixels)`);

    // Defaults: 600 × 400; with no data the chart is just its axes, in no series colour.
    const empty = await cw.send(new GetMetricWidgetImageCommand({ MetricWidget: JSON.stringify({ metrics: [["Widget/App", "Nothing"]] }) }));
    const blank = readPng(Buffer.from(empty.MetricWidgetImage!));
    assert.deepEqual([blank.width, blank.height], [600, 400]);
  });

  it("refuses bad widgets", async () => {
    for (const body of ["{", JSON.stringify({ metrics: [] }), JSON.stringify({ width: 5000, metrics: [["A", "B"]] }), JSON.stringify({ metrics: [["A"]] })]) {
      await assert.rejects(cw.send(new GetMetricWidgetImageCommand({ MetricWidget: body })), (e: any) => {
        assert.equal(e.$metadata?.httpStatusCode, 400, body);
        assert.match(e.name, /InvalidParameterValue/);
        return true;
      });
    }
  });
});
