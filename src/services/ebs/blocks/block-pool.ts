/**
 * Content-addressed snapshot blocks, one pool per region. A block is stored
 * once per region under its SHA-256 and carries a reference count: every
 * snapshot that maps a block index to it holds one reference, so a snapshot
 * shares unchanged blocks with its predecessors and deleting it frees only the
 * blocks no other snapshot uses.
 *
 * Files are written atomically (temp file, fsync, rename) and checked against
 * their hash when read. Blocks an operation is about to reference are pinned
 * in memory so that a concurrent delete cannot remove their file before the
 * operation commits; files left without a row by a crash are swept at start.
 */
import { crypto } from "../../../core/crypto.js";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import type { Database } from "../../../state/database.js";
// fs.promises is read at call time: loading node:fs/promises at start-up costs ~10 ms.
import { promises as fsp } from "node:fs";

/** EBS's block size: 512 KiB, as the EBS direct API reports it. */
export const BLOCK_SIZE = 512 * 1024;
export const ZERO_BLOCK: Buffer = Buffer.alloc(BLOCK_SIZE);

export function sha256(data: Buffer): Buffer {
  return crypto().createHash("sha256").update(data).digest();
}

export class BlockCorruptError extends Error {
  constructor(readonly region: string, readonly hash: string) {
    super(`block ${hash} in ${region} does not match its checksum`);
  }
}

let tempCounter = 0;

export class BlockPool {
  private readonly pins = new Map<string, number>();
  private readonly stmts;

  private readonly durable: boolean;

  constructor(
    readonly root: string,
    private readonly db: Database,
    options: { durable?: boolean } = {},
  ) {
    this.durable = options.durable ?? true;
    mkdirSync(root, { recursive: true });
    const sql = db.sql;
    this.stmts = {
      refs: sql.prepare("SELECT refs FROM ebs_blocks WHERE region = ? AND hash = ?"),
      incref: sql.prepare(
        "INSERT INTO ebs_blocks (region, hash, refs) VALUES (?, ?, ?) ON CONFLICT (region, hash) DO UPDATE SET refs = refs + excluded.refs",
      ),
      decref: sql.prepare("UPDATE ebs_blocks SET refs = refs - ? WHERE region = ? AND hash = ? RETURNING refs"),
      drop: sql.prepare("DELETE FROM ebs_blocks WHERE region = ? AND hash = ?"),
      all: sql.prepare("SELECT region, hash FROM ebs_blocks"),
      stats: sql.prepare("SELECT COUNT(*) AS blocks, COALESCE(SUM(refs), 0) AS refs FROM ebs_blocks WHERE region = ?"),
    };
  }

  file(region: string, hash: string): string {
    return path.join(this.root, region, hash.slice(0, 2), hash);
  }

  /** References held on a block (0 when it is not stored). */
  refs(region: string, hash: string): number {
    return (this.stmts.refs.get(region, hash) as { refs: number } | undefined)?.refs ?? 0;
  }

  /**
   * Makes sure the block's bytes are stored in `region` and pins it; the
   * caller references it in a transaction and then unpins. Returns the hash
   * and whether the bytes were newly written.
   */
  async store(region: string, data: Buffer): Promise<{ hash: string; written: boolean }> {
    const hash = sha256(data).toString("hex");
    this.pin(region, hash);
    try {
      const written = await this.ensureFile(region, hash, async () => data);
      return { hash, written };
    } catch (error) {
      this.unpin(region, hash);
      throw error;
    }
  }

  /** Copies a block from another region's pool unless it is already here; pins it in `toRegion`. */
  async copyFrom(fromRegion: string, toRegion: string, hash: string): Promise<boolean> {
    this.pin(toRegion, hash);
    try {
      return await this.ensureFile(toRegion, hash, () => this.read(fromRegion, hash));
    } catch (error) {
      this.unpin(toRegion, hash);
      throw error;
    }
  }

  /** Reads a block and checks it against its hash. */
  async read(region: string, hash: string): Promise<Buffer> {
    const data = await fsp.readFile(this.file(region, hash));
    if (sha256(data).toString("hex") !== hash) throw new BlockCorruptError(region, hash);
    return data;
  }

  /** Whether the block's file is present (it may be pinned and not yet referenced). */
  async present(region: string, hash: string): Promise<boolean> {
    if (this.refs(region, hash) > 0) return true;
    try {
      await fsp.stat(this.file(region, hash));
      return true;
    } catch {
      return false;
    }
  }

  pin(region: string, hash: string): void {
    const key = `${region}/${hash}`;
    this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
  }

  unpin(region: string, hash: string): void {
    const key = `${region}/${hash}`;
    const count = (this.pins.get(key) ?? 0) - 1;
    if (count > 0) this.pins.set(key, count);
    else this.pins.delete(key);
  }

  private pinned(region: string, hash: string): boolean {
    return this.pins.has(`${region}/${hash}`);
  }

  /** Adds references; call inside the transaction that records them. */
  incref(region: string, hash: string, count = 1): void {
    this.stmts.incref.run(region, hash, count);
  }

  /**
   * Drops references; call inside the transaction that forgets them. Returns
   * whether the block became garbage (pass those to `collect` after commit).
   */
  decref(region: string, hash: string, count = 1): boolean {
    const row = this.stmts.decref.get(count, region, hash) as { refs: number } | undefined;
    if (!row || row.refs > 0) return false;
    this.stmts.drop.run(region, hash);
    return true;
  }

  /** Deletes the files of unreferenced, unpinned blocks (after the decref committed). */
  async collect(region: string, hashes: Iterable<string>): Promise<void> {
    for (const hash of hashes) {
      if (this.refs(region, hash) > 0 || this.pinned(region, hash)) continue;
      await fsp.rm(this.file(region, hash), { force: true });
    }
  }

  /** Block count and total references in a region (for tests and the docs' accounting). */
  stats(region: string): { blocks: number; refs: number } {
    return this.stmts.stats.get(region) as { blocks: number; refs: number };
  }

  /** Removes temp files and block files no row references (left by a crash). */
  sweep(): void {
    const known = new Set((this.stmts.all.all() as Array<{ region: string; hash: string }>).map((r) => `${r.region}/${r.hash}`));
    for (const region of safeList(this.root)) {
      const regionDir = path.join(this.root, region);
      for (const prefix of safeList(regionDir)) {
        const dir = path.join(regionDir, prefix);
        for (const name of safeList(dir)) {
          if (name.endsWith(".tmp") || (!known.has(`${region}/${name}`) && !this.pinned(region, name))) {
            rmSync(path.join(dir, name), { force: true });
          }
        }
      }
    }
  }

  private async ensureFile(region: string, hash: string, data: () => Promise<Buffer>): Promise<boolean> {
    if (await this.present(region, hash)) return false;
    await writeAtomic(this.file(region, hash), await data(), this.durable);
    return true;
  }
}

/** Temp file, fsync, rename: a reader sees the whole block or none of it. */
export async function writeAtomic(file: string, data: Buffer, durable = true): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  const handle = await fsp.open(temp, "w");
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, file);
}

function safeList(dir: string): string[] {
  try {
    return statSync(dir).isDirectory() ? readdirSync(dir) : [];
  } catch {
    return [];
  }
}
