/**
 * Start-up order: Stratus listens before its providers have loaded. STS and
 * IAM answer at once; a request to another service, or to /_stratus (health
 * included), waits until every provider has started, and is then answered
 * (never deadlocked); steady traffic does not hold the loading back forever.
 * A deliberately slow EC2 provider keeps the loading window open.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { startStratus } from "../../src/index.js";
import { SERVICES } from "../../src/services/registry.js";
import type { ServiceDefinition } from "../../src/services/types.js";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The real services, with EC2's provider taking `delayMs` longer to build. */
function slowEc2(delayMs: number): ServiceDefinition[] {
  return SERVICES.map((definition) =>
    definition.name !== "ec2"
      ? definition
      : { ...definition, createProvider: async (cloud) => (await sleep(delayMs), definition.createProvider(cloud)) },
  );
}

const config = (port: number) => ({
  endpoint: `http://127.0.0.1:${port}`,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});

/** Retries while the port is not listening yet. */
async function whenListening<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      if (code !== "ECONNREFUSED") throw error;
      await sleep(5);
    }
  }
}

describe("start-up order", () => {
  it("STS answers while the other providers are still loading; EC2 waits for them and is answered", async () => {
    const port = await freePort();
    let started = false;
    const starting = startStratus({ port, storage: "memory", services: slowEc2(600) }).then((stratus) => ((started = true), stratus));
    try {
      const identity = await whenListening(() => new STSClient(config(port)).send(new GetCallerIdentityCommand({})));
      assert.equal(identity.Account, "000000000000");
      assert.equal(started, false, "STS answered before every provider had loaded");

      const instances = await new EC2Client(config(port)).send(new DescribeInstancesCommand({}));
      assert.deepEqual(instances.Reservations, []);
      assert.equal(started || (await Promise.race([starting.then(() => true), sleep(2000).then(() => false)])), true);
    } finally {
      await (await starting).stop();
    }
  });

  it("the clock endpoint during start-up waits for the providers instead of deadlocking", async () => {
    const port = await freePort();
    const starting = startStratus({ port, storage: "memory", clock: "virtual", clockStart: "2027-01-01T00:00:00Z", services: slowEc2(300) });
    try {
      const response = await whenListening(() =>
        fetch(`http://127.0.0.1:${port}/_stratus/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advance: "1d" }) }),
      );
      assert.equal(response.status, 200);
      const clock = (await response.json()) as { now: string };
      assert.ok(Date.parse(clock.now) >= Date.parse("2027-01-02T00:00:00Z"));
      const stratus = await starting;
      const health = (await (await fetch(`${stratus.endpoint}/_stratus/health`)).json()) as { status: string; services: Record<string, { state: string }> };
      assert.equal(health.status, "running");
      assert.equal(health.services.ec2.state, "running");
    } finally {
      await (await starting).stop();
    }
  });

  it("health answers only once every provider has started", async () => {
    const port = await freePort();
    let started = false;
    const starting = startStratus({ port, storage: "memory", services: slowEc2(300) }).then((stratus) => ((started = true), stratus));
    try {
      const response = await whenListening(() => fetch(`http://127.0.0.1:${port}/_stratus/health`));
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { status: string }).status, "running");
      assert.equal(started || (await Promise.race([starting.then(() => true), sleep(2000).then(() => false)])), true);
    } finally {
      await (await starting).stop();
    }
  });

  it("STS traffic without a pause does not keep the other providers from loading", async () => {
    const port = await freePort();
    let started = false;
    const starting = startStratus({ port, storage: "memory" }).then((stratus) => ((started = true), stratus));
    try {
      const sts = new STSClient(config(port));
      await whenListening(() => sts.send(new GetCallerIdentityCommand({})));
      // Four clients back to back: the server is never quiet for long.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 2000 && !started; i++) await sts.send(new GetCallerIdentityCommand({}));
        }),
      );
      assert.equal(started, true);
    } finally {
      await (await starting).stop();
    }
  });
});
