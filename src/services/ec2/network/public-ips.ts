/**
 * Public IPv4 addresses and DNS names. Addresses come from blocks AWS uses
 * in each region; one is never handed to two holders at once.
 */
import { crypto } from "../../../core/crypto.js";
import { cidrSize, intToIp, parseCidr4 } from "./cidr.js";

const BLOCKS: Record<string, string[]> = {
  "us-east-1": ["3.80.0.0/12", "44.192.0.0/11", "54.160.0.0/11"],
  "us-east-2": ["3.128.0.0/12", "18.216.0.0/14"],
  "us-west-1": ["13.52.0.0/16", "54.176.0.0/15"],
  "us-west-2": ["34.208.0.0/12", "54.184.0.0/13"],
  "eu-west-1": ["34.240.0.0/13", "54.72.0.0/15"],
  "eu-central-1": ["3.120.0.0/14", "18.184.0.0/15"],
  "ap-northeast-1": ["13.112.0.0/14", "54.64.0.0/15"],
  "ap-southeast-1": ["13.212.0.0/15", "54.169.0.0/16"],
};
const FALLBACK = ["15.160.0.0/12"];

/** A free public address of the region (not in `inUse`). */
export function allocatePublicIp(region: string, inUse: ReadonlySet<string>): string {
  const blocks = (BLOCKS[region] ?? FALLBACK).map((b) => parseCidr4(b)!);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const block = blocks[crypto().randomInt(blocks.length)];
    const n = block.base + crypto().randomInt(cidrSize(block));
    const last = n & 255;
    if (last === 0 || last === 255) continue;
    const ip = intToIp(n);
    if (!inUse.has(ip)) return ip;
  }
  throw new Error("no free public address");
}

/** ec2-3-80-1-2.compute-1.amazonaws.com (us-east-1) or ec2-...<region>.compute.amazonaws.com. */
export function publicDnsName(region: string, ip: string): string {
  const host = `ec2-${ip.replace(/\./g, "-")}`;
  return region === "us-east-1" ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`;
}

/** ip-172-31-1-2.ec2.internal (us-east-1) or ip-...<region>.compute.internal. */
export function privateDnsName(region: string, ip: string): string {
  const host = `ip-${ip.replace(/\./g, "-")}`;
  return region === "us-east-1" ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}
