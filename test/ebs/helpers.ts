/** Shared bits of the EBS tests: the block store behind the API, and deterministic bytes. */
import { createCipheriv, createHash } from "node:crypto";
import type { VirtualClock } from "../../src/clock/clock.js";
import type { RunningStratus } from "../../src/index.js";
import type { EbsProvider } from "../../src/services/ebs/provider.js";

export const MiB = 1024 * 1024;
export const BLOCK = 512 * 1024;

/** The block store's internal API (what the instance runtime uses to reach volume bytes). */
export function blockStore(stratus: RunningStratus) {
  return stratus.cloud.provider<EbsProvider>("ebs").blocks;
}

/** `length` deterministic pseudo-random bytes derived from `seed`. */
export function pattern(seed: string, length: number): Buffer {
  // An AES-256-CTR keystream keyed by the seed: fast, and never the same block twice.
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(length));
}

/**
 * Holds the virtual clock still at its current time, so that a short-lived
 * state (a volume "creating" for half a second) can be observed however slow
 * the machine is. The next clock.advance() or clock.set() lets it flow again.
 */
export function holdClock(stratus: RunningStratus): void {
  const clock = stratus.cloud.clock as VirtualClock;
  clock.freeze(clock.now());
}
