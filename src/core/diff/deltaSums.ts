/** Partial sums of the diff: chunks of one tensor combine by addition, which lets workers split it. */
/** Additive partial statistics of one or more chunks. */
export interface DeltaSums {
  count: number;
  inSumSq: number;
  rlDeltaSumSq: number;
  rlUnchanged: number;
  rlMaxAbs: number;
  inDeltaSumSq: number;
  deltaDot: number;
  inUnchanged: number;
  inMaxAbs: number;
}

export function emptySums(): DeltaSums {
  return { count: 0, inSumSq: 0, rlDeltaSumSq: 0, rlUnchanged: 0, rlMaxAbs: 0, inDeltaSumSq: 0, deltaDot: 0, inUnchanged: 0, inMaxAbs: 0 };
}

export function addSums(total: DeltaSums, part: DeltaSums): void {
  total.count += part.count;
  total.inSumSq += part.inSumSq;
  total.rlDeltaSumSq += part.rlDeltaSumSq;
  total.rlUnchanged += part.rlUnchanged;
  total.rlMaxAbs = Math.max(total.rlMaxAbs, part.rlMaxAbs);
  total.inDeltaSumSq += part.inDeltaSumSq;
  total.deltaDot += part.deltaDot;
  total.inUnchanged += part.inUnchanged;
  total.inMaxAbs = Math.max(total.inMaxAbs, part.inMaxAbs);
}
