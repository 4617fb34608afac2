/**
 * A model's weights by canonical (legacy hub) name, whichever naming scheme the files use. A merge
 * variant is just another map: each entry may point into a different checkpoint's files.
 */
import type { Checkpoint } from '../checkpoint/checkpoint';
import { canonicalName } from '../checkpoint/canonicalNames';
import type { TensorLocation } from '../checkpoint/tensorInfo';
import { FrankenlensError } from '../errors';

export class ModelWeights {
  constructor(
    /** What the error messages call this set of weights (a checkpoint folder). */
    readonly source: string,
    private readonly byName: ReadonlyMap<string, TensorLocation>,
  ) {}

  static of(checkpoint: Checkpoint): ModelWeights {
    return new ModelWeights(checkpoint.path, new Map(checkpoint.tensors.map((tensor) => [canonicalName(tensor.name), tensor])));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Canonical names of every tensor. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Where a tensor lies (no shape check: for bookkeeping, not for graphs). */
  location(name: string): TensorLocation {
    const tensor = this.byName.get(name);
    if (!tensor) throw new FrankenlensError('TensorNotFound', `${this.source}: the model needs tensor "${name}", which no weight file holds`, this.source, name);
    return tensor;
  }

  /** The tensor, checked against the shape the architecture expects. */
  get(name: string, shape: number[]): TensorLocation {
    const tensor = this.byName.get(name);
    if (!tensor) throw new FrankenlensError('TensorNotFound', `${this.source}: the model needs tensor "${name}", which no weight file holds`, this.source, name);
    if (tensor.shape.length !== shape.length || tensor.shape.some((dim, index) => dim !== shape[index])) {
      throw new FrankenlensError('ShapeMismatch', `${tensor.file}: tensor "${tensor.name}" has shape [${tensor.shape}], config.json implies [${shape}]`, tensor.file, tensor.name);
    }
    return tensor;
  }
}
