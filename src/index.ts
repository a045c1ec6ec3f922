/**
 * Programmatic use:
 *
 *   const cloud = await startStratus({ port: 0, storage: "memory", clock: "virtual" });
 *   cloud.endpoint;                 // "http://127.0.0.1:43817"
 *   await cloud.clock.advance("31d");
 *   await cloud.stop();
 */
import { Cloud } from "./cloud.js";
import { parseDuration } from "./clock/clock.js";
import { resolveOptions, type StratusOptions } from "./config.js";
import { StratusServer } from "./server/server.js";
import { startupMark } from "./core/startup-trace.js";

export type { StratusOptions, Credential } from "./config.js";
export { Cloud, VERSION } from "./cloud.js";
export type { ServiceDefinition, ServiceProvider, CallContext } from "./services/types.js";

export interface StratusClock {
  readonly mode: "system" | "virtual";
  now(): Date;
  /** Jumps a virtual clock forward ("31d", "12h", ms), running everything due on the way. */
  advance(duration: string | number): Promise<Date>;
  /** Sets a virtual clock to a time, running everything due on the way. */
  set(time: Date | string | number): Promise<Date>;
  /** Resolves when scheduled work started so far has finished. */
  settle(): Promise<void>;
}

export interface RunningStratus {
  endpoint: string;
  host: string;
  port: number;
  clock: StratusClock;
  cloud: Cloud;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** During start-up, how long the server must have been quiet before the next provider loads... */
const QUIET_MS = 10;
/** ...and how long after listening it stops waiting for quiet moments. */
const MAX_PAUSE_MS = 250;

export async function startStratus(options: StratusOptions = {}): Promise<RunningStratus> {
  startupMark("startStratus");
  const resolved = resolveOptions(options);
  const cloud = options.services ? new Cloud(resolved, options.services) : new Cloud(resolved);
  const server = new StratusServer(cloud);
  let address;
  try {
    // Listening first, then the providers load, each in a quiet moment (for at most MAX_PAUSE_MS):
    // a first `aws sts get-caller-identity` is answered at once; a request to any other service,
    // or to /_stratus, makes the rest load without pausing and is answered once they have.
    address = await server.listen(resolved.port, resolved.host);
    cloud.listeningOn = { host: resolved.host, port: address.port };
    startupMark("listening");
    const deadline = performance.now() + MAX_PAUSE_MS;
    await cloud.start(() => server.idle(QUIET_MS, deadline));
  } catch (error) {
    await server.close();
    await cloud.stop();
    throw error;
  }
  const host = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  const clock: StratusClock = {
    mode: cloud.clock.mode,
    now: () => cloud.clock.date(),
    advance: async (duration) => {
      await cloud.scheduler.advanceTo(cloud.clock.now() + parseDuration(duration));
      cloud.saveClock();
      return cloud.clock.date();
    },
    set: async (time) => {
      const target = new Date(time).getTime();
      if (Number.isNaN(target)) throw new Error(`not a time: ${String(time)}`);
      await cloud.scheduler.advanceTo(target);
      cloud.saveClock();
      return cloud.clock.date();
    },
    settle: async () => {
      await cloud.scheduler.runDue();
      await cloud.scheduler.idle();
    },
  };
  let stopped = false;
  return {
    endpoint: `http://${host}:${address.port}`,
    host: resolved.host,
    port: address.port,
    clock,
    cloud,
    reset: () => cloud.reset(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.close();
      await cloud.stop();
    },
  };
}
