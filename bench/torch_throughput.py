"""PyTorch reference for `make bench`: the same training steps (forward + backward + AdamW) as
bench/throughput.ts, with the architectures of the parity fixtures. Prints one JSON line.
Usage: /usr/bin/python3 bench/torch_throughput.py <cnn|bert-small|bert-base|mlm-small> [steps]"""
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


def main():
    workload = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(1)
    if workload == "cnn":
        cnn = load("test/fixtures/cnn/make_cnn_fixtures.py", "cnnfix")
        batch, seq = 32, 251
        model = cnn.CNN(9, 100, seq + 2)
        x = torch.randint(3, 7, (batch, seq + 2))
        y = torch.randint(0, 2, (batch, 1)).float()
        loss_fn = lambda: torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
    elif workload == "mlm-small":
        sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures", "bert"))
        mlm = load("test/fixtures/bert/make_mlm_fixtures.py", "mlmfix")
        cfg = dict(mlm.CONFIG)
        cfg.update(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024)
        batch, seq = 16, 256
        model = mlm.BertForMaskedLM(cfg)
        model.apply(lambda m: mlm.init_weights(m, cfg))
        ids = torch.randint(5, 4101, (batch, seq))
        mask = torch.ones(batch, seq, dtype=torch.long)
        labels = torch.full((batch, seq), -100)
        flat = labels.view(-1)
        flat[::7] = torch.randint(5, 4101, flat[::7].shape)
        # HF computes the logits of every position and ignores the unlabelled ones in the loss
        loss_fn = lambda: torch.nn.functional.cross_entropy(model(ids, mask).view(-1, cfg["vocab_size"]), labels.view(-1), ignore_index=-100)
    else:
        bert = load("test/fixtures/bert/make_bert_fixtures.py", "bertfix")
        cfg = dict(bert.CONFIG)
        if workload == "bert-base":
            cfg.update(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
            batch = 8
        else:
            cfg.update(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024)
            batch = 16
        seq = 256
        model = bert.BertForSequenceClassification(cfg)
        ids = torch.randint(5, 4101, (batch, seq))
        mask = torch.ones(batch, seq, dtype=torch.long)
        y = torch.randint(0, 2, (batch,))
        loss_fn = lambda: torch.nn.functional.cross_entropy(model(ids, mask)[2], y)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if i > 0:
            times.append(dt)
    times.sort()
    med = times[len(times) // 2]
    print(json.dumps({"workload": workload, "backend": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(),
                      "seqPerSec": batch / med, "stepSeconds": med, "steps": steps,
                      "peakRssGB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20}))


if __name__ == "__main__":
    main()
