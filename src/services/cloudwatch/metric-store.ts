/**
 * The metric store: two SQLite tables of CloudWatch's own.
 *
 *   cw_metrics  one row per metric (namespace, name, dimension set) per account
 *               and region, with the newest datapoint time and the last time
 *               data arrived (ListMetrics' two-week and PT3H windows).
 *   cw_points   aggregation cells: (metric, time, resolution, unit) → count, sum,
 *               min, max and the value distribution. Indexed on (metric_id, ts),
 *               so reading one metric over a time range is a range scan.
 *
 * Writes are plain inserts batched in one transaction. Roll-up merges old
 * cells into coarser ones with an SQL GROUP BY whose distribution merge is a
 * registered aggregate function, and deletes what passed retention.
 */
import type { AnomalyDetectorConfiguration } from "../../generated/cloudwatch.js";
import type { Cloud } from "../../cloud.js";
import type { Database } from "../../state/database.js";
import type { Scope } from "../../state/documents.js";
import { emptyAggregate, merge, storedPairs, unpackPairs, type Aggregate } from "./distribution.js";

export interface Dimension {
  Name: string;
  Value: string;
}

export interface MetricIdentity {
  namespace: string;
  name: string;
  /** Sorted by name. */
  dimensions: Dimension[];
}

export interface StoredMetric extends MetricIdentity {
  id: number;
  lastTs: number;
  lastPut: number;
}

export interface PointInput {
  metric: MetricIdentity;
  /** Milliseconds; already floored to the resolution. */
  ts: number;
  /** Storage resolution in seconds: 1 (high resolution) or 60. */
  res: 1 | 60;
  unit: string;
  agg: Aggregate;
}

export interface Cell {
  ts: number;
  res: number;
  unit: string;
  agg: Aggregate;
}

const MIGRATIONS = [
  `CREATE TABLE cw_metrics (
     id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
     namespace TEXT NOT NULL, name TEXT NOT NULL, dims TEXT NOT NULL,
     last_ts INTEGER NOT NULL, last_put INTEGER NOT NULL,
     UNIQUE (account, region, namespace, name, dims));
   CREATE TABLE cw_points (
     metric_id INTEGER NOT NULL, ts INTEGER NOT NULL, res INTEGER NOT NULL, unit TEXT NOT NULL,
     n REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, dist BLOB);
   CREATE INDEX cw_points_metric_ts ON cw_points (metric_id, ts);
   CREATE INDEX cw_points_res_ts ON cw_points (res, ts);`,
];

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** AWS's retention: each tier is kept this long, then merged into the next (or dropped). */
export const TIERS: ReadonlyArray<{ res: number; keep: number; into: number | undefined }> = [
  { res: 1, keep: 3 * HOUR, into: 60 },
  { res: 60, keep: 15 * DAY, into: 300 },
  { res: 300, keep: 63 * DAY, into: 3600 },
  { res: 3600, keep: 455 * DAY, into: undefined },
];

export function dimensionsKey(dimensions: Dimension[]): string {
  return JSON.stringify(dimensions.map((d) => [d.Name, d.Value]));
}

export function sortDimensions(dimensions: Dimension[] | undefined): Dimension[] {
  return (dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

interface MetricRow {
  id: number;
  namespace: string;
  name: string;
  dims: string;
  last_ts: number;
  last_put: number;
}

interface PointRow {
  ts: number;
  res: number;
  unit: string;
  n: number;
  sum: number;
  min: number;
  max: number;
  dist: Buffer | null;
}

/** Told which metrics just received data (alarms waiting for data wake up on it). */
export type DataListener = (scope: Scope, metrics: MetricIdentity[]) => void;

export class MetricStore {
  private readonly db: Database;
  private readonly ids = new Map<string, number>();
  private readonly listeners: DataListener[] = [];
  /** The anomaly detector configuration of a metric and statistic (set by the anomaly detectors). */
  anomalyConfig: (scope: Scope, metric: MetricIdentity, stat: string) => AnomalyDetectorConfiguration | undefined = () => undefined;
  private readonly stmts;

  constructor(cloud: Cloud) {
    this.db = cloud.db;
    this.db.migrate("cloudwatch-metrics", MIGRATIONS);
    registerFunctions(this.db);
    const sql = this.db.sql;
    this.stmts = {
      metricId: sql.prepare("SELECT id FROM cw_metrics WHERE account = ? AND region = ? AND namespace = ? AND name = ? AND dims = ?"),
      insertMetric: sql.prepare(
        "INSERT INTO cw_metrics (account, region, namespace, name, dims, last_ts, last_put) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      ),
      touchMetric: sql.prepare("UPDATE cw_metrics SET last_ts = MAX(last_ts, ?), last_put = MAX(last_put, ?) WHERE id = ?"),
      insertPoint: sql.prepare("INSERT INTO cw_points (metric_id, ts, res, unit, n, sum, min, max, dist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      cells: sql.prepare("SELECT ts, res, unit, n, sum, min, max, dist FROM cw_points WHERE metric_id = ? AND ts >= ? AND ts < ? ORDER BY ts"),
      byName: sql.prepare("SELECT * FROM cw_metrics WHERE account = ? AND region = ? AND namespace = ? AND name = ?"),
      listAll: sql.prepare("SELECT * FROM cw_metrics WHERE account = ? AND region = ? AND last_ts >= ? ORDER BY namespace, name, dims"),
      rollup: sql.prepare(
        `INSERT INTO cw_points (metric_id, ts, res, unit, n, sum, min, max, dist)
         SELECT metric_id, ts - (ts % CAST(@cell AS INTEGER)) AS cell_ts, @into, unit, SUM(n), SUM(sum), MIN(min), MAX(max), cw_merge_dist(dist, n, min, max)
         FROM cw_points WHERE res = @res AND ts < @cutoff GROUP BY metric_id, unit, cell_ts`,
      ),
      dropTier: sql.prepare("DELETE FROM cw_points WHERE res = ? AND ts < ?"),
      anyPoint: sql.prepare("SELECT 1 AS x FROM cw_points LIMIT 1"),
      dropMetrics: sql.prepare(
        "DELETE FROM cw_metrics WHERE last_ts < ? AND NOT EXISTS (SELECT 1 FROM cw_points WHERE cw_points.metric_id = cw_metrics.id)",
      ),
    };
  }

  onData(listener: DataListener): void {
    this.listeners.push(listener);
  }

  /** Stores datapoints in one transaction; metrics are created on first sight. */
  insert(scope: Scope, points: PointInput[], now: number): void {
    if (points.length === 0) return;
    const touched = new Map<number, MetricIdentity>();
    this.db.transaction(() => {
      const newest = new Map<number, number>();
      for (const point of points) {
        const id = this.idFor(scope, point.metric, point.ts, now);
        const agg = point.agg;
        this.stmts.insertPoint.run(id, point.ts, point.res, point.unit, agg.n, agg.sum, agg.min, agg.max, storedPairs(agg));
        newest.set(id, Math.max(newest.get(id) ?? -Infinity, point.ts));
        touched.set(id, point.metric);
      }
      for (const [id, ts] of newest) this.stmts.touchMetric.run(ts, now, id);
    });
    const metrics = [...touched.values()];
    for (const listener of this.listeners) listener(scope, metrics);
  }

  private idFor(scope: Scope, metric: MetricIdentity, ts: number, now: number): number {
    const dims = dimensionsKey(metric.dimensions);
    const key = `${scope.account}\u0000${scope.region}\u0000${metric.namespace}\u0000${metric.name}\u0000${dims}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      const row = this.stmts.metricId.get(scope.account, scope.region, metric.namespace, metric.name, dims) as { id: number } | undefined;
      id = row?.id ?? (this.stmts.insertMetric.get(scope.account, scope.region, metric.namespace, metric.name, dims, ts, now) as { id: number }).id;
      this.ids.set(key, id);
    }
    return id;
  }

  /** The metric with exactly this namespace, name and dimension set. */
  find(scope: Scope, metric: MetricIdentity): StoredMetric | undefined {
    const rows = this.stmts.byName.all(scope.account, scope.region, metric.namespace, metric.name) as MetricRow[];
    const dims = dimensionsKey(metric.dimensions);
    const row = rows.find((r) => r.dims === dims);
    return row ? toMetric(row) : undefined;
  }

  /** Metrics with data newer than `since`, in (namespace, name, dimensions) order. */
  list(scope: Scope, since: number): StoredMetric[] {
    return (this.stmts.listAll.all(scope.account, scope.region, since) as MetricRow[]).map(toMetric);
  }

  /** The cells of one metric in [from, to). */
  cells(metricId: number, from: number, to: number): Cell[] {
    return (this.stmts.cells.all(metricId, from, to) as PointRow[]).map((row) => ({
      ts: row.ts,
      res: row.res,
      unit: row.unit,
      agg: { n: row.n, sum: row.sum, min: row.min, max: row.max, pairs: unpackPairs(row.dist, row.n, row.min, row.max) },
    }));
  }

  /** Applies retention and roll-up as of `now`; idempotent, cheap when nothing aged. */
  rollup(now: number): void {
    this.db.transaction(() => {
      for (const tier of TIERS) {
        const cutoff = now - tier.keep;
        if (tier.into !== undefined) {
          const cell = tier.into * SECOND;
          const aligned = Math.floor(cutoff / cell) * cell;
          this.stmts.rollup.run({ cell, into: tier.into, res: tier.res, cutoff: aligned });
          this.stmts.dropTier.run(tier.res, aligned);
        } else {
          this.stmts.dropTier.run(tier.res, cutoff);
        }
      }
      // A metric whose every datapoint passed retention is forgotten (ListMetrics stopped showing it long ago).
      const removed = this.stmts.dropMetrics.run(now - 14 * DAY).changes;
      if (removed > 0) this.ids.clear();
    });
  }

  /** Whether any datapoint is stored at all (retention has work to do). */
  hasData(): boolean {
    return this.stmts.anyPoint.get() !== undefined;
  }

  clearCache(): void {
    this.ids.clear();
  }
}

function toMetric(row: MetricRow): StoredMetric {
  const dims = JSON.parse(row.dims) as Array<[string, string]>;
  return {
    id: row.id,
    namespace: row.namespace,
    name: row.name,
    dimensions: dims.map(([Name, Value]) => ({ Name, Value })),
    lastTs: row.last_ts,
    lastPut: row.last_put,
  };
}

/** Aggregates a list of cells into one. */
export function aggregateCells(cells: Cell[]): Aggregate {
  const agg = emptyAggregate();
  for (const cell of cells) merge(agg, cell.agg);
  return agg;
}

const registered = new WeakSet<object>();

function registerFunctions(db: Database): void {
  if (registered.has(db.sql)) return;
  registered.add(db.sql);
  db.sql.aggregate("cw_merge_dist", {
    start: () => undefined,
    step: ((acc: Aggregate | undefined, dist: Buffer | null, n: number, min: number, max: number) => {
      const next: Aggregate = { n, sum: 0, min, max, pairs: unpackPairs(dist, n, min, max) };
      return acc ? merge(acc, next) : next;
    }) as (total: unknown, ...values: unknown[]) => unknown,
    result: ((acc: Aggregate | undefined) => (acc ? storedPairs(acc) : null)) as (total: unknown) => unknown,
  });
}
