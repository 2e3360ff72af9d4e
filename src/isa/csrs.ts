// CSR numbers and the bits the supervisor reads or sets, in one place (the core has its own in
// assembly/csr.ts; these are the TypeScript side's).
export const CSR = {
  sstatus: 0x100,
  stimecmp: 0x14d,
  satp: 0x180,
  medeleg: 0x302,
  mideleg: 0x303,
  mie: 0x304,
  mcounteren: 0x306,
  scounteren: 0x106,
  menvcfg: 0x30a,
  pmpcfg0: 0x3a0,
  pmpaddr0: 0x3b0,
  mip: 0x344,
  minstret: 0xb02,
  mvendorid: 0xf11,
  marchid: 0xf12,
  mimpid: 0xf13,
  mhartid: 0xf14,
} as const;

/** Interrupt bits of mip/mie. */
export const MIP = {
  SSIP: 1n << 1n,
  MSIP: 1n << 3n,
  STIP: 1n << 5n,
  MTIP: 1n << 7n,
  SEIP: 1n << 9n,
  MEIP: 1n << 11n,
} as const;

/** menvcfg.STCE: the Sstc extension is on. */
export const MENVCFG_STCE = 1n << 63n;

/** PMP entry 0 as firmware leaves it for a kernel: NAPOT over every address, R W X. */
export const PMP_ALL = { addr: (1n << 54n) - 1n, cfg: 0x1fn } as const;

/** Privilege levels as the core stores them. */
export const PRIV = { U: 0n, S: 1n, M: 3n } as const;
