import { RE2JS, RE2JSException } from 're2js';

/**
 * Envoy's default for the runtime key `re2.max_program_size.error_level` (source/common/common/regex.cc):
 * a regex whose RE2 program is larger fails to compile, and Envoy NACKs the whole resource.
 */
export const MAX_RE2_PROGRAM_SIZE = 100;

// re2js's instruction codes (its Inst class).
const ALT = 1;
const ALT_MATCH = 2;
const EMPTY_WIDTH = 4;
const NOP = 7;
const RUNE = 8;
const RUNE1 = 9;
const RUNE_ANY = 10;
const RUNE_ANY_NOT_NL = 11;
const EMPTY_BEGIN_TEXT = 4;

interface Inst {
  op: number;
  out: number;
  arg: number;
  runes: number[];
}

const utf8Bytes = (rune: number) => [...new TextEncoder().encode(String.fromCodePoint(rune))];

/**
 * What RE2 (C++) spends on a rune class: it matches UTF-8 bytes, so each class becomes byte-range
 * instructions. Mirrors Compiler::AddRuneRangeUTF8: ranges split where the UTF-8 length or the leading
 * bytes change; each sequence's leading byte is its own instruction, the trailing ones are shared between
 * sequences when equal. 80-10FFFF is RE2's special case (six instructions).
 */
function classCost(runes: number[]): number {
  const shared = new Set<string>();
  let cost = 0;
  const addSequence = (lo: number, hi: number) => {
    const a = utf8Bytes(lo);
    const b = utf8Bytes(hi);
    let next = '';
    for (let i = a.length - 1; i > 0; i--) {
      next = `${a[i]}-${b[i]}>${next}`;
      if (i === a.length - 1 || a[i]! < b[i]!) shared.add(next);
      else cost++;
    }
    cost++;
  };
  const addRange = (lo: number, hi: number): void => {
    if (lo > hi) return;
    if (lo === 0x80 && hi === 0x10ffff) return void (cost += 6);
    for (const max of [0x7f, 0x7ff, 0xffff]) if (lo <= max && max < hi) return addRange(lo, max), addRange(max + 1, hi);
    if (hi < 0x80) return void cost++;
    for (let i = 1; i < 4; i++) {
      const m = (1 << (6 * i)) - 1;
      if ((lo & ~m) !== (hi & ~m)) {
        if ((lo & m) !== 0) return addRange(lo, lo | m), addRange((lo | m) + 1, hi);
        if ((hi & m) !== m) return addRange(lo, (hi & ~m) - 1), addRange(hi & ~m, hi);
      }
    }
    addSequence(lo, hi);
  };
  for (let i = 0; i < runes.length; i += 2) {
    const [lo, hi] = [runes[i]!, runes[i + 1]!];
    // ASCII and the rest apart, as RE2 compiles them.
    if (lo < 0x80 && hi >= 0x80) addRange(lo, 0x7f), addRange(0x80, hi);
    else addRange(lo, hi);
  }
  return cost + shared.size;
}

/**
 * An estimate of RE2's ProgramSize() for `re`, which Envoy compares with MAX_RE2_PROGRAM_SIZE. re2js is
 * a port of Go's RE2 (RE2/J), whose programs match runes; RE2 proper matches bytes and flattens its
 * alternations, so each instruction is costed as RE2 would compile it. Tested against RE2's own figures
 * (regex.test.ts).
 */
function programSize(re: RE2JS): number {
  const { inst: insts, start } = re.re2Input.prog as { inst: Inst[]; start: number };
  const runeCost = (inst: Inst): number | undefined => {
    // One rune (case folded or not: RE2 folds ASCII within one instruction) or a class of [lo, hi] pairs.
    if (inst.op === RUNE || inst.op === RUNE1) return classCost(inst.runes.length === 1 ? [inst.runes[0]!, inst.runes[0]!] : inst.runes);
    if (inst.op === RUNE_ANY) return classCost([0, 0x10ffff]);
    if (inst.op === RUNE_ANY_NOT_NL) return classCost([0, 9, 11, 0x10ffff]);
    return undefined;
  };
  const incoming = new Map<number, number>();
  const edge = (to: number) => incoming.set(to, (incoming.get(to) ?? 0) + 1);
  insts.forEach((inst) => (edge(inst.out), inst.op === ALT || inst.op === ALT_MATCH ? edge(inst.arg) : undefined));
  let size = 0;
  insts.forEach((inst) => {
    if (inst.op === NOP) return;
    // RE2 flattens alternations into lists of their branches: the Alt instructions themselves go.
    if (inst.op === ALT || inst.op === ALT_MATCH) return;
    size += runeCost(inst) ?? 1;
  });
  const first = insts[start];
  if (!(first?.op === EMPTY_WIDTH && (first.arg & EMPTY_BEGIN_TEXT) !== 0)) return size + 2; // an unanchored search starts with RE2's `.*?` loop
  // RE2 matches a literal prefix after `^` by string comparison (RE2::RequiredPrefix); one instruction stays.
  let prefix = 0;
  for (let pc = first.out; (insts[pc]?.op === RUNE1 || (insts[pc]?.op === RUNE && insts[pc]!.runes.length === 1)) && incoming.get(pc) === 1; pc = insts[pc]!.out) prefix += runeCost(insts[pc]!)!;
  return prefix ? size - prefix + 1 : size;
}

/**
 * Why `pattern` is not a regex Envoy and gRPC accept, or `undefined` when they do: RE2 syntax (parsed by
 * re2js, a JavaScript port of RE2, so `\Z`, `\K`, lookaround and backreferences are refused and `\Q…\E`
 * accepted, as RE2 does) and a program no larger than Envoy's default limit.
 */
export function re2Problem(pattern: string): string | undefined {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    return `not an RE2 regular expression: ${error.message.replace(/^error parsing regexp: /, '')}`;
  }
  const size = programSize(re);
  if (size > MAX_RE2_PROGRAM_SIZE) return `RE2 program size of about ${size} is over Envoy's limit of ${MAX_RE2_PROGRAM_SIZE} (re2.max_program_size.error_level); simplify the regex`;
  return undefined;
}

/** The program size re2Problem compares with MAX_RE2_PROGRAM_SIZE (`pattern` must parse). */
export const re2ProgramSize = (pattern: string): number => programSize(RE2JS.compile(pattern));
