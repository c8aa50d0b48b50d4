/**
 * The suite format's public face for the runner: load suites, get typed expanded cases,
 * decide requirements against a kernel's facts, match events and state.
 */
export { loadSuiteFile, parseSuite, type SuiteLoad } from './load-suite.ts';
export { findSuiteFiles, loadSuites, type LoadedSuites } from './load-suites.ts';
export type { ImplicitChecks, LoadedSuite, SuiteCase, SuiteInfo } from './suite-case.ts';
export { MUST_SUCCEED, DEFAULT_FILL_SEED, type Step, type StepAction, type StepKind, type StepOutcome } from './step-schema.ts';
export type { Expectation, ExpectationCheck } from './expectation-schema.ts';
export type { StateCheck, NodeSelector, BlockRef, PageRef } from './state-expectation.ts';
export type { SigbusMatcher, SigbusCode } from './sigbus.ts';
export { eventMatches, resolveRef, valueMatches, type EventMatcher, type RefValues, type ValueMatcher } from './event-matcher.ts';
export { numberMatches, describeNumberMatcher, type NumberMatcher } from './number-matcher.ts';
export type { ValueRef, TargetProperty } from './value-ref.ts';
export type { Xfail } from './common-schema.ts';
export type { Requirement } from './requirement-schema.ts';
export { evaluateRequirements, evaluateRequirement, conditionHolds, type RequirementsVerdict, type RequirementCheck } from './requirements.ts';
export { kernelFacts, kernelFactsOf, type KernelFacts, type KernelFactsInput } from './kernel-facts.ts';
export { parseKernelConfig, readKernelConfig, configValue, type KernelConfig } from './kernel-config.ts';
export { kernelVersionOf, parseKernelVersion, formatKernelVersion, type KernelVersion } from './kernel-version.ts';
export { parseVersionRange, versionInRange, type VersionRange, type Tristate } from './version-range.ts';
export { KERNEL_FEATURES, deriveFeatures, type FeatureName } from './features.ts';
export { formatProblem, type SourceLocation, type SuiteProblem } from './problems.ts';
