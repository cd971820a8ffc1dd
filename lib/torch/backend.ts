/**
 * The `torch` TensorFlow.js backend: tensors live as libtorch (ATen) tensors on one device — CUDA when
 * asked for and available, else the CPU — and every kernel the models, their gradients, the metrics,
 * AdamW and prediction use is one ATen call through the addon (torch/src/addon.cc). Kernels it lacks are
 * not silently run elsewhere: tfjs reports "kernel not registered for backend torch", and
 * test/torch.test.ts runs training and prediction of both models so a new op cannot slip in unnoticed.
 *
 * tfjs's gradients are registered per kernel, not per backend, so they apply unchanged; the fused ops
 * of lib/models/ops.ts have their own forward and backward calls (lib/torch/ops.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { torchAddon, type Handle, type TorchAddon } from './addon.js';

export const TORCH_BACKEND = 'torch';

type TensorInfo = tf.TensorInfo;
type DataId = object;
type Attrs = Record<string, unknown>;
type KernelFunc = tf.KernelFunc;

interface Entry {
  h: Handle;
  dtype: tf.DataType;
  refCount: number;
}

/** Options of the backend: device, TF32 matrix products (CUDA), bf16 matrix products, CPU threads. */
export interface TorchOptions {
  device: 'cpu' | 'cuda';
  tf32: boolean;
  bf16: boolean;
  threads: number;
}

function asValues(values: tf.backend_util.BackendValues | null, shape: number[], dtype: tf.DataType): Float32Array | Int32Array | Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'float32') return values instanceof Float32Array ? values : values == null ? new Float32Array(n) : Float32Array.from(values as ArrayLike<number>);
  if (dtype === 'int32') return values instanceof Int32Array ? values : values == null ? new Int32Array(n) : Int32Array.from(values as ArrayLike<number>);
  if (dtype === 'bool') return values instanceof Uint8Array ? values : values == null ? new Uint8Array(n) : Uint8Array.from(values as ArrayLike<number>);
  throw new Error(`the torch backend stores float32, int32 and bool tensors, not ${dtype}`);
}

export class TorchBackend extends tf.KernelBackend {
  readonly data: tf.DataStorage<Entry>;
  readonly addon: TorchAddon;

  constructor(addon: TorchAddon) {
    super();
    this.addon = addon;
    this.data = new tf.DataStorage<Entry>(this, tf.engine());
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): DataId {
    const dataId = {};
    this.data.set(dataId, { h: this.addon.create(asValues(values, shape, dtype), shape, dtype), dtype, refCount: 1 });
    return dataId;
  }

  override move(dataId: DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.data.set(dataId, { h: this.addon.create(asValues(values, shape, dtype), shape, dtype), dtype, refCount });
  }

  /** A TensorInfo for a handle the addon returned (shape and dtype from the tensor itself). */
  info(h: Handle): TensorInfo {
    const [dtype, ...shape] = this.addon.meta(h);
    const dataId = {};
    this.data.set(dataId, { h, dtype: dtype as tf.DataType, refCount: 1 });
    return { dataId, shape, dtype: dtype as tf.DataType };
  }

  /** A TensorInfo for a handle whose shape and dtype the caller knows (no `meta` call into the addon). */
  infoKnown(h: Handle, shape: number[], dtype: tf.DataType): TensorInfo {
    const dataId = {};
    this.data.set(dataId, { h, dtype, refCount: 1 });
    return { dataId, shape, dtype };
  }

  /** The handle behind a tensor of this backend. */
  handle(t: TensorInfo): Handle {
    return this.data.get(t.dataId).h;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId).refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override async read(dataId: DataId): Promise<tf.backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    return this.addon.read(this.data.get(dataId).h);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const entry = this.data.get(dataId);
    entry.refCount--;
    if (!force && entry.refCount > 0) return false;
    this.addon.free(entry.h);
    this.data.delete(dataId);
    return true;
  }

  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const start = performance.now();
    f();
    this.addon.sync();
    return { kernelMs: performance.now() - start };
  }

  override timerAvailable(): boolean {
    return true;
  }

  override memory(): { unreliable: boolean; reasons: string[] } & Record<string, unknown> {
    const m = this.addon.memory();
    return { unreliable: false, reasons: [], numBytesInGPU: m.allocatedBytes ?? 0, liveHandles: m.live };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {}
}

// ---------------------------------------------------------------------------------------------
// Kernels

const backendOf = (args: Parameters<KernelFunc>[0]) => args.backend as TorchBackend;

/** Kernel names the addon runs as element-wise unary ops (x, optional alpha attribute). */
const UNARY: Record<string, string | null> = {
  Abs: null, Neg: null, Exp: null, Expm1: null, Log: null, Log1p: null, Sqrt: null, Rsqrt: null, Square: null,
  Relu: null, Relu6: null, Elu: null, LeakyRelu: 'alpha', Softplus: null, Tanh: null, Sigmoid: null, Erf: null,
  Reciprocal: null, Sign: null, Floor: null, Ceil: null, Round: null, Sin: null, Cos: null, IsNan: null, IsInf: null,
  IsFinite: null, LogicalNot: null, Step: 'alpha',
};

const BINARY = ['Add', 'Sub', 'Multiply', 'RealDiv', 'FloorDiv', 'Mod', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference', 'Atan2',
  'Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'LogicalAnd', 'LogicalOr'];

/** Reductions: kernel name → the attribute holding the axes. */
const REDUCE: Record<string, string> = { Sum: 'axis', Mean: 'axis', Prod: 'axis', Max: 'reductionIndices', Min: 'axis', Any: 'axis', All: 'axis' };

function run(args: Parameters<KernelFunc>[0], name: string, ...rest: unknown[]): TensorInfo {
  const b = backendOf(args);
  return b.info(b.addon.op(name, ...rest) as Handle);
}

/** As `run`, for a kernel whose output shape and dtype follow from its inputs here: one call into the addon fewer. */
function runShaped(args: Parameters<KernelFunc>[0], shape: number[], dtype: tf.DataType, name: string, ...rest: unknown[]): TensorInfo {
  const b = backendOf(args);
  return b.infoKnown(b.addon.op(name, ...rest) as Handle, shape, dtype);
}

const h = (args: Parameters<KernelFunc>[0], t: TensorInfo) => backendOf(args).handle(t);

function shareData(args: Parameters<KernelFunc>[0], x: TensorInfo, shape: number[]): TensorInfo {
  backendOf(args).incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

function cumulative(args: Parameters<KernelFunc>[0], name: string): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, exclusive, reverse } = args.attrs as { axis: number; exclusive: boolean; reverse: boolean };
  return run(args, name, h(args, x), tf.util.parseAxisParam(axis, x.shape)[0], Boolean(exclusive), Boolean(reverse));
}

const KERNELS: Record<string, KernelFunc> = {
  Identity: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    return shareData(args, x, x.shape);
  },
  Reshape: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const shape = tf.util.inferFromImplicitShape((args.attrs as { shape: number[] }).shape, tf.util.sizeFromShape(x.shape));
    if (tf.util.sizeFromShape(shape) !== tf.util.sizeFromShape(x.shape)) throw new Error(`Reshape: cannot reshape [${x.shape}] to [${shape}]`);
    if (tf.util.arraysEqual(shape, x.shape)) return shareData(args, x, shape);
    return runShaped(args, shape, x.dtype, 'Reshape', h(args, x), shape);
  },
  ExpandDims: (args) => {
    const { input } = args.inputs as { input: TensorInfo };
    let dim = (args.attrs as { dim: number }).dim;
    if (dim < 0) dim = input.shape.length + 1 + dim;
    const shape = input.shape.slice();
    shape.splice(dim, 0, 1);
    return runShaped(args, shape, input.dtype, 'Reshape', h(args, input), shape);
  },
  Squeeze: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis } = args.attrs as { axis: number[] };
    const shape = tf.util.squeezeShape(x.shape, axis).newShape;
    return runShaped(args, shape, x.dtype, 'Reshape', h(args, x), shape);
  },
  Cast: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const dtype = (args.attrs as { dtype: tf.DataType }).dtype;
    if (dtype === x.dtype) return shareData(args, x, x.shape);
    return runShaped(args, x.shape, dtype, 'Cast', h(args, x), dtype);
  },
  Fill: (args) => {
    const { shape, value, dtype } = args.attrs as { shape: number[]; value: number; dtype: tf.DataType };
    return run(args, 'Fill', shape, Number(value), dtype ?? 'float32');
  },
  ZerosLike: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    return run(args, 'Fill', x.shape, 0, x.dtype);
  },
  OnesLike: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    return run(args, 'Fill', x.shape, 1, x.dtype);
  },
  Range: (args) => {
    const { start, stop, step, dtype } = args.attrs as { start: number; stop: number; step: number; dtype: 'float32' | 'int32' };
    const n = Math.max(0, Math.ceil((stop - start) / step));
    const values = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = start + i * step;
    const b = backendOf(args);
    return { dataId: b.write(values, [n], dtype), shape: [n], dtype };
  },
  Transpose: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const perm = (args.attrs as { perm: number[] }).perm;
    return runShaped(args, perm.map((p) => x.shape[p]), x.dtype, 'Transpose', h(args, x), perm);
  },
  Slice: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    return run(args, 'Slice', h(args, x), b, s);
  },
  Concat: (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0].shape)[0];
    const nonEmpty = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length === 1) return shareData(args, nonEmpty[0], nonEmpty[0].shape);
    return run(args, 'Concat', (nonEmpty.length ? nonEmpty : inputs).map((t) => h(args, t)), axis);
  },
  Pack: (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    let axis = (args.attrs as { axis: number }).axis;
    if (axis < 0) axis += inputs[0].shape.length + 1;
    return run(args, 'Pack', inputs.map((t) => h(args, t)), axis);
  },
  Unpack: (args) => {
    const { value } = args.inputs as { value: TensorInfo };
    let axis = (args.attrs as { axis: number }).axis;
    if (axis < 0) axis += value.shape.length;
    const b = backendOf(args);
    return (b.addon.op('Unpack', h(args, value), axis) as Handle[]).map((x) => b.info(x));
  },
  Tile: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    return run(args, 'Tile', h(args, x), (args.attrs as { reps: number[] }).reps);
  },
  PadV2: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { paddings, constantValue } = args.attrs as { paddings: [number, number][]; constantValue: number };
    return run(args, 'PadV2', h(args, x), paddings.flat(), constantValue);
  },
  GatherV2: (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    if (batchDims) throw new Error('GatherV2 on the torch backend: batchDims other than 0 are not supported');
    return run(args, 'GatherV2', h(args, x), h(args, indices), tf.util.parseAxisParam(axis, x.shape)[0]);
  },
  UnsortedSegmentSum: (args) => {
    const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
    return run(args, 'UnsortedSegmentSum', h(args, x), h(args, segmentIds), (args.attrs as { numSegments: number }).numSegments);
  },
  ScatterNd: (args) => {
    const { indices, updates } = args.inputs as { indices: TensorInfo; updates: TensorInfo };
    return run(args, 'ScatterNd', h(args, indices), h(args, updates), (args.attrs as { shape: number[] }).shape);
  },
  Select: (args) => {
    const { condition, t, e } = args.inputs as { condition: TensorInfo; t: TensorInfo; e: TensorInfo };
    return run(args, 'Select', h(args, condition), h(args, t), h(args, e));
  },
  ClipByValue: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { clipValueMin, clipValueMax } = args.attrs as { clipValueMin: number; clipValueMax: number };
    return run(args, 'ClipByValue', h(args, x), clipValueMin, clipValueMax);
  },
  Softmax: (args) => {
    const { logits } = args.inputs as { logits: TensorInfo };
    return run(args, 'Softmax', h(args, logits), (args.attrs as { dim: number }).dim);
  },
  AddN: (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    return run(args, 'AddN', inputs.map((t) => h(args, t)));
  },
  OneHot: (args) => {
    const { indices } = args.inputs as { indices: TensorInfo };
    const { depth, onValue, offValue, dtype } = args.attrs as { depth: number; onValue: number; offValue: number; dtype: tf.DataType };
    return run(args, 'OneHot', h(args, indices), depth, onValue, offValue, dtype ?? 'int32');
  },
  BatchMatMul: (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    return run(args, 'BatchMatMul', h(args, a), h(args, b), transposeA, transposeB);
  },
  _FusedMatMul: (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string; leakyreluAlpha?: number };
    if (preluActivationWeights) throw new Error('_FusedMatMul on the torch backend: PReLU activation is not supported');
    return run(args, '_FusedMatMul', h(args, a!), h(args, b!), bias ? h(args, bias) : null, transposeA, transposeB, activation ?? 'linear', leakyreluAlpha ?? 0.2);
  },
  Cumsum: (args) => cumulative(args, 'Cumsum'),
  Cumprod: (args) => cumulative(args, 'Cumprod'),
  ArgMax: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    return run(args, 'ArgMax', h(args, x), tf.util.parseAxisParam((args.attrs as { axis: number }).axis, x.shape)[0]);
  },
  ArgMin: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    return run(args, 'ArgMin', h(args, x), tf.util.parseAxisParam((args.attrs as { axis: number }).axis, x.shape)[0]);
  },
};

for (const [name, attr] of Object.entries(UNARY)) {
  KERNELS[name] = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    return run(args, name, h(args, x), attr ? Number((args.attrs as Attrs)[attr] ?? 0) : null);
  };
}
for (const name of BINARY) {
  KERNELS[name] = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    return run(args, name, h(args, a), h(args, b));
  };
}
for (const [name, attr] of Object.entries(REDUCE)) {
  KERNELS[name] = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = args.attrs as Attrs;
    const axes = [...new Set(tf.util.parseAxisParam(attrs[attr] as number | number[], x.shape))].sort((p, q) => p - q);
    return run(args, name, h(args, x), axes, Boolean(attrs.keepDims));
  };
}

/** Names of the kernels the torch backend has (every other kernel is an error on it). */
export const TORCH_KERNELS = Object.keys(KERNELS).sort();

let registered: TorchBackend | null = null;

/** Register the `torch` backend and its kernels once, on the device the options name. */
export function registerTorchBackend(o: TorchOptions): TorchBackend {
  const addon = torchAddon();
  addon.configure(o.device, o.tf32, o.bf16, o.threads);
  if (registered) return registered;
  const backend = new TorchBackend(addon);
  tf.registerBackend(TORCH_BACKEND, () => backend, 0);
  for (const [kernelName, kernelFunc] of Object.entries(KERNELS)) tf.registerKernel({ kernelName, backendName: TORCH_BACKEND, kernelFunc });
  registered = backend;
  return backend;
}
