/**
 * Account- and region-scoped document collections on SQLite with a
 * write-through cache: reads are map lookups, every write is committed before
 * the call returns. Services that need ordered range queries (S3 keys) keep
 * tables of their own instead.
 */
import type { Database } from "./database.js";

const MIGRATIONS = [
  `CREATE TABLE documents (
     service TEXT NOT NULL, kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
     id TEXT NOT NULL, body TEXT NOT NULL,
     PRIMARY KEY (service, kind, account, region, id))`,
];

export interface Scope {
  account: string;
  region: string;
}

export class DocumentStore {
  private readonly db: Database;
  private readonly upsert;
  private readonly remove;
  private readonly selectScope;
  private readonly selectKind;
  private readonly caches = new Map<string, Map<string, unknown>>();
  private undo: Array<() => void> | undefined;

  constructor(db: Database) {
    this.db = db;
    db.migrate("documents", MIGRATIONS);
    this.upsert = db.sql.prepare(
      "INSERT INTO documents (service, kind, account, region, id, body) VALUES (?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (service, kind, account, region, id) DO UPDATE SET body = excluded.body",
    );
    this.remove = db.sql.prepare("DELETE FROM documents WHERE service = ? AND kind = ? AND account = ? AND region = ? AND id = ?");
    this.selectScope = db.sql.prepare("SELECT id, body FROM documents WHERE service = ? AND kind = ? AND account = ? AND region = ?");
    this.selectKind = db.sql.prepare("SELECT account, region FROM documents WHERE service = ? AND kind = ? GROUP BY account, region");
  }

  collection<T>(service: string, kind: string): Collection<T> {
    return new Collection<T>(this, service, kind);
  }

  /**
   * Runs fn in one SQLite transaction. Reads inside it see its own writes; if
   * it throws, the cache is put back as it was.
   */
  transaction<T>(fn: () => T): T {
    if (this.undo) return fn();
    this.undo = [];
    try {
      return this.db.transaction(fn);
    } catch (error) {
      for (const revert of this.undo.reverse()) revert();
      throw error;
    } finally {
      this.undo = undefined;
    }
  }

  /** Drops every cached document (after a reset). */
  clearCache(): void {
    this.caches.clear();
  }

  /** @internal */
  cacheFor(service: string, kind: string, scope: Scope): Map<string, unknown> {
    const key = `${service}\u0000${kind}\u0000${scope.account}\u0000${scope.region}`;
    let cache = this.caches.get(key);
    if (!cache) {
      cache = new Map();
      for (const row of this.selectScope.all(service, kind, scope.account, scope.region) as Array<{ id: string; body: string }>) {
        cache.set(row.id, decodeDocument(row.body));
      }
      this.caches.set(key, cache);
    }
    return cache;
  }

  /** @internal */
  write(service: string, kind: string, scope: Scope, id: string, doc: unknown): void {
    const cache = this.cacheFor(service, kind, scope);
    this.upsert.run(service, kind, scope.account, scope.region, id, encodeDocument(doc));
    this.remember(cache, id);
    cache.set(id, doc);
  }

  /** @internal */
  delete(service: string, kind: string, scope: Scope, id: string): void {
    const cache = this.cacheFor(service, kind, scope);
    this.remove.run(service, kind, scope.account, scope.region, id);
    this.remember(cache, id);
    cache.delete(id);
  }

  /** Inside a transaction: how to put a cached entry back if the transaction fails. */
  private remember(cache: Map<string, unknown>, id: string): void {
    if (!this.undo) return;
    const had = cache.has(id);
    const previous = cache.get(id);
    this.undo.push(() => (had ? cache.set(id, previous) : cache.delete(id)));
  }

  /** @internal */
  scopes(service: string, kind: string): Scope[] {
    return this.selectKind.all(service, kind) as Scope[];
  }
}

/** Dates are stored as tagged ISO strings so that they come back as Dates. */
const DATE_TAG = "\u0000date:";
function reviveDates(_key: string, value: unknown): unknown {
  if (typeof value === "string" && value.startsWith(DATE_TAG)) return new Date(value.slice(DATE_TAG.length));
  return value;
}
function tagDates(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? DATE_TAG + raw.toISOString() : value;
}
export function encodeDocument(doc: unknown): string {
  return JSON.stringify(doc, tagDates);
}
export function decodeDocument<T>(text: string): T {
  return JSON.parse(text, reviveDates) as T;
}

export class Collection<T> {
  constructor(
    private readonly store: DocumentStore,
    readonly service: string,
    readonly kind: string,
  ) {}

  scope(scope: Scope): ScopedCollection<T> {
    return new ScopedCollection<T>(this.store, this.service, this.kind, scope);
  }

  /** Every scope (account, region) that holds at least one document of this kind. */
  scopes(): Scope[] {
    return this.store.scopes(this.service, this.kind);
  }
}

/**
 * Documents are JSON plus Dates. The objects handed out are the cached ones:
 * change them only through put/update.
 */
export class ScopedCollection<T> {
  constructor(
    private readonly store: DocumentStore,
    private readonly service: string,
    private readonly kind: string,
    readonly scope: Scope,
  ) {}

  private get cache(): Map<string, T> {
    return this.store.cacheFor(this.service, this.kind, this.scope) as Map<string, T>;
  }

  get(id: string): T | undefined {
    return this.cache.get(id);
  }

  has(id: string): boolean {
    return this.cache.has(id);
  }

  put(id: string, doc: T): T {
    this.store.write(this.service, this.kind, this.scope, id, doc);
    return doc;
  }

  /** Applies fn to a copy of the document and stores the result. */
  update(id: string, fn: (doc: T) => T | void): T | undefined {
    const current = this.cache.get(id);
    if (current === undefined) return undefined;
    const copy = structuredClone(current);
    const next = (fn(copy) ?? copy) as T;
    this.put(id, next);
    return next;
  }

  delete(id: string): boolean {
    if (!this.cache.has(id)) return false;
    this.store.delete(this.service, this.kind, this.scope, id);
    return true;
  }

  values(): T[] {
    return [...this.cache.values()];
  }

  ids(): string[] {
    return [...this.cache.keys()];
  }

  get size(): number {
    return this.cache.size;
  }
}
