/**
 * Where a sparse volume file holds data. A volume written behind the block
 * store's back (a running instance's loop device) has no list of changed
 * blocks; its next snapshot compares every block that holds data. Reading a
 * 50 GiB file of holes takes a minute, so the file system's extent map
 * (FIEMAP, through e2fsprogs' `filefrag`) says which blocks to read.
 */
import { execFile } from "node:child_process";

const FILEFRAG = "/usr/sbin/filefrag";

/**
 * Indexes of the `blockSize` blocks that overlap the file's data extents, in
 * order; undefined when the extent map cannot be read (no filefrag, a file
 * system without FIEMAP): then every block must be read.
 */
export function dataBlocks(file: string, blockSize: number): Promise<number[] | undefined> {
  return new Promise((resolve) => {
    // -e: extents; -b512: offsets in 512-byte units whatever the file system's block size.
    execFile(FILEFRAG, ["-e", "-b512", file], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error) return resolve(undefined);
      resolve(blocksOf(stdout, blockSize));
    });
  });
}

/** Parses `filefrag -e -b512`'s extent lines ("  0:   40..   47:   …"). */
export function blocksOf(report: string, blockSize: number): number[] | undefined {
  if (!/extents? found/.test(report)) return undefined;
  const blocks = new Set<number>();
  for (const match of report.matchAll(/^\s*\d+:\s*(\d+)\.\.\s*(\d+):/gm)) {
    const first = Math.floor((Number(match[1]) * 512) / blockSize);
    const last = Math.floor((Number(match[2]) * 512 + 511) / blockSize);
    for (let index = first; index <= last; index++) blocks.add(index);
  }
  return [...blocks].sort((a, b) => a - b);
}
