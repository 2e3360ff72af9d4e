/* Shared by micro.c and micro.S: the address map of the microbenchmark kernel. */
#ifndef MICRO_H
#define MICRO_H

#define CSR_STIMECMP 0x14d
#define SSTATUS_SIE 0x2

#define USER_TEXT_VA 0x400000 /* user.S-style program (micro.S, .user.text), R-X */
#define USER_DATA_VA 0x401000 /* its arguments: count, mode (RW-) */
#define USER_MODE_SYSCALLS 0
#define USER_MODE_FAULTS 1
#define SYS_EXIT 3 /* any system call but 0 (the null call) goes to s_trap */

/* Demand-paged user range: 1 GiB at root index 1, all unmapped at boot. Each page faults once;
 * the fault handler maps it. DEMAND_TABLES level-0 tables cover DEMAND_PAGES pages. */
#define DEMAND_VA 0x40000000
#define DEMAND_TABLES 512
#define DEMAND_PAGES (DEMAND_TABLES * 512)

/* satp benchmark: this page maps to a different physical page in each of the two roots. */
#define PROBE_VA 0xc0000000

#endif
