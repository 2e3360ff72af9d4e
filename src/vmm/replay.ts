// Input logs for record and replay. Console input is the one thing from outside that a guest sees
// besides time, and on the deterministic clock time is a function of the instruction count; so a
// log of each input chunk with the instruction count at which the guest received it reproduces a
// run exactly, on either engine. Recording: input goes to the guest at once (between slices, so
// at a known count) and the count is logged (recordInput). Replaying: Machine.scheduleInput
// delivers each chunk when the guest reaches its count, the run stopping exactly there
// (replayInput).
//
// The log is JSON lines, so it can be read and edited by hand:
//   {"format":"wasmvisor-input-log","version":1,"guest":...,"machine":{...}}   the header
//   {"at":1234567,"input":"hello\n"}                    input (a string of bytes: char codes 0-255)
//   {"end":2345678,"exitCode":0,"exitReason":"exit"}    how the recorded run ended (last, optional)
import { WasmvisorError } from '../errors.ts';

export const INPUT_LOG_FORMAT = 'wasmvisor-input-log';
export const INPUT_LOG_VERSION = 1;

export interface InputLogHeader {
  /** What was run: a name and a digest of the ELF or snapshot, checked before a replay. */
  guest: { name: string; sha256: string };
  /** The options that define the VM; a replay needs the same. */
  machine: { memory: number; harts: number; sbi: string; deterministic: boolean; bootargs: string };
}

export interface InputEvent {
  /** Instructions the guest had retired (all harts) when it received the bytes. */
  at: bigint;
  bytes: Uint8Array;
}

export interface InputLogEnd {
  at: bigint;
  exitCode: number;
  exitReason: string;
}

export interface InputLog {
  header: InputLogHeader;
  events: InputEvent[];
  end?: InputLogEnd;
}

/** What input log files need of a machine (Machine; Lockstep can record but not replay). */
export interface InputTarget {
  readonly instret: bigint;
  pushInput(bytes: Uint8Array): void;
}

/** Gives the guest console input now and returns the event to log: the count it arrived at. */
export function recordInput(machine: InputTarget, bytes: Uint8Array): InputEvent {
  const event = { at: machine.instret, bytes: bytes.slice() };
  machine.pushInput(bytes);
  return event;
}

/** Schedules a log's input; no other input comes after it (a guest that waits for more is stuck). */
export function replayInput(
  machine: { scheduleInput(at: bigint, bytes: Uint8Array): void; closeInput(): void },
  log: InputLog,
): void {
  for (const e of log.events) machine.scheduleInput(e.at, e.bytes);
  machine.closeInput();
}

export function headerLine(header: InputLogHeader): string {
  return JSON.stringify({ format: INPUT_LOG_FORMAT, version: INPUT_LOG_VERSION, ...header }) + '\n';
}

export function eventLine(e: InputEvent): string {
  const input = Array.from(e.bytes, (b) => String.fromCharCode(b)).join('');
  return JSON.stringify({ at: Number(e.at), input }) + '\n';
}

export function endLine(e: InputLogEnd): string {
  return JSON.stringify({ end: Number(e.at), exitCode: e.exitCode, exitReason: e.exitReason }) + '\n';
}

/** Parses a log; `name` (the file) starts every error message, which names the bad line. */
export function parseInputLog(text: string, name = 'input log'): InputLog {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const fail = (line: number, problem: string): never => {
    throw new WasmvisorError(`${name}: line ${line}: ${problem}`);
  };
  const parse = (i: number): Record<string, unknown> => {
    try {
      const v = JSON.parse(lines[i]);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
    } catch {
      // reported below
    }
    return fail(i + 1, 'not a JSON object');
  };
  if (lines.length === 0) throw new WasmvisorError(`${name}: empty (not a wasmvisor input log)`);
  const head = parse(0);
  if (head.format !== INPUT_LOG_FORMAT) fail(1, 'not a wasmvisor input log (no "format" header)');
  if (head.version !== INPUT_LOG_VERSION) {
    fail(
      1,
      `input log version ${JSON.stringify(head.version)} is not supported (this wasmvisor reads ${INPUT_LOG_VERSION})`,
    );
  }
  const guest = head.guest as InputLogHeader['guest'];
  const m = head.machine as InputLogHeader['machine'];
  if (typeof guest?.name !== 'string' || typeof guest.sha256 !== 'string') fail(1, 'bad "guest"');
  if (
    typeof m !== 'object' ||
    !Number.isSafeInteger(m?.memory) ||
    !Number.isSafeInteger(m.harts) ||
    typeof m.sbi !== 'string' ||
    typeof m.deterministic !== 'boolean' ||
    typeof m.bootargs !== 'string'
  ) {
    fail(1, 'bad "machine"');
  }
  const log: InputLog = { header: { guest, machine: m }, events: [] };
  let last = 0;
  for (let i = 1; i < lines.length; i++) {
    const v = parse(i);
    if (log.end) fail(i + 1, 'nothing may follow the "end" line');
    const at = 'end' in v ? v.end : v.at;
    if (!Number.isSafeInteger(at) || (at as number) < 0)
      fail(i + 1, 'expected an instruction count ("at" or "end")');
    if ((at as number) < last) fail(i + 1, `instruction count ${at} is before the previous line's ${last}`);
    last = at as number;
    if ('end' in v) {
      if (!Number.isInteger(v.exitCode) || typeof v.exitReason !== 'string') fail(i + 1, 'bad "end" line');
      log.end = {
        at: BigInt(at as number),
        exitCode: v.exitCode as number,
        exitReason: v.exitReason as string,
      };
      continue;
    }
    const input = v.input;
    if (typeof input !== 'string' || [...input].some((c) => c.charCodeAt(0) > 0xff)) {
      fail(i + 1, '"input" must be a string of bytes (characters U+0000 to U+00FF)');
    }
    log.events.push({
      at: BigInt(at as number),
      bytes: Uint8Array.from(input as string, (c) => c.charCodeAt(0)),
    });
  }
  return log;
}

/** The VM options a log records, compared before a replay: the first that differs, or undefined. */
export function machineMismatch(
  recorded: InputLogHeader['machine'],
  now: InputLogHeader['machine'],
): string | undefined {
  for (const key of ['memory', 'harts', 'sbi', 'deterministic', 'bootargs'] as const) {
    if (recorded[key] !== now[key]) {
      return `${key} was ${JSON.stringify(recorded[key])} when recorded, ${JSON.stringify(now[key])} now`;
    }
  }
  return undefined;
}
