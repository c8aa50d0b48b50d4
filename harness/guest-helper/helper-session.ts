import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { HarnessError } from '../util/errors.ts';
import type { ConversationEnd, GuestConversation, GuestSsh } from '../ssh/guest-ssh.ts';
import {
  accessReplySchema,
  asyncEventSchema,
  pfnsReplySchema,
  replySchema,
  syscallReplySchema,
  targetReplySchema,
  verifyReplySchema,
  type HelperEvent,
  type HelperReply,
  type HelperTarget,
  type HelperTargetKind,
  type SigbusInfo,
  movePagesReplySchema,
  pageNodesReplySchema,
  type PageNode,
} from './helper-messages.ts';

export class HelperError extends HarnessError {
  constructor(
    message: string,
    readonly reply?: HelperReply,
  ) {
    super('guest', message);
  }
}

/** The helper process ended (often: the kernel killed it with SIGBUS, which is a result). */
export class HelperGoneError extends HarnessError {
  constructor(readonly end: ConversationEnd) {
    super('guest', `the guest helper ended (${end.signal ? `killed by SIG${end.signal}` : `exit ${end.exitCode}`})${end.stderr ? `: ${end.stderr.trim().slice(0, 300)}` : ''}`);
  }
}

interface Pending {
  resolve: (reply: HelperReply) => void;
  reject: (error: unknown) => void;
}

const MAX_LINE = 1024 * 1024;

/**
 * A `memharness-helper serve` process in the guest holding target pages between steps. One
 * request at a time is the common case, but replies are paired by id, so asynchronous
 * SIGBUS events (early kill) that arrive in between are never mistaken for a reply.
 */
export class HelperSession extends EventEmitter<{ event: [HelperEvent] }> {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventLog: HelperEvent[] = [];
  private endInfo: ConversationEnd | null = null;
  private conversation!: GuestConversation;
  pid = 0;

  static async start(ssh: GuestSsh, options: { timeoutMs?: number } = {}): Promise<HelperSession> {
    const session = new HelperSession();
    let timer: NodeJS.Timeout | undefined;
    let failStart: (error: unknown) => void = () => {};
    const ready = new Promise<HelperEvent>((resolve, reject) => {
      failStart = reject;
      timer = setTimeout(() => reject(new HelperError('the guest helper did not start within the deadline')), options.timeoutMs ?? 30_000);
      session.once('event', (event) => {
        clearTimeout(timer);
        if (event.event === 'ready') resolve(event);
        else reject(new HelperError(`the guest helper said ${JSON.stringify(event)} instead of ready`));
      });
    });
    // Awaited below; when the conversation cannot even start, nothing awaits it, and its
    // deadline must neither keep the process alive nor end it with an unhandled rejection.
    ready.catch(() => undefined);
    try {
      session.conversation = await ssh.converse('exec memharness-helper serve', (chunk) => session.onData(chunk));
    } catch (error) {
      clearTimeout(timer);
      throw error;
    }
    void session.conversation.closed.then((end) => {
      session.onEnd(end);
      clearTimeout(timer);
      failStart(new HelperGoneError(end));
    });
    const hello = await ready;
    session.pid = typeof hello.pid === 'number' ? hello.pid : 0;
    return session;
  }

  /** Asynchronous events so far (e.g. SIGBUS BUS_MCEERR_AO from an early kill). */
  events(): readonly HelperEvent[] {
    return this.eventLog;
  }

  get ended(): ConversationEnd | null {
    return this.endInfo;
  }

  get closed(): Promise<ConversationEnd> {
    return this.conversation.closed;
  }

  async request<S extends z.ZodType<HelperReply>>(schema: S, words: (string | number)[], timeoutMs = 60_000): Promise<z.infer<S>> {
    if (this.endInfo) throw new HelperGoneError(this.endInfo);
    for (const word of words) {
      if (!/^[A-Za-z0-9_./:=+-]+$/.test(String(word))) throw new HelperError(`refusing to send ${JSON.stringify(word)} to the helper: not a plain word`);
    }
    const id = this.nextId++;
    const reply = await new Promise<HelperReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HelperError(`the guest helper did not answer "${words.join(' ')}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.conversation.write(`${id} ${words.join(' ')}\n`);
    });
    const parsed = schema.safeParse(reply);
    if (!parsed.success) throw new HelperError(`unexpected reply to "${words.join(' ')}": ${JSON.stringify(reply)}`, reply);
    return parsed.data;
  }

  /** Like request, but a reply with ok:false becomes an error naming the errno. */
  async requestOk<S extends z.ZodType<HelperReply>>(schema: S, words: (string | number)[], timeoutMs?: number): Promise<z.infer<S>> {
    const reply = await this.request(schema, words, timeoutMs);
    if (!reply.ok) throw new HelperError(`helper ${words.join(' ')}: ${reply.error ?? 'failed'}${reply.errnoName ? ` (${reply.errnoName})` : ''}`, reply);
    return reply;
  }

  /** `options`: hugetlb's `size=1G`, `shared`, `nofault` (PROTOCOL.md). */
  async alloc(name: string, kind: HelperTargetKind, count: number, path?: string, options: readonly string[] = []): Promise<HelperTarget> {
    const words = ['alloc', name, kind, count, ...(path ? [path] : []), ...options];
    return (await this.requestOk(targetReplySchema, words, 120_000)).target;
  }

  async pages(name: string): Promise<HelperTarget> {
    return (await this.requestOk(targetReplySchema, ['pages', name])).target;
  }

  fill(name: string, seed: number) {
    return this.requestOk(replySchema, ['fill', name, seed]);
  }

  async verify(name: string, seed: number): Promise<HelperReply & { intact: boolean; firstMismatch: number | null; sigbus: SigbusInfo | null }> {
    const reply = await this.requestOk(verifyReplySchema, ['verify', name, seed]);
    if (reply.intact === undefined) throw new HelperError(`helper verify ${name}: reply without "intact"`, reply);
    return { ...reply, intact: reply.intact, firstMismatch: reply.firstMismatch ?? null, sigbus: reply.sigbus ?? null };
  }

  async access(name: string, index: number, mode: 'read' | 'write' = 'read'): Promise<HelperReply & { outcome: 'ok' | 'sigbus'; sigbus: SigbusInfo | null }> {
    const reply = await this.requestOk(accessReplySchema, ['access', name, index, mode]);
    if (reply.outcome === undefined) throw new HelperError(`helper access ${name}: reply without "outcome"`, reply);
    return { ...reply, outcome: reply.outcome, sigbus: reply.sigbus ?? null };
  }

  madvise(name: string, index: number, advice: 'hwpoison' | 'soft-offline') {
    return this.request(syscallReplySchema, ['madvise', name, index, advice]);
  }

  fsync(name: string) {
    return this.request(syscallReplySchema, ['fsync', name]);
  }

  msync(name: string) {
    return this.request(syscallReplySchema, ['msync', name]);
  }

  setMceKill(policy: 'early' | 'late' | 'default') {
    return this.requestOk(replySchema, ['mce-kill', policy]);
  }

  async freePages(count: number, minPfn?: bigint, maxPfn?: bigint): Promise<bigint[]> {
    const bounds = minPfn === undefined ? [] : [`0x${minPfn.toString(16)}`, ...(maxPfn === undefined ? [] : [`0x${maxPfn.toString(16)}`])];
    const reply = await this.requestOk(pfnsReplySchema, ['free-pages', count, ...bounds]);
    return reply.pfns.map((pfn) => BigInt(pfn));
  }

  /** Pages the slab allocator holds (kernel memory that cannot be migrated), from minPfn on. */
  async slabPages(count: number, minPfn?: bigint): Promise<bigint[]> {
    const reply = await this.requestOk(pfnsReplySchema, ['slab-pages', count, ...(minPfn !== undefined ? [`0x${minPfn.toString(16)}`] : [])]);
    return reply.pfns.map((pfn) => BigInt(pfn));
  }

  /** The NUMA node of each page of a target (move_pages(2) without nodes). */
  async pageNodes(name: string): Promise<PageNode[]> {
    return (await this.requestOk(pageNodesReplySchema, ['page-nodes', name])).nodes;
  }

  /** move_pages(2) of every page of a target to a node; ok:false replies are returned, not thrown. */
  movePages(name: string, node: number) {
    return this.request(movePagesReplySchema, ['move-pages', name, node], 120_000);
  }

  /** Heads of free hugetlb pages; of one size when `sizeKb` (2048, 1048576) is given. */
  async freeHugepages(count: number, sizeKb?: number): Promise<bigint[]> {
    return (await this.requestOk(pfnsReplySchema, ['free-hugepages', count, ...(sizeKb === undefined ? [] : [sizeKb])])).pfns.map((pfn) => BigInt(pfn));
  }

  /** Resolves with the next asynchronous event of that name (e.g. "spinning"). */
  waitForEvent(name: string, timeoutMs: number): Promise<HelperEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', onEvent);
        reject(new HelperError(`the guest helper sent no "${name}" event within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onEvent = (event: HelperEvent) => {
        if (event.event !== name) return;
        clearTimeout(timer);
        this.off('event', onEvent);
        resolve(event);
      };
      this.on('event', onEvent);
    });
  }

  release(name: string) {
    return this.requestOk(replySchema, ['release', name]);
  }

  /** Ends the session politely; kills it if it does not go. */
  async close(): Promise<ConversationEnd> {
    if (!this.endInfo) {
      await this.request(replySchema, ['quit'], 5_000).catch(() => this.conversation.stop());
    }
    return this.conversation.closed;
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    if (this.buffer.length > MAX_LINE && !this.buffer.includes('\n')) this.buffer = '';
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.onLine(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    const reply = replySchema.safeParse(message);
    if (reply.success) {
      const pending = this.pending.get(reply.data.id);
      if (pending) {
        this.pending.delete(reply.data.id);
        pending.resolve(reply.data);
      }
      return;
    }
    const event = asyncEventSchema.safeParse(message);
    if (event.success) {
      this.eventLog.push(event.data);
      this.emit('event', event.data);
    }
  }

  private onEnd(end: ConversationEnd): void {
    this.endInfo = end;
    for (const [id, pending] of this.pending) {
      pending.reject(new HelperGoneError(end));
      this.pending.delete(id);
    }
  }
}
