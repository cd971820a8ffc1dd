/**
 * Loading the `torch` backend's addon (torch/: an N-API addon over libtorch, built by `npm install` /
 * `make setup` / `make torch`). When it is missing, the reason is kept for `npm run backend` to show:
 * the build summary in torch/build/status.json, or the load error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBuiltAddon } from '../resolve.js';
import { findProjectRoot } from '../paths.js';
import { nativeLoaded } from '../native/addon.js';

/** An opaque tensor handle (an at::Tensor held by the addon). */
export type Handle = { readonly __torchHandle: unique symbol };

export interface TorchInfo {
  version: string;
  device: string;
  config: string;
  cudaDevices: number;
  threads: number;
  sdpa: boolean;
  /** CPU tensors come from the addon's caching allocator (DNABERT_TORCH_CPU_CACHE, libtorch 1.x). */
  cpuCache: boolean;
  bf16: boolean;
  tf32: boolean;
  cudaMemoryStats: boolean;
}

export interface TorchAddon {
  create(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: string): Handle;
  read(h: Handle): Float32Array | Int32Array | Uint8Array;
  /** [dtype, ...dims] */
  meta(h: Handle): [string, ...number[]];
  free(h: Handle): void;
  /** One TensorFlow.js kernel by name (see torch/src/addon.cc). */
  op(name: string, ...args: unknown[]): Handle | Handle[];
  /** A fused op: [output, ...extra outputs]; recorded for `backward` when `grad`. */
  fused(name: string, grad: boolean, ...args: unknown[]): Handle[];
  /** Gradients of a recorded fused op's output with respect to its differentiable inputs. */
  backward(out: Handle, dy: Handle): Handle[];
  /** One AdamW step over all parameters in place, the gradients first clipped to a global norm of `maxNorm` (> 0); false when one cannot be updated in place. */
  adamw(p: Handle[], g: Handle[], m: Handle[], v: Handle[], decays: number[], lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, maxNorm?: number | null): boolean;
  /** sums[i] += grads[i] (one multi-tensor kernel), in place or, for a sum sharing its storage, as a new tensor behind the same handle. */
  accumulate(sums: Handle[], grads: Handle[]): void;
  configure(device: 'cpu' | 'cuda', tf32: boolean, bf16: boolean, threads: number): void;
  info(): TorchInfo;
  memory(resetPeak?: boolean): { live: number; allocatedBytes?: number; peakBytes?: number };
  sync(): void;
  /** Check gather and embedding indices as on a GPU, at the next read, on the CPU too (for the tests). */
  deferIdChecks(on: boolean): void;
}

export interface TorchBuildStatus {
  ok?: boolean;
  reason?: string;
  libtorch?: string;
  source?: string;
  cuda?: boolean;
  std?: string;
}

/** The build status torch/build.js wrote under `root`, if any. */
export function buildStatus(root: string): TorchBuildStatus | null {
  const file = join(root, 'torch', 'build', 'status.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as TorchBuildStatus) : null;
}

/** The addon under `root`, or null with the reason (build status, missing file or load error). */
export function readTorchAddon(root: string): { addon: TorchAddon | null; reason: string } {
  const build = join(root, 'torch', 'build');
  return loadBuiltAddon<TorchAddon>(join(build, 'dnabert_torch.node'), join(build, 'status.json'), 'the addon has not been built (run make torch; see environment.md)', 'rebuild with make torch');
}

let cached: { addon: TorchAddon | null; reason: string } | null = null;

/**
 * How long libtorch's OpenMP threads spin after a parallel region before they sleep (GNU OpenMP's
 * GOMP_SPINCOUNT; its default is 300,000). At the default they keep the cores busy while OpenBLAS's own
 * threads wait for them, so with 2 intra-op threads on this project's 2-core machine every workload ran
 * slower than at 1 thread, for PyTorch as for us; at 10,000 the host-bound BERT trained at 34–40 instead of
 * 20–21 seq/s, the CNN at 1,375–1,461 instead of 1,200 (environment.md, "The torch backend").
 */
export const TORCH_GOMP_SPINCOUNT = 10_000;

/** Sets GOMP_SPINCOUNT before libtorch's OpenMP reads it (as the addon loads), unless the user set it or OMP_WAIT_POLICY. */
function ompSpinDefault(): void {
  if (process.env.GOMP_SPINCOUNT === undefined && process.env.OMP_WAIT_POLICY === undefined) process.env.GOMP_SPINCOUNT = String(TORCH_GOMP_SPINCOUNT);
}

/** The project's torch addon, or null with the reason it is unavailable (cached). */
export function loadTorchAddon(): { addon: TorchAddon | null; reason: string } {
  if (cached) return cached;
  const root = findProjectRoot();
  if (!root) return (cached = { addon: null, reason: 'the project root (with torch/) was not found above the working directory (set DNABERT_PROJECT_ROOT)' });
  // A CPU libtorch from Debian brings the system's OpenBLAS; loaded after the native addon's OpenMP build
  // of OpenBLAS, the two copies deadlock in the first convolution. Loaded first, both share one copy.
  const status = buildStatus(root);
  if (nativeLoaded() && !status?.cuda) {
    return { addon: null, reason: 'the native addon is already loaded in this process, and this CPU libtorch would bring a second OpenBLAS that deadlocks with it: load the torch backend first, or use one of the two per process' };
  }
  ompSpinDefault();
  cached = readTorchAddon(root);
  if (cached.addon && process.env.DNABERT_TORCH_CALLS === '1') cached = { ...cached, addon: countingAddon(cached.addon) };
  return cached;
}

/** Calls into the addon by method, and `op`/`fused` calls by kernel name (`op:MatMul`), with DNABERT_TORCH_CALLS=1. */
const callCounts = new Map<string, number>();
/** Wall time inside those calls (ATen's work and the addon's own), in nanoseconds, by the same keys. */
const callNanos = new Map<string, number>();

function countingAddon(addon: TorchAddon): TorchAddon {
  const bump = (k: string) => callCounts.set(k, (callCounts.get(k) ?? 0) + 1);
  // a plain object of wrappers: the addon's own exports are read-only, so a Proxy may not replace them
  const wrapped: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(addon)) {
    const v = (addon as unknown as Record<string, unknown>)[name];
    wrapped[name] = typeof v !== 'function' ? v : (...args: unknown[]) => {
      bump(name);
      const kernel = (name === 'op' || name === 'fused') && typeof args[0] === 'string' ? `${name}:${args[0]}` : null;
      if (kernel) bump(kernel);
      const t0 = process.hrtime.bigint();
      try {
        return (v as (...a: unknown[]) => unknown).apply(addon, args);
      } finally {
        const ns = Number(process.hrtime.bigint() - t0);
        callNanos.set(name, (callNanos.get(name) ?? 0) + ns);
        if (kernel) callNanos.set(kernel, (callNanos.get(kernel) ?? 0) + ns);
      }
    };
  }
  return wrapped as unknown as TorchAddon;
}

/** The counts since the last reset (empty unless DNABERT_TORCH_CALLS=1 was set before the addon loaded). */
export function torchCallCounts(reset = false): Map<string, number> {
  const out = new Map(callCounts);
  if (reset) callCounts.clear();
  return out;
}

/** The wall time spent inside the addon since the last reset, in nanoseconds by the keys of torchCallCounts. */
export function torchCallNanos(reset = false): Map<string, number> {
  const out = new Map(callNanos);
  if (reset) callNanos.clear();
  return out;
}

/** The addon; throws with the reason when it is unavailable. */
export function torchAddon(): TorchAddon {
  const { addon, reason } = loadTorchAddon();
  if (!addon) throw new Error(`torch backend unavailable: ${reason}`);
  return addon;
}
