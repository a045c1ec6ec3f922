/**
 * AWS cron expressions as DLM (and EventBridge) use them, in UTC:
 * `cron(minutes hours day-of-month month day-of-week year)`, with `*`, `?`,
 * lists, ranges, steps, month and weekday names, `L` (last day of the month,
 * or `5L` the last Thursday), `W` (nearest weekday) and `#` (`6#3`, the third
 * Friday). One of day-of-month and day-of-week must be `?`.
 */
export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  dayOfMonth: DayRule;
  months: Set<number>;
  dayOfWeek: DayRule;
  years: Set<number> | undefined;
}

type DayRule =
  | { kind: "any" }
  | { kind: "set"; values: Set<number> }
  | { kind: "last" }
  | { kind: "weekday"; day: number }
  | { kind: "lastWeekday"; weekday: number }
  | { kind: "nth"; weekday: number; n: number };

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export class CronError extends Error {}

export function parseCron(expression: string): CronSchedule {
  const match = /^cron\((.*)\)$/.exec(expression.trim());
  if (!match) throw new CronError(`${expression} is not a cron expression: use cron(minutes hours day-of-month month day-of-week year)`);
  const fields = match[1].trim().split(/\s+/);
  if (fields.length !== 6) throw new CronError(`A cron expression has 6 fields (minutes hours day-of-month month day-of-week year); ${expression} has ${fields.length}`);
  const [minutes, hours, dom, month, dow, year] = fields;
  if ((dom === "?") === (dow === "?")) throw new CronError("Exactly one of the day-of-month and day-of-week fields must be '?'");
  return {
    minutes: parseSet(minutes, 0, 59),
    hours: parseSet(hours, 0, 23),
    dayOfMonth: parseDayOfMonth(dom),
    months: parseSet(month, 1, 12, MONTHS),
    dayOfWeek: parseDayOfWeek(dow),
    years: year === "*" ? undefined : parseSet(year, 1970, 2199),
  };
}

/** The first time strictly after `after` (epoch ms) that the schedule fires, or undefined. */
export function nextCronTime(schedule: CronSchedule, after: number): number | undefined {
  const start = new Date(after);
  // Begin with the day of `after`; search up to 10 years ahead.
  let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  const limit = day + 10 * 366 * 86_400_000;
  const minutes = [...schedule.minutes].sort((a, b) => a - b);
  const hours = [...schedule.hours].sort((a, b) => a - b);
  for (; day <= limit; day += 86_400_000) {
    const date = new Date(day);
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    if (schedule.years && !schedule.years.has(y)) continue;
    if (!schedule.months.has(m)) continue;
    if (!dayMatches(schedule, date)) continue;
    for (const h of hours) {
      for (const min of minutes) {
        const t = day + h * 3_600_000 + min * 60_000;
        if (t > after) return t;
      }
    }
  }
  return undefined;
}

function dayMatches(schedule: CronSchedule, date: Date): boolean {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  const weekday = date.getUTCDay() + 1; // 1 = SUN
  const daysInMonth = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const dom = schedule.dayOfMonth;
  const dow = schedule.dayOfWeek;
  if (dom.kind !== "any") {
    switch (dom.kind) {
      case "set":
        return dom.values.has(d);
      case "last":
        return d === daysInMonth;
      case "weekday":
        return d === nearestWeekday(y, m, Math.min(dom.day, daysInMonth), daysInMonth);
      default:
        return false;
    }
  }
  switch (dow.kind) {
    case "any":
      return true;
    case "set":
      return dow.values.has(weekday);
    case "lastWeekday":
      return weekday === dow.weekday && d + 7 > daysInMonth;
    case "nth":
      return weekday === dow.weekday && Math.ceil(d / 7) === dow.n;
    default:
      return false;
  }
}

function nearestWeekday(y: number, m: number, day: number, daysInMonth: number): number {
  const weekday = new Date(Date.UTC(y, m, day)).getUTCDay();
  if (weekday === 6) return day === 1 ? 3 : day - 1;
  if (weekday === 0) return day === daysInMonth ? day - 2 : day + 1;
  return day;
}

function parseDayOfMonth(field: string): DayRule {
  if (field === "?" || field === "*") return { kind: "any" };
  if (field === "L") return { kind: "last" };
  const w = /^(\d{1,2})W$/.exec(field);
  if (w) {
    const day = Number(w[1]);
    if (day < 1 || day > 31) throw new CronError(`Invalid day of month: ${field}`);
    return { kind: "weekday", day };
  }
  return { kind: "set", values: parseSet(field, 1, 31) };
}

function parseDayOfWeek(field: string): DayRule {
  if (field === "?" || field === "*") return { kind: "any" };
  const last = /^([1-7]|[A-Z]{3})L$/i.exec(field);
  if (last) return { kind: "lastWeekday", weekday: value(last[1], 1, 7, DAYS) };
  const nth = /^([1-7]|[A-Z]{3})#([1-5])$/i.exec(field);
  if (nth) return { kind: "nth", weekday: value(nth[1], 1, 7, DAYS), n: Number(nth[2]) };
  return { kind: "set", values: parseSet(field, 1, 7, DAYS) };
}

function parseSet(field: string, min: number, max: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const [rangePart, stepPart] = part.split("/");
    const step = stepPart === undefined ? 1 : Number(stepPart);
    if (!Number.isInteger(step) || step < 1) throw new CronError(`Invalid step in ${field}`);
    let from: number;
    let to: number;
    if (rangePart === "*") {
      from = min;
      to = max;
    } else if (rangePart.includes("-")) {
      const [a, b] = rangePart.split("-");
      from = value(a, min, max, names);
      to = value(b, min, max, names);
      if (to < from) throw new CronError(`Invalid range ${rangePart}`);
    } else {
      from = value(rangePart, min, max, names);
      to = stepPart === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function value(text: string, min: number, max: number, names?: string[]): number {
  const upper = text.toUpperCase();
  const named = names?.indexOf(upper) ?? -1;
  const v = named >= 0 ? named + (min === 0 ? 0 : 1) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) throw new CronError(`Invalid value '${text}' (expected ${min}-${max})`);
  return v;
}
