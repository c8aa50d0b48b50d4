import { describe, expect, it } from 'vitest';
import { leftoverQemuGroups, withTestGuest } from '../testing/guest-fixture.ts';

// The default 6.12 kernel and one 6.1 build: the two series differ in module formats
// (.ko.xz vs .ko), virtio_pci (built in vs module) and boot image compression.
describe.each([
  { ref: undefined, series: '6.12' },
  { ref: '6.1.0-56', series: '6.1' },
])('a real $series guest', ({ ref, series }) => {
  it('boots, answers over SSH as the expected kernel, and has the requested module loaded', async () => {
    await withTestGuest(ref, { modules: ['hwpoison_inject'] }, async ({ guest, prepared }) => {
      expect(guest.unameRelease).toBe(prepared.kernel.release);
      expect(guest.unameRelease).toMatch(new RegExp(`^${series.replace('.', '\\.')}\\.`));
      expect(guest.timings.bootMs).toBeGreaterThan(0);
      expect(guest.timings.readyMs).toBeGreaterThanOrEqual(guest.timings.initReadyMs);

      const lsmod = await guest.exec('cat /proc/modules');
      expect(lsmod.stdout).toMatch(/^hwpoison_inject /m);
      const debugfs = await guest.exec('ls /sys/kernel/debug/hwpoison');
      expect(debugfs.stdout.split(/\s+/)).toContain('corrupt-pfn');

      const status = await guest.exec('echo out; echo err >&2; exit 3');
      expect(status).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });

      await guest.ssh.upload('payload\n', '/tmp/uploaded', 0o600);
      const read = await guest.exec('cat /tmp/uploaded; stat -c %a /tmp/uploaded');
      expect(read.stdout).toBe('payload\n600\n');

      const helper = await guest.exec('memharness-helper version');
      expect(JSON.parse(helper.stdout.trim().split('\n')[0] ?? '{}')).toMatchObject({ event: 'version' });
    });
    expect(leftoverQemuGroups()).toEqual([]);
  });
});
