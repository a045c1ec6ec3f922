/**
 * Cost Explorer's dimensions (what each line item is, per dimension) and its
 * filter expressions (And, Or, Not, Dimensions, Tags), validated as AWS
 * does: exactly one operator per expression.
 */
import type { Dimension, Expression } from "../../generated/ce.js";
import type { UsageRow } from "./ledger.js";
import { validation } from "./periods.js";

/** Normalization factors by instance size (NormalizedUsageAmount). */
const SIZE_FACTORS: Record<string, number> = { nano: 0.25, micro: 0.5, small: 1, medium: 2, large: 4, xlarge: 8, metal: 192 };

export function normalizationFactor(instanceType: string | undefined): number {
  if (!instanceType) return 0;
  const size = instanceType.split(".")[1] ?? "";
  const multiple = /^(\d+)xlarge$/.exec(size);
  if (multiple) return 8 * Number(multiple[1]);
  return SIZE_FACTORS[size] ?? 0;
}

/** Each dimension Stratus knows, as a value of a line item. */
export const DIMENSIONS: Partial<Record<Dimension, (row: UsageRow) => string>> = {
  SERVICE: (r) => r.service,
  REGION: (r) => r.region,
  USAGE_TYPE: (r) => r.usageType,
  USAGE_TYPE_GROUP: (r) => r.usageGroup ?? "",
  OPERATION: (r) => r.operation,
  LINKED_ACCOUNT: (r) => r.account,
  AZ: (r) => r.az ?? "NoAZ",
  INSTANCE_TYPE: (r) => r.instanceType ?? "NoInstanceType",
  INSTANCE_TYPE_FAMILY: (r) => r.instanceType?.split(".")[0] ?? "NoInstanceTypeFamily",
  PURCHASE_TYPE: (r) => r.purchaseType ?? "On Demand Instances",
  PLATFORM: (r) => r.platform ?? "NoPlatform",
  OPERATING_SYSTEM: (r) => (r.platform === undefined ? "NoOperatingSystem" : r.platform === "Windows" ? "Windows" : "Linux"),
  TENANCY: (r) => (r.instanceType ? "Shared" : "NoTenancy"),
  RECORD_TYPE: () => "Usage",
  RESOURCE_ID: (r) => r.resource,
  BILLING_ENTITY: () => "AWS",
  LEGAL_ENTITY_NAME: () => "Amazon Web Services, Inc.",
  INVOICING_ENTITY: () => "Amazon Web Services, Inc.",
};

/** The dimensions GetCostAndUsage can group by (RESOURCE_ID only WithResources). */
export const GROUPABLE: Dimension[] = [
  "AZ", "INSTANCE_TYPE", "LEGAL_ENTITY_NAME", "INVOICING_ENTITY", "LINKED_ACCOUNT", "OPERATION", "PLATFORM",
  "PURCHASE_TYPE", "SERVICE", "TENANCY", "RECORD_TYPE", "USAGE_TYPE", "REGION", "USAGE_TYPE_GROUP", "INSTANCE_TYPE_FAMILY", "BILLING_ENTITY",
];

export function dimensionValue(row: UsageRow, dimension: string): string | undefined {
  return DIMENSIONS[dimension as Dimension]?.(row);
}

const OPERATORS = ["And", "Or", "Not", "Dimensions", "Tags", "CostCategories"] as const;

/** Checks an expression's shape (throws ValidationException as AWS does). */
export function checkExpression(expression: Expression, resources = false): void {
  const present = OPERATORS.filter((op) => expression[op] !== undefined);
  if (present.length !== 1) {
    throw validation(
      present.length === 0
        ? "Expression must have one root operator: And, Or, Not, Dimensions, Tags or CostCategories"
        : "Expression has more than one roots. Only one root operator is allowed for each expression: And, Or, Not, Dimensions, Tags, CostCategories",
    );
  }
  const op = present[0];
  if (op === "And" || op === "Or") {
    const list = expression[op]!;
    if (list.length < 2) throw validation(`${op} expression must have at least 2 operands`);
    for (const child of list) checkExpression(child, resources);
  } else if (op === "Not") {
    checkExpression(expression.Not!, resources);
  } else if (op === "Dimensions") {
    const { Key, Values } = expression.Dimensions!;
    if (!Key) throw validation("Dimension key is required");
    if (Key === "RESOURCE_ID" && !resources) throw validation("Dimension RESOURCE_ID is not allowed. Use GetCostAndUsageWithResources");
    if (!Values?.length) throw validation(`Dimension ${Key} must have at least one value`);
  } else if (op === "Tags") {
    if (!expression.Tags!.Key) throw validation("Tag key is required");
  } else {
    throw validation("Cost category is not defined: Stratus has no cost categories");
  }
}

/** Whether a line item passes the expression. */
export function matches(expression: Expression | undefined, row: UsageRow): boolean {
  if (!expression) return true;
  if (expression.And) return expression.And.every((e) => matches(e, row));
  if (expression.Or) return expression.Or.some((e) => matches(e, row));
  if (expression.Not) return !matches(expression.Not, row);
  if (expression.Dimensions) {
    const { Key, Values = [], MatchOptions = [] } = expression.Dimensions;
    const value = dimensionValue(row, Key!);
    return value !== undefined && valueMatches(value, Values, MatchOptions);
  }
  if (expression.Tags) {
    const { Key, Values = [], MatchOptions = [] } = expression.Tags;
    const value = row.tags?.[Key!];
    if (MatchOptions.includes("ABSENT")) return value === undefined;
    if (value === undefined) return Values.includes("");
    return Values.length === 0 || valueMatches(value, Values, MatchOptions);
  }
  return false;
}

function valueMatches(value: string, wanted: string[], options: string[]): boolean {
  const fold = options.includes("CASE_INSENSITIVE");
  const v = fold ? value.toLowerCase() : value;
  return wanted.some((w) => {
    const x = fold ? w.toLowerCase() : w;
    if (options.includes("STARTS_WITH")) return v.startsWith(x);
    if (options.includes("ENDS_WITH")) return v.endsWith(x);
    if (options.includes("CONTAINS")) return v.includes(x);
    return v === x;
  });
}
