// A DTB reader written from the devicetree specification (not from the builder's code), for tests
// that check a device tree: the header, then a walk over the structure block's tokens.
import { expect } from 'vitest';

export interface FdtNode {
  name: string;
  props: Map<string, Uint8Array>;
  children: FdtNode[];
}

export interface ParsedFdt {
  version: number;
  lastCompatible: number;
  bootCpu: number;
  root: FdtNode;
}

/** Reads a DTB: header, then a walk over the structure block's tokens. */
export function parseFdt(blob: Uint8Array): ParsedFdt {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const u32 = (off: number) => dv.getUint32(off);
  expect(u32(0)).toBe(0xd00dfeed);
  expect(u32(4)).toBe(blob.length); // totalsize
  const offStruct = u32(8);
  const offStrings = u32(12);
  const offRsvmap = u32(16);
  const sizeStrings = u32(32);
  const sizeStruct = u32(36);
  expect(offRsvmap % 8).toBe(0);
  expect(offStruct % 4).toBe(0);
  expect(offStrings + sizeStrings).toBeLessThanOrEqual(blob.length);
  expect(offStruct + sizeStruct).toBeLessThanOrEqual(offStrings);
  // The reserve map ends with an all-zero entry; ours is only that.
  expect(dv.getBigUint64(offRsvmap)).toBe(0n);
  expect(dv.getBigUint64(offRsvmap + 8)).toBe(0n);
  const cstring = (off: number) => {
    let end = off;
    while (blob[end] !== 0) end++;
    return new TextDecoder().decode(blob.subarray(off, end));
  };
  let p = offStruct;
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  for (;;) {
    const token = u32(p);
    p += 4;
    if (token === 1) {
      const name = cstring(p);
      p += (new TextEncoder().encode(name).length + 4) & ~3;
      const node: FdtNode = { name, props: new Map(), children: [] };
      if (stack.length) stack[stack.length - 1].children.push(node);
      else root = node;
      stack.push(node);
    } else if (token === 3) {
      const len = u32(p);
      const name = cstring(offStrings + u32(p + 4));
      stack[stack.length - 1].props.set(name, blob.slice(p + 8, p + 8 + len));
      p += 8 + ((len + 3) & ~3);
    } else if (token === 2) {
      stack.pop();
    } else if (token === 4) {
      // NOP
    } else if (token === 9) {
      break;
    } else {
      throw new Error(`bad token ${token} at ${p - 4}`);
    }
  }
  expect(stack).toHaveLength(0);
  expect(p).toBe(offStruct + sizeStruct);
  return { version: u32(20), lastCompatible: u32(24), bootCpu: u32(28), root: root! };
}

export function find(root: FdtNode, path: string): FdtNode {
  let node = root;
  for (const part of path.split('/').filter(Boolean)) {
    const next = node.children.find((c) => c.name === part);
    if (!next) throw new Error(`no node ${path} (stuck at ${part})`);
    node = next;
  }
  return node;
}

export const str = (n: FdtNode, prop: string) =>
  new TextDecoder().decode(n.props.get(prop)).replace(/\0$/, '');
export const strs = (n: FdtNode, prop: string) => str(n, prop).split('\0');
export const cells = (n: FdtNode, prop: string) => {
  const b = n.props.get(prop)!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 4 }, (_, i) => dv.getUint32(i * 4));
};
