/**
 * Finding resources by id the way EC2 does: malformed ids answer
 * Invalid<Kind>ID.Malformed, missing ones Invalid<Kind>ID.NotFound naming
 * every missing id.
 */
import type { ScopedCollection } from "../../state/documents.js";
import { Ec2Errors } from "./errors.js";

export interface IdKind {
  /** "vpc" (the id's prefix before the dash). */
  prefix: string;
  /** "InvalidVpcID.NotFound". */
  notFoundCode: string;
  /** The noun in "The vpc ID 'vpc-1' does not exist". */
  noun: string;
  /** "InvalidVpcID.Malformed". */
  malformedCode?: string;
  /** The id's full shape when it is not prefix + 8 or 17 hex digits. */
  pattern?: RegExp;
}

export function isWellFormedId(id: string, prefix: string): boolean {
  if (!id.startsWith(prefix + "-")) return false;
  const rest = id.slice(prefix.length + 1);
  return /^[0-9a-f]{8}$/.test(rest) || /^[0-9a-f]{17}$/.test(rest);
}

export function checkIdShape(id: string, kind: IdKind): void {
  const ok = kind.pattern ? kind.pattern.test(id) : isWellFormedId(id, kind.prefix);
  if (!ok) throw Ec2Errors.malformed(kind.malformedCode ?? kind.notFoundCode.replace(".NotFound", ".Malformed"), id, `${kind.prefix}-`);
}

/**
 * The records named by `ids`, in request order (duplicates once). `visible`
 * hides records that no longer count as existing.
 */
export function requireIds<T>(collection: ScopedCollection<T>, ids: readonly string[], kind: IdKind, visible?: (record: T) => boolean): T[] {
  const out: T[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    checkIdShape(id, kind);
    if (seen.has(id)) continue;
    seen.add(id);
    const record = collection.get(id);
    if (!record || (visible && !visible(record))) missing.push(id);
    else out.push(record);
  }
  if (missing.length) throw Ec2Errors.notFound(kind.notFoundCode, kind.noun, missing);
  return out;
}

/** One record by id, or its NotFound/Malformed error. */
export function requireId<T>(collection: ScopedCollection<T>, id: string, kind: IdKind, visible?: (record: T) => boolean): T {
  return requireIds(collection, [id], kind, visible)[0];
}

export const KINDS = {
  vpc: { prefix: "vpc", notFoundCode: "InvalidVpcID.NotFound", noun: "vpc" },
  subnet: { prefix: "subnet", notFoundCode: "InvalidSubnetID.NotFound", noun: "subnet" },
  igw: { prefix: "igw", notFoundCode: "InvalidInternetGatewayID.NotFound", noun: "internetGateway" },
  rtb: { prefix: "rtb", notFoundCode: "InvalidRouteTableID.NotFound", noun: "routeTable" },
  sg: { prefix: "sg", notFoundCode: "InvalidGroup.NotFound", noun: "security group", malformedCode: "InvalidGroupId.Malformed" },
  sgr: { prefix: "sgr", notFoundCode: "InvalidSecurityGroupRuleId.NotFound", noun: "security group rule", malformedCode: "InvalidSecurityGroupRuleId.Malformed" },
  instance: { prefix: "i", notFoundCode: "InvalidInstanceID.NotFound", noun: "instance" },
  image: { prefix: "ami", notFoundCode: "InvalidAMIID.NotFound", noun: "image" },
  keyPair: { prefix: "key", notFoundCode: "InvalidKeyPair.NotFound", noun: "key pair" },
  allocation: { prefix: "eipalloc", notFoundCode: "InvalidAllocationID.NotFound", noun: "allocation" },
  association: { prefix: "eipassoc", notFoundCode: "InvalidAssociationID.NotFound", noun: "association" },
  spotRequest: { prefix: "sir", notFoundCode: "InvalidSpotInstanceRequestID.NotFound", noun: "spot instance request", pattern: /^sir-[a-z0-9]{8}$/ },
  spotFleet: { prefix: "sfr", notFoundCode: "InvalidSpotFleetRequestId.NotFound", noun: "spot fleet request", pattern: /^sfr-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ },
} satisfies Record<string, IdKind>;
