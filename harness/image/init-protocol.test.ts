import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { vmImagesDir } from '../util/paths.ts';
import { renderInitConf } from './base-part.ts';
import { INIT_MARKERS, parseInitMarker, renderInitCmdline } from './init-protocol.ts';

describe('renderInitCmdline', () => {
  it('renders modules in order, canonical and de-duplicated, plus explicit switches', () => {
    expect(renderInitCmdline({ modules: ['brd', 'nd-pmem', 'nd_pmem'], ssh: true, network: true })).toEqual([
      'mh.modules=brd,nd_pmem',
      'mh.net=1',
      'mh.ssh=1',
    ]);
  });

  it('omits mh.modules when there are none', () => {
    expect(renderInitCmdline({ modules: [], ssh: false, network: false })).toEqual(['mh.net=0', 'mh.ssh=0']);
    expect(renderInitCmdline({ modules: [], ssh: false, network: true })).toEqual(['mh.net=1', 'mh.ssh=0']);
  });

  it('refuses SSH without network', () => {
    expect(() => renderInitCmdline({ modules: [], ssh: true, network: false })).toThrow(HarnessError);
  });

  it('refuses names that would break the command line or the init', () => {
    for (const bad of ['', 'a b', 'a,b', 'x;reboot', 'mod=1']) {
      expect(() => renderInitCmdline({ modules: [bad], ssh: false, network: false })).toThrow(/invalid kernel module name/);
    }
  });
});

describe('init markers', () => {
  it('parses every marker, tolerating console noise before it', () => {
    expect(parseInitMarker('memharness-init: start')).toEqual({ kind: 'start' });
    expect(parseInitMarker('\r[    2.9] x memharness-init: ready ssh=1\r')).toEqual({ kind: 'ready', ssh: true });
    expect(parseInitMarker(INIT_MARKERS.readyNoSsh)).toEqual({ kind: 'ready', ssh: false });
    expect(parseInitMarker(INIT_MARKERS.modulesDone)).toEqual({ kind: 'modules-done' });
    expect(parseInitMarker('memharness-init: modprobe-failed brd: modprobe: module brd not found in modules.dep')).toEqual({
      kind: 'modprobe-failed',
      module: 'brd',
      message: 'modprobe: module brd not found in modules.dep',
    });
    expect(parseInitMarker('memharness-init: error sshd: dropbear is not listening on port 22: x')).toEqual({
      kind: 'error',
      area: 'sshd',
      message: 'dropbear is not listening on port 22: x',
    });
    expect(parseInitMarker('memharness-init: note entropy: waiting')).toEqual({ kind: 'note', area: 'entropy', message: 'waiting' });
    expect(parseInitMarker('[    1.0] random: crng init done')).toBeNull();
  });

  it('match what vm-images/init prints', () => {
    const script = fs.readFileSync(path.join(vmImagesDir, 'init'), 'utf8');
    expect(script).toContain(`echo "${INIT_MARKERS.start}"`);
    expect(script).toContain('say() { echo "memharness-init: $*"; }');
    for (const said of ['modules-done', 'ready ssh=$ssh_ready', 'modprobe-failed $1:', 'error sshd:', 'note entropy:']) {
      expect(script).toContain(`say "${said}`);
    }
    for (const word of ['mh.modules=', 'mh.net=', 'mh.ssh=']) expect(script).toContain(`${word}*)`);
  });

  it('gives the init its network modules from BASE_MODULES and loads service modules only on request', () => {
    expect(renderInitConf()).toContain('MH_NET_MODULES="virtio_pci virtio_net"');
    expect(renderInitConf()).toContain('MH_LATE_MODULES=""');
  });
});
