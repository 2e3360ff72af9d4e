// Determinism and record/replay (src/vmm/replay.ts, Machine.scheduleInput). On the deterministic
// clock everything a guest observes is a function of the instruction count: timer interrupts
// arrive at the instruction their deadline names however the run is sliced and on every engine,
// and an input log (each chunk with the count at which it arrived) replays a run exactly.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  endLine,
  eventLine,
  headerLine,
  Machine,
  parseInputLog,
  recordInput,
  replayInput,
  WasmvisorError,
  type InputEvent,
  type InputLog,
  type MachineOptions,
} from '../src/index.ts';
import { DETERMINISTIC_INSNS_PER_TICK } from '../src/vmm/tuning.ts';

const root = new URL('..', import.meta.url).pathname;
const MEMORY = 16 << 20;
const RAM = 0x8000_0000n;

type Config = { name: string } & Pick<MachineOptions, 'engine' | 'jitThreshold'>;
const CONFIGS: Config[] = [
  { name: 'interp', engine: 'interp' },
  { name: 'jit, everything translated', engine: 'jit', jitThreshold: 0 },
  { name: 'jit, tiered', engine: 'jit', jitThreshold: 2 },
];

function collect(vm: Machine): () => string {
  const chunks: Uint8Array[] = [];
  vm.onOutput((b) => chunks.push(b));
  return () => Buffer.concat(chunks).toString('latin1');
}

// Sets the machine timer to mtime 1000, enables its interrupt and counts in a loop; the handler
// keeps the count (a1) and minstret (a2) and exits through the finisher. Hand-assembled
// (riscv64-unknown-elf-as), at RAM:
const TIMER_PROGRAM = [
  0x020042b7, // lui   t0,0x2004        CLINT mtimecmp (hart 0)
  0x3e800313, // li    t1,1000
  0x0062b023, // sd    t1,0(t0)
  0x00000397, // auipc t2,0x0
  0x02038393, // addi  t2,t2,0x20       handler
  0x30539073, // csrw  mtvec,t2
  0x08000e13, // li    t3,0x80          MTIE
  0x304e1073, // csrw  mie,t3
  0x30046073, // csrsi mstatus,8        MIE
  0x00150513, // loop: addi a0,a0,1
  0xffdff06f, // j     loop
  0x00050593, // handler: mv a1,a0
  0xb0202673, // csrr  a2,minstret
  0x001002b7, // lui   t0,0x100         the finisher
  0x00005337, // lui   t1,0x5
  0x55530313, // addi  t1,t1,0x555
  0x0062a023, // sw    t1,0(t0)         pass
  0x0000006f, // j     .
];

describe('deterministic runs are a function of the instruction count', () => {
  test('a timer interrupt arrives at the instruction its deadline names, however the run is sliced, on every engine', async () => {
    const outcomes = [];
    for (const config of CONFIGS) {
      for (const sliced of [false, true]) {
        const vm = await Machine.create({ ...config, memory: 1 << 20, deterministic: true });
        await vm.jitReady();
        const words = new Uint8Array(TIMER_PROGRAM.length * 4);
        TIMER_PROGRAM.forEach((w, i) => new DataView(words.buffer).setUint32(i * 4, w >>> 0, true));
        vm.writeMemory(RAM, words);
        vm.pc = RAM;
        let r = sliced ? vm.runFor(997n) : await vm.run({ maxInsns: 10_000_000n });
        while (r.exitReason === 'budget') r = vm.runFor(997n);
        expect(r.exitReason, config.name).toBe('exit');
        outcomes.push({ count: vm.getReg(11), minstret: vm.getReg(12), instret: r.instret });
      }
    }
    // The deadline is mtime 1000: the interrupt is taken before instruction 1000 ticks' worth
    // retires; the handler's mv retired before its csrr.
    expect(outcomes[0].minstret).toBe(1000n * DETERMINISTIC_INSNS_PER_TICK + 1n);
    for (const o of outcomes) expect(o).toEqual(outcomes[0]);
  });

  const guests: [string, string, MachineOptions][] = [
    ['timer', 'test/guests/timer.elf', {}],
    ['skernel-sbi', 'test/guests/smode/skernel-sbi.elf', { sbi: 'builtin' }],
    ['smp2', 'test/guests/smp/smp2.elf', { harts: 2 }],
  ];
  test.each(guests)(
    '%s retires the same instructions and prints the same bytes on every engine',
    async (_, elf, options) => {
      const runs = [];
      for (const config of CONFIGS) {
        const vm = await Machine.create({ ...options, ...config, memory: MEMORY, deterministic: true });
        await vm.jitReady();
        vm.loadElf(readFileSync(join(root, elf)), elf);
        const output = collect(vm);
        const r = await vm.run({ maxInsns: 50_000_000n });
        runs.push({ output: output(), exitCode: r.exitCode, instret: r.instret, pc: vm.pc });
      }
      expect(runs[0].exitCode).toBe(0);
      for (const run of runs) expect(run).toEqual(runs[0]);
    },
  );
});

const ECHO = join(root, 'test/guests/interactive/echo.elf');

async function echoMachine(config: Config): Promise<Machine> {
  const vm = await Machine.create({ ...config, memory: MEMORY, deterministic: true });
  await vm.jitReady();
  vm.loadElf(readFileSync(ECHO), 'echo.elf');
  return vm;
}

describe('record and replay', () => {
  let recorded: { log: InputLog; output: string; instret: bigint };

  test('recording: input arrives while the guest runs, at instruction counts the log keeps', async () => {
    const vm = await echoMachine(CONFIGS[0]);
    const output = collect(vm);
    const events: InputEvent[] = [];
    const type = (text: string, ms: number) =>
      setTimeout(() => events.push(recordInput(vm, new TextEncoder().encode(text))), ms);
    type('hello\n', 20);
    type('Wasm', 60);
    type('visor 2\n', 80);
    type('quit\n', 120);
    const r = await vm.run({ maxInsns: 2_000_000_000n });
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0 });
    expect(output()).toMatch(
      /^echo: .*\n1: HELLO \(\d+ polls\)\n2: WASMVISOR 2 \(\d+ polls\)\necho: bye after 2 lines\n$/,
    );
    const header = {
      guest: { name: 'echo.elf', sha256: 'not checked here' },
      machine: { memory: MEMORY, harts: 1, sbi: 'none', deterministic: true, bootargs: '' },
    };
    const text =
      headerLine(header) +
      events.map(eventLine).join('') +
      endLine({ at: r.instret, exitCode: r.exitCode, exitReason: r.exitReason });
    const log = parseInputLog(text);
    expect(log.events).toEqual(events);
    expect(log.events.map((e) => e.at)).toEqual(
      [...log.events.map((e) => e.at)].sort((a, b) => Number(a - b)),
    );
    recorded = { log, output: output(), instret: r.instret };
  });

  test.each(CONFIGS)('replaying the log on $name reproduces the output', async (config) => {
    const vm = await echoMachine(config);
    const output = collect(vm);
    replayInput(vm, recorded.log);
    const r = await vm.run({ maxInsns: 2_000_000_000n });
    expect(output()).toBe(recorded.output);
    expect(r).toMatchObject({ exitReason: 'exit', exitCode: 0, instret: recorded.instret });
  });

  test('the instruction counts matter: the same input a little later gives other output', async () => {
    const vm = await echoMachine(CONFIGS[1]);
    const output = collect(vm);
    replayInput(vm, {
      ...recorded.log,
      events: recorded.log.events.map((e) => ({ ...e, at: e.at + 5000n })),
    });
    await vm.run({ maxInsns: 2_000_000_000n });
    expect(output()).not.toBe(recorded.output);
  });

  test('bad logs are refused, naming the line', () => {
    const head = headerLine({
      guest: { name: 'g', sha256: 'x' },
      machine: { memory: 1 << 20, harts: 1, sbi: 'none', deterministic: true, bootargs: '' },
    });
    const cases: [string, RegExp][] = [
      ['', /^log: empty/],
      ['hello\n', /^log: line 1: not a JSON object$/],
      ['{"format":"something else"}\n', /^log: line 1: not a wasmvisor input log/],
      [head.replace('"version":1', '"version":7'), /^log: line 1: input log version 7 is not supported/],
      [head + '{"at":10,"input":"a"}\n{"at":5,"input":"b"}\n', /^log: line 3: instruction count 5 is before/],
      [head + '{"at":-1,"input":"a"}\n', /^log: line 2: expected an instruction count/],
      [head + '{"at":1,"input":"\\u20ac"}\n', /^log: line 2: "input" must be a string of bytes/],
      [
        head + '{"end":9,"exitCode":0,"exitReason":"exit"}\n{"at":10,"input":"a"}\n',
        /^log: line 3: nothing may follow/,
      ],
      [head + '{"at":1,"input":"a"\n', /^log: line 2: not a JSON object$/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseInputLog(text, 'log'), JSON.stringify(text)).toThrow(WasmvisorError);
      expect(() => parseInputLog(text, 'log')).toThrow(message);
    }
  });
});

describe('wasmvisor run --record and --replay', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wasmvisor-replay-'));
  const cli = (input: string | undefined, ...args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/wasmvisor.js'), ...args], {
      encoding: 'latin1',
      timeout: 60_000,
      input,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const log = join(tmp, 'echo.log');

  test('a recorded interactive session replays on the other engine, stdin ignored', () => {
    const rec = cli('hello\nsecond line\nquit\n', 'run', ECHO, '--deterministic', '--record', log);
    expect(rec.code).toBe(0);
    expect(rec.stdout).toMatch(/1: HELLO .*\n2: SECOND LINE .*\necho: bye after 2 lines\n$/);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ format: 'wasmvisor-input-log', version: 1 });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ exitCode: 0, exitReason: 'exit' });
    const rep = cli(
      'this is ignored\n',
      'run',
      ECHO,
      '--deterministic',
      '--replay',
      log,
      '--engine',
      'jit',
      '--jit-threshold',
      '0',
    );
    expect(rep.code).toBe(0);
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.stderr).toBe('');
  });

  test('a replay that ends otherwise than its recording says so', () => {
    const text = readFileSync(log, 'utf8').replace(/"end":(\d+)/, (_, n) => `"end":${Number(n) + 1}`);
    const edited = join(tmp, 'edited.log');
    writeFileSync(edited, text);
    const rep = cli(undefined, 'run', ECHO, '--deterministic', '--replay', edited);
    expect(rep.code).toBe(0);
    expect(rep.stderr).toMatch(
      /^wasmvisor: the replay ended differently from the recording: exit 0 at instruction \d+, recorded exit 0 at instruction \d+\n$/,
    );
  });

  test('a log is refused for another guest, another VM, or with --record', () => {
    const cases: [string[], number, RegExp][] = [
      [
        ['run', join(root, 'test/guests/hello.elf'), '--deterministic', '--replay', log],
        1,
        /recorded for .*echo\.elf .*not for .*hello\.elf/,
      ],
      [['run', ECHO, '--replay', log], 1, /another VM \(deterministic was true when recorded, false now\)/],
      [
        ['run', ECHO, '--memory', '64M', '--deterministic', '--replay', log],
        1,
        /another VM \(memory was 134217728/,
      ],
      [
        ['run', ECHO, '--replay', log, '--record', join(tmp, 'x.log')],
        2,
        /--record and --replay cannot be combined/,
      ],
      [['run', ECHO, '--replay', join(tmp, 'missing.log')], 1, /missing\.log: cannot read \(ENOENT\)/],
      [['run', ECHO, '--engine', 'lockstep', '--replay', log], 2, /--replay needs --engine interp or jit/],
    ];
    for (const [args, code, message] of cases) {
      const r = cli(undefined, ...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.split('\n')[0]).toMatch(/^wasmvisor: /);
      expect(r.stderr.split('\n')[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
