/** The kernel provider's public surface; the rest of harness/kernel/ is its implementation. */
export { resolveKernel, DEFAULT_KERNEL_REF, type ResolveKernelOptions } from './resolve-kernel.ts';
export { listKernels, formatKernelList, type CachedKernelInfo, type ArchiveKernelInfo, type KernelList } from './list-kernels.ts';
export { parseKernelRef, type KernelRef } from './kernel-ref.ts';
export type { PreparedKernel, KernelSource } from './prepared-kernel.ts';
