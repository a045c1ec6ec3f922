/**
 * Tags on alarms (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME), dashboards
 * (arn:aws:cloudwatch::ACCOUNT:dashboard/NAME) and alarm mute rules
 * (arn:aws:cloudwatch:REGION:ACCOUNT:alarm-mute-rule:NAME): at most 50 per
 * resource, keys unique, aws: prefix reserved.
 */
import type {
  ListTagsForResourceInput,
  ListTagsForResourceOutput,
  Tag,
  TagResourceInput,
  TagResourceOutput,
  UntagResourceInput,
  UntagResourceOutput,
} from "../../generated/cloudwatch.js";
import type { Scope } from "../../state/documents.js";
import type { Alarms } from "./alarms/alarms.js";
import type { MuteRules } from "./alarms/mute-rules.js";
import type { Dashboards } from "./dashboards.js";
import { CwErrors } from "./errors.js";

const MAX_TAGS = 50;

interface Tagged {
  tags: Tag[];
  save(tags: Tag[]): void;
}

export class Tags {
  constructor(
    private readonly alarms: Alarms,
    private readonly dashboards: Dashboards,
    private readonly muteRules: MuteRules,
  ) {}

  private resolve(scope: Scope, resourceArn: string): Tagged {
    const alarm = this.alarms.findByArn(scope, resourceArn);
    if (alarm) return { tags: alarm.tags, save: (tags) => this.alarms.setTags(scope, alarm.alarm.AlarmName!, tags) };
    const dashboard = this.dashboards.findByArn(scope.account, resourceArn);
    if (dashboard) return { tags: dashboard.tags, save: (tags) => this.dashboards.setTags(scope.account, dashboard.name, tags) };
    const rule = this.muteRules.findByArn(scope, resourceArn);
    if (rule) return { tags: rule.tags, save: (tags) => this.muteRules.setTags(scope, rule.name, tags) };
    if (!/^arn:aws[a-z-]*:cloudwatch:/.test(resourceArn)) throw CwErrors.invalidValue(resourceArn, "ResourceARN");
    const type = resourceArn.includes(":alarm:")
      ? "alarm"
      : resourceArn.includes(":dashboard/")
        ? "dashboard"
        : resourceArn.includes(":alarm-mute-rule:")
          ? "alarm-mute-rule"
          : "resource";
    throw CwErrors.resourceNotFoundException(type, resourceArn);
  }

  tag(scope: Scope, input: TagResourceInput): TagResourceOutput {
    const target = this.resolve(scope, input.ResourceARN);
    const merged = new Map(target.tags.map((t) => [t.Key, t.Value]));
    for (const tag of input.Tags) {
      if (tag.Key.startsWith("aws:")) throw CwErrors.invalidValue(tag.Key, "Tags.Key");
      merged.set(tag.Key, tag.Value);
    }
    if (merged.size > MAX_TAGS) throw CwErrors.limitExceeded(`A resource can have at most ${MAX_TAGS} tags.`);
    target.save([...merged].map(([Key, Value]) => ({ Key, Value })));
    return {};
  }

  untag(scope: Scope, input: UntagResourceInput): UntagResourceOutput {
    const target = this.resolve(scope, input.ResourceARN);
    const drop = new Set(input.TagKeys);
    target.save(target.tags.filter((t) => !drop.has(t.Key)));
    return {};
  }

  list(scope: Scope, input: ListTagsForResourceInput): ListTagsForResourceOutput {
    let target: Tagged;
    try {
      target = this.resolve(scope, input.ResourceARN);
    } catch (error) {
      // AWS lists no tags, rather than failing, for a well-formed ARN naming nothing (a deleted alarm).
      if ((error as { code?: string }).code === "ResourceNotFoundException") return { Tags: [] };
      throw error;
    }
    return { Tags: target.tags.map((t) => ({ Key: t.Key, Value: t.Value })) };
  }
}
