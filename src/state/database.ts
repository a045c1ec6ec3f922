/**
 * SQLite for metadata: one file per data dir (or ":memory:" for tests), WAL,
 * synchronous=NORMAL (a committed transaction survives a process crash), and
 * per-owner migrations so each service evolves its own tables.
 */
import BetterSqlite3 from "better-sqlite3";
import { existsSync } from "node:fs";
import { projectPath } from "../core/paths.js";

export type Sql = BetterSqlite3.Database;

/** The compiled addon, named directly: better-sqlite3's own search of a dozen paths costs start-up time. */
const NATIVE_BINDING = (() => {
  const file = projectPath("node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node");
  return existsSync(file) ? file : undefined;
})();

export class Database {
  readonly sql: Sql;
  readonly file: string;

  constructor(file: string | undefined) {
    this.file = file ?? ":memory:";
    this.sql = new BetterSqlite3(this.file, NATIVE_BINDING ? { nativeBinding: NATIVE_BINDING } : {});
    if (file) this.sql.pragma("journal_mode = WAL");
    this.sql.pragma("synchronous = NORMAL");
    this.sql.pragma("foreign_keys = ON");
    this.sql.pragma("busy_timeout = 5000");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      owner TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
      PRIMARY KEY (owner, version))`);
  }

  /** Applies, in order, the migrations of `owner` that have not run yet. */
  migrate(owner: string, migrations: readonly string[]): void {
    const row = this.sql.prepare("SELECT MAX(version) AS v FROM schema_migrations WHERE owner = ?").get(owner) as { v: number | null };
    const done = row.v ?? 0;
    const record = this.sql.prepare("INSERT INTO schema_migrations (owner, version, applied_at) VALUES (?, ?, ?)");
    for (let version = done + 1; version <= migrations.length; version++) {
      this.transaction(() => {
        this.sql.exec(migrations[version - 1]);
        record.run(owner, version, new Date().toISOString());
      });
    }
  }

  transaction<T>(fn: () => T): T {
    if (this.sql.inTransaction) return fn();
    return this.sql.transaction(fn)();
  }

  close(): void {
    if (this.sql.open) this.sql.close();
  }
}

/**
 * Named prepared statements, each prepared on first use: a store declares all
 * of its SQL in one place without paying for statements start-up never runs.
 */
export function statements<K extends string>(sql: Sql, texts: Record<K, string>): Record<K, BetterSqlite3.Statement> {
  const out = {} as Record<K, BetterSqlite3.Statement>;
  for (const name of Object.keys(texts) as K[]) {
    Object.defineProperty(out, name, {
      configurable: true,
      enumerable: true,
      get() {
        const statement = sql.prepare(texts[name]);
        Object.defineProperty(out, name, { value: statement, enumerable: true });
        return statement;
      },
    });
  }
  return out;
}
