"""PyTorch reference for `make bench`: the same training steps (forward + backward + AdamW) as
bench/throughput.ts, with the architectures of the parity fixtures. Prints one JSON line.
Usage: /usr/bin/python3 bench/torch_throughput.py <cnn|bert-small|bert-quick|bert-quick-495|bert-base|bert-base-512|bert-deep-narrow|mlm-small|mlm-quick> [steps]
       [--device cpu|cuda] [--batch N] [--precision fp32|tf32|bf16]
On CUDA (bench/gpu.ts): attention through F.scaled_dot_product_attention (Hugging Face's default), TF32 or
bf16 autocast as asked, and the peak GPU memory of the timed steps."""
import argparse
import importlib.util
import json
import os
import resource
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "..", path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def use_sdpa(bert):
    """The fixtures' attention module, through scaled_dot_product_attention (as HF's default "sdpa")."""
    import torch.nn.functional as F

    def forward(self, x, ext_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        p = self.dropout.p if self.training else 0.0
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=ext_mask.to(q.dtype), dropout_p=p).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.shape[0], ctx.shape[1], -1)

    bert.SelfAttention.forward = forward


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload")
    ap.add_argument("steps", nargs="?", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"])
    ap.add_argument("--threads", type=int, default=0, help="intra-op CPU threads (default: every core)")
    a = ap.parse_args()
    workload, steps, dev = a.workload, a.steps, torch.device(a.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = a.precision == "tf32"
        torch.backends.cudnn.allow_tf32 = a.precision == "tf32"
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    torch.manual_seed(1)
    if workload == "cnn":
        cnn = load("test/fixtures/cnn/make_cnn_fixtures.py", "cnnfix")
        batch, seq = a.batch or 32, 251
        model = cnn.CNN(9, 100, seq + 2)
        x = torch.randint(3, 7, (batch, seq + 2), device=dev)
        y = torch.randint(0, 2, (batch, 1), device=dev).float()
        loss_fn = lambda: torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
    elif workload in ("mlm-small", "mlm-quick"):
        sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures", "bert"))
        mlm = load("test/fixtures/bert/make_mlm_fixtures.py", "mlmfix")
        cfg = dict(mlm.CONFIG)
        if workload == "mlm-small":
            cfg.update(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024)
        else:
            cfg.update(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512)
        batch, seq = a.batch or 16, 256 if workload == "mlm-small" else 248
        if cuda:
            use_sdpa(mlm)
        model = mlm.BertForMaskedLM(cfg)
        model.apply(lambda m: mlm.init_weights(m, cfg))
        ids = torch.randint(5, 4101, (batch, seq), device=dev)
        mask = torch.ones(batch, seq, dtype=torch.long, device=dev)
        labels = torch.full((batch, seq), -100, device=dev)
        flat = labels.view(-1)
        flat[::7] = torch.randint(5, 4101, flat[::7].shape, device=dev)
        # HF computes the logits of every position and ignores the unlabelled ones in the loss
        loss_fn = lambda: torch.nn.functional.cross_entropy(model(ids, mask).view(-1, cfg["vocab_size"]), labels.view(-1), ignore_index=-100)
    else:
        bert = load("test/fixtures/bert/make_bert_fixtures.py", "bertfix")
        if cuda:
            use_sdpa(bert)
        cfg = dict(bert.CONFIG)
        if workload in ("bert-base", "bert-base-512"):
            cfg.update(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
            batch = 12 if workload == "bert-base-512" else 8
        elif workload in ("bert-quick", "bert-quick-495"):
            cfg.update(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512)
            batch = 16
        elif workload == "bert-deep-narrow":
            cfg.update(hidden_size=64, num_hidden_layers=12, num_attention_heads=2, intermediate_size=256)
            batch = 4
        else:
            cfg.update(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024)
            batch = 16
        seq = {"bert-deep-narrow": 64, "bert-quick": 248, "bert-quick-495": 495, "bert-base-512": 512}.get(workload, 256)
        batch = a.batch or batch
        model = bert.BertForSequenceClassification(cfg)
        ids = torch.randint(5, 4101, (batch, seq), device=dev)
        mask = torch.ones(batch, seq, dtype=torch.long, device=dev)
        y = torch.randint(0, 2, (batch,), device=dev)
        loss_fn = lambda: torch.nn.functional.cross_entropy(model(ids, mask)[2], y)
    model.train()
    if cuda:
        model.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    times = []
    warmup = 2 if cuda else 1
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda and a.precision == "bf16" else None
    for i in range(steps + warmup):
        if cuda and i == warmup:
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        opt.zero_grad()
        if autocast is not None:
            with autocast:
                loss = loss_fn()
        else:
            loss = loss_fn()
        loss.backward()
        opt.step()
        loss.item()  # the loss read back every step, as the trainers do
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
    times.sort()
    med = times[len(times) // 2]
    print(json.dumps({"workload": workload, "backend": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(),
                      "seqPerSec": batch / med, "stepSeconds": med, "steps": steps,
                      "peakRssGB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20,
                      "device": torch.cuda.get_device_name(0) if cuda else "cpu", "precision": a.precision,
                      "peakGpuGB": torch.cuda.max_memory_allocated() / 2 ** 30 if cuda else None}))


if __name__ == "__main__":
    main()
