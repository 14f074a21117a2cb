// Fill-reducing ordering for a structurally symmetric sparse matrix: minimum
// degree on the explicit elimination graph (each step eliminates a node of
// least current degree and makes its neighbours a clique). Distribution
// networks are nearly trees, so the elimination graph stays tiny and the
// exact degree is as cheap to keep as AMD's approximation. Buckets are filled
// in a fixed order, so the ordering is deterministic.

/** Adjacency of an n-node graph in CSR form (no self loops needed; duplicates allowed). */
export interface Graph {
  n: number;
  ptr: Int32Array;
  adj: Int32Array;
}

/** Returns perm with perm[k] = original index of the k-th pivot. */
export function minimumDegreeOrder(g: Graph): Int32Array {
  const n = g.n;
  // Neighbour lists of the elimination graph in one pool: list v is pool[start[v] ..
  // start[v] + len[v]), with room for cap[v]; a list that outgrows its room moves to the end of
  // the pool with twice the room. A mark array removes duplicates.
  let pool = new Int32Array(Math.max(16, 2 * g.ptr[n]! + 4 * n));
  const start = new Int32Array(n);
  const len = new Int32Array(n);
  const cap = new Int32Array(n);
  let used = 0;
  const mark = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const room = Math.max(4, g.ptr[i + 1]! - g.ptr[i]!);
    start[i] = used;
    cap[i] = room;
    let k = 0;
    for (let p = g.ptr[i]!; p < g.ptr[i + 1]!; p++) {
      const j = g.adj[p]!;
      if (j !== i && mark[j] !== i) {
        mark[j] = i;
        pool[used + k++] = j;
      }
    }
    len[i] = k;
    used += room;
  }
  const append = (u: number, w: number) => {
    if (len[u] === cap[u]) {
      const room = 2 * cap[u]!;
      if (used + room > pool.length) {
        const bigger = new Int32Array(2 * (used + room));
        bigger.set(pool.subarray(0, used));
        pool = bigger;
      }
      pool.copyWithin(used, start[u]!, start[u]! + len[u]!);
      start[u] = used;
      cap[u] = room;
      used += room;
    }
    pool[start[u]! + len[u]!++] = w;
  };
  mark.fill(-1);
  const eliminated = new Uint8Array(n);
  const degree = new Int32Array(n);
  // Bucket lists by degree (doubly linked) for O(1) min extraction and updates.
  const head = new Int32Array(n + 1).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const prev = new Int32Array(n).fill(-1);
  const insert = (v: number, d: number) => {
    degree[v] = d;
    prev[v] = -1;
    next[v] = head[d]!;
    if (head[d]! >= 0) prev[head[d]!] = v;
    head[d] = v;
  };
  const remove = (v: number) => {
    const d = degree[v]!;
    if (prev[v]! >= 0) next[prev[v]!] = next[v]!;
    else head[d] = next[v]!;
    if (next[v]! >= 0) prev[next[v]!] = prev[v]!;
  };
  for (let i = n - 1; i >= 0; i--) insert(i, Math.min(n, len[i]!));

  const perm = new Int32Array(n);
  let live = new Int32Array(16);
  let minDeg = 0;
  for (let k = 0; k < n; k++) {
    while (minDeg <= n && head[minDeg]! < 0) minDeg++;
    const v = head[minDeg]!;
    remove(v);
    eliminated[v] = 1;
    perm[k] = v;
    // Live neighbours of v.
    if (live.length < len[v]!) live = new Int32Array(2 * len[v]!);
    let nl = 0;
    for (let q = start[v]!; q < start[v]! + len[v]!; q++) if (!eliminated[pool[q]!]) live[nl++] = pool[q]!;
    // Make them a clique: each keeps its live neighbours plus the others (lists edited in place).
    for (let x = 0; x < nl; x++) {
      const u = live[x]!;
      const s0 = start[u]!;
      let kept = 0;
      for (let t = 0; t < len[u]!; t++) {
        const w = pool[s0 + t]!;
        if (!eliminated[w] && mark[w] !== u) {
          mark[w] = u;
          pool[s0 + kept++] = w;
        }
      }
      len[u] = kept;
      for (let y = 0; y < nl; y++) {
        const w = live[y]!;
        if (w !== u && mark[w] !== u) {
          mark[w] = u;
          append(u, w);
        }
      }
      remove(u);
      insert(u, len[u]!);
      if (len[u]! < minDeg) minDeg = len[u]!;
    }
    for (let x = 0; x < nl; x++) mark[live[x]!] = -1;
    for (let x = 0; x < nl; x++) {
      const u = live[x]!;
      for (let q = start[u]!; q < start[u]! + len[u]!; q++) mark[pool[q]!] = -1;
    }
    len[v] = 0;
  }
  return perm;
}
