/**
 * Tags on every taggable EC2 resource: the TagSpecifications helper that the
 * creating operations (RunInstances, CreateSecurityGroup, ...) use, AWS's tag
 * limits, and CreateTags/DeleteTags/DescribeTags over every registered kind
 * (instances, volumes, snapshots, images, security groups, key pairs, addresses, VPCs,
 * subnets, spot requests...).
 */
import type { Cloud } from "../../cloud.js";
import type {
  CreateTagsRequest,
  DeleteTagsRequest,
  DescribeTagsRequest,
  DescribeTagsResult,
  ResourceType,
  Tag,
  TagDescription,
  TagSpecification,
} from "../../generated/ec2.js";
import type { Scope } from "../../state/documents.js";
import type { CallContext } from "../types.js";
import { Ec2Errors } from "./errors.js";
import { compileFilters } from "./filters.js";
import { isWellFormedId } from "./lookup.js";
import { paginate } from "./pagination.js";
import type { Ec2State, TaggableKind } from "./state.js";

export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;

/** Checks one set of tags as EC2 does before storing them. `forDelete` allows a missing Value. */
export function validateTags(tags: readonly Tag[], options: { forDelete?: boolean } = {}): void {
  const seen = new Set<string>();
  for (const tag of tags) {
    const key = tag.Key;
    if (key === undefined || key === null) throw Ec2Errors.missingParameter("Tag.Key");
    if (key.length === 0) throw Ec2Errors.invalidParameterValue("Tag key cannot be empty");
    if ([...key].length > MAX_TAG_KEY_LENGTH) {
      throw Ec2Errors.invalidParameterValue(`Tag key exceeds the maximum length of ${MAX_TAG_KEY_LENGTH} characters`);
    }
    if (tag.Value !== undefined && [...tag.Value].length > MAX_TAG_VALUE_LENGTH) {
      throw Ec2Errors.invalidParameterValue(`Tag value exceeds the maximum length of ${MAX_TAG_VALUE_LENGTH} characters`);
    }
    if (key.toLowerCase().startsWith("aws:")) {
      throw Ec2Errors.invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
    }
    if (!options.forDelete) {
      if (seen.has(key)) throw Ec2Errors.invalidParameterValue(`Duplicate tag key '${key}' specified.`);
      seen.add(key);
    }
  }
  if (!options.forDelete && tags.length > MAX_TAGS_PER_RESOURCE) throw Ec2Errors.tagLimitExceeded();
}

/** Normalises tags for storage: every tag has a Value ("" when absent). */
export function normaliseTags(tags: readonly Tag[] | undefined): Tag[] {
  return (tags ?? []).map((tag) => ({ Key: tag.Key!, Value: tag.Value ?? "" }));
}

/** A resource as Describe shows it: no Tags member when it has none (a shallow copy only then). */
export function omitEmptyTags<T extends { Tags?: Tag[] }>(record: T): T {
  return record.Tags?.length ? record : { ...record, Tags: undefined };
}

/** Tags merged into existing ones (a new value for a key replaces the old one). */
export function mergeTags(existing: readonly Tag[] | undefined, added: readonly Tag[]): Tag[] {
  const out = new Map<string, string>();
  for (const tag of existing ?? []) out.set(tag.Key!, tag.Value ?? "");
  for (const tag of added) out.set(tag.Key!, tag.Value ?? "");
  const merged = [...out].map(([Key, Value]) => ({ Key, Value }));
  if (merged.filter((t) => !t.Key.startsWith("aws:")).length > MAX_TAGS_PER_RESOURCE) throw Ec2Errors.tagLimitExceeded();
  return merged;
}

/**
 * The tags a TagSpecifications list gives each resource type. `allowed` are
 * the types this operation can tag (RunInstances: instance, volume,
 * network-interface, spot-instances-request...).
 */
export function tagsBySpecification(
  specifications: readonly TagSpecification[] | undefined,
  allowed: readonly ResourceType[],
): Map<ResourceType, Tag[]> {
  const out = new Map<ResourceType, Tag[]>();
  for (const spec of specifications ?? []) {
    const type = spec.ResourceType;
    if (!type) throw Ec2Errors.missingParameter("TagSpecification.ResourceType");
    if (!allowed.includes(type)) {
      throw Ec2Errors.invalidParameterValue(`'${type}' is not a valid taggable resource type for this operation.`);
    }
    if (out.has(type)) {
      throw Ec2Errors.invalidParameterValue(`The same resource type may not be specified more than once in tag specifications`);
    }
    const tags = spec.Tags ?? [];
    validateTags(tags);
    out.set(type, normaliseTags(tags));
  }
  return out;
}

/** The one resource type an operation creates (CreateSecurityGroup → security-group): its tags, or []. */
export function tagsFor(specifications: readonly TagSpecification[] | undefined, type: ResourceType): Tag[] {
  return tagsBySpecification(specifications, [type]).get(type) ?? [];
}

/** The registered kind an id belongs to, when the id has that kind's shape. */
function kindOf(state: Ec2State, id: string): TaggableKind | undefined {
  const dash = id.indexOf("-");
  if (dash <= 0) return undefined;
  const kind = state.taggableKind(id.slice(0, dash));
  if (!kind) return undefined;
  return (kind.idPattern ? kind.idPattern.test(id) : isWellFormedId(id, kind.prefix)) ? kind : undefined;
}

/** CreateTags, DeleteTags, DescribeTags. */
export class TagsModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
  ) {}

  CreateTags(input: CreateTagsRequest, ctx: CallContext): void {
    const scope = { account: ctx.account, region: ctx.region };
    validateTags(input.Tags ?? []);
    const tags = normaliseTags(input.Tags);
    const targets = this.resolve(scope, input.Resources ?? []);
    // Check every resource's limit before changing any.
    const merged = targets.map(({ kind, id, record }) => ({ kind, id, tags: mergeTags(record.Tags, tags) }));
    this.cloud.documents.transaction(() => {
      for (const { kind, id, tags: next } of merged) kind.collection(scope).update(id, (doc) => void (doc.Tags = next));
    });
  }

  DeleteTags(input: DeleteTagsRequest, ctx: CallContext): void {
    const scope = { account: ctx.account, region: ctx.region };
    const wanted = input.Tags;
    if (wanted) validateTags(wanted, { forDelete: true });
    const targets = this.resolve(scope, input.Resources ?? []);
    this.cloud.documents.transaction(() => {
      for (const { kind, id } of targets) {
        kind.collection(scope).update(id, (doc) => {
          doc.Tags = (doc.Tags ?? []).filter((tag) => {
            if (tag.Key!.startsWith("aws:")) return true;
            if (!wanted || wanted.length === 0) return false;
            return !wanted.some((w) => w.Key === tag.Key && (w.Value === undefined || w.Value === (tag.Value ?? "")));
          });
        });
      }
    });
  }

  DescribeTags(input: DescribeTagsRequest, ctx: CallContext): DescribeTagsResult {
    const scope = { account: ctx.account, region: ctx.region };
    const now = this.cloud.clock.now();
    const all: TagDescription[] = [];
    for (const kind of this.state.taggableKinds()) {
      const collection = kind.collection(scope);
      for (const id of collection.ids()) {
        const record = collection.get(id)!;
        if (!record.Tags?.length || (kind.visible && !kind.visible(record, now))) continue;
        for (const tag of record.Tags) all.push({ Key: tag.Key, Value: tag.Value ?? "", ResourceId: id, ResourceType: kind.resourceType });
      }
    }
    const predicate = compileFilters<TagDescription>(input.Filters, {
      fields: {
        key: (t) => t.Key,
        value: (t) => t.Value,
        "resource-id": (t) => t.ResourceId,
        "resource-type": (t) => t.ResourceType,
      },
      tags: (t) => [{ Key: t.Key, Value: t.Value }],
    });
    const page = paginate(all.filter(predicate), input, { min: 5, max: 1000 }, (t) => `${t.ResourceId}\u0000${t.Key}`);
    return { Tags: page.items, NextToken: page.nextToken };
  }

  /** Finds every resource named; unknown shapes answer InvalidID, missing ones Invalid<Kind>.NotFound. */
  private resolve(scope: Scope, ids: readonly string[]) {
    if (ids.length === 0) throw Ec2Errors.missingParameter("ResourceId");
    const now = this.cloud.clock.now();
    const found: Array<{ kind: TaggableKind; id: string; record: { Tags?: Tag[] } }> = [];
    const missing = new Map<TaggableKind, string[]>();
    for (const id of ids) {
      const kind = kindOf(this.state, id);
      if (!kind) throw Ec2Errors.invalidId(id);
      const record = kind.collection(scope).get(id);
      if (!record || (kind.visible && !kind.visible(record, now))) {
        missing.set(kind, [...(missing.get(kind) ?? []), id]);
        continue;
      }
      found.push({ kind, id, record });
    }
    for (const [kind, list] of missing) throw Ec2Errors.notFound(kind.notFound.code, kind.notFound.noun, list);
    return found;
  }
}
