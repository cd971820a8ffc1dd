#!/usr/bin/env bash
# The torch backend's GPU check in one call, on a GPU machine that has PyTorch and a compiler but no Node
# and no network. Prepare with `make gpu-bundle` (build/gpu/) and, where uploads are limited to 64 MiB,
# `make gpu-untrack-checkpoints` (`make gpu-retrack-checkpoints` afterwards); send the tree with build/gpu,
# then run
#   OUT=<folder> bash bench/gpu.sh
# It unpacks Node, builds the torch addon against this machine's torch, pretrains the ladder's BERT at a GPU's
# batch for a fixed budget (--config ladder-gpu, GPU_PRETRAIN_MINUTES, default 4.5), runs the torch backend's
# tests and the PyTorch parity tests on CUDA with TF32 off, then the GPU benchmark (bench/gpu.ts), all within
# about 9 minutes, and writes at most 8 files to $OUT: gpu.log (with the addon's build status),
# pretrain-gpu.md, pretrained.tar.gz.part-aa, -ab, … (the run and its snapshots; `make gpu-import
# GPU_OUT=<folder>` unpacks them beside the CPU ladder), tests.txt, tests-summary.txt, bench-gpu.md.
# Carry build/gpu and data/genome/human_GRCh37_chrX_first70Mb.fa.gz (the corpus) with the tree.
# GPU_CHECK_DEVICE=cpu rehearses the whole script on a machine without a GPU (make gpu-rehearsal): the same
# steps on the CPU, pretraining for seconds at a batch of 4 and the three small throughput rows, to find a
# broken bundle before a GPU is spent on it.
set -u
OUT=${OUT:-build/gpu-out}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
CORPUS=data/genome/human_GRCh37_chrX_first70Mb.fa.gz
case "$DEVICE" in
  cuda) ROWS=cnn,host-bound,small-bert,bert-base-12; STEPS=10; MINUTES=${GPU_PRETRAIN_MINUTES:-4.5}; PRETRAIN_ARGS="" ;;
  cpu) ROWS=cnn,host-bound,small-bert; STEPS=2; MINUTES=${GPU_PRETRAIN_MINUTES:-0.3}; PRETRAIN_ARGS="--batch-size 4 --valid-windows 16 --snapshot-steps 2,4" ;;
  *) echo "gpu.sh: GPU_CHECK_DEVICE=$DEVICE: use cuda (the measurement) or cpu (a rehearsal)"; exit 2 ;;
esac
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu.log") 2>&1
step() { echo; echo "== $(date -u +%T) $*"; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi"
# asked from /tmp: in the repository, its torch/ folder would import as an empty package
PY=""
for p in python3 python /usr/bin/python3 /opt/conda/bin/python; do
  if command -v "$p" >/dev/null 2>&1 && (cd /tmp && "$p" -c 'import torch; torch.__version__') >/dev/null 2>&1; then PY=$(command -v "$p"); break; fi
done
[ -n "$PY" ] || { echo "gpu.sh: no python with torch on this machine"; exit 1; }
(cd /tmp && "$PY" -c 'import torch; print("python torch", torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available())')
${CXX:-g++} --version | head -1

step "node"
mkdir -p /tmp/gpu-node/bin
"$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' build/gpu/node.xz /tmp/gpu-node/bin/node
chmod +x /tmp/gpu-node/bin/node
export PATH=/tmp/gpu-node/bin:$PATH
node -v || { echo "gpu.sh: the carried Node does not run here"; exit 1; }

step "build the torch addon against this machine's torch"
rm -rf torch/build
DNABERT_PYTHON="$PY" DNABERT_NODE_HEADERS="$PWD/build/gpu/node-include" node torch/build.js
cat torch/build/status.json; echo
[ -f torch/build/dnabert_torch.node ] || { echo "gpu.sh: the addon did not build (its status above)"; exit 1; }

step "pretraining: the ladder's BERT at a GPU's batch for $MINUTES minutes (--config ladder-gpu)"
RUN=/tmp/gpu-pretrained/genome-gpu
rm -rf /tmp/gpu-pretrained
DNABERT_BACKEND=torch DNABERT_TORCH_DEVICE=$DEVICE DNABERT_PROGRESS_EVERY=250 \
  timeout "$("$PY" -c "print(int(float('$MINUTES') * 60 + 150))")" \
  node build/gpu/pretrain.mjs --corpus "$CORPUS" --config ladder-gpu --max-minutes "$MINUTES" --out "$RUN" $PRETRAIN_ARGS
echo "pretraining exit status $?"
node build/gpu/pretrain-report.mjs "$RUN" "$OUT/pretrain-gpu.md"
# the run and its snapshots, without the resumable checkpoint, in parts that each come back (≤ 16 MiB)
tar -C /tmp/gpu-pretrained --exclude='*.checkpoint' --exclude='*.lock' -czf - . | split -b 15m - "$OUT/pretrained.tar.gz.part-"
ls -l "$OUT"

step "tests on $DEVICE, TF32 off (the torch backend's kernels and fused ops; BERT and CNN parity with PyTorch)"
cp build/gpu/tests.mjs test/gpu-tests.mjs
DNABERT_TORCH_DEVICE=$DEVICE DNABERT_TF32=0 DNABERT_REQUIRE_TORCH=1 timeout 100 \
  node --test --test-name-pattern='\[torch\]' test/gpu-tests.mjs > "$OUT/tests.txt" 2>&1
echo "tests exit status $?"
grep -E '^not ok|^# (tests|pass|fail|skipped|duration_ms)' "$OUT/tests.txt" | grep -v '# SKIP' > "$OUT/tests-summary.txt"
cat "$OUT/tests-summary.txt"

step "benchmark: the torch backend against PyTorch eager"
DNABERT_TORCH_DEVICE=$DEVICE timeout 100 node build/gpu/bench.mjs --out "$OUT/bench-gpu.md" --tests "$OUT/tests-summary.txt" --python "$PY" \
  --device "$DEVICE" --rows "$ROWS" --steps "$STEPS"
echo "bench exit status $?"
step "done"
