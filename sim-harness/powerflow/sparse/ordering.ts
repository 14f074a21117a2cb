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
  // Neighbour sets of the elimination graph, as growable arrays with a mark array for dedup.
  const nbr: number[][] = new Array(n);
  const mark = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const list: number[] = [];
    for (let p = g.ptr[i]!; p < g.ptr[i + 1]!; p++) {
      const j = g.adj[p]!;
      if (j !== i && mark[j] !== i) {
        mark[j] = i;
        list.push(j);
      }
    }
    nbr[i] = list;
  }
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
  for (let i = n - 1; i >= 0; i--) insert(i, Math.min(n, nbr[i]!.length));

  const perm = new Int32Array(n);
  const liveBuf: number[] = [];
  let minDeg = 0;
  for (let k = 0; k < n; k++) {
    while (minDeg <= n && head[minDeg]! < 0) minDeg++;
    const v = head[minDeg]!;
    remove(v);
    eliminated[v] = 1;
    perm[k] = v;
    // Live neighbours of v (reusing one buffer).
    const live = liveBuf;
    live.length = 0;
    for (const u of nbr[v]!) if (!eliminated[u]) live.push(u);
    // Make them a clique: each keeps its live neighbours plus the others (lists edited in place).
    for (const u of live) {
      const cur = nbr[u]!;
      let k = 0;
      for (let t = 0; t < cur.length; t++) {
        const w = cur[t]!;
        if (!eliminated[w] && mark[w] !== u) {
          mark[w] = u;
          cur[k++] = w;
        }
      }
      cur.length = k;
      for (const w of live) {
        if (w !== u && mark[w] !== u) {
          mark[w] = u;
          cur.push(w);
        }
      }
      remove(u);
      insert(u, cur.length);
      if (cur.length < minDeg) minDeg = cur.length;
    }
    for (const u of live) mark[u] = -1;
    for (const u of live) for (const w of nbr[u]!) mark[w] = -1;
    nbr[v] = [];
  }
  return perm;
}
