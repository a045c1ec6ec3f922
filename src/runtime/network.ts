/**
 * An instance's network: its own network namespace, joined to the host by a
 * veth pair. Inside, eth0 holds the private and the public address (/32
 * each) and routes everything to the host; on the host, both addresses are
 * routed to the instance's veth, so the host reaches an instance at its
 * public IP as a client on the internet would. The instance metadata address
 * (169.254.169.254) is a host address; Stratus's IMDS listens there and
 * tells instances apart by their source address.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:net";
import path from "node:path";
import { ip, sh } from "./host.js";

export const IMDS_ADDRESS = "169.254.169.254";

const EXISTS = /File exists|already exists|already assigned/;
const GONE = /Cannot find device|No such file|does not exist|No such process|Cannot open network namespace|Cannot assign/;

export function netnsName(instanceId: string): string {
  return `stratus-${instanceId}`;
}

/** The host side of the veth pair (interface names have at most 15 characters). */
export function hostInterface(instanceId: string): string {
  return `st${instanceId.slice(-12)}`;
}

/** Starts a server listening on the metadata address (EADDRINUSE and the like reject). */
export function listenOnImdsAddress(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, IMDS_ADDRESS, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Puts the metadata address on the host's loopback, once. */
export async function ensureImdsAddress(): Promise<void> {
  await ip(["addr", "add", `${IMDS_ADDRESS}/32`, "dev", "lo"], EXISTS);
}

/** Takes the metadata address off the loopback again (Stratus stops). */
export async function dropImdsAddress(): Promise<void> {
  await ip(["addr", "del", `${IMDS_ADDRESS}/32`, "dev", "lo"], /Cannot assign|not found|No such/);
}

/** Creates (or re-creates) the namespace and its link, with the instance's addresses. */
export async function plumb(instanceId: string, privateIp: string, publicIp: string | undefined): Promise<void> {
  await unplumb(instanceId);
  const ns = netnsName(instanceId);
  const host = hostInterface(instanceId);
  await ip(["netns", "add", ns]);
  await ip(["link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns]);
  await ip(["link", "set", host, "up"]);
  await ip(["-n", ns, "link", "set", "lo", "up"]);
  await ip(["-n", ns, "link", "set", "eth0", "up"]);
  await ip(["-n", ns, "addr", "add", `${privateIp}/32`, "dev", "eth0"]);
  await ip(["-n", ns, "route", "add", `${IMDS_ADDRESS}/32`, "dev", "eth0", "src", privateIp]);
  // The host (which answers for 169.254.169.254) is the gateway: beyond it, traffic is forwarded (see enableEgress).
  await ip(["-n", ns, "route", "add", "default", "via", IMDS_ADDRESS, "dev", "eth0", "onlink", "src", privateIp]);
  await ip(["route", "replace", `${privateIp}/32`, "dev", host]);
  await readdress(instanceId, undefined, publicIp);
}

/** Removes the namespace and the link (the host routes go with the link). */
export async function unplumb(instanceId: string): Promise<void> {
  await ip(["link", "del", hostInterface(instanceId)], GONE);
  await ip(["netns", "del", netnsName(instanceId)], GONE);
}

/** Bytes and packets through the instance's link so far (the host side's rx is the instance's out). */
export function linkCounters(instanceId: string): { inBytes: number; outBytes: number; inPackets: number; outPackets: number } | undefined {
  const base = `/sys/class/net/${hostInterface(instanceId)}/statistics`;
  try {
    const [rxb, txb, rxp, txp] = ["rx_bytes", "tx_bytes", "rx_packets", "tx_packets"].map((f) => Number(readFileSync(`${base}/${f}`, "utf8")));
    return { outBytes: rxb, inBytes: txb, outPackets: rxp, inPackets: txp };
  } catch {
    return undefined;
  }
}

/** Moves the instance's public address from `from` to `to` (either may be absent). */
export async function readdress(instanceId: string, from: string | undefined, to: string | undefined): Promise<void> {
  const ns = netnsName(instanceId);
  if (from) {
    await ip(["route", "del", `${from}/32`, "dev", hostInterface(instanceId)], GONE);
    await ip(["-n", ns, "addr", "del", `${from}/32`, "dev", "eth0"], GONE);
  }
  if (to) {
    await ip(["-n", ns, "addr", "add", `${to}/32`, "dev", "eth0"], EXISTS);
    await ip(["route", "replace", `${to}/32`, "dev", hostInterface(instanceId)]);
  }
}

const NFT = "/usr/sbin/nft";
const FORWARD = "/proc/sys/net/ipv4/ip_forward";

/**
 * Lets instances out to wherever the host reaches (package mirrors, PyPI): forwarding on, and
 * their traffic masqueraded behind the host's address (an nftables table of Stratus's own).
 * Returns how to undo it, or undefined where the host has no nft (instances then reach the
 * host only).
 */
export async function enableEgress(stateDir: string): Promise<(() => Promise<void>) | undefined> {
  if (!existsSync(NFT)) return undefined;
  // The host's own setting, kept on disk: a Stratus killed while forwarding is on still restores it next time.
  const saved = path.join(stateDir, "ip_forward.host");
  if (!existsSync(saved)) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(saved, readFileSync(FORWARD, "utf8").trim());
  }
  writeFileSync(FORWARD, "1");
  await sh(NFT, ["delete", "table", "ip", "stratus"]).catch(() => undefined);
  await sh(NFT, ["add", "table", "ip", "stratus"]);
  await sh(NFT, ["add", "chain", "ip", "stratus", "postrouting", "{ type nat hook postrouting priority 100 ; }"]);
  await sh(NFT, ["add", "rule", "ip", "stratus", "postrouting", "iifname", "st*", "oifname", "!=", "st*", "masquerade"]);
  return async () => {
    await sh(NFT, ["delete", "table", "ip", "stratus"]).catch(() => undefined);
    writeFileSync(FORWARD, readFileSync(saved, "utf8"));
    rmSync(saved, { force: true });
  };
}
