/**
 * SHA-256 (FIPS 180-4) specialised to RFC 6962's interior-node input, 0x01 ‖ left ‖ right: always
 * 65 bytes, so always two 64-byte blocks with a fixed padding and length. Proof verification is
 * nothing but these hashes; done here without the per-call overhead of node:crypto's generic API
 * it runs about 1.3–2× faster. Checked against node:crypto on random inputs and against every
 * published Merkle test vector (test/tlog).
 */

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
/** Message length in bits: 65 bytes. */
const BIT_LENGTH = 65 * 8;

const W = new Int32Array(64);
const H = new Int32Array(8);

/** One compression of the block already in W[0..15] into H. */
function compress(): void {
  for (let t = 16; t < 64; t++) {
    const a = W[t - 15]!;
    const b = W[t - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let f = H[5]!;
  let g = H[6]!;
  let h = H[7]!;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[t]! + W[t]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

/** SHA-256(0x01 ‖ left ‖ right) for two 32-byte hashes. */
export function sha256Node(left: Uint8Array, right: Uint8Array): Uint8Array {
  H.set(IV);
  // Block 1: 0x01, left[0..31], right[0..30] — every word straddles by one byte.
  W[0] = (1 << 24) | (left[0]! << 16) | (left[1]! << 8) | left[2]!;
  for (let i = 1; i < 8; i++) {
    const o = 4 * i - 1;
    W[i] = (left[o]! << 24) | (left[o + 1]! << 16) | (left[o + 2]! << 8) | left[o + 3]!;
  }
  W[8] = (left[31]! << 24) | (right[0]! << 16) | (right[1]! << 8) | right[2]!;
  for (let i = 1; i < 8; i++) {
    const o = 4 * i - 1;
    W[8 + i] = (right[o]! << 24) | (right[o + 1]! << 16) | (right[o + 2]! << 8) | right[o + 3]!;
  }
  compress();
  // Block 2: right[31], the 0x80 terminator, zeros, the 64-bit big-endian bit length.
  W[0] = (right[31]! << 24) | (0x80 << 16);
  W.fill(0, 1, 15);
  W[15] = BIT_LENGTH;
  compress();
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = H[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  return out;
}
