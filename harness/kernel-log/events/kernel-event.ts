import type { Hex, Pfn } from './pfn.ts';

/**
 * What the kernel said about memory errors, as typed data. One log line gives at most one
 * event; lines that are not about memory errors, hotplug or machine checks give none (there
 * is deliberately no catch-all kind). Field values are normalised (pfns and addresses as
 * lowercase "0x..." strings) so that events from 6.1 and 6.12 wordings compare equal.
 */
export type KernelEvent =
  | MemoryFailureEvent
  | AlreadyPoisonedEvent
  | UnhandlablePageEvent
  | UnknownPageStateEvent
  | MemoryOutsideKernelEvent
  | PageStillReferencedEvent
  | UnmapFailedEvent
  | MemoryFailureNoteEvent
  | SigbusSentEvent
  | MceKillEvent
  | ProcessForceKilledEvent
  | SignalFailedEvent
  | HwpoisonInjectedEvent
  | SoftOfflineRequestedEvent
  | SoftOfflineEvent
  | SoftOfflineDisabledEvent
  | UnpoisonEvent
  | MceLoggedEvent
  | MceRecordEvent
  | MceRipEvent
  | MceRegistersEvent
  | MceProcessorEvent
  | MceMcelogHintEvent
  | MceSeverityEvent
  | MceCpusNotRespondingEvent
  | MceNotRecoveredEvent
  | MceUserAccessPoisonEvent
  | MachineCheckPanicEvent
  | MemoryFailurePanicEvent
  | MemoryOfflineFailedEvent
  | MemoryOnlineFailedEvent
  | MemoryOfflinedEvent
  | PageMigrationFailedEvent
  | PageDumpedEvent
  | ZonelistsBuiltEvent
  | HotplugMemmapWasteEvent
  | MemoryBlockSizeEvent
  | MemoryBlockAddFailedEvent
  | AcpiMemoryHotplugErrorEvent
  | RasCecSoftOfflineEvent
  | DropCachesEvent
  | TaintLockDebuggingOffEvent;

export type KernelEventType = KernelEvent['type'];

/** action_result()'s outcome (enum mf_result), printed by name. */
export type MfResult = 'Ignored' | 'Failed' | 'Delayed' | 'Recovered';

/** "Memory failure: %#lx: recovery action for %s: %s" — the verdict for one page. */
export interface MemoryFailureEvent {
  type: 'memory-failure';
  pfn: Pfn;
  /** action_page_types[] text as printed: "free buddy page", "dirty LRU page", "huge page"... */
  pageType: string;
  result: MfResult;
}

/**
 * The page already had PG_hwpoison. memory_failure() says "already hardware poisoned" on
 * 6.1 and "recovery action for already poisoned page: Failed" on 6.12; soft offline has
 * its own wordings ("soft offline: ... page already poisoned", "Soft offline: ...").
 */
export interface AlreadyPoisonedEvent {
  type: 'already-poisoned';
  pfn: Pfn;
  operation: 'memory-failure' | 'soft-offline';
  /** Only the 6.12 memory-failure wording carries a result. */
  result?: MfResult;
}

/** "%#lx: unhandlable page." — get_hwpoison_page() could not take the page (kernel-owned). */
export interface UnhandlablePageEvent {
  type: 'unhandlable-page';
  pfn: Pfn;
}

/** "%#lx: Unknown page state" */
export interface UnknownPageStateEvent {
  type: 'unknown-page-state';
  pfn: Pfn;
}

/** "%#lx: memory outside kernel control" — no struct page (no RAM, or not online). */
export interface MemoryOutsideKernelEvent {
  type: 'memory-outside-kernel';
  pfn: Pfn;
}

/** "%#lx: %s still referenced by %d users" — recovery left extra references: Failed. */
export interface PageStillReferencedEvent {
  type: 'page-still-referenced';
  pfn: Pfn;
  pageType: string;
  users: number;
}

/** "%#lx: failed to unmap page (mapcount=%d)" (6.1) / "(folio mapcount=%d)" (6.12). */
export interface UnmapFailedEvent {
  type: 'unmap-failed';
  pfn: Pfn;
  mapcount: number;
}

/** The remaining memory_failure() remarks: clean page dropped, kept in swap cache... */
export interface MemoryFailureNoteEvent {
  type: 'memory-failure-note';
  pfn?: Pfn;
  note:
    | 'clean-page-dropped'
    | 'kept-in-swap-cache'
    | 'invalidate-failed'
    | 'punch-hole-failed'
    | 'release-buffers-failed'
    | 'huge-mapping-lock-failed'
    | 'tail-page-race'
    | 'ksm-page'
    | 'out-of-memory'
    | 'queue-overflow'
    | 'unhandled-result';
  /** The errno or mf_result number some notes carry. */
  code?: number;
}

/** "%#lx: Sending SIGBUS to %s:%d due to hardware memory corruption" (kill_proc()). */
export interface SigbusSentEvent {
  type: 'sigbus-sent';
  pfn: Pfn;
  comm: string;
  pid: number;
}

/** "MCE: Killing %s:%d due to hardware memory corruption fault at %lx" (page fault on a poisoned page). */
export interface MceKillEvent {
  type: 'mce-kill';
  comm: string;
  pid: number;
  /** The faulting user virtual address. */
  addr: Hex;
}

/** "%#lx: forcibly killing %s:%d because of failure to unmap corrupted page" (SIGKILL). */
export interface ProcessForceKilledEvent {
  type: 'process-force-killed';
  pfn: Pfn;
  comm: string;
  pid: number;
}

/** A process that should have been signalled was not (or not with SIGBUS). */
export interface SignalFailedEvent {
  type: 'signal-failed';
  /** 'advisory': "Cannot send advisory machine check signal"; 'error': "Error sending signal ...: %d";
   *  'address-not-found': "Unable to find user space address %lx in %s" (the process then gets SIGKILL). */
  problem: 'advisory' | 'error' | 'address-not-found';
  pfn?: Pfn;
  comm: string;
  pid?: number;
  errno?: number;
}

/** "Injecting memory failure at pfn %#lx" (debugfs) or "... for pfn %#lx at process virtual address %#lx" (madvise). */
export interface HwpoisonInjectedEvent {
  type: 'hwpoison-injected';
  pfn: Pfn;
  via: 'debugfs' | 'madvise';
  vaddr?: Hex;
}

/** "Soft offlining pfn %#lx at process virtual address %#lx" (madvise(MADV_SOFT_OFFLINE)). */
export interface SoftOfflineRequestedEvent {
  type: 'soft-offline-requested';
  pfn: Pfn;
  vaddr: Hex;
}

/** A soft-offline outcome the kernel reports ("soft offline:" on 6.1, "Soft offline:" on 6.12). */
export interface SoftOfflineEvent {
  type: 'soft-offline';
  pfn: Pfn;
  outcome: 'isolation-failed' | 'migration-failed' | 'thp-split-failed' | 'invalidated';
  /** "page" or "hugepage" (msg_page[]). */
  pageKind?: string;
  pageCount?: number;
  /** migrate_pages()' return value. */
  error?: number;
  /** %pGp: "0x...(flag|flag|...)". */
  pageFlags?: string;
}

/** "Soft offline: disabled by /proc/sys/vm/enable_soft_offline" (6.12). */
export interface SoftOfflineDisabledEvent {
  type: 'soft-offline-disabled';
}

/** unpoison_memory()'s report; `outcome` says whether it unpoisoned or why it refused. */
export interface UnpoisonEvent {
  type: 'unpoison';
  pfn: Pfn;
  outcome:
    | 'unpoisoned'
    | 'already-unpoisoned'
    | 'disabled-after-hw-failure'
    | 'huge-zero-page'
    | 'has-mapping'
    | 'grabbed-by-someone'
    | 'mapped-by-someone'
    | 'grab-failed';
}

/** "mce: [Hardware Error]: Machine check events logged" */
export interface MceLoggedEvent {
  type: 'mce-logged';
}

/** "mce: [Hardware Error]: CPU %d: Machine Check%s: %Lx Bank %d: %016Lx" */
export interface MceRecordEvent {
  type: 'mce-record';
  cpu: number;
  /** " Exception" in the text: raised as #MC, not found by polling. */
  exception: boolean;
  mcgStatus: Hex;
  bank: number;
  status: Hex;
}

/** "mce: [Hardware Error]: RIP%s %02x:<%016Lx> {%pS}" */
export interface MceRipEvent {
  type: 'mce-rip';
  /** "!INEXACT!": EIPV was clear, the IP is only where the CPU happened to be. */
  inexact: boolean;
  cs: Hex;
  ip: Hex;
  symbol?: string;
}

/** "mce: [Hardware Error]: TSC %llx " then optional "ADDR %llx ", "MISC %llx ", "PPIN %llx "... */
export interface MceRegistersEvent {
  type: 'mce-registers';
  tsc: Hex;
  addr?: Hex;
  misc?: Hex;
  ppin?: Hex;
  synd?: Hex;
  ipid?: Hex;
}

/** "mce: [Hardware Error]: PROCESSOR %u:%x TIME %llu SOCKET %u APIC %x microcode %x" */
export interface MceProcessorEvent {
  type: 'mce-processor';
  vendor: number;
  cpuid: Hex;
  time: number;
  socket: number;
  apic: Hex;
  microcode: Hex;
}

/** "mce: [Hardware Error]: Run the above through 'mcelog --ascii'" — ends a record dump. */
export interface MceMcelogHintEvent {
  type: 'mce-mcelog-hint';
}

/** "mce: [Hardware Error]: Machine check: %s" (or "Fake kernel panic: %s"): the grading that decided a panic. */
export interface MceSeverityEvent {
  type: 'mce-severity';
  message: string;
  /** The severities[] grade in arch/x86/kernel/cpu/mce/severity.c, when the message is one of them. */
  grade?: string;
  fake: boolean;
}

/** "mce: CPUs not responding to MCE broadcast (may include false positives): %*pbl" */
export interface MceCpusNotRespondingEvent {
  type: 'mce-cpus-not-responding';
  cpus: string;
}

/** "mce: Memory error not recovered" */
export interface MceNotRecoveredEvent {
  type: 'mce-not-recovered';
}

/** "mce: Uncorrected hardware memory error in user-access at %llx" / "mce: Kernel accessed poison in user space at %llx" */
export interface MceUserAccessPoisonEvent {
  type: 'mce-user-access-poison';
  addr: Hex;
  context: 'user-access' | 'kernel-access';
}

/** "Kernel panic - not syncing: <one of mce_panic()'s reasons>" */
export interface MachineCheckPanicEvent {
  type: 'machine-check-panic';
  message: string;
}

/** "Kernel panic - not syncing: Memory failure on page %lx" (vm.memory_failure_recovery=0). */
export interface MemoryFailurePanicEvent {
  type: 'memory-failure-panic';
  pfn: Pfn;
}

/** "memory offlining [mem %#010llx-%#010llx] failed due to %s" (pr_debug: needs dynamic debug). */
export interface MemoryOfflineFailedEvent {
  type: 'memory-offline-failed';
  start: Hex;
  end: Hex;
  /** "unmovable page", "memory holes", "signal backoff", "notifier failure", ... */
  reason: string;
}

/** "online_pages [mem %#010llx-%#010llx] failed" */
export interface MemoryOnlineFailedEvent {
  type: 'memory-online-failed';
  start: Hex;
  end: Hex;
}

/** "Offlined Pages %ld" (pr_debug). */
export interface MemoryOfflinedEvent {
  type: 'memory-offlined';
  pages: number;
}

/** "migrating pfn %lx failed ret:%d" — do_migrate_range() while offlining; a page dump follows. */
export interface PageMigrationFailedEvent {
  type: 'page-migration-failed';
  pfn: Pfn;
  ret: number;
}

/** "page dumped because: %s" — the last line of a dump_page(). */
export interface PageDumpedEvent {
  type: 'page-dumped';
  reason: string;
}

/** "Built %u zonelists, mobility grouping %s.  Total pages: %ld" — boot, and memory (un)plug that changes populated zones. */
export interface ZonelistsBuiltEvent {
  type: 'zonelists-built';
  zonelists: number;
  mobilityGrouping: boolean;
  totalPages: number;
}

/** "Memory hotplug will waste %ld pages in each memory block" (memmap_on_memory, 6.12). */
export interface HotplugMemmapWasteEvent {
  type: 'hotplug-memmap-waste';
  pages: number;
}

/** "x86/mm: Memory block size: %ldMB" */
export interface MemoryBlockSizeEvent {
  type: 'memory-block-size';
  mib: number;
}

/** "%s() failed to add memory block: %d" (memory block device registration failed). */
export interface MemoryBlockAddFailedEvent {
  type: 'memory-block-add-failed';
  func: string;
  error: number;
}

/** ACPI memory device hot-add errors: "... add_memory failed", "... acpi_memory_enable_device() error". */
export interface AcpiMemoryHotplugErrorEvent {
  type: 'acpi-memory-hotplug-error';
  error: 'add-memory-failed' | 'enable-device-failed';
  /** What acpi_handle_err()/dev_err() printed before the message (ACPI path or device name). */
  device: string;
}

/** "RAS: Soft-offlining pfn: 0x%llx" — the corrected-errors collector gave up on a page. */
export interface RasCecSoftOfflineEvent {
  type: 'ras-cec-soft-offline';
  pfn: Pfn;
}

/** "%s (%d): drop_caches: %d" */
export interface DropCachesEvent {
  type: 'drop-caches';
  comm: string;
  pid: number;
  mode: number;
}

/** "Disabling lock debugging due to kernel taint" — printed when the kernel first becomes tainted (e.g. 'M' by a machine check). */
export interface TaintLockDebuggingOffEvent {
  type: 'taint-lock-debugging-off';
}
