// Disk image files for `--drive`: a virtio-blk backend over a file, read on demand (an image can
// be far larger than what a run touches) and, for a `,writable` drive, written through.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { WasmvisorError } from './errors.ts';
import type { DriveOptions } from './machine/devices/virtio-blk.ts';

export interface FileDrive {
  readonly options: DriveOptions;
  /** Flushes a writable drive to the disk and closes the file. */
  close(): void;
}

/** `--drive PATH[,writable]`. */
export function parseDriveSpec(spec: string): { path: string; writable: boolean } {
  const [path, ...flags] = spec.split(',');
  if (!path) throw new WasmvisorError(`invalid --drive '${spec}' (expected PATH or PATH,writable)`, 2);
  for (const f of flags) {
    if (f !== 'writable') throw new WasmvisorError(`unknown --drive option '${f}' (expected writable)`, 2);
  }
  return { path, writable: flags.includes('writable') };
}

/** Opens a drive's image file; a missing, unreadable or unusable file is a one-line error. */
export function openDrive(spec: string): FileDrive {
  const { path, writable } = parseDriveSpec(spec);
  let fd: number;
  try {
    fd = openSync(path, writable ? 'r+' : 'r');
  } catch (e) {
    const how = writable ? 'open for writing' : 'open';
    throw new WasmvisorError(
      `${path}: cannot ${how} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const fail = (problem: string): never => {
    closeSync(fd);
    throw new WasmvisorError(`${path}: ${problem}`);
  };
  const stat = fstatSync(fd);
  if (!stat.isFile()) fail('not a regular file (a drive is a raw disk image file)');
  if (stat.size < 512) fail(`a disk image of ${stat.size} bytes holds no 512-byte sector`);
  const options: DriveOptions = {
    writable,
    image: {
      size: stat.size,
      read(offset, into) {
        let done = 0;
        while (done < into.length) {
          const n = readSync(fd, into, done, into.length - done, offset + done);
          if (n === 0) break; // the file shrank under us: the rest reads as zeros
          done += n;
        }
        into.fill(0, done);
      },
      write(offset, data) {
        let done = 0;
        while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
      },
      flush: () => fsyncSync(fd),
    },
  };
  let open = true;
  return {
    options,
    close() {
      if (!open) return;
      open = false;
      if (writable) fsyncSync(fd);
      closeSync(fd);
    },
  };
}
