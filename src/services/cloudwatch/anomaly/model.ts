/**
 * What ANOMALY_DETECTION_BAND(m, width) draws: the expected value of a metric
 * at each time, ± width standard deviations. The model learns from the
 * metric's datapoints over the two weeks before the requested range (less
 * the detector's excluded time ranges). With at least two days of history it
 * is seasonal by hour of day, in the detector's MetricTimezone (UTC by
 * default): each hour's expectation and spread are those of the same hour on
 * the days before. With less, or for an hour with fewer than two datapoints,
 * the whole history's mean and deviation stand in; without history, the
 * requested range's own. AWS trains a machine-learning model; this one is
 * statistical, and says so in docs/cloudwatch.md.
 */
import type { Series } from "../math/evaluate.js";

const DAY = 86_400_000;

/** What a band learns from: the metric's past values, and how to read its hours. */
export interface Training {
  series: Series;
  /** IANA time zone whose hours the daily pattern follows. */
  timezone?: string;
}

interface Moments {
  mean: number;
  deviation: number;
}

const hourFormats = new Map<string, Intl.DateTimeFormat>();

/** Whether a time zone name is one Intl knows. */
export function knownTimezone(zone: string): boolean {
  try {
    hourFormat(zone);
    return true;
  } catch {
    return false;
  }
}

function hourFormat(zone: string): Intl.DateTimeFormat {
  let format = hourFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "numeric", hourCycle: "h23" });
    hourFormats.set(zone, format);
  }
  return format;
}

function hourOf(ts: number, zone: string | undefined): number {
  if (!zone || zone === "UTC") return new Date(ts).getUTCHours();
  return Number(hourFormat(zone).format(ts)) % 24;
}

function moments(values: number[]): Moments | undefined {
  if (values.length === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, deviation: Math.sqrt(variance) };
}

/** The band's upper and lower values at each time of `grid`. */
export function expectedBand(target: Series, training: Training | undefined, width: number, grid: number[]): { upper: Map<number, number>; lower: Map<number, number> } {
  const learned = training && training.series.points.size > 0 ? training.series.points : target.points;
  const overall = moments([...learned.values()]) ?? { mean: 0, deviation: 0 };
  const times = [...learned.keys()];
  const seasonal = training !== undefined && times.length > 0 && Math.max(...times) - Math.min(...times) >= 2 * DAY;
  const byHour = new Map<number, Moments>();
  if (seasonal) {
    const buckets = new Map<number, number[]>();
    for (const [ts, value] of learned) {
      const hour = hourOf(ts, training.timezone);
      let bucket = buckets.get(hour);
      if (!bucket) buckets.set(hour, (bucket = []));
      bucket.push(value);
    }
    for (const [hour, values] of buckets) if (values.length >= 2) byHour.set(hour, moments(values)!);
  }
  // A flat hour still gets a band: a twentieth of the overall spread at least.
  const floor = overall.deviation / 20;
  const upper = new Map<number, number>();
  const lower = new Map<number, number>();
  for (const t of grid) {
    const m = (seasonal && byHour.get(hourOf(t, training!.timezone))) || overall;
    const spread = width * Math.max(m.deviation, floor);
    upper.set(t, m.mean + spread);
    lower.set(t, m.mean - spread);
  }
  return { upper, lower };
}
