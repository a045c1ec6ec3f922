/**
 * The instance metadata an instance reads at 169.254.169.254 (IMDS), as EC2
 * lays it out: /latest/meta-data/ (a tree of text values; a directory lists
 * its entries, subdirectories with a trailing "/"), /latest/user-data and
 * /latest/dynamic/instance-identity/document.
 */

/** What IMDS knows of an instance (built by EC2 from its record). */
export interface ImdsInstance {
  account: string;
  region: string;
  instanceId: string;
  instanceType: string;
  imageId: string;
  architecture: string;
  launchIndex: number;
  launchTime: Date;
  availabilityZone: string;
  availabilityZoneId: string;
  privateIp: string;
  privateDnsName: string;
  publicIp?: string;
  publicDnsName?: string;
  mac: string;
  interfaceId: string;
  subnetId: string;
  subnetCidr: string;
  vpcId: string;
  vpcCidr: string;
  securityGroups: Array<{ id: string; name: string }>;
  reservationId: string;
  keyName?: string;
  publicKey?: string;
  userData: Buffer;
  lifecycle: "on-demand" | "spot";
  /** A spot interruption notice: what happens and when. */
  spotAction?: { action: string; time: Date };
  /** Tags, when the instance's metadata options allow them (InstanceMetadataTags=enabled). */
  tags?: Record<string, string>;
  httpTokens: "optional" | "required";
  httpEndpoint: "enabled" | "disabled";
  /** The instance profile's role, if any. */
  role?: { name: string; profileArn: string; profileId: string };
}

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
  expiration: Date;
  issued: Date;
}

/** Why the instance's role yields no credentials (its trust policy does not let EC2 assume it), as iam/info reports it. */
export interface RoleRefusal {
  code: string;
  message: string;
  at: Date;
}

type Tree = { [name: string]: string | Tree };

function isRefusal(value: RoleCredentials | RoleRefusal | undefined): value is RoleRefusal {
  return value !== undefined && "code" in value;
}

/** "2024-05-01T12:00:00Z": IMDS's time format (no milliseconds). */
export function imdsTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function metaData(i: ImdsInstance, credentials: () => RoleCredentials | RoleRefusal | undefined): Tree {
  const nic: Tree = {
    "device-number": "0",
    "interface-id": i.interfaceId,
    "local-hostname": i.privateDnsName,
    "local-ipv4s": i.privateIp,
    mac: i.mac,
    "owner-id": i.account,
    "security-group-ids": i.securityGroups.map((g) => g.id).join("\n"),
    "security-groups": i.securityGroups.map((g) => g.name).join("\n"),
    "subnet-id": i.subnetId,
    "subnet-ipv4-cidr-block": i.subnetCidr,
    "vpc-id": i.vpcId,
    "vpc-ipv4-cidr-block": i.vpcCidr,
    "vpc-ipv4-cidr-blocks": i.vpcCidr,
  };
  if (i.publicIp) Object.assign(nic, { "public-hostname": i.publicDnsName ?? "", "public-ipv4s": i.publicIp });
  const tree: Tree = {
    "ami-id": i.imageId,
    "ami-launch-index": String(i.launchIndex),
    "ami-manifest-path": "(unknown)",
    "block-device-mapping": { ami: "/dev/xvda", root: "/dev/xvda" },
    events: { maintenance: { history: "[]", scheduled: "[]" } },
    hostname: i.privateDnsName,
    "instance-action": "none",
    "instance-id": i.instanceId,
    "instance-life-cycle": i.lifecycle,
    "instance-type": i.instanceType,
    "local-hostname": i.privateDnsName,
    "local-ipv4": i.privateIp,
    mac: i.mac,
    network: { interfaces: { macs: { [i.mac]: nic } } },
    placement: { "availability-zone": i.availabilityZone, "availability-zone-id": i.availabilityZoneId, region: i.region },
    profile: "default-hvm",
    "reservation-id": i.reservationId,
    "security-groups": i.securityGroups.map((g) => g.name).join("\n"),
    services: { domain: "amazonaws.com", partition: "aws" },
  };
  if (i.publicIp) Object.assign(tree, { "public-hostname": i.publicDnsName ?? "", "public-ipv4": i.publicIp });
  if (i.keyName && i.publicKey) tree["public-keys"] = { [`0=${i.keyName}`]: { "openssh-key": i.publicKey } };
  if (i.spotAction) tree.spot = { "instance-action": JSON.stringify({ action: i.spotAction.action, time: imdsTime(i.spotAction.time) }), "termination-time": imdsTime(i.spotAction.time) };
  if (i.tags) tree.tags = { instance: { ...i.tags } };
  if (i.role) tree.iam = iamTree(i, i.role, credentials());
  return tree;
}

/**
 * iam/info and iam/security-credentials/<role>. A role EC2 may not assume
 * (its trust policy does not allow ec2.amazonaws.com) shows EC2's error in
 * iam/info and serves no credentials, as EC2 does.
 */
function iamTree(i: ImdsInstance, role: NonNullable<ImdsInstance["role"]>, creds: RoleCredentials | RoleRefusal | undefined): Tree {
  if (isRefusal(creds)) {
    return { info: JSON.stringify({ Code: creds.code, Message: creds.message, LastUpdated: imdsTime(creds.at) }, null, 2) };
  }
  const updated = imdsTime(creds?.issued ?? i.launchTime);
  const document = creds && {
    Code: "Success",
    LastUpdated: updated,
    Type: "AWS-HMAC",
    AccessKeyId: creds.accessKeyId,
    SecretAccessKey: creds.secretAccessKey,
    Token: creds.token,
    Expiration: imdsTime(creds.expiration),
  };
  return {
    info: JSON.stringify({ Code: "Success", LastUpdated: updated, InstanceProfileArn: role.profileArn, InstanceProfileId: role.profileId }, null, 2),
    "security-credentials": { [role.name]: document ? JSON.stringify(document, null, 2) : "" },
  };
}

function identityDocument(i: ImdsInstance): string {
  return JSON.stringify(
    {
      accountId: i.account,
      architecture: i.architecture,
      availabilityZone: i.availabilityZone,
      billingProducts: null,
      devpayProductCodes: null,
      marketplaceProductCodes: null,
      imageId: i.imageId,
      instanceId: i.instanceId,
      instanceType: i.instanceType,
      kernelId: null,
      pendingTime: imdsTime(i.launchTime),
      privateIp: i.privateIp,
      ramdiskId: null,
      region: i.region,
      version: "2017-09-30",
    },
    null,
    2,
  );
}

/** The answer to GET of a metadata path: its body, or undefined (404). */
export function lookup(i: ImdsInstance, path: string, credentials: () => RoleCredentials | RoleRefusal | undefined): string | Buffer | undefined {
  const clean = path.replace(/\/{2,}/g, "/");
  if (clean === "/" || clean === "") return "latest";
  const m = /^\/latest(\/.*)?$/.exec(clean);
  if (!m) return undefined;
  const rest = m[1] ?? "/";
  if (rest === "/" ) return "dynamic\nmeta-data\nuser-data";
  if (rest === "/user-data" || rest === "/user-data/") return i.userData.length ? i.userData : undefined;
  if (rest.startsWith("/dynamic")) {
    const dynamic: Tree = { "instance-identity": { document: identityDocument(i) } };
    return walk(dynamic, rest.slice("/dynamic".length));
  }
  if (rest === "/meta-data" || rest.startsWith("/meta-data/")) {
    // Only the credentials path mints credentials.
    const tree = metaData(i, rest.startsWith("/meta-data/iam/") ? credentials : () => undefined);
    return walk(tree, rest.slice("/meta-data".length));
  }
  return undefined;
}

function walk(tree: Tree, path: string): string | undefined {
  const parts = path.split("/").filter((p) => p !== "");
  let node: string | Tree = tree;
  for (const part of parts) {
    if (typeof node === "string") return undefined;
    // public-keys/0/ is listed as "0=name" and reached as "0".
    const key: string | undefined = part in node ? part : Object.keys(node).find((k) => k.startsWith(`${part}=`));
    if (key === undefined) return undefined;
    node = node[key];
  }
  if (typeof node === "string") return node;
  return Object.entries(node)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (typeof value === "string" || name.includes("=") ? name : `${name}/`))
    .join("\n");
}
