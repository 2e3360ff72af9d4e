// The command line. It uses only the embedding API (src/index.ts), as any embedder would; files,
// terminals and exit codes stay here, out of the core and the supervisor.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  createMachine,
  Machine,
  recordInput,
  replayInput,
  restoreMachine,
  WasmvisorError,
  type EngineName,
  type InputLogHeader,
  type Lockstep,
  type RunProfile,
  type RunResult,
} from './index.ts';
import { MAX_HARTS } from './vmm/machine.ts';
import { parseCount, parseSize, wantsCompileWorker } from './cli-args.ts';
import { guestsFromFiles, parseWeights, readGuest, readHostConfig, runHost } from './cli-host.ts';
import {
  checkReplay,
  guestIdentity,
  replayDifference,
  SESSION_OPTIONS,
  sessionFromFlags,
  startRecording,
  writeSnapshotFile,
  type Session,
} from './cli-session.ts';
import { openDrive, type FileDrive } from './cli-drive.ts';
import { attachConsole, CONSOLE_HELP } from './cli-console.ts';

const USAGE =
  'usage: wasmvisor run <guest.elf> [--engine interp|jit|lockstep] [--jit-threshold N] [--lockstep-step N] [--memory 128M] [--max-insns N] [--sbi builtin|none] [--bios FIRMWARE] [--bootargs TEXT] [--drive DISK.img[,writable]] [--dtb OUT.dtb] [--smp N] [--deterministic] [--stats [--stats-samples]] [--trace] [--snapshot-at N --snapshot-file F] [--record LOG | --replay LOG]\n' +
  '       wasmvisor run --kernel <Image|kernel.elf> [--initrd INITRD] [--append TEXT] [--bios FIRMWARE | --sbi builtin] [--drive DISK.img[,writable]] ... (as the form above)\n' +
  '       wasmvisor run <a.elf> <b.elf> ... [--placement time-shared|partitioned] [--weights 1,2,...] [--time-limit SECONDS] [--console-dir DIR] [--engine interp|jit] [--memory 128M] [--max-insns N] ...\n' +
  '       wasmvisor resume <vm.snap> [--engine interp|jit] [--jit-threshold N] [--max-insns N] [--stats] [--snapshot-at N --snapshot-file F] [--record LOG | --replay LOG]\n' +
  '       wasmvisor host <config.json>\n' +
  '       wasmvisor bench [guest.elf|workload ...] [--quick] [--out DIR] [--compare old.json] ... (wasmvisor bench --help)';

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
        'stats-samples': { type: 'boolean', default: false },
        trace: { type: 'boolean', default: false },
        placement: { type: 'string' },
        weights: { type: 'string' },
        'time-limit': { type: 'string' },
        'console-dir': { type: 'string' },
        ...SESSION_OPTIONS,
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
      [
        'bios',
        'lockstep-step',
        'stats',
        'stats-samples',
        'trace',
        'snapshot-at',
        'snapshot-file',
        'record',
        'replay',
        'kernel',
        'initrd',
        'drive',
        'dtb',
      ] as const
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
  if (values['stats-samples'] && !values.stats) throw new WasmvisorError('--stats-samples needs --stats', 2);
  const session = await sessionFromFlags(values, engine);
  // Tiered translation compiles in a worker that spends ~0.3 s loading binaryen: start it before
  // anything else (reading the guest, instantiating the core), as the machine will use it (when
  // bin/wasmvisor.js has not already).
  if (wantsCompileWorker(['run', ...argv]))
    void import('./jit/worker-host.ts').then((w) => w.compileWorker());

  const bytes = await readGuest(file);
  const firmware = values.bios !== undefined ? await readGuest(values.bios) : undefined;
  const initrd = values.initrd !== undefined ? await readGuest(values.initrd) : undefined;

  const drives: FileDrive[] = [];
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
    return await runMachine(machine, {
      engine,
      maxInsns,
      stats: values.stats,
      statsSamples: values['stats-samples'],
      trace: values.trace,
      session,
      logHeader: {
        guest: guestIdentity(file, bytes, ...(firmware ? [firmware] : []), ...(initrd ? [initrd] : [])),
        machine: {
          memory,
          harts: harts ?? 1,
          sbi,
          deterministic: values.deterministic || engine === 'lockstep',
          bootargs: bootargs ?? '',
        },
      },
    });
  } finally {
    for (const d of drives) d.close();
  }
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

interface RunSettings {
  engine: string;
  maxInsns?: bigint;
  stats?: boolean;
  statsSamples?: boolean;
  trace?: boolean;
  session: Session;
  /** What runs and the options that define the VM, for input logs. */
  logHeader: InputLogHeader;
}

/** Runs a loaded (or restored) machine with the console on stdin/stdout: `run` and `resume`. */
async function runMachine(machine: Machine | Lockstep, settings: RunSettings): Promise<number> {
  const { engine, session } = settings;
  checkReplay(session, settings.logHeader);
  const snapshotAt = session.snapshotAt;
  if (snapshotAt !== undefined && snapshotAt < machine.instret) {
    throw new WasmvisorError(
      `--snapshot-at ${snapshotAt}: the guest is already at instruction ${machine.instret}`,
      2,
    );
  }
  // The run stops at the snapshot point, or at --max-insns if that comes first.
  const maxInsns =
    snapshotAt !== undefined && (settings.maxInsns === undefined || snapshotAt <= settings.maxInsns)
      ? snapshotAt
      : settings.maxInsns;
  const recording =
    session.recordFile !== undefined ? startRecording(session.recordFile, settings.logHeader) : undefined;
  machine.onOutput((chunk) => process.stdout.write(chunk));
  // The console: stdin (raw on a terminal, Ctrl-A X quits), or, for a replay, the log only.
  let quit = false;
  const replaying = session.replay !== undefined && machine instanceof Machine;
  if (replaying) replayInput(machine, session.replay!);
  const term = replaying
    ? undefined
    : attachConsole(process.stdin, {
        input: (bytes) => {
          if (recording) recording.input(recordInput(machine, bytes));
          else machine.pushInput(bytes);
        },
        quit: () => {
          quit = true;
          machine.requestStop();
        },
        help: () => process.stdout.write(CONSOLE_HELP),
      });

  // --stats-samples (for `wasmvisor bench`): the warm-up curve, where the host time went, and when
  // the guest started (process start-up) and the translator became ready, in the --stats line.
  const samples: [number, number][] = [];
  const profile: RunProfile = { coreSeconds: 0, exitSeconds: {}, yieldSeconds: 0 };
  const startupSeconds = performance.now() / 1000;
  let translatorReadySeconds: number | undefined;
  if (settings.statsSamples && engine !== 'interp') {
    void machine
      .jitReady(false)
      .then(() => (translatorReadySeconds = performance.now() / 1000 - startupSeconds));
  }
  let result: RunResult;
  try {
    result = await machine.run({
      ...(settings.statsSamples && {
        onSample: (seconds: number, instret: bigint) => samples.push([seconds, Number(instret)]),
        profile,
      }),
      maxInsns,
      trace: settings.trace
        ? (pc, text) => process.stderr.write(`0x${pc.toString(16).padStart(16, '0')}  ${text}\n`)
        : undefined,
    });
  } finally {
    term?.detach();
  }
  // Ctrl-A X: the user ended the run, as QEMU's console does (exit code 0).
  if (quit && result.exitReason === 'stopped') {
    process.stderr.write('wasmvisor: terminated (Ctrl-A X)\n');
    result = { ...result, exitCode: 0, message: undefined };
  }
  let exitCode = result.exitCode;
  let exitReason: string = result.exitReason;
  if (snapshotAt !== undefined && maxInsns === snapshotAt && result.exitReason === 'max-insns') {
    if (!(machine instanceof Machine)) throw new Error('snapshots need a Machine'); // refused earlier
    const bytes = await machine.snapshot();
    writeSnapshotFile(session.snapshotFile!, bytes);
    process.stderr.write(
      `wasmvisor: snapshot at instruction ${result.instret} written to ${session.snapshotFile} (${bytes.length} bytes)\n`,
    );
    [exitCode, exitReason] = [0, 'snapshot'];
  } else {
    if (result.message) process.stderr.write(`wasmvisor: ${result.message}\n`);
    if (snapshotAt !== undefined) {
      process.stderr.write(
        `wasmvisor: the run ended before instruction ${snapshotAt}: no snapshot written\n`,
      );
    }
  }
  const ended = { at: result.instret, exitCode, exitReason };
  recording?.end(ended);
  const differs = session.replay && replayDifference(session.replay, ended);
  if (differs) process.stderr.write(`wasmvisor: ${differs}\n`);
  if (settings.stats) {
    const stats = {
      engine,
      instret: Number(result.instret),
      seconds: result.seconds,
      mips: result.seconds > 0 ? Number(result.instret) / result.seconds / 1e6 : 0,
      exitCode,
      exitReason,
      exits: machine.exits,
      ...(machine.jitStats() && { jit: machine.jitStats() }),
      ...(settings.statsSamples && {
        startupSeconds,
        translatorReadySeconds,
        profile,
        samples: [...samples, [result.seconds, Number(result.instret)]],
      }),
    };
    process.stderr.write(JSON.stringify(stats) + '\n');
  }
  return exitCode;
}

/** `wasmvisor resume vm.snap`: continues a snapshot's VM on either engine, console as `run`'s. */
async function resumeCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        engine: { type: 'string', default: 'interp' },
        'jit-threshold': { type: 'string' },
        'max-insns': { type: 'string' },
        stats: { type: 'boolean', default: false },
        ...SESSION_OPTIONS,
      },
    });
  } catch (e) {
    throw new WasmvisorError(`${(e as Error).message.split('\n')[0]}\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new WasmvisorError(`expected one snapshot file\n${USAGE}`, 2);
  const engine = values.engine;
  if (engine !== 'interp' && engine !== 'jit') {
    throw new WasmvisorError(`unknown engine '${engine}' (resume runs on interp or jit)`, 2);
  }
  const session = await sessionFromFlags(values, engine);
  const file = positionals[0];
  const bytes = await readGuest(file);
  const machine = await restoreMachine(
    bytes,
    {
      engine,
      jitThreshold:
        values['jit-threshold'] !== undefined
          ? Number(parseCount(values['jit-threshold'], '--jit-threshold'))
          : undefined,
    },
    file,
  );
  return runMachine(machine, {
    engine,
    maxInsns: values['max-insns'] !== undefined ? parseCount(values['max-insns'], '--max-insns') : undefined,
    stats: values.stats,
    session,
    logHeader: {
      guest: guestIdentity(file, bytes),
      machine: {
        memory: machine.ramSize,
        harts: machine.harts.count,
        sbi: machine.sbiMode,
        deterministic: machine.deterministic,
        bootargs: machine.bootargs,
      },
    },
  });
}

/**
 * `wasmvisor bench`: the benchmark lives in bench/ as TypeScript beside its workloads (and the
 * microbenchmarks); tsx, a dependency, loads it here as it does for `npm run bench`.
 */
async function benchCommand(argv: string[]): Promise<number> {
  const { tsImport } = await import('tsx/esm/api');
  const url = new URL('../bench/cli.ts', import.meta.url).href;
  const bench = (await tsImport(url, import.meta.url)) as { benchMain(argv: string[]): Promise<number> };
  return bench.benchMain(argv);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'bench':
        return await benchCommand(rest);
      case 'resume':
        return await resumeCommand(rest);
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
