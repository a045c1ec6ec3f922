/**
 * Forecasts from the ledger: the mean daily amount over the last (up to) 30
 * full days that have data, projected over each window, with a prediction
 * interval from the days' spread (normal, two-sided at the requested level).
 */
import { AwsError } from "../../core/errors.js";
import type { Granularity } from "../../generated/ce.js";
import type { UsageRow } from "./ledger.js";
import { DAY_MS, splitPeriod, validation, type Window } from "./periods.js";

const HISTORY_DAYS = 30;
const HORIZON_MS = 366 * DAY_MS;

export interface ForecastInput {
  now: number;
  period: Window;
  granularity: Granularity;
  level: number;
  history(from: number, to: number): UsageRow[];
  firstHour: number | undefined;
  value(row: UsageRow): number;
}

export interface Forecast {
  total: number;
  windows: Array<{ window: Window; mean: number; lower: number; upper: number }>;
}

export function forecast(input: ForecastInput): Forecast {
  const today = Math.floor(input.now / DAY_MS) * DAY_MS;
  if (input.period.start < today) throw validation("Start date must be equal to or later than the current date");
  if (input.period.end > today + HORIZON_MS) throw validation("End date must be within 12 months of the current date");
  const from = Math.max(today - HISTORY_DAYS * DAY_MS, input.firstHour === undefined ? today : Math.floor(input.firstHour / DAY_MS) * DAY_MS);
  if (from >= today) throw new AwsError("DataUnavailableException", "Insufficient amount of historical data to generate forecast.", { status: 400 });
  const days = new Array<number>((today - from) / DAY_MS).fill(0);
  for (const row of input.history(from, today)) days[Math.floor((row.hour - from) / DAY_MS)] += input.value(row);
  const mean = days.reduce((a, b) => a + b, 0) / days.length;
  const sd = Math.sqrt(days.reduce((a, b) => a + (b - mean) ** 2, 0) / days.length);
  const z = normalQuantile(0.5 + input.level / 200);
  const windows = splitPeriod(input.period, input.granularity).map((window) => {
    const n = (window.end - window.start) / DAY_MS;
    const expected = mean * n;
    const half = z * sd * Math.sqrt(n);
    return { window, mean: expected, lower: Math.max(0, expected - half), upper: expected + half };
  });
  return { total: windows.reduce((a, w) => a + w.mean, 0), windows };
}

/** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
