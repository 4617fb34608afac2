/**
 * A small generated visual benchmark with known answers, for the demo and tests: flat shapes in
 * four colours on a white canvas, rendered to PNG, with counting, colour and shape questions.
 * Every item carries a text description, so the black image + description condition has one.
 * Seeded: the same seed gives the same files byte for byte.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { benchmarkItemLine, type BenchmarkItem } from '../bench/benchmarkItems';
import { seededRandom } from '../seededRandom';

export const SHAPE_COLOURS = { red: [220, 38, 38], green: [22, 163, 74], blue: [37, 99, 235], yellow: [234, 179, 8] } as const;
export type ShapeColour = keyof typeof SHAPE_COLOURS;
export const SHAPE_KINDS = ['circle', 'square', 'triangle'] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

export interface PlacedShape {
  kind: ShapeKind;
  colour: ShapeColour;
  /** Centre and half-size in pixels. */
  x: number;
  y: number;
  radius: number;
}

export interface SyntheticBenchmarkOptions {
  /** Items per question kind (counting, colour, shape). */
  itemsPerKind: number;
  seed?: number;
  /** Canvas size; the default suits the tiny processors' pixel budget (multiples of 28). */
  width?: number;
  height?: number;
}

/** Whether pixel (px, py) lies inside `shape`. */
export function insideShape(shape: PlacedShape, px: number, py: number): boolean {
  const dx = px + 0.5 - shape.x;
  const dy = py + 0.5 - shape.y;
  switch (shape.kind) {
    case 'circle':
      return dx * dx + dy * dy <= shape.radius * shape.radius;
    case 'square':
      return Math.abs(dx) <= shape.radius && Math.abs(dy) <= shape.radius;
    case 'triangle':
      // Apex up: inside the base line and the two sides.
      return dy <= shape.radius && dy >= -shape.radius && Math.abs(dx) <= (dy + shape.radius) / 2;
  }
}

/** RGBA pixels of the shapes on white; later shapes cover earlier ones. */
export function renderShapes(shapes: readonly PlacedShape[], width: number, height: number): PNG {
  const png = new PNG({ width, height });
  png.data.fill(255);
  for (const shape of shapes) {
    const [r, g, b] = SHAPE_COLOURS[shape.colour];
    const left = Math.max(0, Math.floor(shape.x - shape.radius));
    const right = Math.min(width - 1, Math.ceil(shape.x + shape.radius));
    const top = Math.max(0, Math.floor(shape.y - shape.radius));
    const bottom = Math.min(height - 1, Math.ceil(shape.y + shape.radius));
    for (let py = top; py <= bottom; py++) {
      for (let px = left; px <= right; px++) {
        if (!insideShape(shape, px, py)) continue;
        const offset = (py * width + px) * 4;
        png.data[offset] = r;
        png.data[offset + 1] = g;
        png.data[offset + 2] = b;
      }
    }
  }
  return png;
}

/** Up to `count` non-overlapping shapes (a gap of 2 px), placed by rejection sampling. */
function placeShapes(random: () => number, count: number, width: number, height: number, pick: () => Pick<PlacedShape, 'kind' | 'colour'>): PlacedShape[] {
  const shapes: PlacedShape[] = [];
  for (let attempt = 0; shapes.length < count && attempt < 10_000; attempt++) {
    const radius = 7 + Math.floor(random() * 5);
    const x = radius + 1 + random() * (width - 2 * radius - 2);
    const y = radius + 1 + random() * (height - 2 * radius - 2);
    if (shapes.every((other) => Math.hypot(other.x - x, other.y - y) > (other.radius + radius) * Math.SQRT2 + 2)) shapes.push({ ...pick(), x, y, radius });
  }
  if (shapes.length < count) throw new Error(`cannot place ${count} shapes on a ${width}×${height} canvas`);
  return shapes;
}

function describe(shapes: readonly PlacedShape[]): string {
  const parts = shapes.map((shape) => `a ${shape.colour} ${shape.kind}`);
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${list[0].toUpperCase()}${list.slice(1)} on a white background.`;
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five'];

/** The items and the shapes each image shows. */
function syntheticBenchmarkItems(options: SyntheticBenchmarkOptions): { item: Omit<BenchmarkItem, 'images'>; shapes: PlacedShape[] }[] {
  const { itemsPerKind, seed = 0, width = 112, height = 84 } = options;
  const random = seededRandom(seed, 'synthetic-benchmark');
  const choose = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const colours = Object.keys(SHAPE_COLOURS) as ShapeColour[];
  const anyShape = () => ({ kind: choose(SHAPE_KINDS), colour: choose(colours) });
  const items: { item: Omit<BenchmarkItem, 'images'>; shapes: PlacedShape[] }[] = [];
  for (let i = 0; i < itemsPerKind; i++) {
    const count = 1 + Math.floor(random() * 4);
    const shapes = placeShapes(random, count, width, height, anyShape);
    items.push({
      shapes,
      item: { id: `count-${i}`, question: 'How many shapes are in the image? Answer with a number.', answer: String(count), answerType: 'number', description: `${describe(shapes)} (${NUMBER_WORDS[count]} shape${count > 1 ? 's' : ''})`, category: 'counting' },
    });
  }
  for (let i = 0; i < itemsPerKind; i++) {
    const shapes = placeShapes(random, 1, width, height, anyShape);
    items.push({
      shapes,
      item: { id: `colour-${i}`, question: 'What colour is the shape?', choices: [...colours], answer: String.fromCharCode(65 + colours.indexOf(shapes[0].colour)), answerType: 'choice', description: describe(shapes), category: 'colour' },
    });
  }
  for (let i = 0; i < itemsPerKind; i++) {
    const shapes = placeShapes(random, 1, width, height, anyShape);
    items.push({
      shapes,
      item: { id: `shape-${i}`, question: 'Which shape is shown?', choices: [...SHAPE_KINDS], answer: String.fromCharCode(65 + SHAPE_KINDS.indexOf(shapes[0].kind)), answerType: 'choice', description: describe(shapes), category: 'shape' },
    });
  }
  return items;
}

/**
 * Writes `items.jsonl` and `images/<id>.png` into `dir` (staged, then renamed into place) and
 * returns the item file's path. The folder is labelled synthetic in a README.
 */
export function writeSyntheticBenchmark(dir: string, options: SyntheticBenchmarkOptions): string {
  const { width = 112, height = 84 } = options;
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'images'), { recursive: true });
  const lines: string[] = [];
  for (const { item, shapes } of syntheticBenchmarkItems(options)) {
    const image = join(staging, 'images', `${item.id}.png`);
    writeFileSync(image, PNG.sync.write(renderShapes(shapes, width, height)));
    lines.push(benchmarkItemLine({ ...item, images: [image] }, staging));
  }
  writeFileSync(join(staging, 'items.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(staging, 'README.md'),
    'Synthetic benchmark generated by Frankenlens (seeded): flat shapes on white with counting, colour and shape questions whose answers are known by construction. Not a real benchmark.\n',
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return join(dir, 'items.jsonl');
}
