// RISC-V Linux `Image` files (Documentation/arch/riscv/boot-image-header.rst): a flat binary whose
// 64-byte header says where in RAM it goes (text_offset from the start of RAM) and how much memory
// it occupies there (image_size, bss included). Execution starts at its first byte.
import { WasmvisorError } from '../errors.ts';

export const IMAGE_HEADER_BYTES = 64;
const MAGIC = 'RISCV\0\0\0'; // at 48; deprecated since header version 0.2, still written
const MAGIC2 = 'RSC\x05'; // at 56

export interface LinuxImage {
  /** Where the image goes, from the start of RAM. */
  textOffset: bigint;
  /** Bytes it occupies in memory (at least the file's size). */
  memsz: bigint;
}

const ascii = (b: Uint8Array, off: number, len: number) => String.fromCharCode(...b.subarray(off, off + len));

/** Whether `bytes` start with a RISC-V Linux Image header (either magic). */
export function isLinuxImage(bytes: Uint8Array): boolean {
  return (
    bytes.length >= IMAGE_HEADER_BYTES && (ascii(bytes, 48, 8) === MAGIC || ascii(bytes, 56, 4) === MAGIC2)
  );
}

/** Reads an Image's header; throws WasmvisorError naming `fileName` on a defect. */
export function parseLinuxImage(bytes: Uint8Array, fileName: string): LinuxImage {
  if (!isLinuxImage(bytes)) throw new WasmvisorError(`${fileName}: not a RISC-V Linux Image`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const textOffset = dv.getBigUint64(8, true);
  const imageSize = dv.getBigUint64(16, true);
  const flags = dv.getBigUint64(24, true);
  if (flags & 1n)
    throw new WasmvisorError(`${fileName}: a big-endian Linux Image (this machine is little-endian)`);
  const fileSize = BigInt(bytes.length);
  // image_size 0 means "unknown" (headers before version 0.2): the file is all there is.
  return { textOffset, memsz: imageSize > fileSize ? imageSize : fileSize };
}
