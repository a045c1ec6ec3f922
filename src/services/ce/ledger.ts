/**
 * The usage ledger Cost Explorer reads: what each resource used, hour by
 * hour, and what that cost. The services meter themselves (EC2 instance
 * seconds from the instances' runs, EBS GB-months from the volumes and
 * snapshots that exist, S3 storage from its daily measurement, requests and
 * bytes out as they are answered) and record line items here. A line item
 * recorded twice for the same hour adds up.
 */
import type { Cloud } from "../../cloud.js";
import type { Database } from "../../state/database.js";
import type { Scope } from "../../state/documents.js";

export const HOUR_MS = 3_600_000;

/** One usage line: what was used, by which resource, and its cost in USD. */
export interface UsageItem {
  /** Cost Explorer's SERVICE ("Amazon Elastic Compute Cloud - Compute", "EC2 - Other", ...). */
  service: string;
  /** With the region's prefix ("BoxUsage:t3.micro", "EUC1-EBS:VolumeUsage.gp3"). */
  usageType: string;
  operation: string;
  /** UsageQuantity's unit: Hrs, GB-Mo, Requests, GB. */
  unit: string;
  resource: string;
  quantity: number;
  cost: number;
  az?: string;
  instanceType?: string;
  purchaseType?: string;
  platform?: string;
  usageGroup?: string;
  /** The resource's user tags when it was used. */
  tags?: Record<string, string>;
}

export interface UsageRow extends UsageItem {
  account: string;
  region: string;
  /** Epoch ms of the hour's start. */
  hour: number;
}

const MIGRATIONS = [
  `CREATE TABLE ce_usage (
     account TEXT NOT NULL, hour INTEGER NOT NULL, region TEXT NOT NULL, service TEXT NOT NULL,
     usage_type TEXT NOT NULL, operation TEXT NOT NULL, resource TEXT NOT NULL,
     unit TEXT NOT NULL, az TEXT, instance_type TEXT, purchase_type TEXT, platform TEXT, usage_group TEXT,
     tags TEXT, quantity REAL NOT NULL, cost REAL NOT NULL,
     PRIMARY KEY (account, hour, region, service, usage_type, operation, resource))`,
];

/** The ledger's columns beside account, hour, quantity and cost: line-item field → column. */
const COLUMNS: Array<[Exclude<keyof UsageItem, "quantity" | "cost" | "tags">, string]> = [
  ["service", "service"],
  ["usageType", "usage_type"],
  ["operation", "operation"],
  ["resource", "resource"],
  ["unit", "unit"],
  ["az", "az"],
  ["instanceType", "instance_type"],
  ["purchaseType", "purchase_type"],
  ["platform", "platform"],
  ["usageGroup", "usage_group"],
];
const KEY_COLUMNS = ["account", "hour", "region", "service", "usage_type", "operation", "resource"];
const ALL_COLUMNS = ["account", "hour", "region", ...COLUMNS.map(([, column]) => column), "tags", "quantity", "cost"];
const DAY_MS = 24 * HOUR_MS;

type SqlRow = Record<string, string | number | null>;

export class UsageLedger {
  private readonly upsert;
  private readonly select;
  private readonly selectDays;
  private readonly first;
  private readonly byService;
  private readonly since;
  private readonly tagged;
  /** Told after usage is recorded (AWS/Billing's publication arms itself). */
  onRecord: (() => void) | undefined;
  /** Meters that count in memory (S3 requests) and write when asked. */
  private readonly pending: Array<() => void> = [];

  constructor(private readonly db: Database) {
    db.migrate("ce", MIGRATIONS);
    const updates = ALL_COLUMNS.filter((c) => !KEY_COLUMNS.includes(c)).map((c) =>
      c === "quantity" || c === "cost" ? `${c} = ${c} + excluded.${c}` : `${c} = excluded.${c}`,
    );
    this.upsert = db.sql.prepare(
      `INSERT INTO ce_usage (${ALL_COLUMNS.join(", ")}) VALUES (${ALL_COLUMNS.map(() => "?").join(", ")})
       ON CONFLICT (${KEY_COLUMNS.join(", ")}) DO UPDATE SET ${updates.join(", ")}`,
    );
    this.select = db.sql.prepare("SELECT * FROM ce_usage WHERE account = ? AND hour >= ? AND hour < ?");
    // Whole days at a time: a year of daily or monthly data reads one row per line item and day, not 24.
    const attributes = ALL_COLUMNS.filter((c) => c !== "hour" && c !== "quantity" && c !== "cost").join(", ");
    this.selectDays = db.sql.prepare(
      `SELECT ${attributes}, (hour / ${DAY_MS}) * ${DAY_MS} AS hour, SUM(quantity) AS quantity, SUM(cost) AS cost
       FROM ce_usage WHERE account = ? AND hour >= ? AND hour < ? GROUP BY ${attributes}, hour / ${DAY_MS}`,
    );
    this.first = db.sql.prepare("SELECT MIN(hour) AS hour FROM ce_usage WHERE account = ?");
    this.byService = db.sql.prepare("SELECT account, service, SUM(cost) AS cost FROM ce_usage WHERE hour >= ? AND hour < ? GROUP BY account, service");
    this.since = db.sql.prepare("SELECT 1 FROM ce_usage WHERE hour >= ? LIMIT 1");
    this.tagged = db.sql.prepare("SELECT tags, MAX(hour) AS hour FROM ce_usage WHERE account = ? AND tags IS NOT NULL GROUP BY tags");
  }

  /** Records line items for the hour that contains `time` (callers split usage at hour boundaries). */
  record(scope: Scope, time: number, items: UsageItem[]): void {
    if (items.length === 0) return;
    const hour = Math.floor(time / HOUR_MS) * HOUR_MS;
    this.db.transaction(() => {
      for (const item of items) {
        if (!(item.quantity > 0)) continue;
        const tags = item.tags && Object.keys(item.tags).length ? JSON.stringify(item.tags) : null;
        this.upsert.run(scope.account, hour, scope.region, ...COLUMNS.map(([field]) => item[field] ?? null), tags, item.quantity, item.cost);
      }
    });
    this.onRecord?.();
  }

  /** Every account's cost per service in [from, to). */
  costByService(from: number, to: number): Array<{ account: string; service: string; cost: number }> {
    this.flush();
    return this.byService.all(from, to) as Array<{ account: string; service: string; cost: number }>;
  }

  /** The user tag keys an account's usage carried, with the last hour each was seen. */
  tagKeys(account: string): Map<string, number> {
    this.flush();
    const out = new Map<string, number>();
    for (const { tags, hour } of this.tagged.all(account) as Array<{ tags: string; hour: number }>) {
      for (const key of Object.keys(JSON.parse(tags) as Record<string, string>)) out.set(key, Math.max(out.get(key) ?? 0, hour));
    }
    return out;
  }

  /** Whether anything was used since `from`. */
  hasUsageSince(from: number): boolean {
    return this.since.get(from) !== undefined;
  }

  /** A meter that holds counts in memory registers how to write them. */
  onFlush(flush: () => void): void {
    this.pending.push(flush);
  }

  /** Writes what meters hold in memory. */
  flush(): void {
    for (const flush of this.pending) flush();
  }

  /**
   * Every line item of an account in [from, to), hour by hour, or summed per
   * day (each row's hour then the day's start) when `byDay` and the bounds are
   * whole days.
   */
  rows(account: string, from: number, to: number, byDay = false): UsageRow[] {
    this.flush();
    const days = byDay && from % DAY_MS === 0 && to % DAY_MS === 0;
    return ((days ? this.selectDays : this.select).all(account, from, to) as SqlRow[]).map((r) => {
      const row = { account: r.account, region: r.region, hour: r.hour, quantity: r.quantity, cost: r.cost } as Record<string, unknown>;
      for (const [field, column] of COLUMNS) if (r[column] !== null) row[field] = r[column];
      if (r.tags) row.tags = JSON.parse(r.tags as string);
      return row as unknown as UsageRow;
    });
  }

  /** The first hour with any usage for the account, if any. */
  firstHour(account: string): number | undefined {
    this.flush();
    return (this.first.get(account) as { hour: number | null }).hour ?? undefined;
  }
}

const ledgers = new WeakMap<Cloud, UsageLedger>();

/** The cloud's usage ledger (created on first use). */
export function usageLedger(cloud: Cloud): UsageLedger {
  let ledger = ledgers.get(cloud);
  if (!ledger) ledgers.set(cloud, (ledger = new UsageLedger(cloud.db)));
  return ledger;
}

/** Hours in the calendar month (UTC) that contains `time`: a GB-month is a GB for that long. */
export function hoursInMonth(time: number): number {
  const d = new Date(time);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).getTime() / HOUR_MS - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / HOUR_MS;
}

/** Splits [from, to) at hour boundaries. */
export function hourSlices(from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = from; start < to; ) {
    const end = Math.min(to, Math.floor(start / HOUR_MS) * HOUR_MS + HOUR_MS);
    out.push([start, end]);
    start = end;
  }
  return out;
}

/** EC2-style tags as a plain object. */
export function tagMap(tags: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string> | undefined {
  if (!tags?.length) return undefined;
  const out: Record<string, string> = {};
  for (const tag of tags) if (tag.Key !== undefined && !tag.Key.startsWith("aws:")) out[tag.Key] = tag.Value ?? "";
  return out;
}
