/**
 * EBS: the block store behind every volume and snapshot, the volume and
 * snapshot services that EC2's operations, the instance side and DLM use,
 * and the EBS direct API (rest-json) reading and writing snapshot blocks.
 */
import { SnapshotTiers } from "./snapshot-tiers.js";
import type { Readable } from "node:stream";
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import type {
  CompleteSnapshotRequest,
  CompleteSnapshotResponse,
  EbsOperations,
  GetSnapshotBlockRequest,
  GetSnapshotBlockResponse,
  ListChangedBlocksRequest,
  ListChangedBlocksResponse,
  ListSnapshotBlocksRequest,
  ListSnapshotBlocksResponse,
  PutSnapshotBlockRequest,
  PutSnapshotBlockResponse,
  StartSnapshotRequest,
  StartSnapshotResponse,
} from "../../generated/ebs.js";
import type { Scope } from "../../state/documents.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { BLOCK_SIZE, BlockStore, sha256 } from "./blocks/block-store.js";
import { Ec2Link } from "./ec2-link.js";
import { defaultKmsKeyArn } from "./kms-keys.js";
import { EbsBilling } from "./billing.js";
import { EbsMetrics } from "./metrics.js";
import type { EbsSnapshot } from "./records.js";
import { SnapshotService } from "./snapshot-service.js";
import { DIRECT_SNAPSHOT_DEFAULT_TIMEOUT_MIN } from "./timings.js";
import { VolumeService } from "./volume-service.js";

type Implemented = Pick<
  EbsOperations,
  "StartSnapshot" | "PutSnapshotBlock" | "CompleteSnapshot" | "ListSnapshotBlocks" | "ListChangedBlocks" | "GetSnapshotBlock"
>;

/** Block tokens and page tokens stay valid this long, as the EBS direct API documents. */
const TOKEN_LIFETIME_MS = 7 * 86_400_000;
const DEFAULT_MAX_RESULTS = 10_000;

const validation = (message: string, reason?: string) =>
  new AwsError("ValidationException", message, { status: 400, fields: { Message: message, Reason: reason } });
const notFound = (snapshotId: string) =>
  new AwsError("ResourceNotFoundException", `The snapshot '${snapshotId}' does not exist.`, {
    status: 404,
    fields: { Message: `The snapshot '${snapshotId}' does not exist.`, Reason: "SNAPSHOT_NOT_FOUND" },
  });

export class EbsProvider implements ServiceProvider, Implemented {
  /** Bytes of every volume and snapshot (also the runtime's way to the volume files). */
  readonly blocks: BlockStore;
  readonly ec2: Ec2Link;
  readonly volumes: VolumeService;
  readonly snapshots: SnapshotService;
  readonly tiers: SnapshotTiers;
  readonly metrics: EbsMetrics;
  readonly billing: EbsBilling;

  constructor(readonly cloud: Cloud) {
    // In memory mode nothing outlives the process, so block files skip fsync.
    this.blocks = new BlockStore(cloud.blobsDir, cloud.db, { durable: cloud.options.storage === "disk" });
    this.ec2 = new Ec2Link(cloud);
    this.volumes = new VolumeService(cloud, this.blocks, this.ec2);
    this.snapshots = new SnapshotService(cloud, this.blocks, this.ec2, this.volumes);
    this.tiers = new SnapshotTiers(cloud, this.ec2);
    this.metrics = new EbsMetrics(cloud, this.blocks, this.ec2);
    this.volumes.onAttach = () => this.metrics.ensureTicking();
    this.billing = new EbsBilling(cloud, this.blocks, this.ec2);
    this.snapshots.onForget = (id) => this.tiers.forget(id);
    this.tiers.onLeaveArchive = (scope, snapshot, now) => this.billing.leftArchive(scope, snapshot, now);
    this.volumes.onCreate = this.snapshots.onCreate = () => this.billing.ensureTicking();
    this.volumes.onDelete = (scope, volume) => this.billing.volumeDeleted(scope, volume);
    this.snapshots.onDelete = (scope, snapshot) => this.billing.snapshotDeleted(scope, snapshot);
    this.volumes.findSnapshot = (scope, id) => this.snapshots.findRestorable(scope, id);
  }

  onStart(): void {
    this.volumes.onStart();
    this.snapshots.onStart();
    this.tiers.onStart();
    this.metrics.onStart();
    this.billing.onStart();
  }

  // ------------------------------------------------------------ writing

  StartSnapshot(input: StartSnapshotRequest, ctx: CallContext): StartSnapshotResponse {
    const scope = scopeOf(ctx);
    if (input.ClientToken) {
      const earlier = this.ec2.snapshots(scope).values().find((s) => s._clientToken === input.ClientToken);
      if (earlier) {
        if (earlier.VolumeSize !== input.VolumeSize || (earlier.Description ?? "") !== (input.Description ?? "")) {
          throw new AwsError("ConflictException", "The request uses the same client token as a previous, but non-identical request.", { status: 409 });
        }
        return this.startResponse(earlier, input.ParentSnapshotId);
      }
    }
    const volumeSize = Number(input.VolumeSize);
    if (volumeSize > 65536) throw validation(`The volume size ${volumeSize} GiB is invalid; the maximum is 65536 GiB.`, "INVALID_VOLUME_SIZE");
    let encrypted = input.Encrypted === true;
    let kmsKeyArn = input.KmsKeyArn;
    if (input.ParentSnapshotId) {
      const parent = this.readable(scope, input.ParentSnapshotId);
      if (volumeSize < (parent.VolumeSize ?? 0)) {
        throw validation(`The volume size must be at least the size of the parent snapshot (${parent.VolumeSize} GiB).`, "INVALID_VOLUME_SIZE");
      }
      if (parent.Encrypted) {
        if (input.Encrypted === false || input.Encrypted === undefined) {
          throw validation("Encrypted must be true when the parent snapshot is encrypted.", "INVALID_PARAMETER_VALUE");
        }
        kmsKeyArn ??= parent.KmsKeyId;
      }
    }
    if (kmsKeyArn && !encrypted) throw validation("KmsKeyArn requires Encrypted to be true.", "INVALID_PARAMETER_VALUE");
    if (encrypted && !kmsKeyArn) kmsKeyArn = defaultKmsKeyArn(scope);
    const tags = (input.Tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
    for (const tag of tags) if (!tag.Key || tag.Key.toLowerCase().startsWith("aws:")) throw validation(`The tag key '${tag.Key}' is invalid.`, "INVALID_TAG");
    encrypted = encrypted || kmsKeyArn !== undefined;
    const record = this.snapshots.startDirect(scope, {
      volumeSize,
      parentSnapshotId: input.ParentSnapshotId,
      description: input.Description,
      tags,
      encrypted,
      kmsKeyArn,
      timeoutMinutes: input.Timeout ?? DIRECT_SNAPSHOT_DEFAULT_TIMEOUT_MIN,
      clientToken: input.ClientToken,
    });
    return this.startResponse(record, input.ParentSnapshotId);
  }

  private startResponse(record: EbsSnapshot, parentSnapshotId?: string): StartSnapshotResponse {
    return {
      SnapshotId: record.SnapshotId,
      OwnerId: record.OwnerId,
      Status: record.State === "completed" ? "completed" : record.State === "error" ? "error" : "pending",
      StartTime: record.StartTime,
      VolumeSize: record.VolumeSize,
      BlockSize: BLOCK_SIZE,
      Tags: record.Tags,
      ParentSnapshotId: parentSnapshotId,
      KmsKeyArn: record.KmsKeyId,
      Description: record.Description || undefined,
      SseType: record.Encrypted ? "sse-ebs" : "none",
    };
  }

  async PutSnapshotBlock(input: PutSnapshotBlockRequest, ctx: CallContext): Promise<PutSnapshotBlockResponse> {
    const scope = scopeOf(ctx);
    const record = this.writable(scope, input.SnapshotId);
    const blockTotal = (record.VolumeSize ?? 0) * (1024 ** 3 / BLOCK_SIZE);
    if (input.BlockIndex >= blockTotal) {
      throw validation(`The block index ${input.BlockIndex} is out of range for a ${record.VolumeSize} GiB snapshot.`, "INVALID_BLOCK");
    }
    if (input.DataLength !== BLOCK_SIZE) throw validation(`The data length must be ${BLOCK_SIZE} bytes.`, "INVALID_PARAMETER_VALUE");
    if (input.ChecksumAlgorithm !== "SHA256") throw validation("The checksum algorithm must be SHA256.", "INVALID_PARAMETER_VALUE");
    const data = await readAll(input.BlockData, BLOCK_SIZE);
    if (data.length !== BLOCK_SIZE) throw validation(`The block data is ${data.length} bytes; it must be ${BLOCK_SIZE} bytes.`, "INVALID_BLOCK");
    const checksum = sha256(data).toString("base64");
    if (checksum !== input.Checksum) throw validation("The checksum of the block data does not match the checksum you provided.", "INVALID_BLOCK");
    await this.blocks.putBlock(input.SnapshotId, input.BlockIndex, data, checksum);
    if (input.Progress !== undefined) this.ec2.snapshots(scope).update(input.SnapshotId, (s) => void (s.Progress = `${input.Progress}%`));
    return { Checksum: checksum, ChecksumAlgorithm: "SHA256" };
  }

  CompleteSnapshot(input: CompleteSnapshotRequest, ctx: CallContext): CompleteSnapshotResponse {
    const scope = scopeOf(ctx);
    const record = this.writable(scope, input.SnapshotId);
    const written = this.blocks.writtenBlocks(input.SnapshotId);
    if (input.ChangedBlocksCount !== written.length) {
      throw validation(`ChangedBlocksCount is ${input.ChangedBlocksCount} but ${written.length} blocks were written to the snapshot.`, "INVALID_PARAMETER_VALUE");
    }
    if (input.Checksum !== undefined) {
      if (input.ChecksumAlgorithm !== "SHA256" || input.ChecksumAggregationMethod !== "LINEAR") {
        throw validation("An aggregated checksum needs ChecksumAlgorithm SHA256 and ChecksumAggregationMethod LINEAR.", "INVALID_PARAMETER_VALUE");
      }
      // The block checksums in index order, concatenated (as their bytes or their base64 text).
      const raw = sha256(Buffer.concat(written.map((w) => Buffer.from(w.checksum, "base64")))).toString("base64");
      const text = sha256(Buffer.from(written.map((w) => w.checksum).join(""), "utf8")).toString("base64");
      if (input.Checksum !== raw && input.Checksum !== text) {
        throw validation("The aggregated checksum does not match the checksums of the blocks written.", "INVALID_PARAMETER_VALUE");
      }
    }
    void record;
    this.snapshots.completeDirect(scope, input.SnapshotId);
    return { Status: "pending" };
  }

  // ------------------------------------------------------------ reading

  ListSnapshotBlocks(input: ListSnapshotBlocksRequest, ctx: CallContext): ListSnapshotBlocksResponse {
    const scope = scopeOf(ctx);
    const record = this.readable(scope, input.SnapshotId);
    const start = this.startIndex(input.NextToken, input.SnapshotId, input.StartingBlockIndex);
    const limit = input.MaxResults ?? DEFAULT_MAX_RESULTS;
    const page = this.blocks.blocks(input.SnapshotId, start, limit + 1);
    const more = page.length > limit;
    const items = page.slice(0, limit);
    const now = this.cloud.clock.now();
    return {
      Blocks: items.map((b) => ({ BlockIndex: b.index, BlockToken: blockToken(b.hash) })),
      ExpiryTime: new Date(now + TOKEN_LIFETIME_MS),
      VolumeSize: record.VolumeSize,
      BlockSize: BLOCK_SIZE,
      NextToken: more ? pageToken(input.SnapshotId, page[limit].index) : undefined,
    };
  }

  ListChangedBlocks(input: ListChangedBlocksRequest, ctx: CallContext): ListChangedBlocksResponse {
    const scope = scopeOf(ctx);
    const second = this.readable(scope, input.SecondSnapshotId);
    const firstStored = input.FirstSnapshotId ? (this.readable(scope, input.FirstSnapshotId), this.blocks.snapshot(input.FirstSnapshotId)) : undefined;
    const secondStored = this.blocks.snapshot(input.SecondSnapshotId)!;
    if (firstStored && firstStored.lineage !== secondStored.lineage) {
      throw validation("The snapshots are not from the same volume lineage.", "UNRELATED_SNAPSHOTS");
    }
    const start = this.startIndex(input.NextToken, input.SecondSnapshotId, input.StartingBlockIndex);
    const limit = input.MaxResults ?? DEFAULT_MAX_RESULTS;
    const firstBlocks = new Map(firstStored ? this.blocks.blocks(firstStored.snapshotId, start).map((b) => [b.index, b.hash]) : []);
    const secondBlocks = new Map(this.blocks.blocks(input.SecondSnapshotId, start).map((b) => [b.index, b.hash]));
    const indices = [...new Set([...firstBlocks.keys(), ...secondBlocks.keys()])].sort((a, b) => a - b);
    const changed: NonNullable<ListChangedBlocksResponse["ChangedBlocks"]> = [];
    let next: number | undefined;
    for (const index of indices) {
      const a = firstBlocks.get(index);
      const b = secondBlocks.get(index);
      if (a === b) continue;
      if (changed.length === limit) {
        next = index;
        break;
      }
      changed.push({ BlockIndex: index, FirstBlockToken: a && blockToken(a), SecondBlockToken: b && blockToken(b) });
    }
    return {
      ChangedBlocks: changed,
      ExpiryTime: new Date(this.cloud.clock.now() + TOKEN_LIFETIME_MS),
      VolumeSize: second.VolumeSize,
      BlockSize: BLOCK_SIZE,
      NextToken: next !== undefined ? pageToken(input.SecondSnapshotId, next) : undefined,
    };
  }

  async GetSnapshotBlock(input: GetSnapshotBlockRequest, ctx: CallContext): Promise<GetSnapshotBlockResponse> {
    const scope = scopeOf(ctx);
    this.readable(scope, input.SnapshotId);
    const hash = this.blocks.blockAt(input.SnapshotId, input.BlockIndex);
    if (!hash || blockToken(hash) !== input.BlockToken) {
      throw validation("The block token is not valid for this snapshot and block index.", "INVALID_BLOCK_TOKEN");
    }
    const data = await this.blocks.readBlock(input.SnapshotId, input.BlockIndex);
    if (!data) throw validation("The block token is not valid for this snapshot and block index.", "INVALID_BLOCK_TOKEN");
    return { BlockData: data, DataLength: data.length, Checksum: sha256(data).toString("base64"), ChecksumAlgorithm: "SHA256" };
  }

  // ----------------------------------------------------------- internals

  /** A completed snapshot of this account (the direct API reads nothing else). */
  private readable(scope: Scope, snapshotId: string): EbsSnapshot {
    const record = this.ec2.snapshots(scope).get(snapshotId);
    if (!record || !this.blocks.snapshot(snapshotId)) throw notFound(snapshotId);
    if (record.State !== "completed") throw validation(`The snapshot '${snapshotId}' is not in the completed state.`, "INVALID_SNAPSHOT_ID");
    return record;
  }

  /** A snapshot opened with StartSnapshot and not yet completed. */
  private writable(scope: Scope, snapshotId: string): EbsSnapshot {
    const record = this.ec2.snapshots(scope).get(snapshotId);
    if (!record || !this.blocks.snapshot(snapshotId)) throw notFound(snapshotId);
    if (record._source !== "direct" || record.State !== "pending" || record._completeAt !== undefined) {
      throw validation(`The snapshot '${snapshotId}' is not open for writing.`, "INVALID_SNAPSHOT_ID");
    }
    return record;
  }

  /** NextToken wins over StartingBlockIndex, as the EBS direct API documents. */
  private startIndex(token: string | undefined, snapshotId: string, starting: number | undefined): number {
    if (!token) return starting ?? 0;
    try {
      const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { s: string; i: number };
      if (parsed.s === snapshotId && Number.isInteger(parsed.i) && parsed.i >= 0) return parsed.i;
    } catch {
      // fall through
    }
    throw validation("The pagination token is not valid.", "INVALID_PAGE_TOKEN");
  }
}

function scopeOf(ctx: CallContext): Scope {
  return { account: ctx.account, region: ctx.region };
}

/** Opaque to clients: a version byte and the block's SHA-256, base64. */
function blockToken(hash: string): string {
  return Buffer.concat([Buffer.from([1]), Buffer.from(hash, "hex")]).toString("base64");
}

function pageToken(snapshotId: string, index: number): string {
  return Buffer.from(JSON.stringify({ s: snapshotId, i: index })).toString("base64");
}

async function readAll(body: Readable | Buffer | string | undefined, limit: number): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === "string") return Buffer.from(body);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    total += buffer.length;
    if (total > limit) {
      body.destroy();
      throw validation(`The block data is larger than ${limit} bytes.`, "INVALID_BLOCK");
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
