/**
 * Collecting V8's young generation on demand. Streamed bodies leave their bytes
 * as garbage (buffers read from sockets, cipher output); V8 collects such memory
 * only once 64 MiB or more of it has piled up, and glibc gives that much back to
 * the system, to fault it in again page by page. Collecting every few MiB keeps
 * it to a few MiB that malloc recycles while they are still in the cache.
 */
import v8 from "node:v8";
import vm from "node:vm";

let collect: (() => void) | undefined;

function collector(): () => void {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as (options: { type: "minor" }) => void;
    return () => {
      try {
        gc({ type: "minor" });
      } catch {
        // A V8 without minor collections on demand: leave collecting to V8.
        collect = () => undefined;
      }
    };
  } catch {
    return () => undefined;
  }
}

/** Counts bytes that just became garbage, and collects the young generation every `every` of them. */
export class YoungCollector {
  private garbage = 0;
  constructor(private readonly every: number) {}

  discarded(bytes: number): void {
    this.garbage += bytes;
    if (this.garbage < this.every) return;
    this.garbage = 0;
    (collect ??= collector())();
  }
}
