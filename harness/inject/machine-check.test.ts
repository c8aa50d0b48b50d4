import { describe, expect, it } from 'vitest';
import { cplOfCpu } from './machine-check.ts';

/** HMP `info registers -a` as QEMU 7.2 prints it (x86_cpu_dump_state, trimmed): one section per vCPU. */
const REGISTERS = `
CPU#0
RAX=0000000000000000 RBX=ffffffff82613940 RCX=0000000000000000 RDX=0000000000000000
RIP=ffffffff81c0e3ab RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1
ES =0000 0000000000000000 ffffffff 00c00000

CPU#1
RAX=00007f3a1c200000 RBX=0000000000001000 RCX=0000000000000040 RDX=0000000000000000
RIP=000055d0c3a01234 RFL=00000202 [-------] CPL=3 II=0 A20=1 SMM=0 HLT=0
ES =0000 0000000000000000 ffffffff 00c00000
`;

describe('cplOfCpu', () => {
  it("reads each vCPU's privilege level from its own section", () => {
    expect(cplOfCpu(REGISTERS, 0)).toBe(0);
    expect(cplOfCpu(REGISTERS, 1)).toBe(3);
  });

  it('is null for a vCPU the output does not show', () => {
    expect(cplOfCpu(REGISTERS, 2)).toBeNull();
    expect(cplOfCpu('RIP=0000 RFL=00000202 [-------] CPL=3 II=0', 0)).toBeNull();
  });
});
