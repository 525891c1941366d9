/**
 * Command-line parsing for every `mdh` sub-command, on `node:util` `parseArgs` in strict mode: each
 * command declares its options once (type, default, what the value must be, one line of help); unknown
 * flags, missing or malformed values and extra positionals become a {@link UsageError}, which the command
 * reports as one line plus its usage and exit status 2. `--help` and `--version` are accepted everywhere.
 */
import { readFileSync } from 'node:fs';
import { parseArgs as nodeParseArgs } from 'node:util';

/** Exit status for a usage error (bad flag, bad value, missing argument), as the shells' builtins use. */
export const EXIT_USAGE = 2;

/** A mistake in the command line; the message says what was wrong, in one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One option of a command. */
export interface OptionSpec {
  /** `string` options take a value (`--name V` or `--name=V`); `boolean` ones take none. */
  type: 'string' | 'boolean';
  /** One line of help. */
  help: string;
  /** What the value looks like in the help (`S`, `HOST:PORT`, …). */
  value?: string;
  /** Default shown in the help and returned when the option is absent. */
  default?: string | boolean;
  /** The only values accepted (string options). */
  choices?: readonly string[];
  /** Checks and converts the value; throws a {@link UsageError}-worthy message (any Error) when it is bad. */
  parse?: (value: string) => unknown;
  /** May be given several times (string options); the values come back as an array. */
  multiple?: boolean;
  /** A one-letter alias. */
  short?: string;
}

/** A command's declaration: what `--help` prints and what {@link parseCommandLine} accepts. */
export interface CommandSpec {
  /** `resolve`, `call`, … (or `dtls connect`). */
  name: string;
  /** One line for `mdh --help`. */
  summary: string;
  /** The synopsis after `mdh <name>`, e.g. `<domain|sip-uri>`. */
  synopsis: string;
  /** Paragraphs after the synopsis. */
  description?: string;
  /** Options by long name. */
  options: Record<string, OptionSpec>;
  /** Required positionals (default 0) and the most accepted (default: as many as required). */
  positionals?: { min?: number; max?: number };
}

/** The result of {@link parseCommandLine}: converted option values (defaults applied) and positionals. */
export interface CommandLine {
  values: Record<string, unknown>;
  positionals: string[];
  /** `--help` was given: print {@link formatHelp} and exit 0. */
  help: boolean;
  /** `--version` was given: print {@link version} and exit 0. */
  version: boolean;
}

/** The version of @mdh/cli (from its package.json). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Parses `argv` against `spec`, strictly. Throws {@link UsageError} for an unknown option, a missing or
 * malformed value, a value outside `choices`, a boolean option given a value, or a wrong number of
 * positionals. `--` ends the options.
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): CommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  }
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(cleanNodeMessage((e as Error).message));
  }
  const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const help = raw.help === true;
  const ver = raw.version === true;
  const values: Record<string, unknown> = {};
  if (!help && !ver) {
    for (const [name, o] of Object.entries(spec.options)) {
      const v = raw[name];
      if (v === undefined) {
        if (o.default !== undefined)
          values[name] = o.type === 'string' ? convert(name, o, String(o.default)) : o.default;
        continue;
      }
      if (o.type === 'boolean') values[name] = v;
      else if (Array.isArray(v)) values[name] = v.map((x) => convert(name, o, x));
      else values[name] = convert(name, o, v as string);
    }
    const min = spec.positionals?.min ?? 0;
    const max = spec.positionals?.max ?? min;
    const n = parsed.positionals.length;
    if (n < min)
      throw new UsageError(`missing ${spec.synopsis.split(' ').filter((w) => !w.startsWith('['))[n] ?? 'argument'}`);
    if (n > max) throw new UsageError(`unexpected argument '${parsed.positionals[max]}'`);
  }
  return { values, positionals: parsed.positionals, help, version: ver };
}

function convert(name: string, o: OptionSpec, v: string): unknown {
  if (o.choices && !o.choices.includes(v)) {
    throw new UsageError(`--${name} must be one of ${o.choices.join(', ')} (got '${v}')`);
  }
  if (!o.parse) return v;
  try {
    return o.parse(v);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
}

/** node:util's messages mention `parseArgs` and suggest `--`; keep the part a user needs. */
function cleanNodeMessage(m: string): string {
  const unknown = /^Unknown option '([^']+)'/.exec(m);
  if (unknown) return `unknown option '${unknown[1]}'`;
  const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(m);
  if (missing) return `${missing[1]} needs a value`;
  const noValue = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(m);
  if (noValue) return `${noValue[1]} takes no value`;
  const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(m);
  if (ambiguous) return `${ambiguous[1]} needs a value (write ${ambiguous[1]}=VALUE for one starting with '-')`;
  return m.split('\n')[0]!;
}

/** The text `mdh <name> --help` prints: synopsis, description and every option with its default. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`usage: mdh ${spec.name} ${spec.synopsis}`.trimEnd(), '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  const rows: [string, string][] = [];
  for (const [name, o] of Object.entries(spec.options)) {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? (o.choices ? o.choices.join('|') : 'VALUE')}` : ''}`;
    const dflt = o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : '';
    rows.push([flag, `${o.help}${o.multiple ? ' (repeatable)' : ''}${dflt}`]);
  }
  rows.push(['-h, --help', 'show this help'], ['--version', 'print the version of mdh']);
  const w = Math.min(34, Math.max(...rows.map((r) => r[0].length)));
  lines.push('', 'options:');
  for (const [f, h] of rows) lines.push(f.length > w ? `  ${f}\n  ${' '.repeat(w)}  ${h}` : `  ${f.padEnd(w)}  ${h}`);
  return lines.join('\n');
}

/**
 * Parses the command line for a command's `run`: prints help or the version (returns 0), reports a usage
 * error as `mdh <name>: <what was wrong>` plus the usage on stderr (returns {@link EXIT_USAGE}), or returns
 * the parsed command line.
 */
export function commandLine(spec: CommandSpec, argv: readonly string[]): CommandLine | number {
  try {
    const cl = parseCommandLine(spec, argv);
    if (cl.help) {
      process.stdout.write(`${formatHelp(spec)}\n`);
      return 0;
    }
    if (cl.version) {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    return cl;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageError(spec, e.message);
  }
}

/** Writes `mdh <name>: <message>` and the usage to stderr; returns {@link EXIT_USAGE}. */
export function usageError(spec: CommandSpec, message: string): number {
  process.stderr.write(`mdh ${spec.name}: ${message}\n${formatHelp(spec)}\n`);
  return EXIT_USAGE;
}

// ---- value checkers (the `parse` of an option) ----

/** A number of seconds ≥ `min` (default > 0), finite. */
export function seconds(min = 0): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (min === 0 && n <= 0)) {
      throw new Error(`'${v}' is not a number of seconds${min > 0 ? ` ≥ ${min}` : ' > 0'}`);
    }
    return n;
  };
}

/** An integer in [lo, hi]. */
export function integer(lo: number, hi: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < lo || n > hi) throw new Error(`'${v}' is not an integer from ${lo} to ${hi}`);
    return n;
  };
}

/** `USER:PASS`. */
export function userPass(v: string): { username: string; password: string } {
  const i = v.indexOf(':');
  if (i <= 0) throw new Error(`'${v}' is not USER:PASS`);
  return { username: v.slice(0, i), password: v.slice(i + 1) };
}

/** A `host:port` checker with a default port. */
export function hostPort(defaultPort?: number): (v: string) => { host: string; port: number } {
  return (v) => parseHostPort(v, defaultPort);
}

/** A port range `LO-HI` (both 1..65535, LO ≤ HI). */
export function portRange(v: string): { lo: number; hi: number } {
  const m = /^(\d+)-(\d+)$/.exec(v);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new Error(`'${v}' is not a port range LO-HI within 1-65535`);
  return { lo, hi };
}

/** Splits `host:port` (IPv6 as `[::1]:5060`). */
export function parseHostPort(s: string, defaultPort?: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`bad host:port '${s}'`);
  const port = m[2] !== undefined ? Number(m[2]) : defaultPort;
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in '${s}'`);
  return { host: m[1]!, port };
}

/** `host:port` for display: IPv6 literals in brackets (`[::1]:5061`, RFC 3986 §3.2.2). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Legacy result of {@link parseArgs}. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/**
 * The old lenient parser (`--name value`, `--name=value`, bare `--flag` when listed in `booleans`): it
 * accepts any flag. Kept for code not yet moved to {@link commandLine}; new code must not use it.
 * @deprecated use {@link commandLine} with a {@link CommandSpec}
 */
export function parseArgs(argv: string[], booleans: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        flags.set(a.slice(2, eq), a.slice(eq + 1));
      } else {
        const name = a.slice(2);
        const next = argv[i + 1];
        if (booleans.includes(name) || next === undefined || next.startsWith('--')) flags.set(name, true);
        else {
          flags.set(name, next);
          i++;
        }
      }
    } else positional.push(a);
  }
  return { positional, flags };
}
