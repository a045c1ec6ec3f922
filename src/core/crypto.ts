/**
 * node:crypto, loaded on first use: compiling it costs ~10 ms of start-up, and
 * an idle Stratus (or its first STS call) needs none of it.
 */
import { createRequire } from "node:module";

let loaded: typeof import("node:crypto") | undefined;

export function crypto(): typeof import("node:crypto") {
  return (loaded ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto"));
}

const POOL_BYTES = 4096;
let pool: Buffer | undefined;
let poolOffset = POOL_BYTES;

/**
 * Random bytes for keys, nonces and IVs on hot paths (every encrypted S3 PUT
 * takes three): served from a 4 KiB block the CSPRNG fills at once, as
 * node's randomUUID does, because each randomBytes() call costs ~50 µs here.
 * Every caller gets bytes no other caller gets.
 */
export function randomKeyBytes(size: number): Buffer {
  if (size > 256) return crypto().randomBytes(size);
  if (!pool || poolOffset + size > POOL_BYTES) {
    pool = crypto().randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + size));
  poolOffset += size;
  return out;
}
