/**
 * Alarms are documents (one per name per account and region); their history
 * is an SQLite table of its own, kept two weeks as AWS keeps it, and readable
 * by alarm, type and time range in either direction.
 */
import type { Cloud } from "../../../cloud.js";
import type { AlarmHistoryItem, AlarmType, CompositeAlarm, HistoryItemType, MetricAlarm, Tag } from "../../../generated/cloudwatch.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import { DAY } from "../metric-store.js";
import { awsDate } from "./evaluate.js";
import { javaJson } from "./java-json.js";

export interface AlarmRecord {
  alarm: MetricAlarm;
  tags: Tag[];
}

export interface HistoryQuery {
  alarmName?: string;
  itemType?: HistoryItemType;
  alarmTypes?: AlarmType[];
  from?: number;
  to?: number;
  ascending: boolean;
  offset: number;
  limit: number;
}

const MIGRATIONS = [
  `CREATE TABLE cw_alarm_history (
     id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, alarm_name TEXT NOT NULL,
     alarm_type TEXT NOT NULL, ts INTEGER NOT NULL, item_type TEXT NOT NULL, summary TEXT NOT NULL, data TEXT NOT NULL);
   CREATE INDEX cw_alarm_history_scope_ts ON cw_alarm_history (account, region, ts);
   CREATE INDEX cw_alarm_history_alarm_ts ON cw_alarm_history (account, region, alarm_name, ts);`,
];

export const HISTORY_RETENTION = 14 * DAY;

interface HistoryRow {
  alarm_name: string;
  alarm_type: string;
  ts: number;
  item_type: string;
  summary: string;
  data: string;
}

export class AlarmStore {
  private readonly stmts;

  constructor(private readonly cloud: Cloud) {
    cloud.db.migrate("cloudwatch-alarms", MIGRATIONS);
    const sql = cloud.db.sql;
    this.stmts = {
      insert: sql.prepare(
        "INSERT INTO cw_alarm_history (account, region, alarm_name, alarm_type, ts, item_type, summary, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      prune: sql.prepare("DELETE FROM cw_alarm_history WHERE ts < ?"),
      any: sql.prepare("SELECT 1 AS x FROM cw_alarm_history LIMIT 1"),
    };
  }

  alarms(scope: Scope): ScopedCollection<AlarmRecord> {
    return this.cloud.documents.collection<AlarmRecord>("cloudwatch", "alarm").scope(scope);
  }

  /** Every scope that has alarms (for re-arming evaluation after a restart). */
  scopes(): Scope[] {
    return this.cloud.documents.collection<AlarmRecord>("cloudwatch", "alarm").scopes();
  }

  /** Called after history is written (retention must then be scheduled). */
  onHistory: () => void = () => {};

  addHistory(
    scope: Scope,
    alarmName: string,
    itemType: HistoryItemType,
    summary: string,
    data: unknown,
    ts = this.cloud.clock.now(),
    alarmType: AlarmType = "MetricAlarm",
  ): void {
    this.stmts.insert.run(scope.account, scope.region, alarmName, alarmType, Math.round(ts), itemType, summary.slice(0, 255), javaJson(data));
    this.onHistory();
  }

  hasHistory(): boolean {
    return this.stmts.any.get() !== undefined;
  }

  history(scope: Scope, query: HistoryQuery): { items: AlarmHistoryItem[]; more: boolean } {
    const where = ["account = ?", "region = ?"];
    const args: unknown[] = [scope.account, scope.region];
    if (query.alarmName !== undefined) {
      where.push("alarm_name = ?");
      args.push(query.alarmName);
    }
    if (query.itemType !== undefined) {
      where.push("item_type = ?");
      args.push(query.itemType);
    }
    if (query.alarmTypes !== undefined) {
      where.push(`alarm_type IN (${query.alarmTypes.map(() => "?").join(", ")})`);
      args.push(...query.alarmTypes);
    }
    if (query.from !== undefined) {
      where.push("ts >= ?");
      args.push(query.from);
    }
    if (query.to !== undefined) {
      where.push("ts <= ?");
      args.push(query.to);
    }
    const order = query.ascending ? "ASC" : "DESC";
    const rows = this.cloud.db.sql
      .prepare(`SELECT * FROM cw_alarm_history WHERE ${where.join(" AND ")} ORDER BY ts ${order}, id ${order} LIMIT ? OFFSET ?`)
      .all(...args, query.limit + 1, query.offset) as HistoryRow[];
    return {
      more: rows.length > query.limit,
      items: rows.slice(0, query.limit).map((row) => ({
        AlarmName: row.alarm_name,
        AlarmType: row.alarm_type as AlarmType,
        Timestamp: new Date(row.ts),
        HistoryItemType: row.item_type as HistoryItemType,
        HistorySummary: row.summary,
        HistoryData: row.data,
      })),
    };
  }

  pruneHistory(now: number): void {
    this.stmts.prune.run(now - HISTORY_RETENTION);
  }
}

/** An alarm as history items show it: camelCase keys (like AWS's history JSON), no state fields. */
export function historyView(alarm: MetricAlarm | CompositeAlarm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(alarm)) {
    if (value === undefined || key.startsWith("State")) continue;
    out[key.charAt(0).toLowerCase() + key.slice(1)] = value instanceof Date ? awsDate(value.getTime()) : value;
  }
  return out;
}

/** A state reason's data as history shows it: parsed when it is JSON, else the text. */
export function parsedReasonData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
