/**
 * How CloudWatch turns a time range and a period into datapoints: start-time
 * rounding by data age, which periods the data of a given age still supports
 * (high-resolution data for 3 hours, 1-minute data for 15 days, 5-minute for
 * 63 days, 1-hour for 455 days), and aggregation of stored cells into bins.
 */
import { merge, emptyAggregate, type Aggregate } from "./distribution.js";
import { DAY, HOUR, MINUTE, SECOND, type MetricStore } from "./metric-store.js";

/** Periods below a minute that high-resolution data supports. */
export const SHORT_PERIODS = [1, 5, 10, 20, 30];

export function validPeriod(period: number): boolean {
  return SHORT_PERIODS.includes(period) || (period >= 60 && period % 60 === 0);
}

/**
 * StartTime as CloudWatch rounds it: to the period's division of the minute for
 * sub-minute periods, else to the minute, 5 minutes or hour depending on age.
 */
export function roundStart(start: number, now: number, period: number): number {
  const age = now - start;
  let unit: number;
  if (period < 60) unit = period * SECOND;
  else if (age <= 15 * DAY) unit = MINUTE;
  else if (age <= 63 * DAY) unit = 5 * MINUTE;
  else unit = HOUR;
  return Math.floor(start / unit) * unit;
}

/** Whether data starting at `start` can still be read with `period` (else no datapoints). */
export function periodServesAge(start: number, now: number, period: number): boolean {
  const age = now - start;
  if (age <= 3 * HOUR) return true;
  if (age <= 15 * DAY) return period % 60 === 0;
  if (age <= 63 * DAY) return period % 300 === 0;
  return period % 3600 === 0;
}

export function datapointCount(start: number, end: number, period: number): number {
  return Math.max(0, Math.ceil((end - start) / (period * SECOND)));
}

export interface Bin {
  /** Bin start, ms. */
  ts: number;
  unit: string;
  agg: Aggregate;
}

/**
 * When GetMetricData names no unit and the data holds several, AWS computes the
 * statistic over one unit only — the first of this order (its own, observed:
 * Count before Milliseconds before Seconds) — and says so in a MultipleUnits message.
 */
const UNIT_PREFERENCE = [
  "Megabits", "Terabits", "Gigabits", "Count", "Bytes", "Gigabytes", "Gigabytes/Second", "Kilobytes",
  "Kilobits/Second", "Terabytes", "Terabits/Second", "Bytes/Second", "Percent", "Megabytes", "Megabits/Second",
  "Milliseconds", "Microseconds", "Kilobytes/Second", "Gigabits/Second", "Megabytes/Second", "Bits", "Bits/Second",
  "Count/Second", "Seconds", "Kilobits", "Terabytes/Second", "None",
];

export function preferredUnit(units: Iterable<string>): string {
  const list = [...units];
  return list.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1))[0];
}

function rank(unit: string): number {
  const i = UNIT_PREFERENCE.indexOf(unit);
  return i < 0 ? UNIT_PREFERENCE.length : i;
}

/**
 * Aggregates a metric's cells into bins of `period` seconds from `start`
 * (already rounded) up to `end` (exclusive). With `splitUnits`, each unit gets
 * its own bin (GetMetricStatistics). With `oneUnit` and no `unit`, only the
 * preferred unit's data is used when several are present, and `unitsSeen`
 * receives every unit found (GetMetricData).
 */
export function readBins(
  store: MetricStore,
  metricId: number,
  start: number,
  end: number,
  period: number,
  options: { unit?: string; splitUnits?: boolean; oneUnit?: boolean; unitsSeen?: Set<string> } = {},
): Bin[] {
  const size = period * SECOND;
  const bins = new Map<string, Bin>();
  const cells = store.cells(metricId, start, end);
  let unit = options.unit;
  if (unit === undefined && options.oneUnit) {
    const units = new Set(cells.map((c) => c.unit));
    for (const u of units) options.unitsSeen?.add(u);
    if (units.size > 1) unit = preferredUnit(units);
  }
  for (const cell of cells) {
    if (unit !== undefined && cell.unit !== unit) continue;
    const ts = start + Math.floor((cell.ts - start) / size) * size;
    const binUnit = options.splitUnits ? cell.unit : unit ?? cell.unit;
    const key = options.splitUnits ? `${ts}\u0000${binUnit}` : String(ts);
    let bin = bins.get(key);
    if (!bin) bins.set(key, (bin = { ts, unit: binUnit, agg: emptyAggregate() }));
    else if (!options.splitUnits && bin.unit !== binUnit) bin.unit = "None";
    merge(bin.agg, cell.agg);
  }
  return [...bins.values()].sort((a, b) => a.ts - b.ts || (a.unit < b.unit ? -1 : 1));
}
