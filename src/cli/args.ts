/** A small flag parser: --name value, --name=value, --flag, and the rest as positionals. */
export interface ParsedArgs {
  flags: Record<string, string | true>;
  positionals: string[];
}

export function parseArgs(argv: string[], booleanFlags: ReadonlySet<string>): ParsedArgs {
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq >= 0) flags[name] = arg.slice(eq + 1);
      else if (booleanFlags.has(name)) flags[name] = true;
      else if (i + 1 < argv.length) flags[name] = argv[++i];
      else throw new Error(`--${name} needs a value`);
    } else positionals.push(arg);
  }
  return { flags, positionals };
}
