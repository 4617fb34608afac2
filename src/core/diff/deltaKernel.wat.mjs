// WebAssembly text of the diff's SIMD kernel, generated here because WAT has no macros: one fully
// inlined loop per (stored dtype, with or without Base), since V8 does not inline wasm calls in
// hot loops. Compiled to binary at build time (esbuild.mjs) and embedded in the bundles.
//
// Each step takes 8 elements as two quads with separate accumulators (two independent dependency
// chains keep the FPU busy), promotes every value to f64 before any arithmetic (so differences,
// squares and products round at most once in f64, as in the scalar path), and finally writes
// 8 f64 results at `out`: inSumSq, rlDeltaSumSq, rlMaxAbs, rlUnchanged, inDeltaSumSq, deltaDot,
// inUnchanged, inMaxAbs. bf16 is decoded by widening to 32 bits and shifting into the top half.

const ELEMENTS_PER_STEP = 8;

const get = (name) => `(local.get ${name})`;
const set = (name, value) => `(local.set ${name} ${value})`;
const HIGH_HALF = 'i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15';

/** How each dtype loads one step: raw vectors, the f32 bits of quad q, and an equality count. */
const DTYPES = {
  bf16: {
    bytesPerStep: 16,
    load: (role, ptr) => set(`$raw_${role}`, `(v128.load ${get(ptr)})`),
    quad: (role, q) => `(i32x4.shl (i32x4.extend_${q === 0 ? 'low' : 'high'}_i16x8_u ${get(`$raw_${role}`)}) (i32.const 16))`,
    // 16-bit equality masks summed pairwise into 32-bit lanes, so counts cannot overflow.
    equal: (x, y) => `(i32x4.extadd_pairwise_i16x8_s (i16x8.eq ${get(`$raw_${x}`)} ${get(`$raw_${y}`)}))`,
  },
  f32: {
    bytesPerStep: 32,
    load: (role, ptr) => `${set(`$raw_${role}`, `(v128.load ${get(ptr)})`)}\n        ${set(`$raw2_${role}`, `(v128.load offset=16 ${get(ptr)})`)}`,
    quad: (role, q) => get(q === 0 ? `$raw_${role}` : `$raw2_${role}`),
    equal: (x, y) => `(i32x4.add (i32x4.eq ${get(`$raw_${x}`)} ${get(`$raw_${y}`)}) (i32x4.eq ${get(`$raw2_${x}`)} ${get(`$raw2_${y}`)}))`,
  },
};

const low = (v) => `(f64x2.promote_low_f32x4 ${get(v)})`;
const high = (v) => `(f64x2.promote_low_f32x4 (${HIGH_HALF} ${get(v)} ${get(v)}))`;
const addSquares = (acc, lo, hi) => set(acc, `(f64x2.add ${get(acc)} (f64x2.add (f64x2.mul ${get(lo)} ${get(lo)}) (f64x2.mul ${get(hi)} ${get(hi)})))`);
const addProducts = (acc, a, b) => set(acc, `(f64x2.add ${get(acc)} (f64x2.add (f64x2.mul ${get(`${a}Lo`)} ${get(`${b}Lo`)}) (f64x2.mul ${get(`${a}Hi`)} ${get(`${b}Hi`)})))`);
const maxAbs = (acc, lo, hi) => set(acc, `(f64x2.pmax ${get(acc)} (f64x2.pmax (f64x2.abs ${get(lo)}) (f64x2.abs ${get(hi)})))`);

/** One quad's arithmetic; `q` picks the accumulator set. */
function quadStep(dtype, q, withBase) {
  const lines = [
    set('$a', dtype.quad('in', q)),
    set('$b', dtype.quad('rl', q)),
    set('$aLo', low('$a')),
    set('$aHi', high('$a')),
    set('$dLo', `(f64x2.sub ${low('$b')} ${get('$aLo')})`),
    set('$dHi', `(f64x2.sub ${high('$b')} ${get('$aHi')})`),
    addSquares(`$inSq${q}`, '$aLo', '$aHi'),
    addSquares(`$rlSq${q}`, '$dLo', '$dHi'),
    maxAbs(`$rlMax${q}`, '$dLo', '$dHi'),
  ];
  if (withBase) {
    lines.push(
      set('$c', dtype.quad('base', q)),
      set('$eLo', `(f64x2.sub ${get('$aLo')} ${low('$c')})`),
      set('$eHi', `(f64x2.sub ${get('$aHi')} ${high('$c')})`),
      addSquares(`$inDSq${q}`, '$eLo', '$eHi'),
      addProducts(`$dot${q}`, '$e', '$d'),
      maxAbs(`$inMax${q}`, '$eLo', '$eHi'),
    );
  }
  return lines.join('\n        ');
}

const ACCUMULATORS = ['inSq', 'rlSq', 'rlMax', 'inDSq', 'dot', 'inMax'];

function reduceFunction(dtypeName, withBase) {
  const dtype = DTYPES[dtypeName];
  const roles = withBase ? ['in', 'rl', 'base'] : ['in', 'rl'];
  const pointers = { in: '$in', rl: '$rl', base: '$base' };
  const locals = [
    ...roles.flatMap((role) => [`$raw_${role}`, `$raw2_${role}`]),
    '$a', '$b', '$c', '$aLo', '$aHi', '$dLo', '$dHi', '$eLo', '$eHi', '$rlEq', '$inEq',
    ...ACCUMULATORS.flatMap((name) => [`$${name}0`, `$${name}1`]),
  ].map((name) => `(local ${name} v128)`).join(' ');
  const both = (name) => `(f64x2.add ${get(`$${name}0`)} ${get(`$${name}1`)})`;
  const bothMax = (name) => `(f64x2.pmax ${get(`$${name}0`)} ${get(`$${name}1`)})`;
  return `
  (func (export "${dtypeName}_${withBase ? 'triple' : 'pair'}") (param $in i32) (param $rl i32) (param $base i32) (param $steps i32) (param $out i32)
    (local $end i32) ${locals}
    (local.set $end (i32.add ${get('$in')} (i32.mul ${get('$steps')} (i32.const ${dtype.bytesPerStep}))))
    (block $done
      (br_if $done (i32.ge_u ${get('$in')} ${get('$end')}))
      (loop $step
        ${roles.map((role) => dtype.load(role, pointers[role])).join('\n        ')}
        ${set('$rlEq', `(i32x4.sub ${get('$rlEq')} ${dtype.equal('in', 'rl')})`)}
        ${withBase ? set('$inEq', `(i32x4.sub ${get('$inEq')} ${dtype.equal('in', 'base')})`) : ''}
        ${quadStep(dtype, 0, withBase)}
        ${quadStep(dtype, 1, withBase)}
        ${roles.map((role) => set(pointers[role], `(i32.add ${get(pointers[role])} (i32.const ${dtype.bytesPerStep}))`)).join('\n        ')}
        (br_if $step (i32.lt_u ${get('$in')} ${get('$end')}))))
    (call $store ${get('$out')} ${both('inSq')} ${both('rlSq')} ${bothMax('rlMax')} ${get('$rlEq')}
      ${both('inDSq')} ${both('dot')} ${get('$inEq')} ${bothMax('inMax')}))`;
}

export default `(module
  (memory (export "memory") 1)
  (global (export "elementsPerStep") i32 (i32.const ${ELEMENTS_PER_STEP}))
  ${Object.keys(DTYPES).flatMap((dtype) => [reduceFunction(dtype, false), reduceFunction(dtype, true)]).join('\n')}

  (func $store (param $out i32) (param $inSq v128) (param $rlSq v128) (param $rlMax v128) (param $rlEq v128)
    (param $inDSq v128) (param $dot v128) (param $inEq v128) (param $inMax v128)
    (f64.store offset=0 (local.get $out) (call $sum (local.get $inSq)))
    (f64.store offset=8 (local.get $out) (call $sum (local.get $rlSq)))
    (f64.store offset=16 (local.get $out) (call $max (local.get $rlMax)))
    (f64.store offset=24 (local.get $out) (call $count (local.get $rlEq)))
    (f64.store offset=32 (local.get $out) (call $sum (local.get $inDSq)))
    (f64.store offset=40 (local.get $out) (call $sum (local.get $dot)))
    (f64.store offset=48 (local.get $out) (call $count (local.get $inEq)))
    (f64.store offset=56 (local.get $out) (call $max (local.get $inMax))))
  (func $sum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))
  (func $max (param $v v128) (result f64)
    (f64.max (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))
  (func $count (param $v v128) (result f64)
    (f64.convert_i32_u (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))))
`;
