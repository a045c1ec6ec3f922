/** A tiny leveled logger writing to stderr. */
export type LogLevel = "silent" | "info" | "debug";

export class Logger {
  constructor(private readonly level: LogLevel) {}

  info(message: string): void {
    if (this.level !== "silent") process.stderr.write(`${message}\n`);
  }

  debug(message: string): void {
    if (this.level === "debug") process.stderr.write(`${message}\n`);
  }

  error(message: string, detail?: unknown): void {
    if (this.level === "silent" && process.env.STRATUS_DEBUG !== "1") return;
    const extra = detail instanceof Error ? `\n${detail.stack ?? detail.message}` : detail !== undefined ? ` ${String(detail)}` : "";
    process.stderr.write(`${message}${extra}\n`);
  }
}
