/**
 * bench/s3: Stratus vs moto_server vs a raw node:http baseline, in one run.
 *
 *   npm run bench:s3 -- [--quick] [--no-moto] [--seconds 8] [--rounds 3] [--moto-full-listing]
 *
 * Phases: 4 KiB PUT+GET with 16 concurrent clients (ops/s); 64 MiB PUT and
 * GET (MB/s); ListObjectsV2 pages of 1000 over 10k and 100k keys (ms per
 * page); peak server RSS during a 1 GiB upload. Throughput phases run the
 * contenders interleaved, round by round, and report medians. Stratus runs
 * with a data dir (its default, persistent mode). Prints a table and ratios, and
 * the disk's ceiling for a durable 64 MiB write (Stratus syncs before answering).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { BenchClient } from "./client.js";
import { freePort, stopServer, waitReady } from "../support.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const args = process.argv.slice(2);
const QUICK = args.includes("--quick");
const NO_MOTO = args.includes("--no-moto");
const SECONDS = Number(args[args.indexOf("--seconds") + 1]) || (QUICK ? 3 : 8);
const LIST_SIZES = QUICK ? [2_000, 10_000] : [10_000, 100_000];
const LARGE = 64 * 1024 * 1024;
const LARGE_ROUNDS = 3;
const HUGE = (QUICK ? 256 : 1024) * 1024 * 1024;
const ROUNDS = Number(args[args.indexOf("--rounds") + 1]) || (QUICK ? 2 : 3);
/** moto fills a bucket with about 300 PUT/s: 100,000 keys take minutes; only with --moto-full-listing. */
const MOTO_FULL_LISTING = args.includes("--moto-full-listing");

interface Server {
  name: string;
  port: number;
  proc: ChildProcess;
  dir: string;
  s3: boolean;
}

async function startServer(name: "stratus" | "moto" | "raw"): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
  let proc: ChildProcess;
  if (name === "stratus") {
    proc = spawn(process.execPath, [path.join(ROOT, "bin/stratus.cjs"), "start", "--port", String(port), "--data-dir", dir, "--quiet"], { stdio: "ignore" });
  } else if (name === "moto") {
    proc = spawn("moto_server", ["-p", String(port)], { stdio: "ignore", env: { ...process.env, PYTHONWARNINGS: "ignore" } });
  } else {
    proc = spawn(process.execPath, [path.join(ROOT, "dist/bench/s3/raw-server.js"), String(port), dir], { stdio: "ignore" });
  }
  await waitReady(port, proc, name, 300);
  return { name, port, proc, dir, s3: name !== "raw" };
}


function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function smallObjects(server: Server, seconds: number, round: number): Promise<number> {
  const client = new BenchClient("127.0.0.1", server.port);
  const bucket = `small${round}`;
  if (server.s3) await client.ok("PUT", `/${bucket}`);
  const body = Buffer.alloc(4096, 7);
  const workers = 16;
  let ops = 0;
  let counting = false;
  const stopAt = Date.now() + (seconds + 1) * 1000;
  setTimeout(() => (counting = true), 1000);
  let started = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; Date.now() < stopAt; i++) {
        const key = `/${bucket}/w${w}/k${i % 500}`;
        await client.ok("PUT", key, { body });
        const got = await client.ok("GET", key);
        if (got.body.length !== body.length) throw new Error(`${server.name}: GET returned ${got.body.length} bytes`);
        if (counting) {
          if (!started) started = Date.now();
          ops += 2;
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  client.close();
  return ops / elapsed;
}

/**
 * One untimed 64 MiB PUT and GET per server before the first round: a process's first
 * large transfer pays one-off costs (heap growth, first-touch page faults, Stratus's byte
 * thread starting) that the rounds should not average in.
 */
async function warmUpLarge(server: Server): Promise<void> {
  const client = new BenchClient("127.0.0.1", server.port, 4);
  if (server.s3) await client.ok("PUT", "/warmup");
  await client.ok("PUT", "/warmup/obj", { body: Buffer.alloc(LARGE, 1) });
  const got = await client.sinkGet("/warmup/obj");
  if (got.status !== 200 || got.size !== LARGE) throw new Error(`${server.name}: warm-up GET answered ${got.status} with ${got.size} bytes`);
  client.close();
}

/**
 * Flushes every dirty page on the machine (sync(1)) before a measured phase: moto and the raw
 * baseline leave their bytes to the kernel's writeback, which would otherwise land on the disk
 * in the middle of whichever contender runs 30 s later (and Stratus waits for the disk on every
 * commit).
 */
function settle(): void {
  spawnSync("sync");
}

/** MB/s of one 64 MiB transfer that started at `t` (process.hrtime.bigint()). */
const largeMbSince = (t: bigint) => LARGE / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9);

/** MB/s of each 64 MiB transfer (every transfer is a sample: medians over all of them are steadier than per-round means). */
async function largeObjects(server: Server, round: number): Promise<{ put: number[]; get: number[] }> {
  const client = new BenchClient("127.0.0.1", server.port, 4);
  const bucket = `large${round}`;
  if (server.s3) await client.ok("PUT", `/${bucket}`);
  const body = Buffer.alloc(LARGE);
  for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE(i, i);
  const put: number[] = [];
  const get: number[] = [];
  for (let i = 0; i < LARGE_ROUNDS; i++) {
    let t = process.hrtime.bigint();
    await client.ok("PUT", `/${bucket}/obj${i}`, { body });
    put.push(largeMbSince(t));
    t = process.hrtime.bigint();
    const got = await client.sinkGet(`/${bucket}/obj${i}`);
    get.push(largeMbSince(t));
    if (got.status !== 200 || got.size !== LARGE) throw new Error(`${server.name}: GET answered ${got.status} with ${got.size} bytes`);
  }
  client.close();
  return { put, get };
}

/**
 * The disk's ceiling for a durable PUT: MB/s of writing 64 MiB to a new file and fdatasync-ing
 * it, on the file system the servers write to. Stratus syncs every object before it answers
 * (acknowledged writes survive a crash); moto and the raw baseline answer once the bytes are in
 * the page cache, so on a slow disk this, not the server, bounds Stratus's PUT.
 */
function diskCeiling(dir: string, round: number): number[] {
  const chunk = Buffer.alloc(1 << 20, 3);
  const out: number[] = [];
  for (let i = 0; i < LARGE_ROUNDS; i++) {
    const t = process.hrtime.bigint();
    const fd = openSync(path.join(dir, `r${round}-${i}`), "w");
    for (let written = 0; written < LARGE; written += chunk.length) writeSync(fd, chunk);
    fdatasyncSync(fd);
    closeSync(fd);
    out.push(largeMbSince(t));
  }
  return out;
}

async function populate(client: BenchClient, bucket: string, from: number, to: number): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= to) return;
        await client.ok("PUT", `/${bucket}/data/${String(i).padStart(7, "0")}.bin`, { body: Buffer.alloc(0) });
      }
    }),
  );
}

/** Mean ms per ListObjectsV2 page of 1000 over a full scan, and for a page deep in the bucket. */
async function listPages(client: BenchClient, bucket: string, total: number): Promise<{ scan: number; deep: number }> {
  let token: string | undefined;
  let pages = 0;
  const t = process.hrtime.bigint();
  do {
    const query = `list-type=2&max-keys=1000${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`;
    const response = await client.ok("GET", `/${bucket}`, { query });
    const text = response.body.toString();
    token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(text)?.[1];
    pages++;
  } while (token);
  const scan = Number(process.hrtime.bigint() - t) / 1e6 / pages;
  const startAfter = `data/${String(total - 1500).padStart(7, "0")}.bin`;
  const rounds = 10;
  const t2 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await client.ok("GET", `/${bucket}`, { query: `list-type=2&max-keys=1000&start-after=${encodeURIComponent(startAfter)}` });
  const deep = Number(process.hrtime.bigint() - t2) / 1e6 / rounds;
  return { scan, deep };
}

async function listing(server: Server, sizes: number[]): Promise<Array<{ keys: number; scan: number; deep: number; populateRate: number }>> {
  const client = new BenchClient("127.0.0.1", server.port);
  await client.ok("PUT", "/listing");
  const out = [];
  let have = 0;
  for (const size of sizes) {
    const t = Date.now();
    await populate(client, "listing", have, size);
    const populateRate = (size - have) / ((Date.now() - t) / 1000);
    have = size;
    out.push({ keys: size, ...(await listPages(client, "listing", size)), populateRate });
  }
  client.close();
  return out;
}

async function hugeUpload(server: Server): Promise<{ peakRss: number; mbps: number }> {
  const client = new BenchClient("127.0.0.1", server.port, 1);
  if (server.s3) await client.ok("PUT", "/huge");
  const chunk = Buffer.alloc(1024 * 1024, 1);
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= HUGE) return void this.push(null);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  let peak = rssOf(server.proc.pid!);
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.proc.pid!))), 20);
  const t = process.hrtime.bigint();
  await client.ok("PUT", "/huge/one-gib.bin", { body, length: HUGE });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(server.proc.pid!));
  client.close();
  return { peakRss: peak, mbps: HUGE / 1e6 / seconds };
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined, invert = false) =>
  a === undefined || b === undefined || !a || !b ? "—" : `${(invert ? b / a : a / b).toFixed(1)}×`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
};

async function main(): Promise<void> {
  const motoAvailable = !NO_MOTO && spawnSync("sh", ["-c", "command -v moto_server"]).status === 0;
  const names: Array<"stratus" | "moto" | "raw"> = motoAvailable ? ["stratus", "moto", "raw"] : ["stratus", "raw"];
  const results: Record<string, Record<string, any>> = {};
  for (const name of names) results[name] = { small: [], put: [], get: [], listing: [] };

  // Throughput phases: all servers up at once, contenders interleaved round by round so that
  // background load on the machine hits them alike; medians are reported.
  const servers: Server[] = [];
  const diskDir = mkdtempSync(path.join(os.tmpdir(), "bench-disk-"));
  const diskRates: number[] = [];
  try {
    for (const name of names) servers.push(await startServer(name));
    for (const server of servers) await warmUpLarge(server);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        settle();
        const ops = await smallObjects(server, SECONDS, round);
        results[server.name].small.push(ops);
        process.stderr.write(`[round ${round + 1}] ${server.name}: ${fmt(ops)} ops/s (4 KiB PUT+GET)\n`);
      }
      for (const server of order) {
        settle();
        const large = await largeObjects(server, round);
        results[server.name].put.push(...large.put);
        results[server.name].get.push(...large.get);
        process.stderr.write(`[round ${round + 1}] ${server.name}: 64 MiB PUT ${large.put.map((v) => fmt(v)).join(" ")} MB/s, GET ${large.get.map((v) => fmt(v)).join(" ")} MB/s\n`);
      }
      settle();
      const disk = diskCeiling(diskDir, round);
      diskRates.push(...disk);
      process.stderr.write(`[round ${round + 1}] disk: 64 MiB write + fdatasync ${disk.map((v) => fmt(v)).join(" ")} MB/s\n`);
    }
    // Listing: the same bucket sizes on Stratus and moto, pages measured at each size.
    for (const server of servers.filter((s) => s.s3)) {
      settle();
      const sizes = server.name === "moto" && !MOTO_FULL_LISTING ? LIST_SIZES.slice(0, 1) : LIST_SIZES;
      process.stderr.write(`${server.name}: listing over ${sizes.join(" and ")} keys... `);
      results[server.name].listing = await listing(server, sizes);
      process.stderr.write(results[server.name].listing.map((l: any) => `${l.keys}: ${fmt(l.scan, 1)} ms/page (filled at ${fmt(l.populateRate)} PUT/s)`).join(", ") + "\n");
    }
  } finally {
    for (const server of servers) await stopServer(server);
    rmSync(diskDir, { recursive: true, force: true });
  }
  // Memory: a fresh server each, one big streamed PUT, RSS sampled every 20 ms.
  for (const name of names) {
    settle();
    const server = await startServer(name);
    try {
      results[name].huge = await hugeUpload(server);
      process.stderr.write(`${name}: ${HUGE / 1024 ** 3} GiB PUT at ${fmt(results[name].huge.mbps)} MB/s, peak RSS ${fmt(results[name].huge.peakRss / 1e6)} MB\n`);
    } finally {
      await stopServer(server);
    }
  }

  const s = results.stratus;
  const m = results.moto;
  const r = results.raw;
  const small = (x: any) => (x ? median(x.small) : undefined);
  const put = (x: any) => (x ? median(x.put) : undefined);
  const get = (x: any) => (x ? median(x.get) : undefined);
  const listAt = (res: any, keys: number, field: "scan" | "deep") => res?.listing?.find((l: any) => l.keys === keys)?.[field];
  const rows: string[][] = [
    ["4 KiB PUT+GET, 16 clients (ops/s)", fmt(small(s)), fmt(small(m)), fmt(small(r)), ratio(small(s), small(m)), ratio(small(s), small(r))],
    ["64 MiB PUT (MB/s)", fmt(put(s)), fmt(put(m)), fmt(put(r)), ratio(put(s), put(m)), ratio(put(s), put(r))],
    ["64 MiB GET (MB/s)", fmt(get(s)), fmt(get(m)), fmt(get(r)), ratio(get(s), get(m)), ratio(get(s), get(r))],
  ];
  const disk = median(diskRates);
  for (const keys of LIST_SIZES) {
    rows.push([`ListObjectsV2, 1000-key pages, ${keys.toLocaleString("en")} keys, full scan (ms/page)`, fmt(listAt(s, keys, "scan"), 1), fmt(listAt(m, keys, "scan"), 1), "—", ratio(listAt(s, keys, "scan"), listAt(m, keys, "scan"), true), "—"]);
    rows.push([`ListObjectsV2, 1000-key page deep in ${keys.toLocaleString("en")} keys (ms/page)`, fmt(listAt(s, keys, "deep"), 1), fmt(listAt(m, keys, "deep"), 1), "—", ratio(listAt(s, keys, "deep"), listAt(m, keys, "deep"), true), "—"]);
  }
  rows.push([`Peak server RSS during a ${HUGE / 1024 ** 3} GiB PUT (MB)`, fmt(s.huge.peakRss / 1e6), fmt(m?.huge.peakRss / 1e6), fmt(r.huge.peakRss / 1e6), "—", "—"]);
  rows.push([`${HUGE / 1024 ** 3} GiB PUT (MB/s)`, fmt(s.huge.mbps), fmt(m?.huge.mbps), fmt(r.huge.mbps), ratio(s.huge.mbps, m?.huge.mbps), ratio(s.huge.mbps, r.huge.mbps)]);
  const header = ["", "Stratus", "moto_server", "raw node:http", "Stratus / moto", "Stratus / raw"];
  const lines = [header, header.map((_, i) => (i === 0 ? "---" : "---:")), ...rows].map((row) => `| ${row.join(" | ")} |`);
  const load = os.loadavg()[0].toFixed(1);
  process.stdout.write(
    `\n${lines.join("\n")}\n\nnode ${process.version}, ${os.cpus().length} CPUs, load average ${load} at the end, ${ROUNDS} rounds (medians), ${new Date().toISOString().slice(0, 10)}${QUICK ? ", --quick" : ""}\n`,
  );
  process.stdout.write(
    `64 MiB transfers: medians of ${ROUNDS * LARGE_ROUNDS} each. Disk ceiling for a durable PUT (64 MiB written to a new file + fdatasync): ${fmt(disk)} MB/s; Stratus's 64 MiB PUT (synced before it answers) is ${((put(s)! / disk) * 100).toFixed(0)}% of it.\n`,
  );
  if (s.listing?.length === 2) {
    const [a, b] = s.listing;
    process.stdout.write(`Stratus listing: ${fmt(a.scan, 1)} ms/page at ${a.keys.toLocaleString("en")} keys, ${fmt(b.scan, 1)} ms/page at ${b.keys.toLocaleString("en")} keys (×${(b.scan / a.scan).toFixed(2)})\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`\nbench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
