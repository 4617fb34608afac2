/**
 * The process's memory, for results' timing blocks, and the glibc malloc settings that let freed
 * weight memory go back to the system.
 */

/** This process's peak resident set size so far, in bytes (getrusage's ru_maxrss). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * glibc serves allocations below its mmap threshold from the heap and keeps them when freed; the
 * threshold is dynamic (it rises up to 32 MiB to the size of each mmapped chunk freed), so the
 * float32 weights and the Cast/Transpose temporaries of onnxruntime's session start (tensors of a
 * few MiB each) end up in the heap, stay resident after a model is released, and fragment it.
 * Measured (12 per-layer sessions, 0.57 GiB of float32 weights from bf16, loaded three times in
 * turn): unset, 1.56× the weights resident once loaded, 1.5× kept after release, peak 1.97×; a
 * fixed 1 MiB threshold: 1.05× loaded, back to the start after release, peak 1.15×, at the cost of
 * fresh pages for every large temporary (session start 3-7× slower on a 2-core VM, whose page
 * faults are slow); glibc's transparent huge pages for those chunks (glibc ≥ 2.35, ignored before)
 * halve that cost.
 * glibc reads both variables once, at process start: set them in the environment of a process
 * before it starts (the job runner: src/host/jobProcess.ts; the CLI re-executes itself once, see src/cli/launch.ts).
 */
export const MALLOC_MMAP_THRESHOLD_BYTES = 1048576;

/** The environment variables to add so a new process starts with those malloc settings; {} when the user already chose a threshold. */
export function mallocEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined) return {};
  const tunables = env.GLIBC_TUNABLES;
  const hugePages = 'glibc.malloc.hugetlb=1';
  return {
    MALLOC_MMAP_THRESHOLD_: String(MALLOC_MMAP_THRESHOLD_BYTES),
    GLIBC_TUNABLES: !tunables ? hugePages : tunables.includes('glibc.malloc.hugetlb') ? tunables : `${tunables}:${hugePages}`,
  };
}
