/**
 * Alarm JSON (StateReasonData, history data) as CloudWatch writes it: Java
 * prints doubles with a decimal point ("threshold":2.0, "sampleCount":2.0) and
 * ints without ("period":60, "evaluationPeriods":1). Which numbers are doubles
 * is known by their key.
 */
const DOUBLE_KEYS = new Set(["threshold", "sampleCount", "value", "recentDatapoints"]);

/** Java's Double.toString: 2 → "2.0", 1e7 → "1.0E7", 0.0001 → "1.0E-4". */
export function javaDouble(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : n < 0 ? "-Infinity" : "NaN";
  const abs = Math.abs(n);
  if (n === 0 || (abs >= 1e-3 && abs < 1e7)) return Number.isInteger(n) ? `${n}.0` : String(n);
  const [mantissa, exponent] = n.toExponential().split("e");
  return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

export function javaJson(value: unknown, double = false): string {
  if (typeof value === "number") return double ? javaDouble(value) : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => javaJson(v ?? null, double)).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value && typeof value === "object") {
    const parts: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${javaJson(v, DOUBLE_KEYS.has(key))}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
