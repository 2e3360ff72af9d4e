// Booting as QEMU does, from the command line: --kernel (a Linux Image made here, byte by byte),
// --initrd, --append, raw --bios firmware, --dtb, --drive (and its errors), and the console's
// Ctrl-A escapes.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConsoleEscapes } from '../src/cli-console.ts';
import { createMachine } from '../src/index.ts';
import { encode } from './helpers/encode.ts';
import { cells, find, parseFdt, str } from './helpers/fdt.ts';

const root = new URL('..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-boot-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/wasmvisor.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^wasmvisor: /);
  expect(lines[0]).toMatch(pattern);
}

const words = (...insns: ReturnType<typeof encode>[]) => {
  const out = new Uint8Array(insns.length * 4);
  const dv = new DataView(out.buffer);
  insns.forEach((e, i) => dv.setUint32(i * 4, e.raw, true));
  return out;
};

// Registers.
const [A0, A1, T0, T1, T2, T3, T4] = [10, 11, 5, 6, 7, 28, 29];
const INITRD_AT = 0x8420_0000; // the kernel's entry 0x8020_0000 + min(128 MiB / 2, 128 MiB)
const INITRD = Uint8Array.from([0x11, 0x22, 0x33, 0x44, ...Array.from({ length: 60 }, (_, i) => i)]);

/**
 * A RISC-V Linux Image (text_offset 0x20_0000) whose code checks what a booted kernel gets: a0 = 0
 * (hart id), a1 = a device tree (its magic), and the initrd where QEMU puts it (its first word);
 * then it passes through the test finisher, or fails with exit code 3.
 */
function linuxImage(): Uint8Array {
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, encode('jal', { rd: 0, imm: 64 }).raw, true); // code0: over the header
  dv.setBigUint64(8, 0x20_0000n, true); // text_offset
  dv.setBigUint64(16, 0x1_0000n, true); // image_size (with bss)
  dv.setUint32(32, 2, true); // version 0.2
  header.set(new TextEncoder().encode('RISCV\0\0\0'), 48);
  header.set(new TextEncoder().encode('RSC\x05'), 56);
  const FAIL = 28; // from the last branch (instruction 10) to the fail block (instruction 17)
  const code = [
    encode('lui', { rd: T0, imm: 0xedfe1 << 12 }), // 0xedfe0dd0: the DTB magic read little-endian
    encode('addiw', { rd: T0, rs1: T0, imm: -560 }),
    encode('lw', { rd: T1, rs1: A1, imm: 0 }),
    encode('bne', { rs1: T0, rs2: T1, imm: FAIL + 4 * 7 }),
    encode('bne', { rs1: A0, rs2: 0, imm: FAIL + 4 * 6 }),
    encode('lui', { rd: T2, imm: (INITRD_AT >>> 1) & 0xfffff000 }),
    encode('slli', { rd: T2, rs1: T2, imm: 1 }),
    encode('lw', { rd: T3, rs1: T2, imm: 0 }),
    encode('lui', { rd: T4, imm: 0x44332 << 12 }),
    encode('addiw', { rd: T4, rs1: T4, imm: 0x211 }),
    encode('bne', { rs1: T3, rs2: T4, imm: FAIL }),
    // pass: 0x5555 to the finisher at 0x10_0000
    encode('lui', { rd: T0, imm: 0x5000 }),
    encode('addiw', { rd: T0, rs1: T0, imm: 0x555 }),
    encode('lui', { rd: T1, imm: 0x10_0000 }),
    encode('sw', { rs1: T1, rs2: T0, imm: 0 }),
    encode('jal', { rd: 0, imm: 0 }),
    encode('jal', { rd: 0, imm: 0 }),
    // fail (exit code 3): 0x3_3333
    encode('lui', { rd: T0, imm: 0x33000 }),
    encode('addiw', { rd: T0, rs1: T0, imm: 0x333 }),
    encode('lui', { rd: T1, imm: 0x10_0000 }),
    encode('sw', { rs1: T1, rs2: T0, imm: 0 }),
    encode('jal', { rd: 0, imm: 0 }),
  ];
  return new Uint8Array([...header, ...words(...code)]);
}

// Firmware as a raw binary (like fw_jump.bin): jumps to 0x8020_0000, leaving a0/a1 as it got them.
const rawFirmware = () =>
  words(encode('auipc', { rd: T0, imm: 0x20_0000 }), encode('jalr', { rd: 0, rs1: T0, imm: 0 }));

const image = join(tmp, 'Image');
const initrd = join(tmp, 'initramfs.cpio');
const firmware = join(tmp, 'fw.bin');
writeFileSync(image, linuxImage());
writeFileSync(initrd, INITRD);
writeFileSync(firmware, rawFirmware());

describe('--kernel', () => {
  test('a Linux Image in M-mode gets a0 = hart id, a1 = the device tree, the initrd placed as QEMU does', () => {
    const dtb = join(tmp, 'out.dtb');
    const r = cli(
      'run',
      '--kernel',
      image,
      '--initrd',
      initrd,
      '--append',
      'console=ttyS0 rdinit=/x',
      '--dtb',
      dtb,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const t = parseFdt(readFileSync(dtb)).root;
    const chosen = find(t, 'chosen');
    expect(str(chosen, 'bootargs')).toBe('console=ttyS0 rdinit=/x');
    expect(cells(chosen, 'linux,initrd-start')).toEqual([0, INITRD_AT]);
    expect(cells(chosen, 'linux,initrd-end')).toEqual([0, INITRD_AT + INITRD.length]);
  });

  test('without the initrd the kernel sees none (its check fails: exit 3)', () => {
    expect(cli('run', '--kernel', image).code).toBe(3);
  });

  test('with --sbi builtin the Image starts in S-mode the same way', () => {
    const r = cli('run', '--kernel', image, '--initrd', initrd, '--sbi', 'builtin');
    expect(r.code).toBe(0);
  });

  test('--bios takes a raw binary at 0x8000_0000, which jumps to the kernel at 0x8020_0000', () => {
    const r = cli('run', '--bios', firmware, '--kernel', image, '--initrd', initrd, '--engine', 'jit');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('an ELF kernel works through --kernel too, and a0/a1 are set as QEMU sets them', async () => {
    const vm = await createMachine({ memory: 16 << 20 });
    vm.loadKernel(readFileSync(join(root, 'test/guests/hello.elf')), { fileName: 'hello.elf' });
    expect(vm.getReg(10)).toBe(0n);
    expect(vm.readMemory(vm.getReg(11), 4)).toEqual(Uint8Array.of(0xd0, 0x0d, 0xfe, 0xed));
    const r = cli('run', '--kernel', join(root, 'test/guests/hello.elf'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(root, 'test/guests/expected/hello.out'), 'latin1'));
  });

  test('bad combinations and files are one-line errors', () => {
    const both = cli('run', join(root, 'test/guests/hello.elf'), '--kernel', image);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^wasmvisor: give the kernel either/);
    const rd = cli('run', join(root, 'test/guests/hello.elf'), '--initrd', initrd);
    expect(rd.code).toBe(2);
    expectOneLineError(rd.stderr, /--initrd needs --kernel/);
    const two = cli('run', '--kernel', image, '--append', 'a', '--bootargs', 'b');
    expect(two.code).toBe(2);
    expectOneLineError(two.stderr, /--append and --bootargs/);
    const garbage = join(tmp, 'garbage');
    writeFileSync(garbage, 'neither an ELF nor an Image, just text that goes on long enough');
    const bad = cli('run', '--kernel', garbage);
    expect(bad.code).toBe(1);
    expectOneLineError(bad.stderr, /garbage/);
    const noRd = cli('run', '--kernel', image, '--initrd', join(tmp, 'missing.cpio'));
    expect(noRd.code).toBe(1);
    expectOneLineError(noRd.stderr, /missing\.cpio.*ENOENT/);
    const big = join(tmp, 'big.cpio');
    writeFileSync(big, new Uint8Array(3 << 20));
    const tooBig = cli('run', '--kernel', image, '--initrd', big, '--memory', '4M');
    expect(tooBig.code).toBe(1);
    expectOneLineError(tooBig.stderr, /initrd .*more memory/);
    const dtbDir = cli('run', '--kernel', image, '--dtb', tmp);
    expect(dtbDir.code).toBe(1);
    expectOneLineError(dtbDir.stderr, /cannot write/);
  });

  test('a kernel overlapping the firmware is refused', () => {
    const fw = join(tmp, 'fat-fw.bin');
    writeFileSync(fw, new Uint8Array(0x20_1000)); // reaches into 0x8020_0000
    const r = cli('run', '--bios', fw, '--kernel', image);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /overlaps the firmware/);
  });
});

describe('--drive', () => {
  const guest = join(root, 'test/guests/virtio.elf');
  const disk = join(root, 'test/guests/virtio.img');

  test('the device tree lists the drive: virtio_mmio@10001000, interrupt 1', () => {
    const dtb = join(tmp, 'drive.dtb');
    const r = cli('run', '--kernel', image, '--initrd', initrd, '--drive', disk, '--dtb', dtb);
    expect(r.code).toBe(0);
    const soc = find(parseFdt(readFileSync(dtb)).root, 'soc');
    const virtio = soc.children.filter((c) => c.name.startsWith('virtio_mmio'));
    expect(virtio.map((c) => c.name)).toEqual(['virtio_mmio@10001000']);
    expect(cells(virtio[0], 'interrupts')).toEqual([1]);
  });

  test('writes stay in memory without ,writable and reach the file with it', () => {
    const copy = join(tmp, 'disk.img');
    copyFileSync(disk, copy);
    const r = cli('run', guest, '--drive', copy);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/virtio: all \d+ checks passed/);
    expect(readFileSync(copy)).toEqual(readFileSync(disk));
    const w = cli('run', guest, '--drive', `${copy},writable`);
    expect(w.code).toBe(0);
    const after = readFileSync(copy);
    expect(after.subarray(5 * 512, 6 * 512)).toEqual(
      Buffer.from(Array.from({ length: 512 }, (_, i) => 0xa5 ^ (i & 0xff))),
    );
    expect(after.subarray(0, 5 * 512)).toEqual(readFileSync(disk).subarray(0, 5 * 512));
  });

  test('bad drives are one-line errors', () => {
    const missing = cli('run', guest, '--drive', join(tmp, 'no-disk.img'));
    expect(missing.code).toBe(1);
    expectOneLineError(missing.stderr, /no-disk\.img: cannot open \(ENOENT\)/);
    const dir = join(tmp, 'a-directory');
    mkdirSync(dir, { recursive: true });
    const notFile = cli('run', guest, '--drive', dir);
    expect(notFile.code).toBe(1);
    expectOneLineError(notFile.stderr, /a-directory: not a regular file/);
    const tiny = join(tmp, 'tiny.img');
    writeFileSync(tiny, new Uint8Array(100));
    const small = cli('run', guest, '--drive', tiny);
    expect(small.code).toBe(1);
    expectOneLineError(small.stderr, /tiny\.img: .*no 512-byte sector/);
    const option = cli('run', guest, '--drive', `${disk},readonly`);
    expect(option.code).toBe(2);
    expectOneLineError(option.stderr, /unknown --drive option 'readonly'/);
    const nine = cli('run', guest, ...Array.from({ length: 9 }, () => ['--drive', disk]).flat());
    expect(nine.code).toBe(1);
    expectOneLineError(nine.stderr, /9 drives/);
  });

  test('lockstep runs a drive that is not writable, and refuses a writable one', () => {
    const ok = cli('run', guest, '--engine', 'lockstep', '--drive', disk);
    expect(ok.code).toBe(0);
    const copy = join(tmp, 'lockstep.img');
    copyFileSync(disk, copy);
    const w = cli('run', guest, '--engine', 'lockstep', '--drive', `${copy},writable`);
    expect(w.code).toBe(1);
    expectOneLineError(w.stderr, /lockstep runs drives without writable/);
  });
});

describe('console', () => {
  test('Ctrl-A X quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A H helps; the rest passes through', () => {
    const got: string[] = [];
    const esc = new ConsoleEscapes({
      input: (b) => got.push(`in:${Array.from(b).join(',')}`),
      quit: () => got.push('quit'),
      help: () => got.push('help'),
    });
    esc.feed(Uint8Array.from([0x61, 0x03, 0x01, 0x01, 0x62]));
    esc.feed(Uint8Array.from([0x01])); // an escape split over two reads
    esc.feed(Uint8Array.from([0x68, 0x63, 0x01, 0x7a, 0x64]));
    esc.feed(Uint8Array.from([0x65, 0x01, 0x58, 0x66]));
    expect(got).toEqual(['in:97,3,1,98', 'help', 'in:99,100', 'in:101', 'quit']);
  });

  // On a terminal (script(1) gives the CLI one): raw mode, and Ctrl-A X ends the run with 0.
  const script = spawnSync('script', ['--version']).status === 0;
  test.runIf(script)('Ctrl-A X on a terminal quits with exit code 0 and restores the terminal', async () => {
    const spin = join(root, 'test/guests/hostile/spin.elf');
    const cmd = `${process.execPath} ${join(root, 'bin/wasmvisor.js')} run ${spin}; echo "rc=$?"; stty -a | grep -o -- '-\\?icanon'`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('spin: looping forever') && !out.includes('sent')) {
        out += 'sent';
        child.stdin.write('\x01x');
      }
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill(), 30_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(out).toMatch(/wasmvisor: terminated \(Ctrl-A X\)/);
    expect(out).toMatch(/rc=0/);
    expect(out).toMatch(/(^|\s)icanon/m); // canonical mode is back
  });
});
