/** How many runs decode together, and how many items feed them: what the runtime batches and the memory planner counts. */

/**
 * Rows per batch when not told. On CPU a decoder step reads every weight once whatever the rows,
 * so the time per row falls with more rows: on the bench's 8-layer model (`npm run bench --
 * probes`, one thread) 8 rows take a row ~4× less time than one, 16 ~5×, 32 ~6×. Each row holds
 * its own cache (a 7B Qwen2.5-VL: ~115 KB per token as float32, so 16 rows of 2,560 tokens ≈ 4.7
 * GB), so the last 1.3× of 32 rows is not worth its memory; the memory plan lowers it further when
 * the budget is short (memoryPlan.ts).
 */
export const DEFAULT_BATCH_ROWS = 16;

/**
 * Items of ablation and swap in flight at once: each brings many runs (one per layer), so the next
 * item's runs are ready to join the batch while the last runs of the one before finish.
 */
export const ITEMS_IN_FLIGHT = 2;
