/**
 * Time, injected. The system clock is wall time; the virtual clock flows with
 * wall time from an offset that can be set and jumped forward. Services read
 * time only through a Clock and wait only through the Scheduler.
 */
export type ClockMode = "system" | "virtual";

export interface Clock {
  readonly mode: ClockMode;
  /** Milliseconds since the epoch. */
  now(): number;
  date(): Date;
}

export class SystemClock implements Clock {
  readonly mode = "system" as const;
  now(): number {
    return Date.now();
  }
  date(): Date {
    return new Date(this.now());
  }
}

export class VirtualClock implements Clock {
  readonly mode = "virtual" as const;
  private offset: number;
  /** While the Scheduler runs a job during a jump, time stands still at the job's due time. */
  private frozenAt: number | undefined;

  constructor(start?: number) {
    this.offset = start === undefined ? 0 : start - Date.now();
  }

  now(): number {
    return this.frozenAt ?? Date.now() + this.offset;
  }

  date(): Date {
    return new Date(this.now());
  }

  /** Moves the clock so that now() reads `time`, flowing from there; only the Scheduler calls this. */
  setNow(time: number): void {
    this.frozenAt = undefined;
    this.offset = time - Date.now();
  }

  /** Stops the clock at `time` until the next setNow; only the Scheduler calls this. */
  freeze(time: number): void {
    this.frozenAt = time;
  }

  /** The time the clock stands at, while it is frozen. */
  get frozen(): number | undefined {
    return this.frozenAt;
  }

  get offsetMs(): number {
    return this.offset;
  }
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses "90d", "1d12h", "45m", "500ms" or a number of milliseconds. */
export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new Error(`invalid duration: ${input}`);
    return input;
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    total += Number(match[1]) * UNITS[match[2]];
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`invalid duration: ${input} (use e.g. 30d, 12h, 90m, 1d12h)`);
  return total;
}
