/**
 * The block store's tables. Bytes live in files under blobsDir/ebs; these rows
 * say which snapshot holds which block, how many references a stored block
 * has, which blocks of a volume changed since its last snapshot, and the
 * volume's I/O counters.
 */
export const BLOCK_STORE_MIGRATIONS = [
  `CREATE TABLE ebs_blocks (
     region TEXT NOT NULL, hash TEXT NOT NULL, refs INTEGER NOT NULL,
     PRIMARY KEY (region, hash));
   CREATE TABLE ebs_snapshots (
     snapshot_id TEXT PRIMARY KEY, region TEXT NOT NULL, volume_size INTEGER NOT NULL,
     lineage TEXT NOT NULL, parent_id TEXT, state TEXT NOT NULL, created INTEGER NOT NULL);
   CREATE TABLE ebs_snapshot_blocks (
     snapshot_id TEXT NOT NULL, block_index INTEGER NOT NULL, hash TEXT NOT NULL,
     PRIMARY KEY (snapshot_id, block_index));
   CREATE TABLE ebs_snapshot_puts (
     snapshot_id TEXT NOT NULL, block_index INTEGER NOT NULL, checksum TEXT NOT NULL,
     PRIMARY KEY (snapshot_id, block_index));
   CREATE TABLE ebs_volumes (
     volume_id TEXT PRIMARY KEY, region TEXT NOT NULL, size_gib INTEGER NOT NULL,
     lineage TEXT NOT NULL, source_snapshot TEXT, ready INTEGER NOT NULL DEFAULT 0,
     full_scan INTEGER NOT NULL DEFAULT 0,
     read_bytes INTEGER NOT NULL DEFAULT 0, write_bytes INTEGER NOT NULL DEFAULT 0,
     read_ops INTEGER NOT NULL DEFAULT 0, write_ops INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE ebs_volume_base (
     volume_id TEXT NOT NULL, block_index INTEGER NOT NULL, hash TEXT NOT NULL,
     PRIMARY KEY (volume_id, block_index));
   CREATE TABLE ebs_volume_dirty (
     volume_id TEXT NOT NULL, block_index INTEGER NOT NULL,
     PRIMARY KEY (volume_id, block_index));`,
];
