/**
 * Compute backend selection.
 *
 * One place decides which TensorFlow.js backend runs the models. Unless the environment variable
 * `DNABERT_BACKEND` names one, the first available backend in this order wins:
 *
 *   1. `tensorflow-gpu` — @tensorflow/tfjs-node-gpu (libtensorflow with CUDA)
 *   2. `torch`          — the project's libtorch backend (torch/, lib/torch/) on a CUDA GPU; on the CPU it
 *                         runs only when named (DNABERT_BACKEND=torch), since `native` is faster there
 *   3. `tensorflow`     — @tensorflow/tfjs-node (libtensorflow on the CPU)
 *   4. `native`         — the project's native CPU kernels (native/: OpenBLAS sgemm, fused multi-threaded
 *                         kernels) under the cpu backend; absent when the addon was not built, with the reason
 *   5. `wasm`           — @tensorflow/tfjs-backend-wasm (single-threaded WebAssembly, 4 GB heap)
 *   6. `cpu`            — the plain JavaScript backend of @tensorflow/tfjs (always available)
 *
 * A backend that was asked for by name and cannot be used is an error, never a silent fallback.
 * The result says which backend runs, on which device, and why each earlier candidate was skipped,
 * so that run records and notebooks can print it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { projectRequire } from './resolve.js';

export const BACKEND_ENV = 'DNABERT_BACKEND';

export const BACKEND_ORDER = ['tensorflow-gpu', 'torch', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

/** Whether a backend can be used here, and if not, why (shown to the user; empty when available). */
export interface Availability {
  available: boolean;
  reason: string;
}

const AVAILABLE: Availability = { available: true, reason: '' };
const absent = (reason: string): Availability => ({ available: false, reason });

export interface BackendCandidate {
  name: BackendName;
  /** Cheap check: is the backend installed and loadable (and, when picked automatically, worth picking)? Must not throw. */
  probe(requested?: boolean): Promise<Availability>;
  /** Load, register and activate the backend; returns the device description. */
  activate(): Promise<string>;
}

export interface BackendInfo {
  /** The project's name for the backend. */
  name: BackendName;
  /** What `tf.getBackend()` reports once active. */
  tfjsBackend: string;
  /** Human-readable device, e.g. "CPU: AMD EPYC (2 threads)". */
  device: string;
  /** Whether the backend was named in the environment or picked automatically. */
  requested: boolean;
  /** Candidates tried before this one and why they were not used. */
  skipped: { name: BackendName; reason: string }[];
  tfjsVersion: string;
}


function cpuDevice(threads: number): string {
  const model = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `CPU: ${model} (${threads} thread${threads === 1 ? '' : 's'})`;
}

/**
 * Locate a real libtensorflow binding for a tfjs-node package. The project's package.json aliases
 * `@tensorflow/tfjs-node` to plain `@tensorflow/tfjs` (danfojs-node hard-depends on it), so the package
 * name alone proves nothing: the package must be the real one and hold a compiled `tfjs_binding.node`.
 */
export function findTfjsNodeBinding(pkg: string): Availability {
  let pkgJson: string;
  try {
    pkgJson = projectRequire.resolve(`${pkg}/package.json`);
  } catch {
    return absent(`${pkg} is not installed (optional dependency; see environment.md)`);
  }
  const meta = JSON.parse(readFileSync(pkgJson, 'utf8')) as { name?: string };
  if (meta.name !== pkg) {
    return absent(`${pkg} resolves to ${meta.name ?? 'an unnamed package'}, not the native binding`);
  }
  const libDir = join(dirname(pkgJson), 'lib');
  const hasBinding =
    existsSync(libDir) &&
    readdirSync(libDir).some((d) => existsSync(join(libDir, d, 'tfjs_binding.node')));
  if (!hasBinding) {
    return absent(`${pkg} is installed but its libtensorflow binding was not built (download blocked?)`);
  }
  return AVAILABLE;
}

async function activateTfjsNode(pkg: string, tfName: string, device: () => string): Promise<string> {
  await import(pkg);
  if (!(await tf.setBackend(tfName))) throw new Error(`${pkg} loaded but backend '${tfName}' did not initialise`);
  await tf.ready();
  return device();
}

/** The real candidates, in priority order. */
export function defaultCandidates(): BackendCandidate[] {
  return [
    {
      name: 'tensorflow-gpu',
      probe: async () => findTfjsNodeBinding('@tensorflow/tfjs-node-gpu'),
      activate: () => activateTfjsNode('@tensorflow/tfjs-node-gpu', 'tensorflow', () => 'GPU: CUDA via libtensorflow'),
    },
    {
      name: 'torch',
      probe: async (requested) => {
        const { loadTorchAddon, buildStatus } = await import('./torch/addon.js');
        // picked automatically only on a GPU: a CPU build is not even loaded (native is faster there)
        if (!requested) {
          const { findProjectRoot } = await import('./paths.js');
          const root = findProjectRoot();
          const status = root ? buildStatus(root) : null;
          if (status?.ok && !status.cuda) return absent('a CPU build of libtorch: on the CPU the torch backend runs only when named (DNABERT_BACKEND=torch)');
        }
        const { addon, reason } = loadTorchAddon();
        if (!addon) return absent(reason);
        const { torchOptions } = await import('./torch/device.js');
        try {
          const o = torchOptions(addon);
          if (!requested && o.device !== 'cuda') return absent('no CUDA device for libtorch; on the CPU the torch backend runs only when named (DNABERT_BACKEND=torch)');
        } catch (err) {
          return absent((err as Error).message);
        }
        return AVAILABLE;
      },
      activate: async () => {
        const { registerTorchBackend, TORCH_BACKEND } = await import('./torch/backend.js');
        const { torchOptions, describeTorch } = await import('./torch/device.js');
        const { torchAddon } = await import('./torch/addon.js');
        const o = torchOptions(torchAddon());
        const backend = registerTorchBackend(o);
        if (!(await tf.setBackend(TORCH_BACKEND))) throw new Error('the torch backend failed to initialise');
        await tf.ready();
        return describeTorch(backend.addon, o);
      },
    },
    {
      name: 'tensorflow',
      probe: async () => findTfjsNodeBinding('@tensorflow/tfjs-node'),
      activate: () => activateTfjsNode('@tensorflow/tfjs-node', 'tensorflow', () => cpuDevice(os.cpus().length)),
    },
    {
      name: 'native',
      probe: async () => {
        const { loadAddon } = await import('./native/addon.js');
        const { addon, reason } = loadAddon();
        return addon ? AVAILABLE : absent(reason);
      },
      activate: async () => {
        const { registerNativeBackend, NATIVE_BACKEND } = await import('./native/backend.js');
        const { addon } = await import('./native/addon.js');
        registerNativeBackend();
        if (!(await tf.setBackend(NATIVE_BACKEND))) throw new Error('the native backend failed to initialise');
        await tf.ready();
        const { threads, blas } = addon().info();
        return `${cpuDevice(threads)}, native kernels (${blas.trim().split(/\s+/).slice(0, 2).join(' ')})`;
      },
    },
    {
      name: 'wasm',
      probe: async () => {
        try {
          projectRequire.resolve('@tensorflow/tfjs-backend-wasm');
          return AVAILABLE;
        } catch {
          return absent('@tensorflow/tfjs-backend-wasm is not installed');
        }
      },
      activate: async () => {
        await import('@tensorflow/tfjs-backend-wasm');
        if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
        await tf.ready();
        return cpuDevice(1) + ', WebAssembly';
      },
    },
    {
      name: 'cpu',
      probe: async () => AVAILABLE,
      activate: async () => {
        if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
        await tf.ready();
        return cpuDevice(1) + ', JavaScript';
      },
    },
  ];
}

export class BackendUnavailableError extends Error {
  constructor(name: string, reason: string) {
    super(
      `Backend '${name}' was requested (${BACKEND_ENV}=${name}) but is not available: ${reason}. ` +
        `Unset ${BACKEND_ENV} to pick the best available backend, or choose one of: ${BACKEND_ORDER.join(', ')}.`,
    );
    this.name = 'BackendUnavailableError';
  }
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(s);
}

export interface SelectOptions {
  /** A backend name; defaults to `process.env.DNABERT_BACKEND`. Empty or "auto" means automatic. */
  requested?: string;
  /** Candidates in priority order; defaults to the real ones. Tests inject fakes. */
  candidates?: BackendCandidate[];
}

let current: BackendInfo | null = null;

/** The backend chosen by the last successful `selectBackend`, if any. */
export function currentBackend(): BackendInfo | null {
  return current;
}

/**
 * TensorFlow.js's CPU backend (and the native one built on it) prints "looks like you are running
 * TensorFlow.js in Node.js … install our node backend" on its first tensor. Here the backend is chosen
 * and reported by this module (`npm run backend` says why), so the advice is noise in every command's
 * and notebook's output: the flag it keys on reads false. Nothing else changes.
 */
function silenceNodeBanner(): void {
  const proto = MathBackendCPU.prototype as unknown as Record<string, unknown>;
  if (Object.getOwnPropertyDescriptor(proto, 'firstUse')) return;
  Object.defineProperty(proto, 'firstUse', { get: () => false, set: () => {}, configurable: true });
}

/** Pick, activate and describe the compute backend. */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendInfo> {
  silenceNodeBanner();
  current = await pickBackend(opts);
  return current;
}

async function pickBackend(opts: SelectOptions): Promise<BackendInfo> {
  const candidates = opts.candidates ?? defaultCandidates();
  const raw = (opts.requested ?? process.env[BACKEND_ENV] ?? '').trim();
  const tfjsVersion = tf.version.tfjs;
  if (raw !== '' && raw !== 'auto') {
    if (!isBackendName(raw)) {
      throw new Error(`Unknown backend '${raw}' in ${BACKEND_ENV}. Choose one of: auto, ${BACKEND_ORDER.join(', ')}.`);
    }
    const cand = candidates.find((c) => c.name === raw);
    if (!cand) throw new BackendUnavailableError(raw, 'no such candidate is registered');
    const avail = await cand.probe(true);
    if (!avail.available) throw new BackendUnavailableError(raw, avail.reason);
    const device = await cand.activate();
    return { name: cand.name, tfjsBackend: tf.getBackend(), device, requested: true, skipped: [], tfjsVersion };
  }
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const cand of candidates) {
    const avail = await cand.probe(false);
    if (!avail.available) {
      skipped.push({ name: cand.name, reason: avail.reason });
      continue;
    }
    try {
      const device = await cand.activate();
      return { name: cand.name, tfjsBackend: tf.getBackend(), device, requested: false, skipped, tfjsVersion };
    } catch (err) {
      skipped.push({ name: cand.name, reason: `failed to initialise: ${(err as Error).message}` });
    }
  }
  throw new Error(`No compute backend could be initialised: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}`);
}

/** The backend as run records carry it: name, device, tfjs version and the one-line description. */
export function recordedBackend(info: BackendInfo): { name: string; device: string; tfjs: string; line: string } {
  return { name: info.name, device: info.device, tfjs: info.tfjsVersion, line: describeBackend(info) };
}

/** One line for logs, run records and notebooks. */
export function describeBackend(info: BackendInfo): string {
  const how = info.requested ? `requested via ${BACKEND_ENV}` : 'auto-selected';
  return `backend ${info.name} (tfjs ${info.tfjsVersion}, ${how}) on ${info.device}`;
}
