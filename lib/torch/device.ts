/**
 * The torch backend's settings from the environment, and the device line run records carry:
 *
 *   DNABERT_TORCH_DEVICE  cuda | cpu | auto (default: CUDA when libtorch sees a GPU, else the CPU)
 *   DNABERT_TF32          1 (default) | 0 — TF32 matrix products on CUDA (PyTorch's "high" matmul precision)
 *   DNABERT_BF16          0 (default) | 1 — bf16 operands for matrix products, convolutions and attention
 *   DNABERT_TORCH_THREADS CPU threads for libtorch (default: libtorch's own choice)
 *   DNABERT_TORCH_CPU_CACHE 1 (default) | 0 — CPU tensors from the addon's caching allocator (libtorch 1.x), read
 *                         when the addon loads
 */
import { spawnSync } from 'node:child_process';
import type { TorchAddon } from './addon.js';
import type { TorchOptions } from './backend.js';

function flag(name: string, fallback: boolean): boolean {
  const v = (process.env[name] ?? '').trim();
  if (v === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(v.toLowerCase())) return true;
  if (['0', 'false', 'off', 'no'].includes(v.toLowerCase())) return false;
  throw new Error(`${name}=${v} is not a yes/no value: use 1 or 0`);
}

/** The options the environment asks for, checked against what this libtorch can do. */
export function torchOptions(addon: TorchAddon): TorchOptions {
  const want = (process.env.DNABERT_TORCH_DEVICE ?? 'auto').trim() || 'auto';
  if (!['auto', 'cuda', 'cpu'].includes(want)) throw new Error(`DNABERT_TORCH_DEVICE=${want}: use cuda, cpu or auto`);
  const gpus = addon.info().cudaDevices;
  if (want === 'cuda' && gpus === 0) throw new Error('DNABERT_TORCH_DEVICE=cuda but this libtorch sees no CUDA device (a CPU build of libtorch, or no GPU/driver)');
  const threads = Number(process.env.DNABERT_TORCH_THREADS ?? 0);
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`DNABERT_TORCH_THREADS=${process.env.DNABERT_TORCH_THREADS}: use a whole number of threads`);
  // read by the addon itself as it loads; checked here so that a mistyped value is not silently taken as on
  const cache = (process.env.DNABERT_TORCH_CPU_CACHE ?? '').trim();
  if (!['', '0', '1'].includes(cache)) throw new Error(`DNABERT_TORCH_CPU_CACHE=${cache}: use 1 (the caching allocator, the default) or 0 (malloc)`);
  return { device: want === 'cpu' || gpus === 0 ? 'cpu' : 'cuda', tf32: flag('DNABERT_TF32', true), bf16: flag('DNABERT_BF16', false), threads };
}

/** The GPU's name and driver version from nvidia-smi, when it is there. */
export function nvidiaGpu(): { name: string; driver: string } | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return null;
  const [name, driver] = r.stdout.trim().split('\n')[0].split(',').map((s) => s.trim());
  return { name, driver };
}

/** libtorch's CUDA runtime version from its build configuration. */
export function cudaVersion(config: string): string | undefined {
  return config.match(/CUDA Runtime ([\d.]+)/)?.[1];
}

/** e.g. "GPU: NVIDIA H100 80GB HBM3 (driver 570.86), CUDA 12.8, libtorch 2.7.0, matmul TF32" */
export function describeTorch(addon: TorchAddon, o: TorchOptions): string {
  const info = addon.info();
  const precision = o.bf16 ? 'matmul bf16' : o.device === 'cuda' && o.tf32 ? 'matmul TF32' : 'matmul float32';
  if (o.device === 'cuda') {
    const gpu = nvidiaGpu();
    return `GPU: ${gpu ? `${gpu.name} (driver ${gpu.driver})` : 'CUDA device'}, CUDA ${cudaVersion(info.config) ?? '?'}, libtorch ${info.version}, ${precision}`;
  }
  return `CPU (${info.threads} threads), libtorch ${info.version}, ${precision}${info.cpuCache ? ', caching allocator' : ''}`;
}
