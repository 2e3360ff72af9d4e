// The machine a bench ran on, stated in every results.json and report: numbers mean little without it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type, arch } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo } from './schema.ts';
import { BENCH_DIR } from './workloads.ts';

function gitCommit(): string | null {
  const r = spawnSync('git', ['-C', BENCH_DIR, 'describe', '--always', '--dirty', '--abbrev=12'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  return r.status === 0 ? r.stdout.trim() || null : null;
}

export function machineInfo(qemu: string | undefined, cc: string | undefined): MachineInfo {
  const cpu = cpus();
  const pkg = JSON.parse(readFileSync(join(BENCH_DIR, '..', 'package.json'), 'utf8')) as { version: string };
  return {
    cpu: cpu[0]?.model?.trim() || 'unknown',
    cores: cpu.length,
    memoryBytes: totalmem(),
    os: `${type()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    wasmvisor: pkg.version,
    commit: gitCommit(),
    qemu: qemu ?? null,
    cc: cc ?? null,
  };
}
