// What `run` and `resume` share beyond running a guest: snapshot points (--snapshot-at N
// --snapshot-file F) and input logs (--record LOG, --replay LOG). The formats live in
// src/vmm/snapshot.ts and src/vmm/replay.ts; files and messages are here.
import { createHash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseCount } from './cli-args.ts';
import { WasmvisorError } from './errors.ts';
import {
  endLine,
  eventLine,
  headerLine,
  machineMismatch,
  parseInputLog,
  type InputEvent,
  type InputLog,
  type InputLogEnd,
  type InputLogHeader,
} from './vmm/replay.ts';

export interface SessionFlags {
  'snapshot-at'?: string;
  'snapshot-file'?: string;
  record?: string;
  replay?: string;
}

/** parseArgs options for the flags above. */
export const SESSION_OPTIONS = {
  'snapshot-at': { type: 'string' },
  'snapshot-file': { type: 'string' },
  record: { type: 'string' },
  replay: { type: 'string' },
} as const;

export interface Session {
  snapshotAt?: bigint;
  snapshotFile?: string;
  recordFile?: string;
  replayFile?: string;
  replay?: InputLog;
}

/** Checks the flags together (a usage error exits 2) and reads the log to replay. */
export async function sessionFromFlags(values: SessionFlags, engine: string): Promise<Session> {
  const at = values['snapshot-at'];
  const file = values['snapshot-file'];
  if ((at === undefined) !== (file === undefined)) {
    throw new WasmvisorError('--snapshot-at and --snapshot-file go together', 2);
  }
  if (values.record !== undefined && values.replay !== undefined) {
    throw new WasmvisorError('--record and --replay cannot be combined', 2);
  }
  if (engine === 'lockstep' && (at !== undefined || values.replay !== undefined)) {
    throw new WasmvisorError(
      `--${at !== undefined ? 'snapshot-at' : 'replay'} needs --engine interp or jit`,
      2,
    );
  }
  const session: Session = {
    snapshotAt: at === undefined ? undefined : parseCount(at, '--snapshot-at'),
    snapshotFile: file,
    recordFile: values.record,
  };
  if (values.replay !== undefined) {
    session.replayFile = values.replay;
    session.replay = parseInputLog(await readText(values.replay), values.replay);
  }
  return session;
}

/** A log's guest identity: the file name and the SHA-256 of what ran (ELF and firmware, or snapshot). */
export function guestIdentity(name: string, ...contents: Uint8Array[]): InputLogHeader['guest'] {
  const hash = createHash('sha256');
  for (const c of contents) hash.update(c);
  return { name, sha256: hash.digest('hex') };
}

/** Refuses to replay a log recorded for another guest or another VM. */
export function checkReplay(session: Session, header: InputLogHeader): void {
  const log = session.replay;
  if (!log) return;
  if (log.header.guest.sha256 !== header.guest.sha256) {
    throw new WasmvisorError(
      `${session.replayFile}: recorded for ${log.header.guest.name} (sha256 ${log.header.guest.sha256.slice(0, 12)}...), not for ${header.guest.name} (${header.guest.sha256.slice(0, 12)}...)`,
    );
  }
  const differs = machineMismatch(log.header.machine, header.machine);
  if (differs)
    throw new WasmvisorError(`${session.replayFile}: another VM (${differs}); give the same options`);
}

/** Writes the log header now and each input line as it comes, so a killed run keeps its log. */
export function startRecording(file: string, header: InputLogHeader) {
  const write = (text: string, append: boolean) => {
    try {
      (append ? appendFileSync : writeFileSync)(file, text);
    } catch (e) {
      throw new WasmvisorError(
        `${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
  };
  write(headerLine(header), false);
  return {
    input: (e: InputEvent) => write(eventLine(e), true),
    end: (e: InputLogEnd) => write(endLine(e), true),
  };
}

/** How a replay ended compared with its recording: a one-line warning, or undefined when the same. */
export function replayDifference(log: InputLog, ended: InputLogEnd): string | undefined {
  const r = log.end;
  if (!r || (r.at === ended.at && r.exitCode === ended.exitCode && r.exitReason === ended.exitReason)) {
    return undefined;
  }
  const say = (e: InputLogEnd) => `${e.exitReason} ${e.exitCode} at instruction ${e.at}`;
  return `the replay ended differently from the recording: ${say(ended)}, recorded ${say(r)}`;
}

export function writeSnapshotFile(file: string, bytes: Uint8Array): void {
  try {
    writeFileSync(file, bytes);
  } catch (e) {
    throw new WasmvisorError(
      `${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new WasmvisorError(
      `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}
