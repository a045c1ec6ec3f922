/**
 * glibc's malloc serves blocks above its mmap threshold (128 KiB at first)
 * with fresh mappings, and gives freed memory at the top of its heap above a
 * trim threshold back to the system. Streaming tens of MiB through 256 KiB
 * buffers then faults every page in again and again: on a VM, where a page
 * fault costs microseconds, that was most of a 64 MiB GET's time. glibc
 * raises both thresholds itself (to at most 32 MiB and twice that) whenever a
 * mapped block larger than the current threshold is freed; allocating and
 * dropping one such block (never touched: no memory is used) moves them there
 * once, for the process's lifetime. Elsewhere this is one unused allocation.
 */
const MMAP_THRESHOLD_MAX = 32 << 20;

let settled = false;

export function settleMallocThresholds(): void {
  if (settled) return;
  settled = true;
  // Freed by the next scavenge; the chunk (size plus header) must stay within glibc's maximum.
  Buffer.allocUnsafeSlow(MMAP_THRESHOLD_MAX - (64 << 10));
}
