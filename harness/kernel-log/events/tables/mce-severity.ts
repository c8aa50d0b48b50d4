/**
 * The messages of severities[] in arch/x86/kernel/cpu/mce/severity.c (Intel grading; same
 * table in 6.1 and 6.12). The kernel prints the matching one as "Machine check: %s" when
 * it panics, so knowing the grade tells a test why the guest died.
 */
export const MCE_SEVERITY_MESSAGES: Readonly<Record<string, string>> = {
  Invalid: 'NO',
  'Not enabled': 'NO',
  'Processor context corrupt': 'PANIC',
  'MCIP not set in MCA handler': 'PANIC',
  'Neither restart nor error IP': 'PANIC',
  'In kernel and no restart IP': 'PANIC',
  'Corrected error': 'KEEP',
  'Action optional: memory scrubbing error': 'AO',
  'Action optional: last level cache writeback error': 'AO',
  'Uncorrected Patrol Scrub Error': 'AO',
  'Uncorrected no action required': 'UCNA',
  'Illegal combination (UCNA with AR=1)': 'PANIC',
  'Non signaled machine check': 'KEEP',
  'Action required with lost events': 'PANIC',
  'Action required but unaffected thread is continuable': 'KEEP',
  'Action required: data load in error recoverable area of kernel': 'AR',
  'Action required: data load error in a user process': 'AR',
  'Action required: instruction fetch error in a user process': 'AR',
  'Data load in unrecoverable area of kernel': 'PANIC',
  'Instruction fetch error in kernel': 'PANIC',
  'Action required: unknown MCACOD': 'PANIC',
  'Action optional: unknown MCACOD': 'SOME',
  'Action optional with lost events': 'SOME',
  'Overflowed uncorrected': 'PANIC',
  Uncorrected: 'UC',
  'No match': 'SOME',
};

export function mceSeverityGrade(message: string): string | undefined {
  return Object.hasOwn(MCE_SEVERITY_MESSAGES, message) ? MCE_SEVERITY_MESSAGES[message] : undefined;
}
