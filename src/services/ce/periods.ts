/** Cost Explorer's time periods (parsing DateInterval, splitting it by granularity), and its paging. */
import { AwsError } from "../../core/errors.js";
import type { DateInterval, Granularity } from "../../generated/ce.js";
import { HOUR_MS } from "./ledger.js";

export const DAY_MS = 24 * HOUR_MS;

export interface Window {
  start: number;
  end: number;
}

export function validation(message: string): AwsError {
  return new AwsError("ValidationException", message, { status: 400 });
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})Z)?$/;

/** "2026-11-01" or "2026-11-01T13:00:00Z" (hourly) as epoch ms. */
function parseDate(text: string | undefined, which: "Start" | "End"): number {
  const match = DATE.exec(text ?? "");
  if (!match) throw validation(`${which} date is invalid: ${text ?? ""}. Use the format yyyy-MM-dd (or yyyy-MM-ddTHH:mm:ssZ for hourly data)`);
  const [, y, mo, d, h = "0", mi = "0", s = "0"] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const back = new Date(ms);
  if (back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw validation(`${which} date is invalid: ${text}`);
  }
  return ms;
}

/** The period's [start, end), start before end. */
export function parsePeriod(period: DateInterval | undefined): Window {
  const start = parseDate(period?.Start, "Start");
  const end = parseDate(period?.End, "End");
  if (start >= end) throw validation("Start date (and hour) should be before end date (and hour)");
  return { start, end };
}

/** The period cut at day, month or hour boundaries (the first and last pieces may be partial). */
export function splitPeriod(period: Window, granularity: Granularity): Window[] {
  const out: Window[] = [];
  for (let start = period.start; start < period.end; ) {
    const end = Math.min(period.end, nextBoundary(start, granularity));
    out.push({ start, end });
    start = end;
  }
  return out;
}

function nextBoundary(time: number, granularity: Granularity): number {
  if (granularity === "HOURLY") return Math.floor(time / HOUR_MS) * HOUR_MS + HOUR_MS;
  if (granularity === "DAILY") return Math.floor(time / DAY_MS) * DAY_MS + DAY_MS;
  const d = new Date(time);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** A period as Cost Explorer writes it back: dates, or date-times for hourly data. */
export function formatWindow(window: Window, granularity: Granularity): DateInterval {
  const format = (ms: number) => (granularity === "HOURLY" ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : new Date(ms).toISOString().slice(0, 10));
  return { Start: format(window.start), End: format(window.end) };
}

/** The start of the month (UTC) that contains `time`. */
export function monthStart(time: number): number {
  const d = new Date(time);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Pages of a list in a stable order; the token is the offset (default page size: `defaultSize`). */
export function paginate<T>(items: T[], maxResults: number | undefined, token: string | undefined, defaultSize: number): { items: T[]; next?: string } {
  let offset = 0;
  if (token !== undefined) {
    offset = Number(Buffer.from(token, "base64").toString("utf8"));
    if (!Number.isInteger(offset) || offset < 0 || offset > items.length) throw new AwsError("InvalidNextTokenException", "The next page token is invalid.", { status: 400 });
  }
  const size = maxResults ?? defaultSize;
  const slice = items.slice(offset, offset + size);
  return { items: slice, next: offset + size < items.length ? Buffer.from(String(offset + size)).toString("base64") : undefined };
}
