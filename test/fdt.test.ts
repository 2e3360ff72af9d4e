// The device tree builder and the board's tree: parsed back by a reader written here from the
// DTB specification (not the builder's code), and by dtc when it is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { boardDeviceTree, FdtBuilder, RISCV_ISA, WasmvisorError } from '../src/index.ts';
import { cells, find, parseFdt, str, strs, type FdtNode } from './helpers/fdt.ts';

describe('FdtBuilder', () => {
  test('header, nesting, strings shared between properties', () => {
    const t = new FdtBuilder();
    t.node('', () => {
      t.cells('a', 1, 2);
      t.node('child@10', () => {
        t.cells('a', 3);
        t.string('s', 'x', 'yz');
        t.empty('flag');
        t.cells64('reg', 0x1_2345_6789n);
      });
    });
    const blob = t.finish();
    const fdt = parseFdt(blob);
    expect(fdt).toMatchObject({ version: 17, lastCompatible: 16, bootCpu: 0 });
    expect(fdt.root.name).toBe('');
    expect(cells(fdt.root, 'a')).toEqual([1, 2]);
    const child = find(fdt.root, 'child@10');
    expect(cells(child, 'a')).toEqual([3]);
    expect(strs(child, 's')).toEqual(['x', 'yz']);
    expect(child.props.get('flag')).toHaveLength(0);
    expect(cells(child, 'reg')).toEqual([1, 0x2345_6789]);
    // "a" is stored once in the strings block.
    const dv = new DataView(blob.buffer);
    expect(dv.getUint32(32)).toBe('a\0s\0flag\0reg\0'.length);
  });

  test('misuse is refused', () => {
    expect(() => new FdtBuilder().endNode()).toThrow(/endNode/);
    expect(() => new FdtBuilder().cells('x', 1)).toThrow(/outside any node/);
    expect(() => new FdtBuilder().beginNode('a').finish()).toThrow(/left open/);
    expect(() => new FdtBuilder().beginNode('a').string('s', 'a\0b')).toThrow(WasmvisorError);
  });
});

describe('boardDeviceTree', () => {
  const blob = boardDeviceTree({ ramSize: 128n << 20n, bootargs: 'console=ttyS0 earlycon' });
  const { root } = parseFdt(blob);

  test('root, memory and chosen', () => {
    expect(cells(root, '#address-cells')).toEqual([2]);
    expect(cells(root, '#size-cells')).toEqual([2]);
    const mem = find(root, 'memory@80000000');
    expect(str(mem, 'device_type')).toBe('memory');
    expect(cells(mem, 'reg')).toEqual([0, 0x8000_0000, 0, 128 << 20]);
    const chosen = find(root, 'chosen');
    expect(str(chosen, 'stdout-path')).toBe('/soc/serial@10000000');
    expect(str(chosen, 'bootargs')).toBe('console=ttyS0 earlycon');
    const noArgs = parseFdt(boardDeviceTree({ ramSize: 1 << 20 })).root;
    expect(find(noArgs, 'chosen').props.has('bootargs')).toBe(false);
  });

  test('cpus and their interrupt controllers', () => {
    const cpus = find(root, 'cpus');
    expect(cells(cpus, 'timebase-frequency')).toEqual([10_000_000]);
    expect(cells(cpus, '#address-cells')).toEqual([1]);
    expect(cells(cpus, '#size-cells')).toEqual([0]);
    const cpu = find(root, 'cpus/cpu@0');
    expect(str(cpu, 'compatible')).toBe('riscv');
    expect(str(cpu, 'device_type')).toBe('cpu');
    expect(str(cpu, 'riscv,isa')).toBe(RISCV_ISA);
    expect(RISCV_ISA).toBe('rv64imafdc_zicsr_zifencei_sstc');
    expect(str(cpu, 'mmu-type')).toBe('riscv,sv39');
    expect(str(cpu, 'status')).toBe('okay');
    expect(cells(cpu, 'reg')).toEqual([0]);
    const intc = find(cpu, 'interrupt-controller');
    expect(str(intc, 'compatible')).toBe('riscv,cpu-intc');
    expect(cells(intc, '#interrupt-cells')).toEqual([1]);
    expect(intc.props.has('interrupt-controller')).toBe(true);
    expect(cells(intc, 'phandle')).toHaveLength(1);
  });

  test('soc devices point at the right interrupt controllers', () => {
    const intc = cells(find(root, 'cpus/cpu@0/interrupt-controller'), 'phandle')[0];
    const soc = find(root, 'soc');
    expect(str(soc, 'compatible')).toBe('simple-bus');
    expect(soc.props.has('ranges')).toBe(true);

    const clint = find(soc, 'clint@2000000');
    expect(strs(clint, 'compatible')).toEqual(['sifive,clint0', 'riscv,clint0']);
    expect(cells(clint, 'reg')).toEqual([0, 0x200_0000, 0, 0x1_0000]);
    expect(cells(clint, 'interrupts-extended')).toEqual([intc, 3, intc, 7]);

    const plic = find(soc, 'plic@c000000');
    expect(strs(plic, 'compatible')).toEqual(['sifive,plic-1.0.0', 'riscv,plic0']);
    expect(cells(plic, 'reg').slice(0, 2)).toEqual([0, 0xc00_0000]);
    expect(cells(plic, 'riscv,ndev')).toEqual([95]);
    expect(cells(plic, 'interrupts-extended')).toEqual([intc, 11, intc, 9]);
    expect(cells(plic, '#interrupt-cells')).toEqual([1]);
    expect(plic.props.has('interrupt-controller')).toBe(true);
    const plicPhandle = cells(plic, 'phandle')[0];

    const uart = find(soc, 'serial@10000000');
    expect(str(uart, 'compatible')).toBe('ns16550a');
    expect(cells(uart, 'reg')).toEqual([0, 0x1000_0000, 0, 0x100]);
    expect(cells(uart, 'clock-frequency')).toEqual([3_686_400]);
    expect(cells(uart, 'interrupts')).toEqual([10]);
    expect(cells(uart, 'interrupt-parent')).toEqual([plicPhandle]);

    const test_ = find(soc, 'test@100000');
    expect(strs(test_, 'compatible')).toEqual(['sifive,test1', 'sifive,test0', 'syscon']);
    expect(cells(test_, 'reg')).toEqual([0, 0x10_0000, 0, 0x1000]);
    const finisher = cells(test_, 'phandle')[0];
    for (const [name, value] of [
      ['poweroff', 0x5555],
      ['reboot', 0x7777],
    ] as const) {
      const n = find(root, name);
      expect(str(n, 'compatible')).toBe(`syscon-${name}`);
      expect(cells(n, 'regmap')).toEqual([finisher]);
      expect(cells(n, 'offset')).toEqual([0]);
      expect(cells(n, 'value')).toEqual([value]);
    }
  });

  test('phandles are unique', () => {
    const seen: number[] = [];
    const walk = (n: FdtNode) => {
      if (n.props.has('phandle')) seen.push(cells(n, 'phandle')[0]);
      n.children.forEach(walk);
    };
    walk(root);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.every((p) => p > 0 && p < 0xffff_ffff)).toBe(true);
  });

  test('more harts: one cpu node and interrupt pair per hart', () => {
    const two = parseFdt(boardDeviceTree({ ramSize: 1 << 20, harts: 2 })).root;
    const p0 = cells(find(two, 'cpus/cpu@0/interrupt-controller'), 'phandle')[0];
    const p1 = cells(find(two, 'cpus/cpu@1/interrupt-controller'), 'phandle')[0];
    expect(cells(find(two, 'soc/clint@2000000'), 'interrupts-extended')).toEqual([
      p0,
      3,
      p0,
      7,
      p1,
      3,
      p1,
      7,
    ]);
    expect(() => boardDeviceTree({ ramSize: 1 << 20, harts: 0 })).toThrow(WasmvisorError);
  });

  test('virtio-mmio transports with a device (highest address first, as QEMU) and the initrd', () => {
    const t = parseFdt(
      boardDeviceTree({
        ramSize: 128 << 20,
        virtio: [
          { base: 0x1000_1000, irq: 1 },
          { base: 0x1000_2000, irq: 2 },
        ],
        initrd: { start: 0x8420_0000n, end: 0x1_0430_0000n },
      }),
    ).root;
    const virtio = find(t, 'soc').children.filter((c) => c.name.startsWith('virtio_mmio'));
    expect(virtio.map((c) => c.name)).toEqual(['virtio_mmio@10002000', 'virtio_mmio@10001000']);
    const v = find(t, 'soc/virtio_mmio@10001000');
    expect(str(v, 'compatible')).toBe('virtio,mmio');
    expect(cells(v, 'reg')).toEqual([0, 0x1000_1000, 0, 0x1000]);
    expect(cells(v, 'interrupts')).toEqual([1]);
    expect(cells(v, 'interrupt-parent')).toEqual(cells(find(t, 'soc/plic@c000000'), 'phandle'));
    const chosen = find(t, 'chosen');
    expect(cells(chosen, 'linux,initrd-start')).toEqual([0, 0x8420_0000]);
    expect(cells(chosen, 'linux,initrd-end')).toEqual([1, 0x0430_0000]);
    // Without drives or an initrd, neither appears.
    expect(find(root, 'soc').children.some((c) => c.name.startsWith('virtio'))).toBe(false);
    expect(find(root, 'chosen').props.has('linux,initrd-start')).toBe(false);
  });

  // dtc (Debian: device-tree-compiler) decompiles the blob: an independent check of the format.
  const dtc = spawnSync('dtc', ['--version']).status === 0;
  test.runIf(dtc)('dtc decompiles it without complaint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-fdt-'));
    try {
      const file = join(dir, 'board.dtb');
      writeFileSync(file, blob);
      const dts = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8', stdio: 'pipe' });
      expect(dts).toContain('compatible = "riscv,cpu-intc";');
      expect(dts).toContain('stdout-path = "/soc/serial@10000000";');
      expect(dts).toContain('riscv,isa = "rv64imafdc_zicsr_zifencei_sstc";');
      expect(dts).toMatch(/memory@80000000 \{[^}]*reg = <0x00 0x80000000 0x00 0x8000000>;/s);
      // And back to a blob with dtc's own checks (warnings are on stderr; errors fail here).
      const again = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', join(dir, 'again.dtb')], {
        input: dts,
      });
      expect(again.status, again.stderr.toString()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
