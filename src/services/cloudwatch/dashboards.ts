/**
 * Dashboards are global per account (their ARN has no region):
 * arn:aws:cloudwatch::ACCOUNT:dashboard/NAME.
 */
import type { Cloud } from "../../cloud.js";
import { arn } from "../../core/ids.js";
import type {
  DeleteDashboardsInput,
  DeleteDashboardsOutput,
  GetDashboardInput,
  GetDashboardOutput,
  ListDashboardsInput,
  ListDashboardsOutput,
  PutDashboardInput,
  PutDashboardOutput,
  Tag,
} from "../../generated/cloudwatch.js";
import type { ScopedCollection } from "../../state/documents.js";
import { validateDashboardBody } from "./dashboard-body.js";
import { CwErrors } from "./errors.js";

export interface DashboardRecord {
  name: string;
  arn: string;
  body: string;
  lastModified: Date;
  tags: Tag[];
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const PAGE_SIZE = 1000;
const GLOBAL = "global";

export class Dashboards {
  constructor(private readonly cloud: Cloud) {}

  collection(account: string): ScopedCollection<DashboardRecord> {
    return this.cloud.documents.collection<DashboardRecord>("cloudwatch", "dashboard").scope({ account, region: GLOBAL });
  }

  arnFor(account: string, name: string): string {
    return arn({ service: "cloudwatch", account, resource: `dashboard/${name}` });
  }

  put(account: string, input: PutDashboardInput): PutDashboardOutput {
    if (!NAME.test(input.DashboardName)) throw CwErrors.dashboardName();
    const { json, messages } = validateDashboardBody(input.DashboardBody);
    if (!json) throw CwErrors.dashboardInvalid("The field DashboardBody must be a valid JSON object", [{ DataPath: "", Message: "Invalid JSON" }]);
    if (messages.length > 0) {
      const listed = JSON.stringify(messages.map((m) => ({ dataPath: m.DataPath, message: m.Message })), null, 2);
      throw CwErrors.dashboardInvalid(`The dashboard body is invalid, there are ${messages.length} validation errors:\n${listed}`, messages);
    }
    const dashboards = this.collection(account);
    const existing = dashboards.get(input.DashboardName);
    dashboards.put(input.DashboardName, {
      name: input.DashboardName,
      arn: this.arnFor(account, input.DashboardName),
      body: input.DashboardBody,
      lastModified: this.cloud.clock.date(),
      tags: input.Tags ?? existing?.tags ?? [],
    });
    return { DashboardValidationMessages: [] };
  }

  get(account: string, input: GetDashboardInput): GetDashboardOutput {
    const dashboard = this.collection(account).get(input.DashboardName);
    if (!dashboard) throw CwErrors.dashboardNotFound(input.DashboardName);
    return { DashboardArn: dashboard.arn, DashboardBody: dashboard.body, DashboardName: dashboard.name };
  }

  list(account: string, input: ListDashboardsInput): ListDashboardsOutput {
    const all = this.collection(account)
      .values()
      .filter((d) => !input.DashboardNamePrefix || d.name.startsWith(input.DashboardNamePrefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let from = 0;
    if (input.NextToken !== undefined) {
      const after = Buffer.from(input.NextToken, "base64").toString("utf8");
      if (!after.startsWith("db1:")) throw CwErrors.invalidNextToken();
      from = all.findIndex((d) => d.name > after.slice(4));
      if (from < 0) from = all.length;
    }
    const page = all.slice(from, from + PAGE_SIZE);
    const output: ListDashboardsOutput = {
      DashboardEntries: page.map((d) => ({
        DashboardName: d.name,
        DashboardArn: d.arn,
        LastModified: d.lastModified,
        Size: Buffer.byteLength(d.body),
      })),
    };
    if (from + PAGE_SIZE < all.length) output.NextToken = Buffer.from(`db1:${page[page.length - 1].name}`).toString("base64");
    return output;
  }

  delete(account: string, input: DeleteDashboardsInput): DeleteDashboardsOutput {
    const dashboards = this.collection(account);
    // All or nothing: one unknown name fails the whole call.
    if (input.DashboardNames.some((name) => !dashboards.has(name))) throw CwErrors.dashboardsNotFound();
    this.cloud.documents.transaction(() => {
      for (const name of input.DashboardNames) dashboards.delete(name);
    });
    return {};
  }

  findByArn(account: string, resourceArn: string): DashboardRecord | undefined {
    const prefix = this.arnFor(account, "");
    if (!resourceArn.startsWith(prefix)) return undefined;
    return this.collection(account).get(resourceArn.slice(prefix.length));
  }

  setTags(account: string, name: string, tags: Tag[]): void {
    this.collection(account).update(name, (d) => {
      d.tags = tags;
    });
  }
}
