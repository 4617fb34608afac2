// WebAssembly text of the diff's SIMD kernel, generated here because WAT has no macros: one fully
// inlined loop per (stored dtype, with or without Base), since V8 does not inline wasm calls in
// hot loops. Compiled to binary at build time (esbuild.mjs) and embedded in the bundles.
//
// Each loop takes 4 elements per step, promotes every value to f64 before any arithmetic (so
// differences, squares and products round at most once in f64, as in the scalar path), and writes
// 8 f64 results at `out`: inSumSq, rlDeltaSumSq, rlMaxAbs, rlUnchanged, inDeltaSumSq, deltaDot,
// inUnchanged, inMaxAbs. bf16 is decoded by shifting it into the top half of an f32.

const DTYPES = {
  bf16: { bytesPerStep: 8, load: (ptr) => `(i32x4.shl (v128.load16x4_u (local.get ${ptr})) (i32.const 16))` },
  f32: { bytesPerStep: 16, load: (ptr) => `(v128.load (local.get ${ptr}))` },
};

const high = (v) => `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get ${v}) (local.get ${v})))`;
const low = (v) => `(f64x2.promote_low_f32x4 (local.get ${v}))`;
const sumSquares = (acc, lo, hi) => `(local.set ${acc} (f64x2.add (local.get ${acc}) (f64x2.add (f64x2.mul (local.get ${lo}) (local.get ${lo})) (f64x2.mul (local.get ${hi}) (local.get ${hi})))))`;
const maxAbs = (acc, lo, hi) => `(local.set ${acc} (f64x2.pmax (f64x2.pmax (local.get ${acc}) (f64x2.abs (local.get ${lo}))) (f64x2.abs (local.get ${hi}))))`;
const countEqual = (acc, x, y) => `(local.set ${acc} (i32x4.sub (local.get ${acc}) (i32x4.eq (local.get ${x}) (local.get ${y}))))`;
const advance = (ptr, bytes) => `(local.set ${ptr} (i32.add (local.get ${ptr}) (i32.const ${bytes})))`;

function reduceFunction(dtypeName, withBase) {
  const { bytesPerStep, load } = DTYPES[dtypeName];
  const baseStep = withBase
    ? `
      (local.set $c ${load('$base')})
      ${countEqual('$inEq', '$a', '$c')}
      (local.set $eLo (f64x2.sub (local.get $aLo) ${low('$c')}))
      (local.set $eHi (f64x2.sub (local.get $aHi) ${high('$c')}))
      ${sumSquares('$inDSq', '$eLo', '$eHi')}
      (local.set $dot (f64x2.add (local.get $dot) (f64x2.add (f64x2.mul (local.get $eLo) (local.get $dLo)) (f64x2.mul (local.get $eHi) (local.get $dHi)))))
      ${maxAbs('$inMax', '$eLo', '$eHi')}
      ${advance('$base', bytesPerStep)}`
    : '';
  return `
  (func (export "${dtypeName}_${withBase ? 'triple' : 'pair'}") (param $in i32) (param $rl i32) (param $base i32) (param $steps i32) (param $out i32)
    (local $end i32)
    (local $a v128) (local $b v128) (local $c v128)
    (local $aLo v128) (local $aHi v128) (local $dLo v128) (local $dHi v128) (local $eLo v128) (local $eHi v128)
    (local $inSq v128) (local $rlSq v128) (local $rlMax v128) (local $rlEq v128)
    (local $inDSq v128) (local $dot v128) (local $inEq v128) (local $inMax v128)
    (local.set $end (i32.add (local.get $in) (i32.mul (local.get $steps) (i32.const ${bytesPerStep}))))
    (block $done
      (br_if $done (i32.ge_u (local.get $in) (local.get $end)))
      (loop $step
        (local.set $a ${load('$in')})
        (local.set $b ${load('$rl')})
        ${countEqual('$rlEq', '$a', '$b')}
        (local.set $aLo ${low('$a')})
        (local.set $aHi ${high('$a')})
        (local.set $dLo (f64x2.sub ${low('$b')} (local.get $aLo)))
        (local.set $dHi (f64x2.sub ${high('$b')} (local.get $aHi)))
        ${sumSquares('$inSq', '$aLo', '$aHi')}
        ${sumSquares('$rlSq', '$dLo', '$dHi')}
        ${maxAbs('$rlMax', '$dLo', '$dHi')}${baseStep}
        ${advance('$in', bytesPerStep)}
        ${advance('$rl', bytesPerStep)}
        (br_if $step (i32.lt_u (local.get $in) (local.get $end)))))
    (call $store (local.get $out) (local.get $inSq) (local.get $rlSq) (local.get $rlMax) (local.get $rlEq)
      (local.get $inDSq) (local.get $dot) (local.get $inEq) (local.get $inMax)))`;
}

export default `(module
  (memory (export "memory") 1)
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
