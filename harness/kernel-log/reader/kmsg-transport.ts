/**
 * What KmsgReader needs from the guest connection; GuestSsh provides it. Kept structural so
 * unit tests can feed recorded bytes without a guest.
 */
export interface KmsgStreamHandle {
  stop(): void;
  closed: Promise<void>;
}

export interface KmsgTransport {
  stream(command: string, onData: (chunk: Buffer) => void): Promise<KmsgStreamHandle>;
  exec(command: string, options?: { timeoutMs?: number }): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}
