/**
 * Work that must not overlap (the vision tower's encodings, a model's prefills): each call runs
 * after the ones given before it have ended, whatever their outcome, so concurrent callers (a
 * probe's items in flight) hold one of its activations at a time.
 */
export type Exclusive = <T>(work: () => Promise<T>) => Promise<T>;

export function oneAtATime(): Exclusive {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const result = last.then(work);
    last = result.catch(() => undefined);
    return result;
  };
}
