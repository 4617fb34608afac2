"""Writes test/fixtures/spectral/: small matrices and their numpy.linalg.svd singular values.

The matrices are float32 (the precision Frankenlens analyses updates in); the goldens are numpy's
float64 SVD of exactly those float32 values, and the paper's metrics (reference §4.4) computed from
them here, independently of the TypeScript code. Run: python3 scripts/goldens/spectralGoldens.py
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'spectral')
EPS = 1e-12


def bf16_bits(values):
    """float32 → bf16 bit patterns, rounding to nearest even."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    return ((bits + rounding) >> 16).astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors):
    """tensors: name → (dtype string, shape, raw bytes)."""
    header, offset, blobs = {}, 0, []
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text.encode())
        for raw in blobs:
            f.write(raw)


def metrics(a64, sigma):
    fro = float(np.linalg.norm(a64))
    s1 = float(sigma[0]) if len(sigma) else 0.0
    kept = sigma[sigma > EPS]
    if kept.sum() > 0:
        p = kept / kept.sum()
        erank = float(np.exp(-(p * np.log(p)).sum()))
    else:
        erank = 0.0
    return {
        'spectralNorm': s1,
        'nuclearNorm': float(sigma.sum()),
        'frobeniusNorm': fro,
        'stableRank': fro ** 2 / (s1 ** 2 + EPS),
        'effectiveRank': erank,
        'conditionNumber': s1 / (float(sigma[-1]) + EPS),
        'logVolume': float(np.log(sigma[:50] + EPS).sum()),
    }


def main():
    rng = np.random.default_rng(20240604)
    matrices = {}
    matrices['random'] = rng.standard_normal((40, 120))
    u, v = rng.standard_normal((64, 5)), rng.standard_normal((5, 200))
    matrices['low_rank_plus_noise'] = (u * [10, 6, 3, 2, 1]) @ v / np.sqrt(200) + 0.01 * rng.standard_normal((64, 200))
    q1, _ = np.linalg.qr(rng.standard_normal((50, 50)))
    q2, _ = np.linalg.qr(rng.standard_normal((60, 50)))
    matrices['ill_conditioned'] = (q1 * np.logspace(0, -6, 50)) @ q2.T
    matrices['tall_ill_conditioned'] = matrices['ill_conditioned'].T.copy()
    matrices['row'] = rng.standard_normal((1, 37))
    matrices['column'] = rng.standard_normal((45, 1))
    matrices['zeros'] = np.zeros((8, 12))
    matrices = {name: value.astype(np.float32) for name, value in matrices.items()}

    # A bf16 RL update: most entries round back to the IN value, so the update has many exact zeros.
    w_in = bf16_bits(0.02 * rng.standard_normal((64, 160)))
    w_rl = bf16_bits(bf16_values(w_in) + 5e-5 * rng.standard_normal((64, 160)).astype(np.float32))
    delta = bf16_values(w_rl) - bf16_values(w_in)
    matrices['bf16_update'] = delta.astype(np.float32)
    name = 'model.layers.0.mlp.down_proj.weight'
    write_safetensors(os.path.join(OUT, 'bf16_in.safetensors'), {name: ('BF16', w_in.shape, w_in.tobytes())})
    write_safetensors(os.path.join(OUT, 'bf16_rl.safetensors'), {name: ('BF16', w_rl.shape, w_rl.tobytes())})

    write_safetensors(
        os.path.join(OUT, 'matrices.safetensors'),
        {name: ('F32', value.shape, value.astype('<f4').tobytes()) for name, value in matrices.items()},
    )
    goldens = {}
    for name, value in matrices.items():
        a64 = value.astype(np.float64)
        sigma = np.linalg.svd(a64, compute_uv=False)
        goldens[name] = {'shape': list(value.shape), 'singularValues': sigma.tolist(), 'metrics': metrics(a64, sigma)}
    goldens['bf16_update']['zeroFraction'] = float((delta == 0).mean())
    with open(os.path.join(OUT, 'goldens.json'), 'w') as f:
        json.dump({'generator': 'scripts/goldens/spectralGoldens.py', 'numpy': np.__version__, 'matrices': goldens}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
