// Small typed arrays carved from shared chunks. Compiling a feeder makes tens
// of thousands of arrays of a few dozen numbers (Yprims, line matrices,
// node lists): a typed array with its own ArrayBuffer costs about half a
// microsecond to make and more to collect, a view into a shared chunk a few
// tens of nanoseconds. A chunk is freed when no view into it is left, so
// carve what lives as long as the compiled circuit, not short-lived scratch.
// Carved arrays start zeroed.

const CHUNK_BYTES = 1 << 18;

let f64 = new Float64Array(CHUNK_BYTES / 8);
let f64Used = 0;
let i32 = new Int32Array(CHUNK_BYTES / 4);
let i32Used = 0;

export function carveF64(size: number): Float64Array {
  if (size > f64.length / 8) return new Float64Array(size);
  if (f64Used + size > f64.length) {
    f64 = new Float64Array(CHUNK_BYTES / 8);
    f64Used = 0;
  }
  const out = f64.subarray(f64Used, f64Used + size);
  f64Used += size;
  return out;
}

export function carveI32(size: number): Int32Array {
  if (size > i32.length / 8) return new Int32Array(size);
  if (i32Used + size > i32.length) {
    i32 = new Int32Array(CHUNK_BYTES / 4);
    i32Used = 0;
  }
  const out = i32.subarray(i32Used, i32Used + size);
  i32Used += size;
  return out;
}
