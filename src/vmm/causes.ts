// Human-readable names of RISC-V trap causes, for reports.
const EXCEPTIONS = [
  'instruction address misaligned',
  'instruction access fault',
  'illegal instruction',
  'breakpoint',
  'load address misaligned',
  'load access fault',
  'store/AMO address misaligned',
  'store/AMO access fault',
  'environment call from U-mode',
  'environment call from S-mode',
  'reserved (10)',
  'environment call from M-mode',
  'instruction page fault',
  'load page fault',
  'reserved (14)',
  'store/AMO page fault',
];
const INTERRUPTS: Record<number, string> = {
  1: 'supervisor software interrupt',
  3: 'machine software interrupt',
  5: 'supervisor timer interrupt',
  7: 'machine timer interrupt',
  9: 'supervisor external interrupt',
  11: 'machine external interrupt',
};

export function causeName(cause: bigint): string {
  const code = Number(cause & 0xffffn);
  if (cause >> 63n) return INTERRUPTS[code] ?? `interrupt ${code}`;
  return EXCEPTIONS[code] ?? `exception ${code}`;
}
