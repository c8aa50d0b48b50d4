import type { Guest } from '../../vm/guest.ts';
import { KmsgReader, type KmsgReaderOptions } from './kmsg-reader.ts';

/**
 * A KmsgReader on a booted guest, with host times on the console's clock (ms since QEMU
 * started) so kmsg and console records can be compared. Start it right after boot: the
 * first read returns the ring buffer from its oldest record.
 */
export function startGuestKmsgReader(guest: Guest, options: Omit<KmsgReaderOptions, 'clock'> = {}): Promise<KmsgReader> {
  const startedAt = guest.machine.startedAt;
  return KmsgReader.start(guest.ssh, { ...options, clock: () => Date.now() - startedAt });
}
