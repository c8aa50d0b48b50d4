import type { CaseResult, KernelInfo, RunResult } from '../results/run-result.ts';
import type { SuiteCase } from '../suite/index.ts';
import { BACKPORT_REGRESSIONS, emptyBackportCounts, type BackportReport, type CaseBackport, type ReferenceCheck } from './backport-report.ts';
import { classifyBackport, sideSummary } from './classify-backport.ts';
import { caseCommitReferences, type CommitReference } from './commit-references.ts';
import { lookUpReference, type KernelHistory } from './kernel-history.ts';

export interface BackportInputs {
  run: RunResult;
  runDir: string;
  base: KernelInfo;
  candidate: KernelInfo;
  /** The suite cases that were run, by key: where the commit references come from. */
  suiteCases: ReadonlyMap<string, SuiteCase>;
  baseHistory: KernelHistory;
  candidateHistory: KernelHistory;
}

function byKey(cases: readonly CaseResult[], kernelId: string): Map<string, CaseResult[]> {
  const out = new Map<string, CaseResult[]>();
  for (const result of cases) {
    if (result.kernel.id !== kernelId) continue;
    const list = out.get(result.key) ?? [];
    list.push(result);
    out.set(result.key, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.repeatIndex - b.repeatIndex);
  return out;
}

/** Every case of the base kernel set against the same case on the candidate, and the suite's commit references looked up in both. */
export function buildBackportReport(inputs: BackportInputs): BackportReport {
  const { run, base, candidate } = inputs;
  if (base.id === candidate.id) throw new Error(`the base and the candidate are the same kernel (${base.id})`);
  const baseCases = byKey(run.cases, base.id);
  const candidateCases = byKey(run.cases, candidate.id);
  const keys = [...new Set([...candidateCases.keys(), ...baseCases.keys(), ...inputs.suiteCases.keys()])];
  const counts = emptyBackportCounts();
  const references = new Map<string, { reference: CommitReference; cases: string[] }>();
  const cases: CaseBackport[] = [];
  for (const key of keys) {
    const onBase = baseCases.get(key) ?? [];
    const onCandidate = candidateCases.get(key) ?? [];
    const testCase = inputs.suiteCases.get(key);
    const sample = onCandidate[0] ?? onBase[0];
    if (!sample && !testCase) continue;
    const cited = testCase ? caseCommitReferences(testCase) : [];
    for (const reference of cited) {
      const entry = references.get(reference.title) ?? { reference, cases: [] };
      entry.cases.push(key);
      references.set(reference.title, entry);
    }
    const classification = classifyBackport(onBase, onCandidate);
    counts[classification.category]++;
    cases.push({
      category: classification.category,
      key,
      suite: sample?.suite ?? testCase!.suite.id,
      caseId: sample?.caseId ?? testCase!.id,
      title: sample?.title ?? testCase!.title,
      reason: classification.reason,
      ...(onBase.length > 0 ? { base: sideSummary(onBase) } : {}),
      ...(onCandidate.length > 0 ? { candidate: sideSummary(onCandidate) } : {}),
      onlyBase: classification.onlyBase,
      onlyCandidate: classification.onlyCandidate,
      references: cited.map((reference) => reference.title),
    });
  }
  const referenceChecks: ReferenceCheck[] = [...references.values()].map(({ reference, cases: citing }) => ({
    reference: reference.reference,
    title: reference.title,
    base: lookUpReference(inputs.baseHistory, reference),
    candidate: lookUpReference(inputs.candidateHistory, reference),
    cases: citing,
  }));
  const changelogNotes = [inputs.baseHistory, inputs.candidateHistory].filter((history) => history.missing !== null).map((history) => `${history.kernel.release}: ${history.missing}`);
  return {
    base,
    candidate,
    runDir: inputs.runDir,
    runId: run.runId,
    complete: run.complete,
    interrupted: run.interrupted,
    suites: run.suites,
    accelerator: `${run.accelerator.accel} (${run.accelerator.reason})`,
    counts,
    cases,
    references: referenceChecks,
    changelogNotes,
    regressed: BACKPORT_REGRESSIONS.some((category) => counts[category] > 0),
  };
}
