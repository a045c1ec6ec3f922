/**
 * The AWS managed policies users attach, as AWS publishes them (paths, ARNs,
 * ids, dates and the default version's document), from
 * data/aws-managed-policies.json. Loaded on first use.
 */
import { readFileSync } from "node:fs";
import { projectPath } from "../../core/paths.js";

export interface AwsManagedPolicy {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  Description: string;
  DefaultVersionId: string;
  CreateDate: Date;
  UpdateDate: Date;
  VersionCreateDate: Date;
  /** The default version's document, as AWS formats it. */
  Document: string;
}

interface CatalogueFile {
  policies: Array<Omit<AwsManagedPolicy, "CreateDate" | "UpdateDate" | "VersionCreateDate" | "Document"> & {
    CreateDate: string;
    UpdateDate: string;
    VersionCreateDate: string;
    Document: unknown;
  }>;
}

const FILE = projectPath("data", "aws-managed-policies.json");
let byArn: Map<string, AwsManagedPolicy> | undefined;

function load(): Map<string, AwsManagedPolicy> {
  if (byArn) return byArn;
  const file = JSON.parse(readFileSync(FILE, "utf8")) as CatalogueFile;
  byArn = new Map();
  for (const p of file.policies) {
    byArn.set(p.Arn, {
      ...p,
      CreateDate: new Date(p.CreateDate),
      UpdateDate: new Date(p.UpdateDate),
      VersionCreateDate: new Date(p.VersionCreateDate),
      Document: JSON.stringify(p.Document, null, 4),
    });
  }
  return byArn;
}

export function awsManagedPolicy(arn: string): AwsManagedPolicy | undefined {
  return load().get(arn);
}

export function awsManagedPolicies(): AwsManagedPolicy[] {
  return [...load().values()];
}

export function isAwsManagedArn(arn: string): boolean {
  return arn.startsWith("arn:aws:iam::aws:policy/");
}
