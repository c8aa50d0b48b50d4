import fs from 'node:fs/promises';
import type { TaintFlag } from '../kernel-log/crash/taint.ts';
import type { TargetKind } from '../inject/targets.ts';
import type { GuestSpec } from '../vm/guest-spec.ts';
import { checkCase } from './case-checks.ts';
import { describeCombination, EXPANSION_KEYS, expandParameters, resolveParameterConditions, substituteParameters, type Combination } from './expand-cases.ts';
import type { Expectation } from './expectation-schema.ts';
import { impliedRequirements, impliedTaintAllowance } from './implied-requirements.ts';
import { dedupeProblems, formatLocation, type SourceLocation, type SuiteProblem } from './problems.ts';
import { requirementsFrom, type Requirement } from './requirement-schema.ts';
import { excludedByParameters } from './requirements.ts';
import { withSuiteRelativeFile } from './program-schema.ts';
import { caseSchema, DEFAULT_CASE_TIMEOUT_MS, parametersSchema, PLANNED_GUEST_KEYS, suiteGuestSchema, suiteHeaderSchema, type CaseBody, type SuiteHeader } from './schema.ts';
import type { Step } from './step-schema.ts';
import type { LoadedSuite, SuiteCase, SuiteInfo } from './suite-case.ts';
import { isPlainObject } from './unknown-keys.ts';
import { validate, valueAt, type PathIssue } from './validate.ts';
import { YamlSource, type DataPath } from './yaml-source.ts';

export type SuiteLoad = { ok: true; suite: LoadedSuite; problems: [] } | { ok: false; problems: SuiteProblem[] };

export async function loadSuiteFile(file: string, displayName: string = file): Promise<SuiteLoad> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [{ file: displayName, line: 1, column: 1, message: `cannot read the suite: ${reason}` }] };
  }
  return parseSuite(text, displayName);
}

/**
 * Parses, validates and expands one suite file. Everything wrong is collected (not just
 * the first problem), each at its FILE:LINE:COLUMN, before any guest boots.
 */
export function parseSuite(text: string, file: string): SuiteLoad {
  const parsed = YamlSource.parse(file, text);
  if (parsed.problems.length > 0) return { ok: false, problems: dedupeProblems(parsed.problems) };
  return new SuiteBuilder(parsed.source).build(parsed.data);
}

class SuiteBuilder {
  private readonly problems: SuiteProblem[] = [];
  private readonly ids = new Map<string, SourceLocation>();

  constructor(private readonly source: YamlSource) {}

  build(data: unknown): SuiteLoad {
    if (!isPlainObject(data)) {
      return this.fail([{ ...this.source.locate([]), message: 'a suite file is a mapping with suite:, title: and cases:' }]);
    }
    const header = validate(suiteHeaderSchema, data);
    this.report(header.issues);
    const suiteGuestRaw = isPlainObject(data['guest']) ? data['guest'] : {};
    const suiteGuest = validate(suiteGuestSchema, suiteGuestRaw, PLANNED_GUEST_KEYS);
    this.report(suiteGuest.issues, ['guest']);

    const rawCases = Array.isArray(data['cases']) ? data['cases'] : [];
    const info: SuiteInfo | null = header.ok
      ? {
          id: header.data.suite,
          title: header.data.title,
          description: header.data.description ?? null,
          file: this.source.file,
          location: this.source.locate(['suite']),
          tags: header.data.tags,
          reference: header.data.reference ?? [],
        }
      : null;
    const cases: SuiteCase[] = [];
    let excluded = 0;
    rawCases.forEach((rawCase, index) => {
      if (!isPlainObject(rawCase)) return;
      const expanded = this.expandCase(rawCase, index, header.ok ? header.data : null, info, suiteGuestRaw, suiteGuest.ok ? suiteGuest.data : null);
      cases.push(...expanded.cases);
      excluded += expanded.excluded;
    });
    if (this.problems.length > 0 || !info) return this.fail(this.problems);
    return { ok: true, suite: { info, cases, templates: rawCases.length, excluded }, problems: [] };
  }

  private expandCase(rawCase: Record<string, unknown>, index: number, header: SuiteHeader | null, info: SuiteInfo | null, suiteGuestRaw: Record<string, unknown>, suiteGuest: GuestSpec | null): { cases: SuiteCase[]; excluded: number } {
    const base = ['cases', index];
    const params = validate(parametersSchema, pick(rawCase, EXPANSION_KEYS));
    if (!params.ok) {
      this.report(params.issues, base);
      return { cases: [], excluded: 0 };
    }
    const expansion = expandParameters(params.data.parameters, params.data.exclude);
    this.report(expansion.issues, base);
    if (expansion.issues.length > 0) return { cases: [], excluded: 0 };

    const template = omit(rawCase, EXPANSION_KEYS);
    const names = Object.keys(params.data.parameters ?? {});
    const idsDistinct = this.checkTemplateId(template, names, expansion.combinations, base);
    const used = new Set<string>();
    // A wrong `when: { parameters }` is wrong in every expansion: report it once.
    const reported = new Set<string>();
    const cases: SuiteCase[] = [];
    for (const combination of expansion.combinations) {
      const substituted = substituteParameters(template, combination);
      substituted.used.forEach((name) => used.add(name));
      this.report(substituted.issues, base);
      // `when: { parameters }` is decided here, where the combination is known.
      const conditioned = resolveParameterConditions(substituted.value, combination, params.data.parameters ?? {});
      for (const issue of conditioned.issues) {
        if (reported.has(issueKey(issue))) continue;
        reported.add(issueKey(issue));
        this.report([issue], base);
      }
      if (conditioned.issues.length > 0) continue;
      const body = validate(caseSchema, conditioned.value);
      if (!body.ok) {
        // A value whose placeholder is already wrong would only fail again as a value.
        const broken = new Set(substituted.issues.map((issue) => describePath(issue.path)));
        this.reportExpansion(body.issues.filter((issue) => !broken.has(describePath(issue.path))), base, template, combination);
        continue;
      }
      if (substituted.issues.length > 0) continue;
      const built = this.buildCase(body.data, template, base, combination, header, info, suiteGuestRaw, suiteGuest, idsDistinct);
      if (built) cases.push(built);
    }
    for (const name of names) if (!used.has(name)) this.report([{ path: ['parameters', name], part: 'key', message: `parameter '${name}' is never used: write \${${name}} where it belongs` }], base);
    return { cases, excluded: expansion.excluded };
  }

  /** Each expansion needs its own id, so the id must mention every parameter that varies. */
  private checkTemplateId(template: Record<string, unknown>, names: string[], combinations: readonly Combination[], base: PropertyKey[]): boolean {
    const id = template['id'];
    if (typeof id !== 'string' || combinations.length < 2) return true;
    let distinct = true;
    for (const name of names) {
      const values = new Set(combinations.map((combination) => String(combination[name])));
      if (values.size > 1 && !id.includes(`\${${name}}`)) {
        this.report([{ path: ['id'], message: `the id must mention \${${name}}: it varies, and each expansion needs its own id (e.g. ${id}-\${${name}})` }], base);
        distinct = false;
      }
    }
    return distinct;
  }

  private buildCase(
    body: CaseBody,
    template: Record<string, unknown>,
    base: PropertyKey[],
    combination: Combination,
    header: SuiteHeader | null,
    info: SuiteInfo | null,
    suiteGuestRaw: Record<string, unknown>,
    suiteGuest: GuestSpec | null,
    idsDistinct: boolean,
  ): SuiteCase | null {
    const guest = this.caseGuest(body, base, suiteGuestRaw, suiteGuest);
    const checks = checkCase(body.steps, body.expect, guest);
    if (checks.length > 0) this.reportExpansion(checks, base, template, combination);

    const location = this.source.locate([...base, 'id']);
    // Expansions of an id that lacks a parameter collide by construction; that was reported once already.
    const previous = this.ids.get(body.id);
    if (previous && idsDistinct) {
      this.problems.push({ ...location, message: `duplicate case id '${body.id}' (also at ${formatLocation(previous)})${Object.keys(combination).length ? ` [${describeCombination(combination)}]` : ''}` });
    } else {
      this.ids.set(body.id, location);
    }
    if (checks.length > 0 || !guest || !header || !info || previous || !idsDistinct) return null;

    const steps: Step[] = body.steps.map((step, index) => ({ ...step, action: withSuiteRelativeFile(step.action, this.source.file), index, location: this.source.locate([...base, 'steps', index]), text: this.source.textAt([...base, 'steps', index]) }));
    const expectations: Expectation[] = body.expect.map((expectation, index) => ({
      ...expectation,
      index,
      location: this.source.locate([...base, 'expect', index]),
      text: this.source.textAt([...base, 'expect', index]),
    }));
    const written: Requirement[] = [
      ...requirementsFrom(header.requires, 'suite requires'),
      ...requirementsFrom(body.requires, 'case requires'),
      ...guest.modules.map((name): Requirement => ({ kind: 'module', name: name.replaceAll('-', '_'), because: 'guest.modules', implied: false })),
    ];
    // What the suite says about an option or module wins over what the steps imply about it.
    const said = new Set(written.map(requirementSubject));
    // Steps a `when: { parameters }` rules out for this combination imply nothing.
    const applicable = steps.filter((step) => !excludedByParameters(step.when));
    const requirements = [...written, ...impliedRequirements(applicable).filter((requirement) => !said.has(requirementSubject(requirement)))];
    const allowCrash = body.allow?.crash ?? header.allow?.crash ?? false;
    const allowTaint = body.allow?.taint ?? header.allow?.taint ?? [];
    const allowedNewTaint: TaintFlag[] = uniqueBy([...impliedTaintAllowance(applicable), ...allowTaint], (flag) => flag.bit);
    const targets: Record<string, TargetKind> = {};
    for (const step of steps) if (step.action.kind === 'target') targets[step.action.name] = step.action.targetKind;
    return {
      key: `${info.id}/${body.id}`,
      suite: info,
      id: body.id,
      templateId: typeof template['id'] === 'string' ? template['id'] : body.id,
      title: body.title,
      description: body.description ?? null,
      tags: [...new Set([...info.tags, ...body.tags])],
      reference: body.reference ?? info.reference,
      parameters: Object.fromEntries(Object.entries(combination).map(([key, value]) => [key, String(value)])),
      guest,
      requirements,
      timeoutMs: body.timeout ?? header.timeout ?? DEFAULT_CASE_TIMEOUT_MS,
      xfail: body.xfail ?? null,
      implicit: { allowCrash, allowedNewTaint, allowedReports: [...(header.allow?.reports ?? []), ...(body.allow?.reports ?? [])] },
      targets,
      steps,
      expectations,
      location,
    };
  }

  /** The suite's guest with the case's keys laid over it (a shallow merge: a case's cmdline replaces the suite's). */
  private caseGuest(body: CaseBody, base: PropertyKey[], suiteGuestRaw: Record<string, unknown>, suiteGuest: GuestSpec | null): GuestSpec | null {
    if (!body.guest) return suiteGuest;
    const caseGuestRaw = body.guest;
    const merged = validate(suiteGuestSchema, { ...suiteGuestRaw, ...caseGuestRaw }, PLANNED_GUEST_KEYS);
    if (merged.ok) return merged.data;
    for (const issue of merged.issues) {
      const fromCase = typeof issue.path[0] === 'string' && Object.hasOwn(caseGuestRaw, issue.path[0]);
      this.report([issue], fromCase ? [...base, 'guest'] : ['guest']);
    }
    return null;
  }

  /** Problems of one expansion; those at a `${...}` value say which expansion. */
  private reportExpansion(issues: readonly PathIssue[], base: PropertyKey[], template: Record<string, unknown>, combination: Combination): void {
    for (const issue of issues) {
      const raw = valueAt(template, issue.path);
      // Name only the parameters this value uses, so expansions that agree on them report once.
      const involved = typeof raw === 'string' && issue.part !== 'key' ? Object.entries(combination).filter(([name]) => raw.includes(`\${${name}}`)) : [];
      const note = involved.length > 0 ? ` [${describeCombination(Object.fromEntries(involved))}]` : '';
      this.report([{ ...issue, message: `${issue.message}${note}` }], base);
    }
  }

  private report(issues: readonly PathIssue[], prefix: DataPath = []): void {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      this.problems.push({ ...this.source.locate(path, issue.part ?? 'value'), message: `${describePath(path)}: ${issue.message}` });
    }
  }

  private fail(problems: SuiteProblem[]): SuiteLoad {
    return { ok: false, problems: dedupeProblems(problems) };
  }
}

function requirementSubject(requirement: Requirement): string {
  switch (requirement.kind) {
    case 'kernel':
      return `kernel:${requirement.range.text}`;
    case 'config':
      return `config:${requirement.option}`;
    case 'module':
      return `module:${requirement.name}`;
    case 'feature':
      return `feature:${requirement.name}`;
    case 'parameters':
      return `parameters:${requirement.text}`;
  }
}

function issueKey(issue: PathIssue): string {
  return `${describePath(issue.path)}\u0000${issue.message}`;
}

/** cases[2].steps[1].inject.method — the path as a reader finds it in the file. */
export function describePath(path: DataPath): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out === '' ? String(segment) : `.${String(segment)}`;
  return out || '(top level)';
}

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => key in value).map((key) => [key, value[key]]));
}

function omit(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => unknown): T[] {
  const seen = new Set<unknown>();
  return items.filter((item) => (seen.has(key(item)) ? false : (seen.add(key(item)), true)));
}
