/**
 * Alarm mute rule schedules, as AWS documents them: `cron(Minutes Hours
 * Day-of-month Month Day-of-week)` (five fields, standard cron: `*`, `?`,
 * lists, ranges, steps, JAN-DEC and SUN-SAT names, day of week 0-7 with 0
 * and 7 Sunday, and — when both day fields are restricted — either day
 * matching) or `at(yyyy-MM-ddThh:mm)`, read in an IANA time zone (UTC by
 * default); an ISO 8601 duration from PT1M to P15D. This is not DLM's
 * six-field EventBridge cron, hence its own parser.
 */
import { CwErrors } from "../errors.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How far a wall-clock time can sit from its UTC instant's naive reading (DST shifts), searched around. */
const SLACK = 3 * HOUR;
const FORWARD_DAYS = 5 * 366;
export const MAX_DURATION = 15 * DAY;

interface CronFields {
  minutes: number[];
  hours: number[];
  days: Set<number> | undefined; // undefined: any
  months: Set<number>;
  weekdays: Set<number> | undefined; // 0 = Sunday
}

export interface MuteSchedule {
  type: "ONE_TIME" | "RECURRING";
  /** The first window start strictly after t. */
  firstAfter(t: number): number | undefined;
  /** The latest window start at or before t and after floor. */
  latestAtOrBefore(t: number, floor: number): number | undefined;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const invalid = (field: "Expression" | "Duration" | "Timezone") => CwErrors.validation(`The ${field} provided is not valid.`);

/** ISO 8601 duration (weeks, days, hours, minutes, whole seconds) in ms, between PT1M and P15D. */
export function parseDuration(text: string): number {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!match || text === "P" || text.endsWith("T")) throw invalid("Duration");
  const [w, d, h, m, s] = match.slice(1).map((x) => Number(x ?? 0));
  const ms = (((w * 7 + d) * 24 + h) * 60 + m) * MINUTE + s * 1000;
  if (ms < MINUTE || ms > MAX_DURATION) throw invalid("Duration");
  return ms;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Checks an IANA time zone name (Intl knows them all). */
export function checkTimezone(zone: string): void {
  try {
    formatter(zone);
  } catch {
    throw invalid("Timezone");
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

const offsets = new Map<string, number>();
/** Zone offsets change only at quarter hours (in UTC), so one lookup serves a quarter hour. */
const QUARTER = 15 * MINUTE;

/** The zone's wall-clock reading of an instant, as epoch ms of that reading in UTC. */
function toWall(zone: string, t: number): number {
  if (zone === "UTC") return t;
  const key = `${zone}\u0000${Math.floor(t / QUARTER)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const at = Math.floor(t / QUARTER) * QUARTER;
    const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(at)).map((p) => [p.type, p.value]));
    offset = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) - at;
    if (offsets.size > 50_000) offsets.clear();
    offsets.set(key, offset);
  }
  return t + offset;
}

/**
 * The instant a wall-clock reading names: the first of two in a repeated hour,
 * and in a skipped hour the reading moved forward by the gap (02:30 → 03:30).
 */
function toInstant(zone: string, wall: number): number {
  if (zone === "UTC") return wall;
  const early = wall - (toWall(zone, wall - DAY) - (wall - DAY));
  const late = wall - (toWall(zone, wall + DAY) - (wall + DAY));
  const fits = (t: number) => toWall(zone, t) === wall;
  if (fits(early) && fits(late)) return Math.min(early, late);
  if (fits(early)) return early;
  if (fits(late)) return late;
  return Math.max(early, late);
}

export function parseSchedule(expression: string, zone: string): MuteSchedule {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [y, mo, d, h, mi] = at.slice(1).map(Number);
    const wall = Date.UTC(y, mo - 1, d, h, mi);
    const date = new Date(wall);
    if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59) throw invalid("Expression");
    const start = toInstant(zone, wall);
    return {
      type: "ONE_TIME",
      firstAfter: (t) => (start > t ? start : undefined),
      latestAtOrBefore: (t, floor) => (start <= t && start > floor ? start : undefined),
    };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw invalid("Expression");
  const fields = parseCron(cron[1]);
  return {
    type: "RECURRING",
    firstAfter: (t) => firstAfter(fields, zone, t),
    latestAtOrBefore: (t, floor) => latestAtOrBefore(fields, zone, t, floor),
  };
}

function parseCron(body: string): CronFields {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 5) throw invalid("Expression");
  const [minute, hour, dom, month, dow] = parts;
  const any = (f: string) => f === "*" || f === "?";
  if (minute === "?" || hour === "?" || month === "?") throw invalid("Expression");
  const weekdays = any(dow) ? undefined : new Set(parseField(dow, 0, 7, WEEKDAYS).map((d) => d % 7));
  return {
    minutes: parseField(minute, 0, 59),
    hours: parseField(hour, 0, 23),
    days: any(dom) ? undefined : new Set(parseField(dom, 1, 31)),
    months: new Set(parseField(month, 1, 12, MONTHS)),
    weekdays,
  };
}

function parseField(field: string, min: number, max: number, names?: string[]): number[] {
  const out = new Set<number>();
  const value = (text: string): number => {
    const named = names?.indexOf(text.toUpperCase()) ?? -1;
    const v = named >= 0 ? named + (min === 1 ? 1 : 0) : /^\d{1,2}$/.test(text) ? Number(text) : NaN;
    if (!(v >= min && v <= max)) throw invalid("Expression");
    return v;
  };
  for (const part of field.split(",")) {
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined || range === "") throw invalid("Expression");
    const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : 0;
    if (step < 1) throw invalid("Expression");
    let from = min;
    let to = max;
    if (range !== "*") {
      const bounds = range.split("-");
      if (bounds.length > 2) throw invalid("Expression");
      from = value(bounds[0]);
      to = bounds.length === 2 ? value(bounds[1]) : stepText === undefined ? from : max;
      if (to < from) throw invalid("Expression");
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

function dayMatches(fields: CronFields, day: number): boolean {
  const date = new Date(day);
  if (!fields.months.has(date.getUTCMonth() + 1)) return false;
  const { days, weekdays } = fields;
  if (days && weekdays) return days.has(date.getUTCDate()) || weekdays.has(date.getUTCDay());
  if (days) return days.has(date.getUTCDate());
  return !weekdays || weekdays.has(date.getUTCDay());
}

function firstAfter(fields: CronFields, zone: string, t: number): number | undefined {
  const wall = toWall(zone, t);
  const first = Math.floor((wall - SLACK) / DAY) * DAY;
  for (let day = first; day < first + FORWARD_DAYS * DAY; day += DAY) {
    if (!dayMatches(fields, day)) continue;
    for (const h of fields.hours) {
      for (const m of fields.minutes) {
        const candidate = day + h * HOUR + m * MINUTE;
        if (candidate < wall - SLACK) continue;
        const instant = toInstant(zone, candidate);
        if (instant > t) return instant;
      }
    }
  }
  return undefined;
}

function latestAtOrBefore(fields: CronFields, zone: string, t: number, floor: number): number | undefined {
  const wall = toWall(zone, t);
  const last = Math.floor((wall + SLACK) / DAY) * DAY;
  const stop = Math.floor((toWall(zone, floor) - SLACK) / DAY) * DAY;
  const hours = [...fields.hours].reverse();
  const minutes = [...fields.minutes].reverse();
  for (let day = last; day >= stop; day -= DAY) {
    if (!dayMatches(fields, day)) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const candidate = day + h * HOUR + m * MINUTE;
        if (candidate > wall + SLACK) continue;
        const instant = toInstant(zone, candidate);
        if (instant <= floor) return undefined;
        if (instant <= t) return instant;
      }
    }
  }
  return undefined;
}
