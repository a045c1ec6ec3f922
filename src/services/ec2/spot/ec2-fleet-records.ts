/**
 * EC2 Fleet records: what a fleet stores beyond FleetData (its resolved
 * launch options, its members, its history), how DescribeFleets shows and
 * filters it, and DescribeFleetHistory. History keeps 48 hours of events,
 * as EC2 does: fleet-change (submitted, active, modify_in_progress,
 * modify_succeeded, expired, deleted_running, deleted_terminating, deleted),
 * instance-change (launched, termination_notified, terminated) and
 * service-error (launchSpecUnusable, fleetProgressHalted, launch errors).
 */
import type {
  CreateFleetInstance,
  DescribeFleetHistoryRequest,
  DescribeFleetHistoryResult,
  FleetData,
  FleetEventType,
  Filter,
  HistoryRecordEntry,
} from "../../../generated/ec2.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { paginate } from "../pagination.js";
import type { FleetOption } from "./ec2-fleet-config.js";

export const HISTORY_MS = 48 * 3_600_000;
/** How long a fleet done with its instances stays visible (as EC2 keeps deleted fleets). */
export const GONE_AFTER_MS = 2 * 86_400_000;

export interface FleetMember {
  instanceId: string;
  requestId?: string;
  lifecycle: "spot" | "on-demand";
  weight: number;
  type: string;
  zone: string;
  /** The index of the option it was launched from. */
  option: number;
}

type HistoryEntry = HistoryRecordEntry & { _n: number };

export type FleetRecord = FleetData & {
  _options: FleetOption[];
  _members: FleetMember[];
  _history: HistoryEntry[];
  _historySeq?: number;
  /** OnDemandTargetCapacity and SpotTargetCapacity as requested (the rest of the total goes to the default type). */
  _requested: { onDemand?: number; spot?: number };
  /** Epoch ms from which the fleet no longer exists. */
  _goneAt?: number;
};

export interface FleetEvent {
  type: FleetEventType;
  subType: string;
  description?: string;
  instanceId?: string;
}

/** Appends events at `now`, dropping those older than 48 hours. */
export function appendHistory(record: FleetRecord, events: readonly FleetEvent[], now: number): void {
  record._history = record._history.filter((e) => e.Timestamp!.getTime() > now - HISTORY_MS);
  for (const event of events) {
    record._historySeq = (record._historySeq ?? 0) + 1;
    record._history.push({
      _n: record._historySeq,
      Timestamp: new Date(now),
      EventType: event.type,
      EventInformation: { EventSubType: event.subType, EventDescription: event.description, InstanceId: event.instanceId },
    });
  }
}

export function isVisible(record: FleetRecord, now: number): boolean {
  return record._goneAt === undefined || now < record._goneAt;
}

/** A fleet as DescribeFleets shows it. */
export function fleetView(record: FleetRecord): FleetData {
  const { _options, _members, _history, _historySeq, _requested, _goneAt, ...rest } = record;
  return { ...rest, Tags: rest.Tags?.length ? rest.Tags : undefined };
}

/** Members grouped as CreateFleet's Instances (and DescribeFleets' for instant fleets): per option, zone and lifecycle. */
export function launchedView(record: FleetRecord, members: readonly FleetMember[]): CreateFleetInstance[] {
  const groups = new Map<string, CreateFleetInstance>();
  for (const m of members) {
    const key = `${m.option}/${m.zone}/${m.lifecycle}`;
    let group = groups.get(key);
    if (!group) {
      const source = record._options[m.option]?.source ?? {};
      const overrides = { ...source.Overrides, AvailabilityZone: source.Overrides?.SubnetId ? undefined : m.zone };
      group = { LaunchTemplateAndOverrides: { ...source, Overrides: overrides }, Lifecycle: m.lifecycle, InstanceIds: [], InstanceType: m.type as CreateFleetInstance["InstanceType"] };
      groups.set(key, group);
    }
    group.InstanceIds!.push(m.instanceId);
  }
  return [...groups.values()];
}

/** A value and its hyphenated form (DescribeFleets documents pending-fulfillment, deleted-running...). */
const both = (value: string | undefined) => (value === undefined ? [] : [value, value.replace(/_/g, "-")]);

export const fleetFilters = {
  fields: {
    "activity-status": (f: FleetRecord) => both(f.ActivityStatus),
    "excess-capacity-termination-policy": (f: FleetRecord) => [f.ExcessCapacityTerminationPolicy, String(f.ExcessCapacityTerminationPolicy === "termination")],
    "fleet-state": (f: FleetRecord) => both(f.FleetState),
    "replace-unhealthy-instances": (f: FleetRecord) => f.ReplaceUnhealthyInstances ?? false,
    type: (f: FleetRecord) => f.Type,
  },
  tags: tagsOf,
};

export function filterFleets(records: FleetRecord[], filters: Filter[] | undefined): FleetRecord[] {
  return records.filter(compileFilters<FleetRecord>(filters, fleetFilters));
}

/** DescribeFleetHistory: the events since StartTime, oldest first, in pages. */
export function historyPage(record: FleetRecord, input: DescribeFleetHistoryRequest, now: number): DescribeFleetHistoryResult {
  if (!input.StartTime) throw Ec2Errors.missingParameter("StartTime");
  const type = input.EventType;
  if (type !== undefined && !["instance-change", "fleet-change", "service-error"].includes(type)) throw Ec2Errors.invalidValueFor(type, "EventType");
  const start = input.StartTime.getTime();
  const entries = record._history.filter((e) => e.Timestamp!.getTime() >= start && (!type || e.EventType === type));
  const page = paginate(entries, input, { min: 1, max: 1000 }, (e) => `${e.Timestamp!.toISOString()}/${String(e._n).padStart(10, "0")}`);
  return {
    FleetId: record.FleetId,
    StartTime: input.StartTime,
    HistoryRecords: page.items.map(({ _n, ...entry }) => ({ ...entry, EventInformation: withoutEmpty(entry.EventInformation!) })),
    NextToken: page.nextToken,
    LastEvaluatedTime: page.nextToken ? undefined : new Date(now),
  };
}

function withoutEmpty<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
