// The command line. It uses only the embedding API (src/index.ts), as any embedder would; files,
// terminals and exit codes stay here, out of the core and the supervisor.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createMachine, WasmvisorError, type EngineName, type RunResult } from './index.ts';
import { MAX_HARTS } from './vmm/machine.ts';
import { parseCount, parseSize, wantsCompileWorker } from './cli-args.ts';
import { guestsFromFiles, parseWeights, readGuest, readHostConfig, runHost } from './cli-host.ts';
import { openDrive, type FileDrive } from './cli-drive.ts';
import { attachConsole, CONSOLE_HELP } from './cli-console.ts';

const USAGE =
  'usage: wasmvisor run <guest.elf> [--engine interp|jit|lockstep] [--jit-threshold N] [--lockstep-step N] [--memory 128M] [--max-insns N] [--sbi builtin|none] [--bios FIRMWARE] [--bootargs TEXT] [--drive DISK.img[,writable]] [--dtb OUT.dtb] [--smp N] [--deterministic] [--stats] [--trace]\n' +
  '       wasmvisor run --kernel <Image|kernel.elf> [--initrd INITRD] [--append TEXT] [--bios FIRMWARE | --sbi builtin] [--drive DISK.img[,writable]] ... (as the form above)\n' +
  '       wasmvisor run <a.elf> <b.elf> ... [--placement time-shared|partitioned] [--weights 1,2,...] [--time-limit SECONDS] [--console-dir DIR] [--engine interp|jit] [--memory 128M] [--max-insns N] ...\n' +
  '       wasmvisor host <config.json>';

async function runCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        engine: { type: 'string', default: 'interp' },
        memory: { type: 'string', default: '128M' },
        'max-insns': { type: 'string' },
        'jit-threshold': { type: 'string' },
        'lockstep-step': { type: 'string' },
        sbi: { type: 'string', default: 'none' },
        bootargs: { type: 'string' },
        append: { type: 'string' },
        bios: { type: 'string' },
        kernel: { type: 'string' },
        initrd: { type: 'string' },
        drive: { type: 'string', multiple: true },
        dtb: { type: 'string' },
        smp: { type: 'string' },
        deterministic: { type: 'boolean', default: false },
        stats: { type: 'boolean', default: false },
        trace: { type: 'boolean', default: false },
        placement: { type: 'string' },
        weights: { type: 'string' },
        'time-limit': { type: 'string' },
        'console-dir': { type: 'string' },
      },
    });
  } catch (e) {
    throw new WasmvisorError(`${(e as Error).message.split('\n')[0]}\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.kernel !== undefined && positionals.length > 0) {
    throw new WasmvisorError(`give the kernel either with --kernel or as <guest.elf>, not both\n${USAGE}`, 2);
  }
  if (values.kernel === undefined && positionals.length === 0) {
    throw new WasmvisorError(`expected a guest ELF file or --kernel\n${USAGE}`, 2);
  }
  if (values.initrd !== undefined && values.kernel === undefined) {
    throw new WasmvisorError('--initrd needs --kernel (the initrd is announced in its device tree)', 2);
  }
  if (values.append !== undefined && values.bootargs !== undefined) {
    throw new WasmvisorError('--append and --bootargs are the same thing: give one', 2);
  }
  const bootargs = values.append ?? values.bootargs;
  const engine = values.engine as string;
  if (engine !== 'interp' && engine !== 'jit' && engine !== 'lockstep') {
    throw new WasmvisorError(`unknown engine '${engine}' (expected interp, jit or lockstep)`, 2);
  }
  const sbi = values.sbi as string;
  if (sbi !== 'none' && sbi !== 'builtin') {
    throw new WasmvisorError(`unknown --sbi '${sbi}' (expected builtin or none)`, 2);
  }
  if (values.bios !== undefined && sbi === 'builtin') {
    throw new WasmvisorError(
      '--bios runs M-mode firmware, which answers SBI calls itself: drop --sbi builtin',
      2,
    );
  }
  if (
    bootargs !== undefined &&
    sbi !== 'builtin' &&
    values.bios === undefined &&
    values.kernel === undefined
  ) {
    throw new WasmvisorError(
      `${values.append !== undefined ? '--append' : '--bootargs'} needs --sbi builtin, --bios or --kernel (they travel in the device tree)`,
      2,
    );
  }
  const maxInsns =
    values['max-insns'] !== undefined ? parseCount(values['max-insns'], '--max-insns') : undefined;
  const memory = parseSize(values.memory as string);
  const jitThreshold =
    values['jit-threshold'] !== undefined
      ? Number(parseCount(values['jit-threshold'], '--jit-threshold'))
      : undefined;
  const lockstepStep =
    values['lockstep-step'] !== undefined
      ? Number(parseCount(values['lockstep-step'], '--lockstep-step'))
      : undefined;

  const harts = values.smp !== undefined ? Number(parseCount(values.smp, '--smp')) : undefined;
  if (harts !== undefined && (harts < 1 || harts > MAX_HARTS)) {
    throw new WasmvisorError(`--smp ${harts} is out of range (1 to ${MAX_HARTS})`, 2);
  }
  const hostFlags = ['placement', 'weights', 'time-limit', 'console-dir'] as const;
  if (positionals.length > 1 || hostFlags.some((f) => values[f] !== undefined)) {
    // Several guests (or host options): each its own machine under a host (src/vmm/host.ts).
    const single = (
      ['bios', 'lockstep-step', 'stats', 'trace', 'kernel', 'initrd', 'drive', 'dtb'] as const
    ).find((f) => values[f]);
    if (single) throw new WasmvisorError(`--${single} is for a run of one guest`, 2);
    if (engine === 'lockstep') throw new WasmvisorError('lockstep runs one guest at a time', 2);
    const placement = values.placement ?? 'time-shared';
    if (placement !== 'time-shared' && placement !== 'partitioned') {
      throw new WasmvisorError(`unknown --placement '${placement}' (expected time-shared or partitioned)`, 2);
    }
    const limit = values['time-limit'];
    if (limit !== undefined && !(Number(limit) > 0)) {
      throw new WasmvisorError(`invalid --time-limit '${limit}' (expected seconds, e.g. 10 or 0.5)`, 2);
    }
    const guests = await guestsFromFiles(
      positionals,
      {
        engine,
        memory,
        maxInsns,
        jitThreshold,
        sbi,
        bootargs,
        harts,
        deterministic: values.deterministic,
        timeLimitMs: limit === undefined ? undefined : Number(limit) * 1000,
      },
      values.weights === undefined ? undefined : parseWeights(values.weights),
    );
    return runHost({ placement, guests, consoleDir: values['console-dir'] });
  }
  const file = values.kernel ?? positionals[0];
  // Tiered translation compiles in a worker that spends ~0.3 s loading binaryen: start it before
  // anything else (reading the guest, instantiating the core), as the machine will use it (when
  // bin/wasmvisor.js has not already).
  if (wantsCompileWorker(['run', ...argv]))
    void import('./jit/worker-host.ts').then((w) => w.compileWorker());

  const bytes = await readGuest(file);
  const firmware = values.bios !== undefined ? await readGuest(values.bios) : undefined;
  const initrd = values.initrd !== undefined ? await readGuest(values.initrd) : undefined;

  const drives: FileDrive[] = [];
  let result: RunResult;
  let quit = false;
  try {
    for (const spec of values.drive ?? []) drives.push(openDrive(spec));
    const machine = await createMachine({
      engine: engine as EngineName,
      memory,
      jitThreshold,
      lockstepStep,
      sbi,
      bootargs,
      harts,
      drives: drives.map((d) => d.options),
      deterministic: values.deterministic || undefined, // lockstep always is
    });
    if (firmware) machine.loadFirmware(firmware, values.bios);
    if (values.kernel !== undefined) machine.loadKernel(bytes, { fileName: file, initrd });
    else machine.loadElf(bytes, file);
    if (values.dtb !== undefined) await writeDtb(values.dtb, machine.deviceTree());
    machine.onOutput((chunk) => process.stdout.write(chunk));
    const term = attachConsole(process.stdin, {
      input: (b) => machine.pushInput(b),
      quit: () => {
        quit = true;
        machine.requestStop();
      },
      help: () => process.stdout.write(CONSOLE_HELP),
    });
    try {
      result = await machine.run({
        maxInsns,
        trace: values.trace
          ? (pc, text) => process.stderr.write(`0x${pc.toString(16).padStart(16, '0')}  ${text}\n`)
          : undefined,
      });
    } finally {
      term.detach();
    }
    // Ctrl-A X: the user ended the run, as QEMU's console does (exit code 0).
    if (quit && result.exitReason === 'stopped') {
      process.stderr.write('wasmvisor: terminated (Ctrl-A X)\n');
      result = { ...result, exitCode: 0, message: undefined };
    }
    if (result.message) process.stderr.write(`wasmvisor: ${result.message}\n`);
    if (values.stats) printStats(engine, result, machine);
  } finally {
    for (const d of drives) d.close();
  }
  return result.exitCode;
}

/** `--dtb FILE`: the device tree the machine gives its kernel. */
async function writeDtb(path: string, blob: Uint8Array): Promise<void> {
  try {
    await writeFile(path, blob);
  } catch (e) {
    throw new WasmvisorError(
      `${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** `--stats`: one JSON object, the last line on stderr. */
function printStats(
  engine: string,
  result: RunResult,
  machine: Awaited<ReturnType<typeof createMachine>>,
): void {
  const stats = {
    engine,
    instret: Number(result.instret),
    seconds: result.seconds,
    mips: result.seconds > 0 ? Number(result.instret) / result.seconds / 1e6 : 0,
    exitCode: result.exitCode,
    exitReason: result.exitReason,
    exits: machine.exits,
    ...(machine.jitStats() && { jit: machine.jitStats() }),
  };
  process.stderr.write(JSON.stringify(stats) + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'host':
        if (rest.length !== 1) throw new WasmvisorError(`expected one configuration file\n${USAGE}`, 2);
        return await runHost(await readHostConfig(rest[0]));
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new WasmvisorError(`unknown command '${command}'\n${USAGE}`, 2);
    }
  } catch (e) {
    if (e instanceof WasmvisorError) {
      process.stderr.write(`wasmvisor: ${e.message}\n`);
      return e.exitCode;
    }
    // A bug of ours, not bad input: still one line, but say it is internal.
    process.stderr.write(`wasmvisor: internal error: ${(e as Error).message ?? e}\n`);
    if (process.env.WASMVISOR_DEBUG) console.error(e);
    return 70;
  }
}

if (process.argv[1]?.endsWith('/src/cli.ts')) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
