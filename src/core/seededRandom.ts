/**
 * The project's reproducible random numbers (synthetic checkpoints, benchmark images, bootstrap
 * resampling, Krylov start blocks): the same (seed, key) gives the same stream on every platform.
 */
/** xorshift32 seeded by a string hash: fast and reproducible across platforms. */
export function seededRandom(seed: number, key: string): () => number {
  let state = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < key.length; i++) state = Math.imul(state ^ key.charCodeAt(i), 0x01000193) >>> 0;
  if (state === 0) state = 0x12345678;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}
