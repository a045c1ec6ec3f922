/**
 * The runtime every service shares: options, SQLite, the document store,
 * blobs directory, clock, scheduler, identities and the service providers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SystemClock, VirtualClock, type Clock } from "./clock/clock.js";
import { Scheduler } from "./clock/scheduler.js";
import type { ResolvedOptions } from "./config.js";
import { IdentityStore } from "./core/identity.js";
import { Logger } from "./core/log.js";
import { Database } from "./state/database.js";
import { DocumentStore } from "./state/documents.js";
import { SERVICES } from "./services/registry.js";
import type { ServiceDefinition, ServiceProvider } from "./services/types.js";
import { projectPath } from "./core/paths.js";
import { settleMallocThresholds } from "./core/malloc.js";
import { startupMark } from "./core/startup-trace.js";

export const VERSION: string = (() => {
  const pkg = projectPath("package.json");
  try {
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();

export class Cloud {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly db: Database;
  readonly documents: DocumentStore;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly identity: IdentityStore;
  /** Where bytes live (object data, volume blocks, snapshots); a temp dir in memory mode. */
  readonly blobsDir: string;
  readonly definitions: readonly ServiceDefinition[];
  /** Where the server listens, once it does (instances that run reach the API through it). */
  listeningOn: { host: string; port: number } | undefined;
  private readonly providers = new Map<string, ServiceProvider>();
  /** Each service's provider, built once (its modules imported on first use). */
  private readonly building = new Map<string, Promise<ServiceProvider>>();
  /** Each provider's onStart, run once. */
  private readonly starting = new Map<string, Promise<void>>();
  private startAll: Promise<void> | undefined;
  private started = false;
  private needed = false;
  private wakeStart: (() => void) | undefined;
  private readonly tempDir: string | undefined;
  private readonly lockFile: string | undefined;

  constructor(options: ResolvedOptions, definitions: readonly ServiceDefinition[] = SERVICES) {
    this.options = options;
    this.log = new Logger(options.logLevel);
    this.definitions = definitions;
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true });
      this.lockFile = path.join(options.dataDir, "stratus.pid");
      claimLock(this.lockFile);
    }
    let db: Database | undefined;
    try {
      if (options.dataDir) {
        this.blobsDir = path.join(options.dataDir, "blobs");
        db = this.db = new Database(path.join(options.dataDir, "stratus.db"));
      } else {
        this.tempDir = mkdtempSync(path.join(os.tmpdir(), "stratus-"));
        this.blobsDir = path.join(this.tempDir, "blobs");
        db = this.db = new Database(undefined);
      }
      startupMark("database open");
      mkdirSync(this.blobsDir, { recursive: true });
      this.documents = new DocumentStore(this.db);
      const restored = options.clock === "virtual" && options.clockStart === undefined ? restoredClock(this.db) : undefined;
      this.clock = options.clock === "virtual" ? new VirtualClock(options.clockStart ?? restored?.now) : new SystemClock();
      // After a crash in the middle of a jump the clock stands still until the scheduler has run what was due then.
      if (restored?.inJump && this.clock instanceof VirtualClock) this.clock.freeze(restored.now);
      this.scheduler = new Scheduler(this.db, this.clock, { error: (m, d) => this.log.error(m, d) }, (target) => {
        // A jump in progress is saved with its target: a crash in the middle resumes where the jump had got to.
        if (options.dataDir) saveClock(this.db, this.clock.now(), false, target);
      });
      // Saved at once as "running": a crash before any jump still resumes the clock where it was flowing.
      if (this.clock instanceof VirtualClock && options.dataDir) saveClock(this.db, this.clock.now(), false, restored?.inJump ? restored.now : undefined);
      this.identity = new IdentityStore(this.documents, options.credentials, options.credentialsFile);
      startupMark("clock, scheduler and identities ready");
    } catch (error) {
      // A half-built cloud must not keep the data dir locked or the database open.
      db?.close();
      if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
      if (this.lockFile) releaseLock(this.lockFile);
      throw error;
    }
  }

  /**
   * Builds every provider (standalone ones first), runs their onStart hooks,
   * then starts the scheduler. Idempotent. With `whenIdle` (the server's
   * quiet moments), each provider waits for one before it is built, so that
   * the first requests (to STS, IAM) are not held up — until some request
   * needs every provider (see whenStarted).
   */
  start(whenIdle?: () => Promise<void>): Promise<void> {
    this.startAll ??= (async () => {
      const order = [...this.definitions.filter((d) => d.standalone), ...this.definitions.filter((d) => !d.standalone)];
      for (const definition of order) {
        // A request that needs every provider (see whenStarted) ends the pause at once.
        if (whenIdle && !this.needed) await Promise.race([whenIdle(), new Promise<void>((resolve) => (this.wakeStart = resolve))]);
        await this.build(definition);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      for (const definition of this.definitions) await this.begin(definition);
      this.scheduler.start();
      settleMallocThresholds();
      this.started = true;
      startupMark("providers started");
    })();
    return this.startAll;
  }

  /** Starts (or finishes starting) without waiting for idle moments: a request needs every provider. */
  whenStarted(): Promise<void> {
    this.needed = true;
    this.wakeStart?.();
    return this.start();
  }

  private build(definition: ServiceDefinition): Promise<ServiceProvider> {
    let building = this.building.get(definition.name);
    if (!building) {
      building = (async () => {
        const provider = await definition.createProvider(this);
        this.providers.set(definition.name, provider);
        startupMark(`provider ${definition.name}`);
        return provider;
      })();
      this.building.set(definition.name, building);
    }
    return building;
  }

  private begin(definition: ServiceDefinition): Promise<void> {
    let starting = this.starting.get(definition.name);
    if (!starting) {
      starting = this.build(definition).then((provider) => provider.onStart?.());
      this.starting.set(definition.name, starting);
    }
    return starting;
  }

  /**
   * The provider that serves a request: once everything has started; a
   * standalone service (STS, IAM) as soon as its own provider is built.
   */
  async ready(name: string): Promise<ServiceProvider> {
    if (this.started) return this.provider(name);
    const definition = this.definition(name);
    if (!definition) throw new Error(`no provider for ${name}`);
    if (definition.standalone) {
      await this.begin(definition);
      return this.provider(name);
    }
    await this.whenStarted();
    return this.provider(name);
  }

  definition(name: string): ServiceDefinition | undefined {
    return this.definitions.find((d) => d.name === name);
  }

  /**
   * The provider of a service, for cross-service calls (EC2 asks IAM whether a
   * profile exists); every provider is there once start() has finished.
   */
  provider<T extends ServiceProvider = ServiceProvider>(name: string): T {
    const provider = this.providers.get(name);
    if (!provider) throw new Error(this.definition(name) ? `the ${name} provider is not loaded yet (await cloud.start())` : `no provider for ${name}`);
    return provider as T;
  }

  /** Whether start() has finished: every provider built and started, the scheduler running. */
  get isStarted(): boolean {
    return this.started;
  }

  /** A provider if it is already built, without waiting. */
  loadedProvider(name: string): ServiceProvider | undefined {
    return this.providers.get(name);
  }

  /** Wipes every resource, job and byte; the clock keeps its time. */
  async reset(): Promise<void> {
    await this.whenStarted();
    await this.scheduler.idle();
    const tables = this.db.sql
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")
      .all() as Array<{ name: string }>;
    this.db.transaction(() => {
      for (const { name } of tables) this.db.sql.exec(`DELETE FROM "${name}"`);
    });
    this.documents.clearCache();
    rmSync(this.blobsDir, { recursive: true, force: true });
    mkdirSync(this.blobsDir, { recursive: true });
    for (const definition of this.definitions) await this.providers.get(definition.name)?.onReset?.();
  }

  async stop(): Promise<void> {
    // A start in progress finishes first (a failed one leaves what it built to stop).
    await this.startAll?.catch(() => undefined);
    await Promise.all([...this.building.values()].map((b) => b.catch(() => undefined)));
    this.scheduler.stop();
    await this.scheduler.idle();
    for (const definition of this.definitions) await this.providers.get(definition.name)?.onStop?.();
    if (this.clock instanceof VirtualClock) saveClock(this.db, this.clock.now(), true);
    this.db.close();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
    if (this.lockFile) releaseLock(this.lockFile);
  }

  /** Persists the virtual clock so that a restart resumes from where it stood. */
  saveClock(): void {
    if (this.clock instanceof VirtualClock) saveClock(this.db, this.clock.now(), false);
  }
}

/**
 * The virtual clock's saved state: its time, the wall time when it was saved,
 * whether Stratus stopped cleanly then, and the target of a jump in progress.
 * A clean stop resumes where the clock stood. After a crash the clock resumes
 * as if it had kept flowing with wall time since it was saved (it flows
 * between jumps); a crash in the middle of a jump resumes at the due time of
 * the first job the jump had not finished (jobs run in due order, and a job
 * leaves the table only once done), so the clock never reads earlier than
 * something Stratus recorded before the crash; it stands still there until
 * the scheduler has run the jobs due at that instant, as the jump would have.
 */
function ensureClockTable(db: Database): void {
  db.migrate("clock", [
    "CREATE TABLE clock_state (id INTEGER PRIMARY KEY CHECK (id = 1), now INTEGER NOT NULL)",
    "ALTER TABLE clock_state ADD COLUMN wall INTEGER; ALTER TABLE clock_state ADD COLUMN clean INTEGER NOT NULL DEFAULT 1; ALTER TABLE clock_state ADD COLUMN jump_target INTEGER",
  ]);
}

function restoredClock(db: Database): { now: number; inJump: boolean } | undefined {
  ensureClockTable(db);
  const row = db.sql.prepare("SELECT now, wall, clean, jump_target FROM clock_state WHERE id = 1").get() as
    | { now: number; wall: number | null; clean: number; jump_target: number | null }
    | undefined;
  if (!row) return undefined;
  if (row.clean || row.wall === null) return { now: row.now, inJump: false };
  if (row.jump_target === null) return { now: row.now + Math.max(0, Date.now() - row.wall), inJump: false };
  const jobs = db.sql.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'scheduler_jobs'").get()
    ? (db.sql.prepare("SELECT MIN(due) AS due FROM scheduler_jobs WHERE due > ?").get(row.now) as { due: number | null })
    : { due: null };
  return { now: Math.max(row.now, Math.min(row.jump_target, jobs.due ?? row.jump_target)), inJump: true };
}

const clockWriters = new WeakMap<Database, (now: number, wall: number, clean: number, target: number | null) => void>();

function saveClock(db: Database, now: number, clean: boolean, jumpTarget?: number): void {
  if (!db.sql.open) return;
  let write = clockWriters.get(db);
  if (!write) {
    ensureClockTable(db);
    const statement = db.sql.prepare(
      "INSERT INTO clock_state (id, now, wall, clean, jump_target) VALUES (1, ?, ?, ?, ?) " +
        "ON CONFLICT (id) DO UPDATE SET now = excluded.now, wall = excluded.wall, clean = excluded.clean, jump_target = excluded.jump_target",
    );
    write = (n, w, c, t) => void statement.run(n, w, c, t);
    clockWriters.set(db, write);
  }
  write(Math.round(now), Date.now(), clean ? 1 : 0, jumpTarget === undefined ? null : Math.round(jumpTarget));
}

/** Lock files this process holds: one Stratus per data dir, in-process too. */
const heldLocks = new Set<string>();

function claimLock(file: string): void {
  const key = path.resolve(file);
  if (heldLocks.has(key)) throw new Error("the data dir is in use by another Stratus in this process; stop it or use another --data-dir");
  if (existsSync(file)) {
    const [pidText, startedText] = readFileSync(file, "utf8").trim().split(/\s+/);
    const pid = Number(pidText);
    // After a kill -9 the lock stays behind; its pid may since belong to another process
    // (in a container, often): the process start time recorded with it tells them apart.
    const sameProcess = startedText === undefined || processStart(pid) === undefined || processStart(pid) === startedText;
    if (pid && pid !== process.pid && isAlive(pid) && sameProcess) {
      throw new Error(`the data dir is in use by another Stratus (pid ${pid}); stop it or use another --data-dir`);
    }
  }
  const started = processStart(process.pid);
  writeFileSync(file, started === undefined ? String(process.pid) : `${process.pid} ${started}`);
  heldLocks.add(key);
}

/** A process's start time in clock ticks since boot (Linux /proc), or undefined where there is none. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses): the 20th is the start time.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function releaseLock(file: string): void {
  heldLocks.delete(path.resolve(file));
  rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
