/**
 * GetMetricWidgetImage: a line chart of the widget's metrics, drawn into an
 * RGB raster and encoded as PNG (zlib from node:zlib; CRC-32 computed here).
 * The widget is the dashboard metric widget's JSON: `metrics` rows
 * (["Namespace", "Name", "Dim", "Value", ..., {options}], "." repeating the row
 * above, [{"expression": ...}]), `width`/`height` (1–2000, default 600×400),
 * `start`/`end` (ISO 8601 durations like -PT3H, or timestamps), `period`,
 * `stat`. The chart is axes and one polyline per series; no text is drawn.
 */
import { deflateSync } from "node:zlib";
import type { GetMetricWidgetImageInput, GetMetricWidgetImageOutput, MetricDataQuery } from "../../generated/cloudwatch.js";
import type { Scope } from "../../state/documents.js";
import { CwErrors } from "./errors.js";
import { getMetricData } from "./get-metric-data.js";
import type { MetricStore } from "./metric-store.js";

const PALETTE: Array<[number, number, number]> = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
];

function hexColor(value: unknown): [number, number, number] | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})$/.exec(value);
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : undefined;
}

/** -PT3H, -P1D, P0D → milliseconds (negative for the past). */
function duration(text: string): number | undefined {
  const m = /^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m || text === "P" || text === "-P") return undefined;
  const [, neg, w, d, h, min, s] = m;
  const ms = ((+(w ?? 0) * 7 + +(d ?? 0)) * 86400 + +(h ?? 0) * 3600 + +(min ?? 0) * 60 + +(s ?? 0)) * 1000;
  return neg ? -ms : ms;
}

function timeOf(value: unknown, field: string, now: number): number {
  if (typeof value !== "string") throw invalid(`The field ${field} must be a string.`);
  const rel = duration(value);
  if (rel !== undefined) return now + rel;
  const abs = Date.parse(value);
  if (Number.isNaN(abs)) throw invalid(`The field ${field} must be an ISO 8601 duration or timestamp.`);
  return abs;
}

function invalid(detail: string) {
  return CwErrors.invalidParameterValue(`The value of MetricWidget is invalid: ${detail}`);
}

function sizeOf(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2000) {
    throw invalid(`${field} must be an integer from 1 to 2000.`);
  }
  return value;
}

interface Row {
  query: MetricDataQuery;
  color?: [number, number, number];
}

function rowsOf(metrics: unknown, period: number, stat: string): Row[] {
  if (!Array.isArray(metrics) || metrics.length === 0) throw invalid("metrics must be a non-empty array.");
  const rows: Row[] = [];
  let previous: string[] = [];
  metrics.forEach((raw, i) => {
    if (!Array.isArray(raw)) throw invalid(`metrics[${i}] must be an array.`);
    const last = raw[raw.length - 1];
    const hasOptions = last !== null && typeof last === "object" && !Array.isArray(last);
    const options = hasOptions ? (last as Record<string, unknown>) : {};
    const parts = (hasOptions ? raw.slice(0, -1) : raw) as unknown[];
    const id = typeof options.id === "string" ? options.id : `m${i + 1}`;
    const visible = options.visible !== false;
    if (typeof options.expression === "string") {
      rows.push({ query: { Id: id, Expression: options.expression, Label: options.label as string | undefined, ReturnData: visible }, color: hexColor(options.color) });
      return;
    }
    const strings = parts.map((p, k) => {
      if (p === "." && previous[k] !== undefined) return previous[k];
      if (typeof p !== "string") throw invalid(`metrics[${i}][${k}] must be a string.`);
      return p;
    });
    if (strings.length < 2 || strings.length % 2 !== 0) throw invalid(`metrics[${i}] must be [Namespace, MetricName, (DimensionName, DimensionValue)...].`);
    previous = strings;
    const dimensions = [];
    for (let k = 2; k < strings.length; k += 2) dimensions.push({ Name: strings[k], Value: strings[k + 1] });
    rows.push({
      query: {
        Id: id,
        Label: options.label as string | undefined,
        ReturnData: visible,
        MetricStat: {
          Metric: { Namespace: strings[0], MetricName: strings[1], Dimensions: dimensions },
          Period: typeof options.period === "number" ? options.period : period,
          Stat: typeof options.stat === "string" ? options.stat : stat,
        },
      },
      color: hexColor(options.color),
    });
  });
  return rows;
}

export function metricWidgetImage(store: MetricStore, scope: Scope, input: GetMetricWidgetImageInput, now: number): GetMetricWidgetImageOutput {
  if (input.OutputFormat !== undefined && input.OutputFormat !== "png") {
    throw CwErrors.invalidParameterValue(`The value ${input.OutputFormat} for parameter OutputFormat is invalid. Valid values are: png.`);
  }
  let widget: Record<string, unknown>;
  try {
    widget = JSON.parse(input.MetricWidget) as Record<string, unknown>;
  } catch {
    throw CwErrors.invalidParameterValue("The value of MetricWidget is not valid JSON.");
  }
  if (widget === null || typeof widget !== "object" || Array.isArray(widget)) throw invalid("it must be a JSON object.");
  const width = sizeOf(widget.width, "width", 600);
  const height = sizeOf(widget.height, "height", 400);
  const start = timeOf(widget.start ?? "-PT3H", "start", now);
  const end = timeOf(widget.end ?? "P0D", "end", now);
  if (start >= end) throw invalid("start must be before end.");
  const period = typeof widget.period === "number" ? widget.period : 300;
  const stat = typeof widget.stat === "string" ? widget.stat : "Average";
  const rows = rowsOf(widget.metrics, period, stat);
  const data = getMetricData(store, scope, { MetricDataQueries: rows.map((r) => r.query), StartTime: new Date(start), EndTime: new Date(end) }, now);
  const series = (data.MetricDataResults ?? []).map((result, i) => ({
    color: rows.find((r) => r.query.Id === result.Id)?.color ?? PALETTE[i % PALETTE.length],
    points: (result.Timestamps ?? []).map((t, k) => [t.getTime(), result.Values![k]] as [number, number]).sort((a, b) => a[0] - b[0]),
  }));
  return { MetricWidgetImage: encodePng(draw(width, height, start, end, series), width, height) };
}

function draw(width: number, height: number, start: number, end: number, series: Array<{ color: [number, number, number]; points: Array<[number, number]> }>): Buffer {
  const pixels = Buffer.alloc(width * height * 3, 255);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const o = (y * width + x) * 3;
    pixels[o] = r;
    pixels[o + 1] = g;
    pixels[o + 2] = b;
  };
  const line = (x0: number, y0: number, x1: number, y1: number, color: [number, number, number]) => {
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      set(x0, y0, color);
      set(x0, y0 + 1, color);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  };
  const margin = Math.max(1, Math.min(40, Math.floor(Math.min(width, height) / 10)));
  const left = margin;
  const right = Math.max(left + 1, width - margin);
  const top = margin;
  const bottom = Math.max(top + 1, height - margin);
  const axis: [number, number, number] = [160, 160, 160];
  line(left, bottom, right, bottom, axis);
  line(left, top, left, bottom, axis);
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  if (values.length === 0) return pixels;
  let lo = Math.min(0, ...values);
  let hi = Math.max(...values);
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.05;
  hi += pad;
  if (lo < 0) lo -= pad;
  const px = (t: number) => Math.round(left + ((t - start) / (end - start)) * (right - left));
  const py = (v: number) => Math.round(bottom - ((v - lo) / (hi - lo)) * (bottom - top));
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length === 1) {
      const [x, y] = [px(pts[0][0]), py(pts[0][1])];
      for (let a = -2; a <= 2; a++) for (let b = -2; b <= 2; b++) set(x + a, y + b, s.color);
    }
    for (let k = 1; k < pts.length; k++) line(px(pts[k - 1][0]), py(pts[k - 1][1]), px(pts[k][0]), py(pts[k][1]), s.color);
  }
  return pixels;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGB PNG (filter type 0 on every scanline). */
export function encodePng(rgb: Buffer, width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
