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

interface SqlRow {
  account: string;
  hour: number;
  region: string;
  service: string;
  usage_type: string;
  operation: string;
  resource: string;
  unit: string;
  az: string | null;
  instance_type: string | null;
  purchase_type: string | null;
  platform: string | null;
  usage_group: string | null;
  tags: string | null;
  quantity: number;
  cost: number;
}

export class UsageLedger {
  private readonly upsert;
  private readonly select;
  private readonly first;
  /** Meters that count in memory (S3 requests) and write when asked. */
  private readonly pending: Array<() => void> = [];

  constructor(private readonly db: Database) {
    db.migrate("ce", MIGRATIONS);
    this.upsert = db.sql.prepare(
      `INSERT INTO ce_usage (account, hour, region, service, usage_type, operation, resource, unit, az, instance_type, purchase_type, platform, usage_group, tags, quantity, cost)
       VALUES (@account, @hour, @region, @service, @usageType, @operation, @resource, @unit, @az, @instanceType, @purchaseType, @platform, @usageGroup, @tags, @quantity, @cost)
       ON CONFLICT (account, hour, region, service, usage_type, operation, resource) DO UPDATE SET
         quantity = quantity + excluded.quantity, cost = cost + excluded.cost, unit = excluded.unit, az = excluded.az,
         instance_type = excluded.instance_type, purchase_type = excluded.purchase_type, platform = excluded.platform,
         usage_group = excluded.usage_group, tags = excluded.tags`,
    );
    this.select = db.sql.prepare("SELECT * FROM ce_usage WHERE account = ? AND hour >= ? AND hour < ?");
    this.first = db.sql.prepare("SELECT MIN(hour) AS hour FROM ce_usage WHERE account = ?");
  }

  /** Records line items for the hour that contains `time` (callers split usage at hour boundaries). */
  record(scope: Scope, time: number, items: UsageItem[]): void {
    if (items.length === 0) return;
    const hour = Math.floor(time / HOUR_MS) * HOUR_MS;
    this.db.transaction(() => {
      for (const item of items) {
        if (!(item.quantity > 0)) continue;
        this.upsert.run({
          account: scope.account,
          region: scope.region,
          hour,
          service: item.service,
          usageType: item.usageType,
          operation: item.operation,
          resource: item.resource,
          unit: item.unit,
          az: item.az ?? null,
          instanceType: item.instanceType ?? null,
          purchaseType: item.purchaseType ?? null,
          platform: item.platform ?? null,
          usageGroup: item.usageGroup ?? null,
          tags: item.tags && Object.keys(item.tags).length ? JSON.stringify(item.tags) : null,
          quantity: item.quantity,
          cost: item.cost,
        });
      }
    });
  }

  /** A meter that holds counts in memory registers how to write them. */
  onFlush(flush: () => void): void {
    this.pending.push(flush);
  }

  /** Writes what meters hold in memory. */
  flush(): void {
    for (const flush of this.pending) flush();
  }

  /** Every line item of an account in [from, to). */
  rows(account: string, from: number, to: number): UsageRow[] {
    this.flush();
    return (this.select.all(account, from, to) as SqlRow[]).map((r) => ({
      account: r.account,
      region: r.region,
      hour: r.hour,
      service: r.service,
      usageType: r.usage_type,
      operation: r.operation,
      resource: r.resource,
      unit: r.unit,
      az: r.az ?? undefined,
      instanceType: r.instance_type ?? undefined,
      purchaseType: r.purchase_type ?? undefined,
      platform: r.platform ?? undefined,
      usageGroup: r.usage_group ?? undefined,
      tags: r.tags ? (JSON.parse(r.tags) as Record<string, string>) : undefined,
      quantity: r.quantity,
      cost: r.cost,
    }));
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
