/**
 * Stratus's own endpoints under /_stratus: health, reset and the clock.
 * JSON in, JSON out.
 */
import type { Cloud } from "../cloud.js";
import { VERSION } from "../cloud.js";
import { parseDuration } from "../clock/clock.js";
import type { HttpRequest, HttpResponse } from "../protocol/http.js";
import { queryValue } from "../protocol/http.js";
import { consolePage, inventory, metricSeries } from "../console/index.js";

function json(status: number, body: unknown, requestId: string): HttpResponse {
  return { status, headers: { "content-type": "application/json", "x-amzn-requestid": requestId }, body: JSON.stringify(body, null, 2) + "\n" };
}

export function healthDocument(cloud: Cloud): Record<string, unknown> {
  const services: Record<string, { state: string; operations: number }> = {};
  for (const definition of cloud.definitions) {
    const provider = cloud.provider(definition.name) as unknown as Record<string, unknown>;
    let operations = 0;
    for (let proto = provider; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) if (/^[A-Z]/.test(name) && typeof provider[name] === "function") operations++;
    }
    services[definition.name] = { state: "running", operations };
  }
  return {
    version: VERSION,
    status: "running",
    services,
    storage: cloud.options.storage,
    dataDir: cloud.options.dataDir ?? null,
    auth: cloud.options.auth,
    clock: clockDocument(cloud),
  };
}

function clockDocument(cloud: Cloud) {
  return { mode: cloud.clock.mode, now: cloud.clock.date().toISOString(), pendingJobs: cloud.scheduler.pendingCount };
}

export async function handleInternal(request: HttpRequest, cloud: Cloud, requestId: string): Promise<HttpResponse> {
  const path = request.rawPath.replace(/\/+$/, "");
  try {
    // Every endpoint here needs every provider: health answers once Stratus is fully started.
    await cloud.whenStarted();
    if (path === "/_stratus/health" && (request.method === "GET" || request.method === "HEAD")) {
      return json(200, healthDocument(cloud), requestId);
    }
    if (path === "/_stratus/reset" && request.method === "POST") {
      await cloud.reset();
      return json(200, { reset: true }, requestId);
    }
    if (path === "/_stratus/clock") {
      if (request.method === "GET") return json(200, clockDocument(cloud), requestId);
      if (request.method === "POST") {
        const body = await request.readBody(64 * 1024);
        let command: { advance?: string | number; set?: string | number } = {};
        try {
          command = body.length ? JSON.parse(body.toString("utf8")) : {};
        } catch {
          return json(400, { error: "InvalidRequest", message: "the body must be JSON: {\"advance\": \"30d\"} or {\"set\": \"2027-01-01T00:00:00Z\"}" }, requestId);
        }
        if (cloud.clock.mode !== "virtual") {
          return json(409, { error: "SystemClock", message: "the clock is the system clock; start Stratus with --clock virtual to move it" }, requestId);
        }
        let target: number;
        if (command.advance !== undefined) target = cloud.clock.now() + parseDuration(command.advance);
        else if (command.set !== undefined) {
          target = new Date(command.set).getTime();
          if (Number.isNaN(target)) return json(400, { error: "InvalidRequest", message: `not a time: ${command.set}` }, requestId);
        } else return json(400, { error: "InvalidRequest", message: "give \"advance\" or \"set\"" }, requestId);
        await cloud.scheduler.advanceTo(target);
        cloud.saveClock();
        return json(200, clockDocument(cloud), requestId);
      }
    }
    if (path === "/_stratus/console" && request.method === "GET") {
      return { status: 200, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" }, body: consolePage() };
    }
    if (path === "/_stratus/console/inventory" && request.method === "GET") {
      const account = queryValue(request, "account") ?? "000000000000";
      return json(200, await inventory(cloud, request, account, queryValue(request, "region") ?? "us-east-1"), requestId);
    }
    if (path === "/_stratus/console/metrics" && request.method === "GET") {
      const dimensions = request.query
        .filter(([key]) => key === "dimension")
        .map(([, value]) => ({ Name: value.slice(0, value.indexOf("=")), Value: value.slice(value.indexOf("=") + 1) }));
      const series = await metricSeries(cloud, request, queryValue(request, "account") ?? "000000000000", queryValue(request, "region") ?? "us-east-1", {
        namespace: queryValue(request, "namespace") ?? "AWS/EC2",
        metric: queryValue(request, "metric") ?? "CPUUtilization",
        dimensions,
        hours: Math.min(24 * 15, Math.max(1, Number(queryValue(request, "hours") ?? 3) || 3)),
        period: Math.max(60, Number(queryValue(request, "period") ?? 300) || 300),
        statistic: queryValue(request, "statistic") ?? "Average",
      });
      return json(200, series, requestId);
    }
    return json(404, { error: "NotFound", message: `no Stratus endpoint ${request.method} ${request.rawPath}` }, requestId);
  } catch (error) {
    return json(400, { error: "InvalidRequest", message: error instanceof Error ? error.message : String(error) }, requestId);
  }
}
