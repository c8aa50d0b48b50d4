import { EventEmitter } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly description: string,
  ) {
    super(`QMP ${command} failed: ${errorClass}: ${description}`);
  }
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  timer: NodeJS.Timeout;
}

/** Longest QMP message we accept: replies like query-migrate are small, a runaway peer is not. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * QEMU Machine Protocol over a unix socket: JSON objects separated by newlines. Commands carry
 * an id so replies pair up with their command even when events arrive in between; events are
 * re-emitted as 'event' and kept in a short history so a waiter never misses one that arrived
 * just before it started waiting.
 */
export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: []; greeting: [] }> {
  private socket: net.Socket | null = null;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly history: QmpEvent[] = [];
  private closed = false;

  /** Connects (retrying while QEMU has not created the socket yet) and negotiates capabilities. */
  static async connect(socketPath: string, options: { timeoutMs: number; isAlive?: () => boolean }): Promise<QmpClient> {
    const deadline = Date.now() + options.timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (options.isAlive && !options.isAlive()) break;
      try {
        const client = new QmpClient();
        await client.open(socketPath, deadline - Date.now());
        return client;
      } catch (error) {
        lastError = error;
        await sleep(50);
      }
    }
    throw new Error(`could not connect to QMP socket ${socketPath}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  }

  private async open(socketPath: string, timeoutMs: number): Promise<void> {
    const socket = net.createConnection(socketPath);
    this.socket = socket;
    const greeting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no QMP greeting')), timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      this.once('greeting', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => this.onData(data));
    socket.on('close', () => this.onClose());
    socket.on('error', () => {
      // 'close' follows and rejects what is pending.
    });
    await greeting;
    await this.execute('qmp_capabilities');
  }

  async execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    if (this.closed || !this.socket) throw new Error(`QMP ${command}: connection closed`);
    const id = `mh-${this.nextId++}`;
    const message = JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket!.write(`${message}\n`);
    });
  }

  /** Runs a human monitor command (such as `mce`) and returns its text output. */
  async hmp(commandLine: string, timeoutMs = 30_000): Promise<string> {
    return this.execute<string>('human-monitor-command', { 'command-line': commandLine }, timeoutMs);
  }

  /** Resolves with the first event named `name` (seen since `since`, or arriving later). */
  waitForEvent(name: string, options: { timeoutMs: number; since?: number; match?: (event: QmpEvent) => boolean }): Promise<QmpEvent> {
    const matches = (event: QmpEvent) => event.event === name && (!options.match || options.match(event));
    const since = options.since ?? Number.POSITIVE_INFINITY;
    const earlier = this.history.find((event) => eventMs(event) >= since && matches(event));
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve, reject) => {
      const onEvent = (event: QmpEvent) => {
        if (!matches(event)) return;
        cleanup();
        resolve(event);
      };
      const onClose = () => {
        cleanup();
        reject(new Error(`QMP closed while waiting for event ${name}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no QMP event ${name} within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      this.on('event', onEvent);
      this.on('close', onClose);
    });
  }

  events(): readonly QmpEvent[] {
    return this.history;
  }

  close(): void {
    this.socket?.destroy();
  }

  private onData(data: string): void {
    this.buffer += data;
    if (this.buffer.length > MAX_MESSAGE_BYTES) {
      this.socket?.destroy(new Error('QMP message too large'));
      return;
    }
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const text = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (text) this.onMessage(text);
      newline = this.buffer.indexOf('\n');
    }
  }

  private onMessage(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if ('QMP' in message) {
      this.emit('greeting');
      return;
    }
    if (typeof message.event === 'string') {
      const event = message as unknown as QmpEvent;
      this.history.push(event);
      if (this.history.length > 1000) this.history.shift();
      this.emit('event', event);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (!pending || !id) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if ('error' in message) {
      const error = (message.error ?? {}) as { class?: string; desc?: string };
      pending.reject(new QmpError(pending.command, error.class ?? 'GenericError', error.desc ?? 'unknown error'));
    } else {
      pending.resolve(message.return);
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`QMP ${pending.command}: connection closed (QEMU exited?)`));
      this.pending.delete(id);
    }
    this.emit('close');
  }
}

function eventMs(event: QmpEvent): number {
  return event.timestamp ? event.timestamp.seconds * 1000 + Math.floor(event.timestamp.microseconds / 1000) : 0;
}
