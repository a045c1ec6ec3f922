/**
 * Real bytes for EBS. Each volume is a sparse file of its size; a snapshot is
 * a map from block index (512 KiB blocks) to a block in the region's
 * content-addressed pool. Writes made through the store mark their blocks
 * dirty, so a snapshot reads and stores only the blocks changed since the
 * volume's previous snapshot and shares the rest by reference.
 *
 * This is also the internal API the instance runtime uses: `volumePath()` is
 * the file to attach, `noteExternalWrites()` tells the store that bytes
 * changed behind its back (the next snapshot then compares every block), and
 * `recordIo()` adds I/O the runtime measured to the volume's counters.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Database } from "../../../state/database.js";
import { BLOCK_SIZE, BlockPool, ZERO_BLOCK, sha256 } from "./block-pool.js";
import { dataBlocks } from "./extents.js";
import { KeyedMutex } from "./mutex.js";
import { BLOCK_STORE_MIGRATIONS } from "./schema.js";
// fs.promises is read at call time: loading node:fs/promises at start-up costs ~10 ms.
import { promises as fsp } from "node:fs";

export { BLOCK_SIZE } from "./block-pool.js";
export const GIB = 1024 ** 3;
export const BLOCKS_PER_GIB = GIB / BLOCK_SIZE;
/** Block files written in parallel during a capture (their fsyncs share journal commits). */
const STORE_CONCURRENCY = 16;

export interface VolumeIo {
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}

export interface SnapshotCapture {
  /** Blocks holding data in the snapshot. */
  blockCount: number;
  /** Blocks whose content differs from the volume's previous snapshot. */
  changedBlocks: number;
  /** Bytes newly written to the pool (blocks no snapshot in the region held yet). */
  storedBytes: number;
}

export type StoredSnapshotState = "pending" | "completed" | "error";

export interface StoredSnapshot {
  snapshotId: string;
  region: string;
  /** GiB. */
  volumeSize: number;
  /** Snapshots of one volume (and of volumes restored from them) share a lineage. */
  lineage: string;
  parentId: string | null;
  state: StoredSnapshotState;
  created: number;
}

export interface BlockRef {
  index: number;
  hash: string;
}

interface VolumeRow {
  volume_id: string;
  region: string;
  size_gib: number;
  lineage: string;
  source_snapshot: string | null;
  ready: number;
  full_scan: number;
  read_bytes: number;
  write_bytes: number;
  read_ops: number;
  write_ops: number;
}

interface SnapshotRow {
  snapshot_id: string;
  region: string;
  volume_size: number;
  lineage: string;
  parent_id: string | null;
  state: StoredSnapshotState;
  created: number;
}

export class BlockStore {
  readonly pool: BlockPool;
  readonly root: string;
  private readonly locks = new KeyedMutex();
  private readonly stmts;
  /** Volumes a running instance has as a block device (their files change behind the store's back). */
  private readonly exposed = new Set<string>();

  constructor(
    blobsDir: string,
    private readonly db: Database,
    options: { durable?: boolean } = {},
  ) {
    db.migrate("ebs-blocks", BLOCK_STORE_MIGRATIONS);
    this.root = path.join(blobsDir, "ebs");
    mkdirSync(path.join(this.root, "volumes"), { recursive: true });
    this.pool = new BlockPool(path.join(this.root, "blocks"), db, { durable: options.durable ?? true });
    const sql = db.sql;
    this.stmts = {
      volume: sql.prepare("SELECT * FROM ebs_volumes WHERE volume_id = ?"),
      insertVolume: sql.prepare("INSERT INTO ebs_volumes (volume_id, region, size_gib, lineage, source_snapshot) VALUES (?, ?, ?, ?, ?)"),
      setReady: sql.prepare("UPDATE ebs_volumes SET ready = 1 WHERE volume_id = ?"),
      unready: sql.prepare("SELECT volume_id FROM ebs_volumes WHERE ready = 0"),
      deleteVolume: sql.prepare("DELETE FROM ebs_volumes WHERE volume_id = ?"),
      resizeVolume: sql.prepare("UPDATE ebs_volumes SET size_gib = ? WHERE volume_id = ?"),
      fullScan: sql.prepare("UPDATE ebs_volumes SET full_scan = ? WHERE volume_id = ?"),
      addIo: sql.prepare(
        "UPDATE ebs_volumes SET read_bytes = read_bytes + ?, write_bytes = write_bytes + ?, read_ops = read_ops + ?, write_ops = write_ops + ? WHERE volume_id = ?",
      ),
      base: sql.prepare("SELECT block_index AS [index], hash FROM ebs_volume_base WHERE volume_id = ? ORDER BY block_index"),
      clearBase: sql.prepare("DELETE FROM ebs_volume_base WHERE volume_id = ?"),
      insertBase: sql.prepare("INSERT INTO ebs_volume_base (volume_id, block_index, hash) VALUES (?, ?, ?)"),
      copyBase: sql.prepare(
        "INSERT INTO ebs_volume_base (volume_id, block_index, hash) SELECT ?, block_index, hash FROM ebs_snapshot_blocks WHERE snapshot_id = ?",
      ),
      dirty: sql.prepare("SELECT block_index FROM ebs_volume_dirty WHERE volume_id = ? ORDER BY block_index"),
      markDirty: sql.prepare("INSERT OR IGNORE INTO ebs_volume_dirty (volume_id, block_index) VALUES (?, ?)"),
      clearDirty: sql.prepare("DELETE FROM ebs_volume_dirty WHERE volume_id = ?"),
      snapshot: sql.prepare("SELECT * FROM ebs_snapshots WHERE snapshot_id = ?"),
      insertSnapshot: sql.prepare(
        "INSERT INTO ebs_snapshots (snapshot_id, region, volume_size, lineage, parent_id, state, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      setSnapshotState: sql.prepare("UPDATE ebs_snapshots SET state = ? WHERE snapshot_id = ?"),
      deleteSnapshot: sql.prepare("DELETE FROM ebs_snapshots WHERE snapshot_id = ?"),
      blocks: sql.prepare(
        "SELECT block_index AS [index], hash FROM ebs_snapshot_blocks WHERE snapshot_id = ? AND block_index >= ? ORDER BY block_index LIMIT ?",
      ),
      allBlocks: sql.prepare("SELECT block_index AS [index], hash FROM ebs_snapshot_blocks WHERE snapshot_id = ? ORDER BY block_index"),
      blockCount: sql.prepare("SELECT COUNT(*) AS n FROM ebs_snapshot_blocks WHERE snapshot_id = ?"),
      newBlockCount: sql.prepare(
        `SELECT COUNT(*) AS n FROM ebs_snapshot_blocks b
         LEFT JOIN ebs_snapshot_blocks p ON p.snapshot_id = ? AND p.block_index = b.block_index AND p.hash = b.hash
         WHERE b.snapshot_id = ? AND p.hash IS NULL`,
      ),
      blockAt: sql.prepare("SELECT hash FROM ebs_snapshot_blocks WHERE snapshot_id = ? AND block_index = ?"),
      putBlock: sql.prepare(
        "INSERT INTO ebs_snapshot_blocks (snapshot_id, block_index, hash) VALUES (?, ?, ?) ON CONFLICT (snapshot_id, block_index) DO UPDATE SET hash = excluded.hash",
      ),
      deleteBlocks: sql.prepare("DELETE FROM ebs_snapshot_blocks WHERE snapshot_id = ?"),
      recordPut: sql.prepare(
        "INSERT INTO ebs_snapshot_puts (snapshot_id, block_index, checksum) VALUES (?, ?, ?) ON CONFLICT (snapshot_id, block_index) DO UPDATE SET checksum = excluded.checksum",
      ),
      puts: sql.prepare("SELECT block_index AS [index], checksum FROM ebs_snapshot_puts WHERE snapshot_id = ? ORDER BY block_index"),
      deletePuts: sql.prepare("DELETE FROM ebs_snapshot_puts WHERE snapshot_id = ?"),
    };
    this.pool.sweep();
  }

  // ---------------------------------------------------------------- volumes

  /** The sparse file holding the volume's bytes (what the runtime attaches). */
  volumePath(volumeId: string): string {
    return path.join(this.root, "volumes", `${volumeId}.img`);
  }

  hasVolume(volumeId: string): boolean {
    return this.volumeRow(volumeId) !== undefined;
  }

  volumeSizeGiB(volumeId: string): number | undefined {
    return this.volumeRow(volumeId)?.size_gib;
  }

  /**
   * Creates the volume: its row now, its sparse file (and, from a snapshot,
   * the snapshot's blocks checked against their checksums) in the background,
   * ahead of any read or write of the volume. The promise settles when the
   * bytes are in place. From a snapshot the volume continues its lineage.
   */
  createVolume(options: { volumeId: string; region: string; sizeGiB: number; snapshotId?: string }): Promise<void> {
    const { volumeId, region, sizeGiB, snapshotId } = options;
    const source = snapshotId ? this.snapshot(snapshotId) : undefined;
    if (snapshotId && !source) throw new Error(`block store: no snapshot ${snapshotId}`);
    this.db.transaction(() => {
      this.stmts.insertVolume.run(volumeId, region, sizeGiB, source?.lineage ?? volumeId, source?.snapshotId ?? null);
      if (source) this.stmts.copyBase.run(volumeId, source.snapshotId);
    });
    return this.prepareVolume(volumeId);
  }

  /** Whether the volume's bytes are in place (false while a restore runs, or after a crash cut it short). */
  isReady(volumeId: string): boolean {
    return this.volumeRow(volumeId)?.ready === 1;
  }

  /** (Re)writes a volume's file from its source snapshot; start-up calls it for volumes left unready. */
  prepareVolume(volumeId: string): Promise<void> {
    return this.locks.run(volumeId, async () => {
      const volume = this.requireVolume(volumeId);
      if (volume.ready) return;
      const file = this.volumePath(volumeId);
      // The directory goes with a reset of the data dir.
      await fsp.mkdir(path.dirname(file), { recursive: true });
      const handle = await fsp.open(file, "w");
      const blocks = volume.source_snapshot ? this.baseBlocks(volumeId) : [];
      const region = volume.source_snapshot ? (this.snapshot(volume.source_snapshot)?.region ?? volume.region) : volume.region;
      for (const block of blocks) this.pool.pin(region, block.hash);
      try {
        await setLength(handle, volume.size_gib * GIB);
        for (const block of blocks) {
          const data = await this.pool.read(region, block.hash);
          await handle.write(data, 0, data.length, block.index * BLOCK_SIZE);
        }
      } finally {
        for (const block of blocks) this.pool.unpin(region, block.hash);
        await handle.close();
      }
      this.stmts.setReady.run(volumeId);
    });
  }

  /** Volumes whose bytes are not in place yet (for recovery at start). */
  unreadyVolumes(): string[] {
    return (this.stmts.unready.all() as Array<{ volume_id: string }>).map((r) => r.volume_id);
  }

  async deleteVolume(volumeId: string): Promise<void> {
    await this.locks.run(volumeId, async () => {
      this.db.transaction(() => {
        this.stmts.deleteVolume.run(volumeId);
        this.stmts.clearBase.run(volumeId);
        this.stmts.clearDirty.run(volumeId);
      });
      await fsp.rm(this.volumePath(volumeId), { force: true });
    });
  }

  /** Grows the volume (EBS volumes never shrink). */
  async resizeVolume(volumeId: string, sizeGiB: number): Promise<void> {
    await this.locks.run(volumeId, async () => {
      const handle = await fsp.open(this.volumePath(volumeId), "r+");
      try {
        await setLength(handle, sizeGiB * GIB);
      } finally {
        await handle.close();
      }
      this.stmts.resizeVolume.run(sizeGiB, volumeId);
    });
  }

  /** Writes bytes at an offset, marks the touched blocks changed and counts the I/O. */
  async write(volumeId: string, offset: number, data: Buffer): Promise<void> {
    const volume = this.requireVolume(volumeId);
    checkRange(volume, offset, data.length);
    await this.locks.run(volumeId, async () => {
      const handle = await fsp.open(this.volumePath(volumeId), "r+");
      try {
        await handle.write(data, 0, data.length, offset);
      } finally {
        await handle.close();
      }
      this.db.transaction(() => {
        this.markDirtyRange(volumeId, offset, data.length);
        this.stmts.addIo.run(0, data.length, 0, 1, volumeId);
      });
    });
  }

  /** Reads bytes at an offset (zeros where nothing was written) and counts the I/O. */
  async read(volumeId: string, offset: number, length: number): Promise<Buffer> {
    const volume = this.requireVolume(volumeId);
    checkRange(volume, offset, length);
    return this.locks.run(volumeId, async () => {
      const data = await readAt(this.volumePath(volumeId), offset, length);
      this.stmts.addIo.run(length, 0, 1, 0, volumeId);
      return data;
    });
  }

  /**
   * Bytes changed outside the store (a running instance wrote the file).
   * With a range, only those blocks are marked; without, the next snapshot
   * compares every block of the volume.
   */
  noteExternalWrites(volumeId: string, range?: { offset: number; length: number }): void {
    this.requireVolume(volumeId);
    if (range) this.db.transaction(() => this.markDirtyRange(volumeId, range.offset, range.length));
    else this.stmts.fullScan.run(1, volumeId);
  }

  /**
   * A running instance has the volume's file as a block device (`on`), or no
   * longer has it. While it does, and at the snapshot after, every block that
   * holds data is compared.
   */
  expose(volumeId: string, on: boolean): void {
    if (!on) return void this.exposed.delete(volumeId);
    this.exposed.add(volumeId);
    this.noteExternalWrites(volumeId);
  }

  /** Adds I/O measured elsewhere (the runtime) to the volume's counters. */
  recordIo(volumeId: string, io: Partial<VolumeIo>): void {
    this.stmts.addIo.run(io.readBytes ?? 0, io.writeBytes ?? 0, io.readOps ?? 0, io.writeOps ?? 0, volumeId);
  }

  /** Cumulative I/O counters since the volume was created. */
  io(volumeId: string): VolumeIo | undefined {
    const row = this.volumeRow(volumeId);
    return row && { readBytes: row.read_bytes, writeBytes: row.write_bytes, readOps: row.read_ops, writeOps: row.write_ops };
  }

  // -------------------------------------------------------------- snapshots

  /**
   * Captures the volume's current bytes as snapshot `snapshotId`: changed
   * blocks are read and stored, unchanged ones referenced. Point in time:
   * writes through the store wait until the capture is done.
   */
  async snapshotVolume(volumeId: string, snapshotId: string, created: number): Promise<SnapshotCapture> {
    return this.locks.run(volumeId, async () => {
      const volume = this.requireVolume(volumeId);
      const region = volume.region;
      const base = new Map(this.baseBlocks(volumeId).map((b) => [b.index, b.hash]));
      const blockTotal = volume.size_gib * BLOCKS_PER_GIB;
      const dirty: Iterable<number> =
        volume.full_scan || this.exposed.has(volumeId) ? await this.blocksToCompare(volumeId, blockTotal, base) : this.dirtyBlocks(volumeId);
      const next = new Map(base);
      const pinned: string[] = [];
      let changed = 0;
      let stored = 0;
      const handle = await fsp.open(this.volumePath(volumeId), "r");
      try {
        const visited = new Set<number>();
        // Blocks are hashed in order and stored (written, fsynced) a few at a time.
        const storing = new Set<Promise<void>>();
        let failure: unknown;
        const capture = async (index: number, data: Buffer) => {
          if (data.equals(ZERO_BLOCK)) {
            if (next.delete(index)) changed++;
            return;
          }
          const task = this.pool.store(region, data).then(({ hash, written }) => {
            pinned.push(hash);
            if (written) stored += BLOCK_SIZE;
            if (base.get(index) !== hash) changed++;
            next.set(index, hash);
          });
          const tracked: Promise<void> = task.catch((error) => void (failure ??= error)).finally(() => storing.delete(tracked));
          storing.add(tracked);
          if (storing.size >= STORE_CONCURRENCY) await Promise.race(storing);
        };
        try {
          for (const index of dirty) {
            if (index >= blockTotal) continue;
            visited.add(index);
            await capture(index, await readBlock(handle, index));
          }
          // Unchanged blocks whose stored copy is gone (their snapshots were
          // deleted) are still on the volume: store them again.
          for (const [index, hash] of [...next]) {
            if (visited.has(index)) continue;
            this.pool.pin(region, hash);
            pinned.push(hash);
            if (!(await this.pool.present(region, hash))) await capture(index, await readBlock(handle, index));
          }
        } finally {
          await Promise.all(storing);
        }
        if (failure) throw failure;
      } catch (error) {
        for (const hash of pinned) this.pool.unpin(region, hash);
        throw error;
      } finally {
        await handle.close();
      }
      try {
        this.db.transaction(() => {
          this.stmts.insertSnapshot.run(snapshotId, region, volume.size_gib, volume.lineage, null, "completed", created);
          this.stmts.clearBase.run(volumeId);
          for (const [index, hash] of [...next].sort((a, b) => a[0] - b[0])) {
            this.stmts.putBlock.run(snapshotId, index, hash);
            this.pool.incref(region, hash);
            this.stmts.insertBase.run(volumeId, index, hash);
          }
          this.stmts.clearDirty.run(volumeId);
          this.stmts.fullScan.run(this.exposed.has(volumeId) ? 1 : 0, volumeId);
        });
      } finally {
        for (const hash of pinned) this.pool.unpin(region, hash);
      }
      return { blockCount: next.size, changedBlocks: changed, storedBytes: stored };
    });
  }

  snapshot(snapshotId: string): StoredSnapshot | undefined {
    const row = this.stmts.snapshot.get(snapshotId) as SnapshotRow | undefined;
    return (
      row && {
        snapshotId: row.snapshot_id,
        region: row.region,
        volumeSize: row.volume_size,
        lineage: row.lineage,
        parentId: row.parent_id,
        state: row.state,
        created: row.created,
      }
    );
  }

  /** The snapshot's blocks in index order, from `fromIndex`, at most `limit`. */
  blocks(snapshotId: string, fromIndex = 0, limit = Number.MAX_SAFE_INTEGER): BlockRef[] {
    return this.stmts.blocks.all(snapshotId, fromIndex, limit) as BlockRef[];
  }

  blockCount(snapshotId: string): number {
    return (this.stmts.blockCount.get(snapshotId) as { n: number }).n;
  }

  /** Bytes of the blocks the snapshot holds that its parent does not (what EBS bills: snapshots are incremental). */
  incrementalBytes(snapshotId: string): number {
    const parent = this.snapshot(snapshotId)?.parentId ?? "";
    return (this.stmts.newBlockCount.get(parent, snapshotId) as { n: number }).n * BLOCK_SIZE;
  }

  blockAt(snapshotId: string, index: number): string | undefined {
    return (this.stmts.blockAt.get(snapshotId, index) as { hash: string } | undefined)?.hash;
  }

  /** A block's bytes, checked against its checksum. */
  async readBlock(snapshotId: string, index: number): Promise<Buffer | undefined> {
    const snapshot = this.snapshot(snapshotId);
    const hash = this.blockAt(snapshotId, index);
    if (!snapshot || !hash) return undefined;
    this.pool.pin(snapshot.region, hash);
    try {
      return await this.pool.read(snapshot.region, hash);
    } finally {
      this.pool.unpin(snapshot.region, hash);
    }
  }

  /** Forgets the snapshot; its blocks lose a reference and those no snapshot uses are freed. */
  async deleteSnapshot(snapshotId: string): Promise<void> {
    const snapshot = this.snapshot(snapshotId);
    if (!snapshot) return;
    const garbage: string[] = [];
    this.db.transaction(() => {
      const counts = new Map<string, number>();
      for (const block of this.allBlocks(snapshotId)) counts.set(block.hash, (counts.get(block.hash) ?? 0) + 1);
      for (const [hash, count] of counts) if (this.pool.decref(snapshot.region, hash, count)) garbage.push(hash);
      this.stmts.deleteBlocks.run(snapshotId);
      this.stmts.deletePuts.run(snapshotId);
      this.stmts.deleteSnapshot.run(snapshotId);
    });
    await this.pool.collect(snapshot.region, garbage);
  }

  /** Copies a completed snapshot; across regions the blocks' bytes are copied into the target pool. */
  async copySnapshot(sourceId: string, targetId: string, targetRegion: string, created: number): Promise<void> {
    const source = this.snapshot(sourceId);
    if (!source) throw new Error(`block store: no snapshot ${sourceId}`);
    const blocks = this.allBlocks(sourceId);
    const pinned = new Set<string>();
    try {
      for (const block of blocks) {
        if (pinned.has(block.hash)) continue;
        this.pool.pin(source.region, block.hash);
        try {
          if (targetRegion === source.region) this.pool.pin(targetRegion, block.hash);
          else await this.pool.copyFrom(source.region, targetRegion, block.hash);
        } finally {
          this.pool.unpin(source.region, block.hash);
        }
        pinned.add(block.hash);
      }
      this.db.transaction(() => {
        this.stmts.insertSnapshot.run(targetId, targetRegion, source.volumeSize, source.lineage, null, "completed", created);
        for (const block of blocks) {
          this.stmts.putBlock.run(targetId, block.index, block.hash);
          this.pool.incref(targetRegion, block.hash);
        }
      });
    } finally {
      for (const hash of pinned) this.pool.unpin(targetRegion, hash);
    }
  }

  // ------------------------------------------- snapshots written block by block

  /** Opens a snapshot for PutSnapshotBlock; with a parent it starts as a copy of the parent's blocks. */
  startSnapshot(options: { snapshotId: string; region: string; volumeSizeGiB: number; parentId?: string; created: number }): void {
    const parent = options.parentId ? this.snapshot(options.parentId) : undefined;
    this.db.transaction(() => {
      this.stmts.insertSnapshot.run(
        options.snapshotId,
        options.region,
        options.volumeSizeGiB,
        parent?.lineage ?? options.snapshotId,
        parent?.snapshotId ?? null,
        "pending",
        options.created,
      );
      if (parent) {
        for (const block of this.allBlocks(parent.snapshotId)) {
          this.stmts.putBlock.run(options.snapshotId, block.index, block.hash);
          this.pool.incref(options.region, block.hash);
        }
      }
    });
  }

  /** Stores one block of a pending snapshot (the caller has checked its checksum). */
  async putBlock(snapshotId: string, index: number, data: Buffer, checksum: string): Promise<void> {
    const snapshot = this.snapshot(snapshotId);
    if (!snapshot) throw new Error(`block store: no snapshot ${snapshotId}`);
    const { hash } = await this.pool.store(snapshot.region, data);
    let garbage = false;
    let previous: string | undefined;
    try {
      this.db.transaction(() => {
        previous = this.blockAt(snapshotId, index);
        if (previous === hash) return void this.stmts.recordPut.run(snapshotId, index, checksum);
        this.stmts.putBlock.run(snapshotId, index, hash);
        this.pool.incref(snapshot.region, hash);
        if (previous) garbage = this.pool.decref(snapshot.region, previous);
        this.stmts.recordPut.run(snapshotId, index, checksum);
      });
    } finally {
      this.pool.unpin(snapshot.region, hash);
    }
    if (garbage && previous) await this.pool.collect(snapshot.region, [previous]);
  }

  /** Checksums of the blocks written to a pending snapshot, in index order. */
  writtenBlocks(snapshotId: string): Array<{ index: number; checksum: string }> {
    return this.stmts.puts.all(snapshotId) as Array<{ index: number; checksum: string }>;
  }

  setSnapshotState(snapshotId: string, state: StoredSnapshotState): void {
    this.db.transaction(() => {
      this.stmts.setSnapshotState.run(state, snapshotId);
      if (state !== "pending") this.stmts.deletePuts.run(snapshotId);
    });
  }

  // --------------------------------------------------------------- internals

  private volumeRow(volumeId: string): VolumeRow | undefined {
    return this.stmts.volume.get(volumeId) as VolumeRow | undefined;
  }

  private requireVolume(volumeId: string): VolumeRow {
    const row = this.volumeRow(volumeId);
    if (!row) throw new Error(`block store: no volume ${volumeId}`);
    return row;
  }

  /**
   * Every block that may differ from the volume's base: those holding data
   * in its file, and the base's own (which may be zeros now). Every block
   * where the file's extents are unknown.
   */
  private async blocksToCompare(volumeId: string, blockTotal: number, base: Map<number, string>): Promise<Iterable<number>> {
    const data = await dataBlocks(this.volumePath(volumeId), BLOCK_SIZE);
    if (!data) return range(blockTotal);
    return [...new Set([...data, ...base.keys()])].sort((a, b) => a - b);
  }

  private allBlocks(snapshotId: string): BlockRef[] {
    return this.stmts.allBlocks.all(snapshotId) as BlockRef[];
  }

  private baseBlocks(volumeId: string): BlockRef[] {
    return this.stmts.base.all(volumeId) as BlockRef[];
  }

  private dirtyBlocks(volumeId: string): number[] {
    return (this.stmts.dirty.all(volumeId) as Array<{ block_index: number }>).map((r) => r.block_index);
  }

  private markDirtyRange(volumeId: string, offset: number, length: number): void {
    if (length <= 0) return;
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((offset + length - 1) / BLOCK_SIZE);
    for (let index = first; index <= last; index++) this.stmts.markDirty.run(volumeId, index);
  }
}

function checkRange(volume: VolumeRow, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > volume.size_gib * GIB) {
    throw new RangeError(`block store: ${offset}+${length} is outside volume ${volume.volume_id} (${volume.size_gib} GiB)`);
  }
}

function* range(count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield i;
}

type FileHandle = import("node:fs/promises").FileHandle;

/** Sparse length; a filesystem that cannot hold the whole size keeps it short (unwritten bytes read as zeros). */
async function setLength(handle: FileHandle, bytes: number): Promise<void> {
  try {
    await handle.truncate(bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EFBIG") throw error;
  }
}

async function readBlock(handle: FileHandle, index: number): Promise<Buffer> {
  const buffer = Buffer.alloc(BLOCK_SIZE);
  await handle.read(buffer, 0, BLOCK_SIZE, index * BLOCK_SIZE);
  return buffer;
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const handle = await fsp.open(file, "r");
  try {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return buffer;
}

export { sha256 };
