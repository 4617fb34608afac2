/**
 * A tiny ONNX graph DSL: named inputs and outputs, nodes with auto-named results, small constants,
 * and initializers that point into safetensors files as ONNX external data (location, offset,
 * length), so building a graph never copies a weight. The one exception is a weight quantized at
 * build (blockQuantize.ts): its bytes are new, so they go to a data file beside the graph.
 * Serialized with onnx-proto's protobuf classes.
 */
import { onnx } from 'onnx-proto';
import type { TensorLocation } from '../checkpoint/tensorInfo';
import { FrankenlensError } from '../errors';
import { quantizeTensor, type BlockLayout, type QuantBits } from './blockQuantize';

/** ONNX standard opset, supported by onnxruntime 1.30; graphs use standard-domain ops, and com.microsoft's MatMulNBits for quantized weights. */
export const OPSET = 21;
/** onnxruntime's contrib domain (MatMulNBits is in its version 1), imported only by graphs that use it. */
const CONTRIB_DOMAIN = 'com.microsoft';
/** Each owned initializer starts on a page boundary of the data file. */
const DATA_ALIGNMENT = 4096;
const IR_VERSION = 10;

export type ElementType = 'float' | 'int64' | 'bool';
const ELEMENT_TYPES: Record<ElementType, number> = { float: 1, int64: 7, bool: 9 };
/** onnx.TensorProto.DataType of each stored float dtype. */
const STORED_TYPES = { F32: 1, F16: 10, BF16: 16 } as const;

/** A dimension: a fixed size or a symbolic name shared by inputs and outputs. */
export type Dim = number | string;

/** Attribute values: integers and integer lists are INT/INTS; floats must be wrapped. */
export type AttributeValue = number | number[] | { float: number } | { tensor: onnx.ITensorProto };

/** A file beside the graph for the bytes it holds itself (weights quantized at build), appended in order. */
export interface GraphDataFile {
  /** Its name as the graph's external-data locations give it (relative to the graph's folder). */
  location: string;
  /** Appends bytes at the end; returns the offset they start at. */
  append(bytes: Uint8Array): number;
  /** Bytes written so far. */
  readonly size: number;
}

/** The initializers of a block-quantized weight: MatMulNBits's B, scales and zero_points, and their layout. */
export interface QuantizedWeight {
  codes: string;
  scales: string;
  zeroPoints: string;
  layout: BlockLayout;
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly weightNames = new Map<string, string>();
  private readonly quantized = new Map<string, QuantizedWeight>();
  private usesContrib = false;
  private counter = 0;

  /**
   * @param externalLocation maps a weight file to the path the graph names for it, relative to the
   *   folder the .onnx file is written to (onnxruntime refuses paths that leave that folder).
   * @param dataFile where quantized weights go (graphs without them never touch it).
   */
  constructor(
    readonly name: string,
    private readonly externalLocation: (file: string) => string,
    private readonly dataFile?: GraphDataFile,
  ) {}

  input(name: string, type: ElementType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, value: string, type: ElementType, dims: Dim[]): void {
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}/Identity` });
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** One node with one result; `hint` makes the generated name readable in Netron. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, hint = opType): string {
    return this.opMulti(opType, inputs, 1, attributes, hint)[0]!;
  }

  opMulti(opType: string, inputs: string[], outputCount: number, attributes: Record<string, AttributeValue> = {}, hint = opType, domain?: string): string[] {
    const id = this.counter++;
    const outputs = Array.from({ length: outputCount }, (_, index) => `${hint}_${id}${outputCount > 1 ? `_${index}` : ''}`);
    this.nodes.push({ opType, input: inputs, output: outputs, name: `${hint}_${id}`, attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)), ...(domain ? { domain } : {}) });
    return outputs;
  }

  /** One node of onnxruntime's com.microsoft domain (the graph then imports that domain). */
  contribOp(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, hint = opType): string {
    this.usesContrib = true;
    return this.opMulti(opType, inputs, 1, attributes, hint, CONTRIB_DOMAIN)[0]!;
  }

  int64s(values: readonly number[], dims: number[] = [values.length]): string {
    return this.constant({ dims, dataType: 7, int64Data: [...values] });
  }

  floats(values: readonly number[] | Float32Array, dims: number[] = [values.length]): string {
    return this.constant({ dims, dataType: 1, floatData: [...values] });
  }

  scalar(value: number): string {
    return this.floats([value], []);
  }

  private constant(tensor: onnx.ITensorProto): string {
    return this.op('Constant', [], { value: { tensor } }, 'const');
  }

  /**
   * A stored weight as float32: an external-data initializer over the safetensors bytes, followed by
   * a Cast when it is stored as bf16/f16 (onnxruntime folds the Cast once, at session start).
   */
  weight(tensor: TensorLocation): string {
    const known = this.weightNames.get(tensor.name);
    if (known) return known;
    const dataType = STORED_TYPES[tensor.dtype as keyof typeof STORED_TYPES];
    if (dataType === undefined) throw new FrankenlensError('UnsupportedDtype', `${tensor.file}: tensor "${tensor.name}" is ${tensor.dtype}; model graphs take F32, F16 or BF16 weights`, tensor.file, tensor.name);
    this.initializers.push({
      name: tensor.name,
      dims: tensor.shape,
      dataType,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: this.externalLocation(tensor.file) },
        { key: 'offset', value: String(tensor.byteOffset) },
        { key: 'length', value: String(tensor.byteLength) },
      ],
    });
    const asFloat = dataType === 1 ? tensor.name : this.op('Cast', [tensor.name], { to: 1 }, 'cast');
    this.weightNames.set(tensor.name, asFloat);
    return asFloat;
  }

  /**
   * A stored [N, K] weight quantized in blocks along K (blockQuantize.ts), its bytes written to the
   * graph's data file: B, scales and zero points as external-data initializers.
   */
  quantizedWeight(tensor: TensorLocation, bits: QuantBits, blockSize: number): QuantizedWeight {
    const key = `${tensor.name}/${bits}/${blockSize}`;
    const known = this.quantized.get(key);
    if (known) return known;
    const data = this.dataFile;
    if (!data) throw new Error(`graph ${this.name}: quantized weights need a data file`);
    const start = () => {
      const padding = (DATA_ALIGNMENT - (data.size % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
      if (padding > 0) data.append(new Uint8Array(padding));
      return data.size;
    };
    const owned = (name: string, dataType: number, dims: number[], offset: number) => {
      this.initializers.push({
        name,
        dims,
        dataType,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: data.location },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(data.size - offset) },
        ],
      });
      return name;
    };
    const codesOffset = start();
    const { layout, scales, zeroPoints } = quantizeTensor(tensor, bits, blockSize, (bytes) => data.append(bytes));
    const codes = owned(`${tensor.name}.q${bits}`, 2, [layout.n, layout.blocks, layout.blobBytes], codesOffset);
    const scalesOffset = start();
    data.append(new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength));
    const scaleName = owned(`${tensor.name}.q${bits}_scales`, 1, [layout.n, layout.blocks], scalesOffset);
    const zeroPointsOffset = start();
    data.append(zeroPoints);
    const zeroPointName = owned(`${tensor.name}.q${bits}_zero_points`, 2, [layout.n, layout.zeroPointRowBytes], zeroPointsOffset);
    const weight = { codes, scales: scaleName, zeroPoints: zeroPointName, layout };
    this.quantized.set(key, weight);
    return weight;
  }

  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'frankenlens',
      opsetImport: [{ domain: '', version: OPSET }, ...(this.usesContrib ? [{ domain: CONTRIB_DOMAIN, version: 1 }] : [])],
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEMENT_TYPES[type], shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) } } },
  };
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: types.INT, i: value };
  if (Array.isArray(value)) return { name, type: types.INTS, ints: value };
  if ('float' in value) return { name, type: types.FLOAT, f: value.float };
  return { name, type: types.TENSOR, t: value.tensor };
}
