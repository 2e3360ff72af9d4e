// Decoding glue: runs the generated decoder (generated/decode.ts, from src/isa/table.ts) and packs
// its fields into the fixed 16-byte record of layout.ts. Nobody else slices instruction bits.
import { D_IMM, D_LEN, D_OP, D_RAW, D_RD, D_RS1, D_RS2, DECODE_CACHE, REG_SINK } from './layout';
import { dImm, dRd, dRs1, dRs2, decodeFields, rs1IsImm } from './generated/decode';

/** Decodes `raw` (its low half only, for a 16-bit instruction) into the record at `e`. */
export function decodeInto(raw: u32, e: usize): void {
  const op = decodeFields(raw);
  store<u32>(e + D_RAW, raw);
  store<i32>(e + D_IMM, dImm);
  store<u16>(e + D_RD, dRd == 0 ? <u16>REG_SINK : <u16>(dRd << 3));
  store<u16>(e + D_RS1, rs1IsImm(op) ? <u16>dRs1 : <u16>(dRs1 << 3));
  store<u16>(e + D_RS2, <u16>(dRs2 << 3));
  store<u8>(e + D_OP, <u8>op);
  store<u8>(e + D_LEN, (raw & 3) == 3 ? 4 : 2);
}

// A record for decodeOne(): the 16 bytes just below the decode cache are otherwise unused.
const SCRATCH: usize = DECODE_CACHE - 16;

/** Decodes one instruction into a scratch record and returns its address (tools and tests). */
export function decodeOne(raw: u32): usize {
  decodeInto(raw, SCRATCH);
  return SCRATCH;
}
