import { describe, expect, it } from 'vitest';
import { contiguousReservation, KvPool } from '../../src/serving/kv-pool.ts';
import { prng } from '../prng.ts';

describe('KvPool block boundaries', () => {
  it.each([
    [1, 1],
    [15, 1],
    [16, 1],
    [17, 2],
    [100, 7],
  ])('a prompt of %i tokens takes %i blocks of 16', (tokens, blocks) => {
    const pool = new KvPool({ blocks: 8 });
    const r = pool.allocate(0, tokens);
    expect(r.ok).toBe(true);
    expect(pool.table(0)).toHaveLength(blocks);
    expect(pool.usedBlocks).toBe(blocks);
    expect(pool.stats().tokens_stored).toBe(tokens);
  });

  it('grows one token at a time, taking a block only at a boundary', () => {
    const pool = new KvPool({ blocks: 8 });
    pool.allocate(0, 1);
    const newBlocksAt: number[] = [];
    for (let n = 2; n <= 100; n++) {
      const g = pool.grow(0);
      if (!g.ok) throw new Error('pool ran out');
      if (g.block !== undefined) newBlocksAt.push(n);
      expect(g.copy).toBeUndefined();
    }
    expect(newBlocksAt).toEqual([17, 33, 49, 65, 81, 97]);
    expect(pool.tokens(0)).toBe(100);
    expect(pool.table(0)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const s = pool.stats();
    expect(s).toMatchObject({ blocks_used: 7, blocks_free: 1, tokens_stored: 100 });
    expect(s.utilization).toBeCloseTo(100 / 112, 15);
    expect(s.fragmentation).toBeCloseTo(12 / 112, 15);
  });

  it('reports a full pool as a failure, changing nothing, and fits again after a free', () => {
    const pool = new KvPool({ blocks: 2, blockTokens: 4 });
    expect(pool.allocate(0, 8)).toEqual({ ok: true, blocks: [0, 1] });
    expect(pool.canAllocate(1)).toBe(false);
    expect(pool.allocate(1, 1)).toEqual({ ok: false, needed: 1, free: 0 });
    expect(pool.grow(0)).toEqual({ ok: false, needed: 1, free: 0 });
    expect(pool.tokens(0)).toBe(8);
    expect(pool.has(1)).toBe(false);
    pool.free(0);
    expect(pool.canAllocate(8)).toBe(true);
    expect(pool.canAllocate(9)).toBe(false);
    expect(pool.stats()).toMatchObject({ blocks_used: 0, blocks_free: 2, utilization: 1 });
  });
});

describe('KvPool fork and copy-on-write', () => {
  it('shares blocks by reference count and copies a shared partial block on write', () => {
    const pool = new KvPool({ blocks: 8 });
    pool.allocate(0, 20); // blocks 0 (full) and 1 (4 of 16)
    pool.fork(0, 1);
    expect(pool.table(1)).toEqual([0, 1]);
    expect([pool.refCount(0), pool.refCount(1)]).toEqual([2, 2]);
    expect(pool.stats()).toMatchObject({ blocks_used: 2, tokens_stored: 20, tokens_logical: 40 });
    expect(pool.grow(1)).toEqual({ ok: true, block: 2, copy: { from: 1, to: 2 } });
    expect(pool.table(1)).toEqual([0, 2]);
    expect([pool.refCount(0), pool.refCount(1), pool.refCount(2)]).toEqual([2, 1, 1]);
    // The parent is now the partial block's only owner: it writes in place.
    expect(pool.grow(0)).toEqual({ ok: true });
    expect(pool.stats()).toMatchObject({ blocks_used: 3, tokens_stored: 16 + 5 + 5 });
    pool.free(0);
    expect([pool.refCount(0), pool.refCount(1)]).toEqual([1, 0]);
    pool.free(1);
    expect(pool.freeBlocks).toBe(8);
  });

  it('takes a fresh block, no copy, when a fork grows at a block boundary', () => {
    const pool = new KvPool({ blocks: 4 });
    pool.allocate(0, 16);
    pool.fork(0, 1);
    expect(pool.grow(1)).toEqual({ ok: true, block: 1 });
    expect(pool.table(1)).toEqual([0, 1]);
    expect(pool.refCount(0)).toBe(2);
  });

  it('keeps every sequence reading its own tokens under random admit, grow, fork and free', () => {
    // The test keeps the KV data itself: each block's slots hold token values, written where
    // the pool says and copied when it asks. Reading any sequence through its block table must
    // give back exactly the tokens it was given; a write into a shared block would break this.
    const B = 4;
    const BLOCKS = 48;
    const pool = new KvPool({ blocks: BLOCKS, blockTokens: B });
    const rand = prng(6);
    const data = new Map<number, number[]>();
    const expected = new Map<number, number[]>();
    let nextSeq = 0;
    let nextValue = 1;
    const write = (seq: number, i: number, value: number) => {
      const b = pool.table(seq)[Math.floor(i / B)] as number;
      const slots = data.get(b) ?? [];
      slots[i % B] = value;
      data.set(b, slots);
    };
    let failures = 0;
    let copies = 0;
    const errors: string[] = [];
    for (let step = 0; step < 3000; step++) {
      const live = [...expected.keys()];
      const pick = live[Math.floor(rand() * live.length)];
      const r = rand();
      if (pick === undefined || r < 0.2) {
        const n = 1 + Math.floor(rand() * 20);
        const fits = pool.canAllocate(n);
        const a = pool.allocate(nextSeq, n);
        if (a.ok !== fits) errors.push(`${step}: canAllocate(${n}) said ${fits}`);
        if (a.ok) {
          const tokens = Array.from({ length: n }, () => nextValue++);
          expected.set(nextSeq, tokens);
          for (const [i, v] of tokens.entries()) write(nextSeq, i, v);
        } else failures++;
        nextSeq++;
      } else if (r < 0.75) {
        const before = pool.table(pick).length;
        const g = pool.grow(pick);
        if (!g.ok) {
          failures++;
          if (pool.table(pick).length !== before) errors.push(`${step}: failed grow changed`);
          continue;
        }
        if (g.copy) {
          copies++;
          data.set(g.copy.to, [...(data.get(g.copy.from) ?? [])]);
        }
        const tokens = expected.get(pick) as number[];
        tokens.push(nextValue++);
        write(pick, tokens.length - 1, nextValue - 1);
      } else if (r < 0.85) {
        pool.fork(pick, nextSeq);
        expected.set(nextSeq, [...(expected.get(pick) as number[])]);
        nextSeq++;
      } else {
        pool.free(pick);
        expected.delete(pick);
      }
      // Invariants: references equal table occurrences, no block twice in a table, free +
      // used = total, tables as long as their tokens need, every token read back as written.
      // (Collected as text, one expect at the end: thousands of expects would cost seconds.)
      const owners = new Array<number>(BLOCKS).fill(0);
      for (const [seq, tokens] of expected) {
        const table = pool.table(seq);
        if (new Set(table).size !== table.length) errors.push(`${step}: ${seq} repeats a block`);
        if (table.length !== Math.ceil(tokens.length / B)) errors.push(`${step}: ${seq} length`);
        for (const b of table) owners[b] = (owners[b] as number) + 1;
        tokens.forEach((v, i) => {
          const got = data.get(table[Math.floor(i / B)] as number)?.[i % B];
          if (got !== v) errors.push(`${step}: ${seq} token ${i} reads ${got}, not ${v}`);
        });
      }
      owners.forEach((n, b) => {
        if (pool.refCount(b) !== n)
          errors.push(`${step}: block ${b} counts ${pool.refCount(b)}, held ${n}`);
      });
      if (owners.filter((n) => n > 0).length !== pool.usedBlocks) errors.push(`${step}: used`);
      if (pool.usedBlocks + pool.freeBlocks !== BLOCKS) errors.push(`${step}: leaked`);
    }
    expect(errors.slice(0, 5)).toEqual([]);
    // The walk reached the interesting cases.
    expect(failures).toBeGreaterThan(10);
    expect(copies).toBeGreaterThan(10);
    for (const seq of expected.keys()) pool.free(seq);
    expect(pool.freeBlocks).toBe(BLOCKS);
    expect(pool.stats()).toMatchObject({ blocks_used: 0, tokens_stored: 0, tokens_logical: 0 });
  });
});

describe('KvPool refuses bad input by name', () => {
  it.each([
    [() => new KvPool({ blocks: 0 }), 'KV pool of 0 blocks: must be a whole number from 1'],
    [() => new KvPool({ blocks: 2.5 }), 'KV pool of 2.5 blocks'],
    [
      () => new KvPool({ blocks: 4, blockTokens: 0 }),
      'block size 0 tokens must be a whole number from 1 to 4096',
    ],
    [() => new KvPool({ blocks: 4 }).free(7), 'sequence 7 holds no KV blocks'],
    [() => new KvPool({ blocks: 4 }).grow(3), 'sequence 3 holds no KV blocks'],
    [
      () => new KvPool({ blocks: 4 }).allocate(0, 0),
      'a sequence of 0 tokens: must be a whole number >= 1',
    ],
    [() => new KvPool({ blocks: 4 }).refCount(4), 'block 4 is outside the pool of 4'],
    [
      () => {
        const p = new KvPool({ blocks: 4 });
        p.allocate(1, 3);
        p.allocate(1, 3);
      },
      'sequence 1 already holds KV blocks',
    ],
    [
      () => {
        const p = new KvPool({ blocks: 4 });
        p.allocate(1, 3);
        p.fork(1, 1);
      },
      'sequence 1 already holds KV blocks',
    ],
  ])('%#', (f, message) => {
    expect(f).toThrow(RangeError);
    expect(f).toThrow(message);
  });
});

describe('contiguousReservation', () => {
  it('reserves the max length for every sequence', () => {
    expect(contiguousReservation([10, 20, 30], 100)).toEqual({
      reserved_tokens: 300,
      tokens: 60,
      utilization: 0.2,
    });
    expect(contiguousReservation([], 64).utilization).toBe(1);
  });

  it('refuses a sequence longer than the reservation', () => {
    expect(() => contiguousReservation([65], 64)).toThrow(
      'a sequence of 65 tokens: must be a whole number from 0 to 64',
    );
    expect(() => contiguousReservation([1], 0)).toThrow('max sequence length 0');
  });
});
