/**
 * Start-up tracing for whoever works on start-up time: with
 * STRATUS_TRACE_STARTUP=1, each phase prints the milliseconds since the
 * process started (stderr). Off, a mark costs one boolean test.
 */
const enabled = process.env.STRATUS_TRACE_STARTUP === "1";
const firstRequest = new Set<string>();

export function startupMark(phase: string): void {
  if (enabled) process.stderr.write(`[startup] ${performance.now().toFixed(1)} ms ${phase}\n`);
}

/** Marks the start and the end of the first request only. */
export function firstRequestMark(phase: "received" | "answered"): void {
  if (!enabled || firstRequest.has(phase)) return;
  firstRequest.add(phase);
  startupMark(`first request ${phase}`);
}
