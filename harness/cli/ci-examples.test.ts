import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { projectRoot } from '../util/paths.ts';
import { DRY_RUN_ENV, type DryRunReport } from './dry-run.ts';

// The CI examples in docs/ci/ are what users copy: every memharness command line in them is
// extracted as the CI would run it (the example's own variables, shard 1 of its N) and run
// with MEMHARNESS_DRY_RUN=1, which parses and validates it like the real thing and then stops.
// A renamed flag, a changed argument or a bad value in an example fails here, not in a
// user's night. Each `run` line is also listed (`--list`, offline) to show that its suites and
// --grep select cases. No guest boots here.

const cli = path.join(projectRoot, 'harness/bin/memharness.js');
const CI_DIR = path.join(projectRoot, 'docs/ci');

// ---------------------------------------------------------------------------------------------
// A small shell reader: enough of POSIX sh to find the memharness command lines of a CI script
// and expand their words as the shell would (quotes, $VAR, ${VAR...}, $((...)), field splitting
// of unquoted expansions). Globs stay as written: the dry run does not read the paths.

type Part =
  | { kind: 'text'; text: string; quoted: boolean }
  | { kind: 'param'; name: string; op: string; arg: string; quoted: boolean }
  | { kind: 'arith'; expr: string; quoted: boolean }
  | { kind: 'command'; text: string; quoted: boolean };
type Token = { kind: 'word'; parts: Part[] } | { kind: 'op'; op: string };

const COMMAND_SUBSTITUTION = 'from-a-command';

function closing(text: string, start: number, open: string, close: string): number {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === open) depth++;
    else if (text[i] === close && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${open}${close} in: ${text}`);
}

/** Reads one `$...` at text[i] (text[i] === '$'); returns the part and the index after it. */
function readDollar(text: string, i: number, quoted: boolean): [Part, number] {
  const rest = text.slice(i + 1);
  if (rest.startsWith('((')) {
    const end = text.indexOf('))', i + 3);
    if (end < 0) throw new Error(`unterminated $(( in: ${text}`);
    return [{ kind: 'arith', expr: text.slice(i + 3, end), quoted }, end + 2];
  }
  if (rest.startsWith('(')) {
    const end = closing(text, i + 2, '(', ')');
    return [{ kind: 'command', text: text.slice(i + 2, end), quoted }, end + 1];
  }
  if (rest.startsWith('{')) {
    const end = closing(text, i + 2, '{', '}');
    const inner = /^([A-Za-z_]\w*)(:-|-|:\+|\+|%%|%|##|#)?([\s\S]*)$/.exec(text.slice(i + 2, end));
    if (!inner) throw new Error(`unsupported \${...} in: ${text}`);
    return [{ kind: 'param', name: inner[1]!, op: inner[2] ?? '', arg: inner[3] ?? '', quoted }, end + 1];
  }
  const name = /^([A-Za-z_]\w*|\?)/.exec(rest);
  if (name) return [{ kind: 'param', name: name[1]!, op: '', arg: '', quoted }, i + 1 + name[1]!.length];
  return [{ kind: 'text', text: '$', quoted }, i + 1];
}

/** Splits one line of shell into words (unexpanded) and operators; a comment ends it. */
function lex(line: string): Token[] {
  const tokens: Token[] = [];
  let parts = null as Part[] | null;
  const word = () => (parts ??= []);
  const text = (t: string, quoted: boolean) => {
    const last = word().at(-1);
    if (last?.kind === 'text' && last.quoted === quoted) last.text += t;
    else word().push({ kind: 'text', text: t, quoted });
  };
  const end = () => {
    if (parts) tokens.push({ kind: 'word', parts });
    parts = null;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      end();
      i++;
    } else if (c === '#' && !parts) {
      break;
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw new Error(`unterminated ' in: ${line}`);
      text(line.slice(i + 1, close), true);
      i = close + 1;
    } else if (c === '"') {
      i++;
      word();
      let literal = '';
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '')) {
          literal += line[i + 1];
          i += 2;
        } else if (line[i] === '$') {
          if (literal) text(literal, true);
          literal = '';
          const [part, next] = readDollar(line, i, true);
          word().push(part);
          i = next;
        } else if (line[i] === '`') {
          throw new Error(`backquotes are not supported: ${line}`);
        } else {
          literal += line[i++];
        }
      }
      if (i >= line.length) throw new Error(`unterminated " in: ${line}`);
      text(literal, true);
      i++;
    } else if (c === '\\') {
      text(line[i + 1] ?? '', true);
      i += 2;
    } else if (c === '$') {
      const [part, next] = readDollar(line, i, false);
      word().push(part);
      i = next;
    } else if (c === '`') {
      throw new Error(`backquotes are not supported: ${line}`);
    } else if ('|&;()'.includes(c)) {
      end();
      const two = line.slice(i, i + 2);
      const op = ['||', '&&', ';;'].includes(two) ? two : c;
      tokens.push({ kind: 'op', op });
      i += op.length;
    } else if (c === '>' || c === '<') {
      // A redirection: `2>` drops the descriptor, `>&1` takes its target along.
      const digits = parts?.length === 1 && parts[0]!.kind === 'text' && !parts[0]!.quoted && /^\d+$/.test(parts[0]!.text);
      if (digits) parts = null;
      end();
      const op = /^(>>|>&|<&|>|<)/.exec(line.slice(i))![1]!;
      tokens.push({ kind: 'op', op: 'redirect' });
      i += op.length;
    } else {
      text(c, false);
      i++;
    }
  }
  end();
  return tokens;
}

type Vars = Record<string, string | undefined>;

class Shell {
  constructor(private readonly vars: Vars) {}

  private lookup(name: string): string | undefined {
    if (name === '?') return '0';
    const value = this.vars[name];
    // GitLab expands variables inside variable values ($CI_PROJECT_DIR/.cache/memharness).
    return value === undefined ? undefined : this.expandText(value);
  }

  /** A string as the inside of double quotes: expansions, no splitting. */
  private expandText(value: string): string {
    let out = '';
    let i = 0;
    while (i < value.length) {
      if (value[i] === '$') {
        const [part, next] = readDollar(value, i, true);
        out += this.value(part);
        i = next;
      } else {
        out += value[i++];
      }
    }
    return out;
  }

  private value(part: Part): string {
    switch (part.kind) {
      case 'text':
        return part.text;
      case 'command':
        return COMMAND_SUBSTITUTION;
      case 'arith': {
        const expr = part.expr.replace(/\$?\b([A-Za-z_]\w*)\b/g, (_m, name: string) => {
          const value = this.lookup(name);
          if (value === undefined) throw new Error(`$((${part.expr})): ${name} is not set`);
          return value;
        });
        if (!/^[\d\s+\-*/%()]+$/.test(expr)) throw new Error(`$((${part.expr})) is not arithmetic: ${expr}`);
        return String(Math.trunc(Function(`return (${expr});`)() as number));
      }
      case 'param': {
        const value = this.lookup(part.name);
        const arg = () => this.expandText(part.arg);
        switch (part.op) {
          case ':-':
            return value ? value : arg();
          case '-':
            return value ?? arg();
          case ':+':
            return value ? arg() : '';
          case '+':
            return value === undefined ? '' : arg();
          case '%':
          case '%%':
            return value?.endsWith(arg()) ? value.slice(0, value.length - arg().length) : (value ?? '');
          case '#':
          case '##':
            return value?.startsWith(arg()) ? value.slice(arg().length) : (value ?? '');
          default:
            if (value === undefined) throw new Error(`$${part.name} is not set: define it in the example, or give the test a value for it`);
            return value;
        }
      }
    }
  }

  /** The fields a word expands to. */
  expandWord(parts: Part[], split = true): string[] {
    const fields: string[] = [];
    let current: string | null = null;
    for (const part of parts) {
      const value = this.value(part);
      if (part.kind === 'text' || part.quoted || !split) {
        current = (current ?? '') + value;
        continue;
      }
      const pieces = value.split(/[ \t\n]+/);
      pieces.forEach((piece, index) => {
        if (index > 0 && current !== null && current !== '') {
          fields.push(current);
          current = null;
        }
        if (piece !== '') current = (current ?? '') + piece;
      });
    }
    if (current !== null) fields.push(current);
    return fields;
  }

  assign(name: string, parts: Part[]): void {
    this.vars[name] = this.expandWord(parts, false).join('');
  }
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time', 'exec']);

function literal(token: Token | undefined): string | null {
  if (token?.kind !== 'word' || !token.parts.every((part) => part.kind === 'text')) return null;
  return token.parts.map((part) => (part as { text: string }).text).join('');
}

/** The words after `memharness` if this simple command runs it (npx, node harness/bin/memharness.js, sudo -E ...). */
function memharnessArgs(words: Token[]): Token[] | null {
  let i = 0;
  while (KEYWORDS.has(literal(words[i]) ?? '')) i++;
  if (literal(words[i]) === 'sudo') {
    i++;
    while (literal(words[i])?.startsWith('-')) i++;
  }
  const first = literal(words[i]);
  if (first === 'memharness' || first?.endsWith('harness/bin/memharness.js')) return words.slice(i + 1);
  if (first === 'npx') {
    i++;
    while (['--yes', '-y', '--no-install'].includes(literal(words[i]) ?? '')) i++;
    if (literal(words[i]) === 'memharness') return words.slice(i + 1);
  }
  if (first === 'node' && literal(words[i + 1])?.endsWith('harness/bin/memharness.js')) return words.slice(i + 2);
  return null;
}

/**
 * Every memharness command line of a script (the lines of one shell session), expanded. A
 * simple command made only of assignments (`shard=$((JOB_COMPLETION_INDEX + 1))`) sets its
 * variables for the lines after it, whatever branch it stands in.
 */
function memharnessCommands(script: string, vars: Vars): string[][] {
  const shell = new Shell(vars);
  const commands: string[][] = [];
  for (const line of script.replace(/\\\n/g, ' ').split('\n')) {
    const tokens = lex(line);
    let words: Token[] = [];
    const flush = () => {
      // Redirection targets are not arguments.
      const simple = words.filter((token, index) => token.kind === 'word' && words[index - 1]?.kind !== 'op');
      words = [];
      let start = 0;
      while (KEYWORDS.has(literal(simple[start]) ?? '')) start++;
      const assignments = simple.slice(start);
      const isAssignment = (token: Token) => token.kind === 'word' && token.parts[0]?.kind === 'text' && /^[A-Za-z_]\w*=/.test(token.parts[0].text);
      if (assignments.length > 0 && assignments.every(isAssignment)) {
        for (const token of assignments as Array<Extract<Token, { kind: 'word' }>>) {
          const head = token.parts[0] as { text: string };
          const [name, ...rest] = head.text.split('=');
          shell.assign(name!, [{ kind: 'text', text: rest.join('='), quoted: true }, ...token.parts.slice(1)]);
        }
        return;
      }
      const args = memharnessArgs(simple);
      if (args) commands.push(args.flatMap((token) => (token.kind === 'word' ? shell.expandWord(token.parts) : [])));
    };
    for (const token of tokens) {
      if (token.kind === 'op' && token.op !== 'redirect') flush();
      else words.push(token);
    }
    flush();
  }
  return commands;
}

// ---------------------------------------------------------------------------------------------
// The examples: where their scripts are and what variables each script sees.

interface Invocation {
  where: string;
  argv: string[];
}

interface Example {
  file: string;
  invocations: Invocation[];
  /** The N of the shards' --shard i/N as the example declares it (matrix, parallel, completions). */
  shards: number;
  /** Whether the example runs its jobs in a Debian bookworm image. */
  images: string[];
}

type Yaml = Record<string, unknown>;
const asRecord = (value: unknown): Yaml => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Yaml) : {});
const strings = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(asRecord(value)).map(([key, v]) => [key, typeof v === 'object' && v !== null ? String((v as Yaml).value ?? '') : String(v)]));
/** A script (or list of them) as written; anything else (a YAML mapping where `: ` slipped into a plain scalar) is an error. */
const lines = (value: unknown): string[] => {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (typeof item !== 'string') throw new Error(`expected a string, found ${JSON.stringify(item)} (a plain YAML scalar with ': ' in it becomes a mapping: quote it)`);
    return item;
  });
};

async function readExample(name: string): Promise<string> {
  return fs.readFile(path.join(CI_DIR, name), 'utf8');
}

async function githubActions(): Promise<Example> {
  const file = 'github-actions.yml';
  const workflow = asRecord(YAML.parse(await readExample(file)));
  const invocations: Invocation[] = [];
  const images: string[] = [];
  let shards = 0;
  for (const [jobName, jobValue] of Object.entries(asRecord(workflow.jobs))) {
    const job = asRecord(jobValue);
    const container = job.container;
    images.push(typeof container === 'string' ? container : String(asRecord(container).image ?? `runs-on ${String(job['runs-on'])}`));
    const matrix = asRecord(asRecord(job.strategy).matrix);
    const axes = Object.entries(matrix).filter(([, values]) => Array.isArray(values)) as Array<[string, unknown[]]>;
    const total = axes.reduce((product, [, values]) => product * values.length, 1);
    if (matrix.shard) shards = total;
    const env = { ...strings(workflow.env), ...strings(job.env) };
    // The first job of the matrix: matrix.X its first value, strategy.job-total the job count.
    const expressions: Record<string, string> = {
      'strategy.job-total': String(total),
      'github.run_id': '4242',
      ...Object.fromEntries(axes.map(([axis, values]) => [`matrix.${axis}`, String(values[0])])),
      ...Object.fromEntries(Object.entries(env).map(([key, value]) => [`env.${key}`, value])),
    };
    (Array.isArray(job.steps) ? job.steps : []).forEach((stepValue, index) => {
      const step = asRecord(stepValue);
      if (typeof step.run !== 'string') return;
      const script = step.run.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
        const value = expressions[expr];
        if (value === undefined) throw new Error(`${file}: job ${jobName}: the test knows no value for \${{ ${expr} }}`);
        return value;
      });
      for (const argv of memharnessCommands(script, { ...env, ...strings(step.env), GITHUB_WORKSPACE: '/__w/memharness/memharness' })) {
        invocations.push({ where: `${file}: job ${jobName}, step ${index + 1}`, argv });
      }
    });
  }
  return { file, invocations, shards, images };
}

const GITLAB_KEYWORDS = new Set(['variables', 'stages', 'default', 'include', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script']);

async function gitlabCi(): Promise<Example> {
  const file = 'gitlab-ci.yml';
  const pipeline = asRecord(YAML.parse(await readExample(file)));
  const invocations: Invocation[] = [];
  const images: string[] = [];
  let shards = 0;
  const resolve = (name: string, seen: string[] = []): Yaml => {
    const job = asRecord(pipeline[name]);
    if (seen.includes(name)) throw new Error(`${file}: extends loop at ${name}`);
    const parents = lines(job.extends).map((parent) => resolve(parent, [...seen, name]));
    const merged: Yaml = {};
    for (const parent of parents) Object.assign(merged, parent, { variables: { ...asRecord(merged.variables), ...asRecord(parent.variables) } });
    return { ...merged, ...job, variables: { ...asRecord(merged.variables), ...asRecord(job.variables) } };
  };
  for (const name of Object.keys(pipeline)) {
    if (name.startsWith('.') || GITLAB_KEYWORDS.has(name)) continue;
    const job = resolve(name);
    images.push(String(job.image ?? pipeline.image ?? 'no image'));
    const parallel = typeof job.parallel === 'number' ? job.parallel : 1;
    if (typeof job.parallel === 'number') shards = parallel;
    const vars: Vars = {
      CI_PROJECT_DIR: '/builds/kernel-qa/memharness',
      CI_NODE_INDEX: '1',
      CI_NODE_TOTAL: String(parallel),
      CI_JOB_TOKEN: 'job-token',
      CI_API_V4_URL: 'https://gitlab.example.org/api/v4',
      CI_PROJECT_ID: '42',
      CI_COMMIT_REF_NAME: 'main',
      ...strings(pipeline.variables),
      ...strings(job.variables),
    };
    // before_script, script and after_script run in one shell session.
    const script = [...lines(job.before_script ?? pipeline.before_script), ...lines(job.script)].join('\n');
    for (const argv of memharnessCommands(script, vars)) invocations.push({ where: `${file}: job ${name}`, argv });
  }
  return { file, invocations, shards, images };
}

async function kubernetes(): Promise<Example> {
  const file = 'kubernetes-indexed-job.yaml';
  const docs = YAML.parseAllDocuments(await readExample(file)).map((doc) => asRecord(doc.toJS()));
  const configMaps = new Map(docs.filter((doc) => doc.kind === 'ConfigMap').map((doc) => [String(asRecord(doc.metadata).name), strings(doc.data)]));
  const invocations: Invocation[] = [];
  const images: string[] = [];
  let shards = 0;
  for (const doc of docs.filter((d) => d.kind === 'Job')) {
    const jobName = String(asRecord(doc.metadata).name);
    const spec = asRecord(doc.spec);
    const indexed = spec.completionMode === 'Indexed';
    if (indexed) {
      expect(spec.parallelism, `${file}: ${jobName}: all shards at once`).toBe(spec.completions);
      shards = Number(spec.completions);
    }
    const podSpec = asRecord(asRecord(spec.template).spec);
    const containers = [...(Array.isArray(podSpec.initContainers) ? podSpec.initContainers : []), ...(Array.isArray(podSpec.containers) ? podSpec.containers : [])].map(asRecord);
    for (const container of containers) {
      images.push(String(container.image));
      const vars: Vars = indexed ? { JOB_COMPLETION_INDEX: '0' } : {};
      for (const from of Array.isArray(container.envFrom) ? container.envFrom.map(asRecord) : []) {
        const ref = String(asRecord(from.configMapRef).name);
        const data = configMaps.get(ref);
        if (!data) throw new Error(`${file}: ${jobName}: envFrom names ConfigMap ${ref}, which the file does not define`);
        Object.assign(vars, data);
      }
      for (const entry of Array.isArray(container.env) ? container.env.map(asRecord) : []) {
        vars[String(entry.name)] = entry.value === undefined ? 'from-the-pod' : String(entry.value);
      }
      if (indexed) expect(vars.SHARDS, `${file}: ${jobName}: SHARDS is the Job's completions`).toBe(String(shards));
      // Kubernetes expands $(NAME) of the container's variables in command and args first.
      const kube = (text: string) => text.replace(/\$\$|\$\(([A-Za-z_][\w.-]*)\)/g, (match, name?: string) => (match === '$$' ? '$' : vars[name!] ?? match));
      const argv = [...lines(container.command), ...lines(container.args)].map(kube);
      const where = `${file}: Job ${jobName}, container ${String(container.name)}`;
      const shellAt = /^(\/bin\/)?(ba)?sh$/.test(argv[0] ?? '') ? argv.findIndex((arg, index) => index > 0 && /^-\w*c\w*$/.test(arg)) : -1;
      if (shellAt > 0) {
        for (const found of memharnessCommands(argv[shellAt + 1] ?? '', vars)) invocations.push({ where, argv: found });
      } else if (argv.length > 0) {
        const quoted = argv.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
        for (const found of memharnessCommands(quoted, vars)) invocations.push({ where, argv: found });
      }
    }
  }
  return { file, invocations, shards, images };
}

// ---------------------------------------------------------------------------------------------

async function memharness(argv: string[], env: Record<string, string> = {}) {
  const result = await execa('node', [cli, ...argv], { cwd: projectRoot, reject: false, timeout: 90_000, env: { ...env, [DRY_RUN_ENV]: env[DRY_RUN_ENV] ?? '' } });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function dryRun(argv: string[]) {
  // `run` also gets --list: should the dry run ever stop working, the line lists its cases
  // instead of booting the nightly's guests.
  const guarded = argv[0] === 'run' && !argv.includes('--list') ? [...argv, '--list'] : argv;
  const result = await memharness(guarded, { [DRY_RUN_ENV]: '1' });
  let report: DryRunReport | null = null;
  try {
    report = JSON.parse(result.stdout) as DryRunReport;
  } catch {
    report = null;
  }
  return { ...result, report };
}

/** --kernels with its ranges replaced by their two ends: `run --list` then needs no apt archive. */
function withoutRanges(argv: string[]): string[] {
  return argv.map((arg, index) => {
    const previous = argv[index - 1];
    if (previous !== '--kernels' && previous !== '--kernel' && previous !== '-k') return arg;
    return arg.split(',').map((item) => (item.includes('/') ? item : item.replace('..', ','))).join(',');
  });
}

let dryRunWorks = false;
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-ci-examples-'));
  // The guard for what follows: command lines from the examples are run only once the dry run
  // is known to stop before the action (a `run` line would otherwise boot guests).
  const probe = await memharness(['compare', 'old', 'new'], { [DRY_RUN_ENV]: '1' });
  dryRunWorks = probe.exitCode === 0 && (JSON.parse(probe.stdout || '{}') as Partial<DryRunReport>).dryRun === true;
}, 60_000);
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('--dry-run', { timeout: 120_000 }, () => {
  it('prints the parsed command as JSON and exits 0 without running it, as a flag or from the environment', async () => {
    const output = path.join(tmp, 'never-written');
    const flag = await memharness(['merge', path.join(tmp, 'no-such-run'), '--output', output, '--reporter', 'json,junit', '--dry-run']);
    expect(flag.exitCode, flag.stderr).toBe(0);
    const report = JSON.parse(flag.stdout) as DryRunReport;
    expect({ ...report, given: [...report.given].sort() }).toEqual({
      dryRun: true,
      command: 'merge',
      arguments: { runs: [path.join(tmp, 'no-such-run')] },
      options: { output, reporter: ['json,junit'] },
      given: ['output', 'reporter'],
    });
    await expect(fs.access(output)).rejects.toThrow();

    const env = await dryRun(['run', 'suites/hwpoison.yaml', '--shard', '2/3', '--grep', 'anon', '--kernels', '6.1.0-47..6.1.0-56']);
    expect(env.exitCode, env.stderr).toBe(0);
    expect(env.report).toMatchObject({ command: 'run', arguments: { suites: ['suites/hwpoison.yaml'] }, options: { shard: { index: 2, total: 3 }, grep: '/anon/', workers: 'auto', list: true } });
  });

  it('still fails a command line commander rejects: an unknown (renamed) flag, a bad value, a missing option, exit 2', async () => {
    const unknown = await dryRun(['merge', 'shard-1', '--output', 'merged', '--reporters', 'json']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--reporters'");
    const value = await dryRun(['run', '--shard', '4/3']);
    expect(value.exitCode).toBe(2);
    expect(value.stderr).toContain("option '--shard <i/n>' argument '4/3' is invalid");
    const missing = await dryRun(['merge', 'shard-1']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("required option '-o, --output <dir>' not specified");
  });
});

describe.each([
  ['github-actions.yml', githubActions],
  ['gitlab-ci.yml', gitlabCi],
  ['kubernetes-indexed-job.yaml', kubernetes],
] as const)('docs/ci/%s', { timeout: 300_000 }, (_name, read) => {
  let example: Example;
  beforeAll(async () => {
    example = await read();
  });

  it('runs in a Debian bookworm image and has the nightly steps: the shards, a merge, a compare', () => {
    for (const image of example.images) expect(image, example.file).toMatch(/^(docker\.io\/)?(library\/)?(node:\d+-bookworm|debian:bookworm)/);
    expect(example.invocations.map((invocation) => invocation.argv[0])).toEqual(['run', 'merge', 'compare']);
    expect(example.shards).toBeGreaterThan(1);
  });

  it('has only memharness command lines that parse (--dry-run), shard 1 of the N the example declares', async () => {
    expect(dryRunWorks, 'the dry run itself must work first').toBe(true);
    for (const { where, argv } of example.invocations) {
      const result = await dryRun(argv);
      expect(result.exitCode, `${where}: memharness ${argv.join(' ')}\n${result.stderr}`).toBe(0);
      expect(result.report?.command, where).toBe(argv[0]);
      if (argv[0] === 'run') expect(result.report?.options.shard, `${where}: --shard`).toEqual({ index: 1, total: example.shards });
    }
  });

  it('selects cases with its run line (run --list, offline)', async () => {
    expect(dryRunWorks, 'the dry run itself must work first').toBe(true);
    for (const { where, argv } of example.invocations.filter((invocation) => invocation.argv[0] === 'run')) {
      const result = await memharness([...withoutRanges(argv), '--list']);
      expect(result.exitCode, `${where}: memharness ${argv.join(' ')} --list\n${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`\\n[1-9]\\d* case\\(s\\) in shard 1/${example.shards} of \\d+ on \\d+ kernels$`));
    }
  });
});
