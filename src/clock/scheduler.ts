/**
 * Persisted jobs run in time order, each at its own due time. With the
 * virtual clock a jump forward runs everything due in between, in order, with
 * the clock reading each job's due time while it runs; jobs a handler
 * schedules inside the jump run too. Handlers are registered by kind at
 * start-up; a job whose kind has no handler waits for one.
 *
 * A job leaves the table only once its handler has finished (or failed), so a
 * crash in the middle of a handler runs the job again after the restart
 * rather than losing it; while it runs, the job counts as already taken
 * (get() and pendingCount do not see it), and a handler that schedules its
 * own key again replaces it, as a new job that stays.
 */
import type { Database } from "../state/database.js";
import { decodeDocument, encodeDocument } from "../state/documents.js";
import { VirtualClock, type Clock } from "./clock.js";

export interface Job<P = unknown> {
  id: number;
  kind: string;
  due: number;
  key: string | null;
  account: string;
  region: string;
  payload: P;
}

export interface ScheduleOptions<P> {
  kind: string;
  due: number;
  payload?: P;
  /** Jobs with a key are unique: scheduling the same key replaces the old job. */
  key?: string;
  account?: string;
  region?: string;
}

export type JobHandler<P = any> = (job: Job<P>) => void | Promise<void>;

const MIGRATIONS = [
  `CREATE TABLE scheduler_jobs (
     id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, due INTEGER NOT NULL,
     key TEXT UNIQUE, account TEXT NOT NULL, region TEXT NOT NULL, payload TEXT NOT NULL);
   CREATE INDEX scheduler_jobs_due ON scheduler_jobs (due, id);`,
];

const MAX_TIMER = 2 ** 31 - 1;

export interface SchedulerLog {
  error(message: string, detail?: unknown): void;
}

export class Scheduler {
  private readonly handlers = new Map<string, JobHandler>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private draining = false;
  /** Due time of the job the timer is armed for. */
  private armedFor: number | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The job whose handler is running: still in the table until the handler is done. */
  private current: JobRow | undefined;
  private readonly stmts;

  constructor(
    private readonly db: Database,
    readonly clock: Clock,
    private readonly log: SchedulerLog = { error: (m, d) => console.error(m, d) },
    /** Told when a jump starts (its target) and ends (undefined), to persist the clock. */
    private readonly onJump?: (target: number | undefined) => void,
  ) {
    db.migrate("scheduler", MIGRATIONS);
    const sql = db.sql;
    this.stmts = {
      insert: sql.prepare(
        "INSERT INTO scheduler_jobs (kind, due, key, account, region, payload) VALUES (?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, due = excluded.due, account = excluded.account, " +
          "region = excluded.region, payload = excluded.payload RETURNING id",
      ),
      deleteRan: sql.prepare("DELETE FROM scheduler_jobs WHERE id = ? AND due = ? AND payload = ? AND kind = ?"),
      deleteKey: sql.prepare("DELETE FROM scheduler_jobs WHERE key = ?"),
      deleteKeyPrefix: sql.prepare("DELETE FROM scheduler_jobs WHERE key >= ? AND key < ?"),
      byKey: sql.prepare("SELECT * FROM scheduler_jobs WHERE key = ?"),
      next: sql.prepare("SELECT * FROM scheduler_jobs ORDER BY due, id LIMIT 200"),
      first: sql.prepare("SELECT * FROM scheduler_jobs ORDER BY due, id LIMIT 1"),
      count: sql.prepare("SELECT COUNT(*) AS n FROM scheduler_jobs"),
    };
  }

  on<P>(kind: string, handler: JobHandler<P>): void {
    this.handlers.set(kind, handler as JobHandler);
  }

  schedule<P>(options: ScheduleOptions<P>): number {
    const row = this.stmts.insert.get(
      options.kind,
      Math.round(options.due),
      options.key ?? null,
      options.account ?? "",
      options.region ?? "",
      encodeDocument(options.payload ?? null),
    ) as { id: number };
    // Re-arm only when this job is due before the one the timer waits for; a drain re-arms when it ends.
    if (!this.draining && (this.armedFor === undefined || options.due < this.armedFor)) this.arm();
    return row.id;
  }

  cancel(key: string): boolean {
    return this.stmts.deleteKey.run(key).changes > 0;
  }

  /** Cancels every job whose key starts with prefix. */
  cancelPrefix(prefix: string): number {
    return this.stmts.deleteKeyPrefix.run(prefix, prefix + "\uffff").changes;
  }

  get(key: string): Job | undefined {
    const row = this.stmts.byKey.get(key) as JobRow | undefined;
    return row && !this.isCurrent(row) ? toJob(row) : undefined;
  }

  get pendingCount(): number {
    const n = (this.stmts.count.get() as { n: number }).n;
    const current = this.current;
    if (!current) return n;
    const row = current.key === null ? undefined : (this.stmts.byKey.get(current.key) as JobRow | undefined);
    return current.key === null || (row && this.isCurrent(row)) ? n - 1 : n;
  }

  /** Whether a row is the running job, unchanged (not rescheduled by its handler). */
  private isCurrent(row: JobRow): boolean {
    const current = this.current;
    return current !== undefined && row.id === current.id && row.due === current.due && row.payload === current.payload && row.kind === current.kind;
  }

  start(): void {
    this.running = true;
    const clock = this.clock;
    if (clock instanceof VirtualClock && clock.frozen !== undefined) {
      // Resumed in the middle of a jump: the jobs due at the instant the clock stands at run at
      // that instant (as the jump would have run them), then time flows again.
      const at = clock.frozen;
      void this.serialize(() => this.jump(clock, at));
      return;
    }
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs every job due now. */
  runDue(): Promise<void> {
    return this.serialize(() => this.drain(this.clock.now(), false));
  }

  /**
   * Moves a virtual clock to `target`, running every job due on the way at its
   * own time. Moving backwards only sets the clock.
   */
  advanceTo(target: number): Promise<void> {
    const clock = this.clock;
    if (!(clock instanceof VirtualClock)) {
      return Promise.reject(new Error("the clock is the system clock; start Stratus with --clock virtual to move it"));
    }
    return this.serialize(async () => {
      if (target <= clock.now()) {
        clock.setNow(target);
        return;
      }
      await this.jump(clock, target);
    });
  }

  /** Runs every job due up to `target`, each at its own time, then lets time flow from there. */
  private async jump(clock: VirtualClock, target: number): Promise<void> {
    this.onJump?.(target);
    try {
      await this.drain(target, true);
    } finally {
      // Time flows again from the target (or from the last job, had one run late).
      clock.setNow(Math.max(target, clock.now()));
      this.onJump?.(undefined);
    }
  }

  /** Resolves once the jobs running or queued at the time of the call are done. */
  idle(): Promise<void> {
    return this.chain;
  }

  private serialize(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task, task);
    this.chain = next.catch(() => undefined);
    return next.finally(() => this.arm());
  }

  private async drain(until: number, moveClock: boolean): Promise<void> {
    this.draining = true;
    try {
      await this.drainLoop(until, moveClock);
    } finally {
      this.draining = false;
    }
  }

  private async drainLoop(until: number, moveClock: boolean): Promise<void> {
    for (;;) {
      const row = this.nextRunnable(until);
      if (!row) return;
      const job = toJob(row);
      // During a jump each job sees the clock standing at its own due time.
      if (moveClock && this.clock instanceof VirtualClock) this.clock.freeze(Math.max(job.due, this.clock.now()));
      this.current = row;
      try {
        await this.handlers.get(job.kind)!(job);
      } catch (error) {
        this.log.error(`scheduler: job ${job.kind} (${job.key ?? job.id}) failed`, error);
      } finally {
        this.current = undefined;
        // Done: the job goes, unless its handler scheduled its key anew (then the new one stays).
        this.stmts.deleteRan.run(row.id, row.due, row.payload, row.kind);
      }
    }
  }

  /** The earliest job due by `until` whose kind has a handler (orphans of unknown kinds are skipped). */
  private nextRunnable(until: number): JobRow | undefined {
    const first = this.stmts.first.get() as JobRow | undefined;
    if (!first || first.due > until) return undefined;
    if (this.handlers.has(first.kind)) return first;
    for (const row of this.stmts.next.all() as JobRow[]) {
      if (row.due > until) return undefined;
      if (this.handlers.has(row.kind)) return row;
    }
    return undefined;
  }

  private arm(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
    let first = this.stmts.first.get() as JobRow | undefined;
    if (first && !this.handlers.has(first.kind)) first = (this.stmts.next.all() as JobRow[]).find((row) => this.handlers.has(row.kind));
    if (!first) return;
    this.armedFor = first.due;
    const delay = Math.max(0, Math.min(first.due - this.clock.now(), MAX_TIMER));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runDue();
    }, delay);
    this.timer.unref();
  }
}

interface JobRow {
  id: number;
  kind: string;
  due: number;
  key: string | null;
  account: string;
  region: string;
  payload: string;
}

function toJob(row: JobRow): Job {
  return { ...row, payload: decodeDocument(row.payload) };
}
