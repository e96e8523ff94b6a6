"""A character-level language model (Embedding -> LSTM -> Linear) on English-ish text
taken from the Python standard library itself, against a smoothed character n-gram
model on the same split.

The corpus: the docstrings (module, class, function; read with `ast`, nothing is
imported) of the modules in CORPUS_MODULES, in that order, from the running
interpreter's stdlib (sysconfig.get_paths()["stdlib"]), joined with blank lines,
characters outside printable ASCII mapped to '?' and tabs to spaces, cut at
corpus_chars (300,000 by default). It is deterministic for a given Python version
(3.11 here). The first 90% is the training text, the last 10% the held-out text.

Metric: held-out bits per character, the LSTM run over the held-out text in
`eval_streams` contiguous streams with its state carried across windows. The baseline:
interpolated absolute-discounting n-gram (orders 1..N over a uniform floor), with N and
the discount tuned on the last 10% of the training text, then refit on all of it.

    from fastdl.models import charlm
    model, summary = charlm.fit(epochs=6)
    print(charlm.sample(model, summary["vocab"], "Return the ", 200))
"""
import ast
import math
import os
import sysconfig
from collections import Counter

import numpy as np

import fastdl
from fastdl import nn
from fastdl.nn import functional as F

from ._run import run_family

CORPUS_MODULES = ["argparse", "functools", "inspect", "typing", "dataclasses", "pathlib", "subprocess", "threading",
                  "textwrap", "random", "statistics", "fractions", "_pydecimal", "datetime", "collections/__init__",
                  "logging/__init__", "email/message", "json/__init__", "unittest/case", "asyncio/events", "shutil",
                  "tarfile", "zipfile", "string", "heapq", "bisect", "calendar", "difflib", "pprint", "contextlib",
                  "enum", "abc", "ipaddress", "configparser", "csv", "gettext", "locale", "smtplib", "ftplib",
                  "imaplib", "http/client", "urllib/parse", "urllib/request", "xml/dom/minidom", "pydoc", "doctest"]

DEFAULTS = {"epochs": 6, "corpus_chars": 300_000, "embed": 48, "hidden": 256, "seq_len": 100, "batch_size": 32,
            "lr": 3e-3, "clip": 1.0, "eval_streams": 16, "ngram_orders": [3, 4, 5],
            "ngram_discounts": [0.6, 0.75, 0.9], "temperature": 0.7, "sample_chars": 200, "prompt": "Return the "}


# ---- the corpus ------------------------------------------------------------------------

def stdlib_corpus(n_chars=300_000):
    root = sysconfig.get_paths()["stdlib"]
    parts, total = [], 0
    for mod in CORPUS_MODULES:
        path = os.path.join(root, mod + ".py")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    parts.append(doc)
                    total += len(doc) + 2
        if total >= n_chars:
            break
    text = "\n\n".join(parts).replace("\t", " ")
    text = "".join(c if c == "\n" or 32 <= ord(c) < 127 else "?" for c in text)
    if len(text) < n_chars:
        raise ValueError(f"charlm: the stdlib docstrings give only {len(text)} characters, fewer than {n_chars}")
    return text[:n_chars]


def split(text, held_out=0.1):
    cut = int(len(text) * (1 - held_out))
    return text[:cut], text[cut:]


# ---- the n-gram baseline ---------------------------------------------------------------

class NGram:
    """Interpolated absolute discounting: P_k(c|h) = max(n(hc) - d, 0) / n(h)
    + d * types(h) / n(h) * P_{k-1}(c|h[1:]), down to a uniform P_0 = 1/V."""

    def __init__(self, text, order, discount, vocab_size):
        self.order, self.d, self.V = order, discount, vocab_size
        self.counts = [Counter() for _ in range(order + 1)]  # counts[k][s], len(s) == k
        self.ctx = [Counter() for _ in range(order + 1)]  # ctx[k][h]: n(h*) with len(h) == k - 1
        self.types = [Counter() for _ in range(order + 1)]
        for k in range(1, order + 1):
            grams = Counter(text[i:i + k] for i in range(len(text) - k + 1))
            self.counts[k] = grams
            for g, n in grams.items():
                self.ctx[k][g[:-1]] += n
                self.types[k][g[:-1]] += 1

    def prob(self, history, c):
        p = 1.0 / self.V
        for k in range(1, self.order + 1):
            if k - 1 > len(history):
                break
            h = history[len(history) - (k - 1):] if k > 1 else ""
            n_h = self.ctx[k].get(h, 0)
            if n_h == 0:
                break
            p = max(self.counts[k].get(h + c, 0) - self.d, 0) / n_h + self.d * self.types[k][h] / n_h * p
        return p

    def bits_per_char(self, text, context=""):
        full = context + text
        off = len(context)
        total = 0.0
        for i in range(off, len(full)):
            total -= math.log2(self.prob(full[max(0, i - self.order + 1):i], full[i]))
        return total / len(text)


def tuned_ngram(train_text, vocab_size, orders, discounts):
    """The (order, discount) with the best bits/char on the last 10% of train_text, refit
    on all of train_text. Returns (model, order, discount)."""
    fit_text, val_text = split(train_text)
    best = min(((NGram(fit_text, o, d, vocab_size).bits_per_char(val_text, fit_text[-o:]), o, d)
                for o in orders for d in discounts))
    return NGram(train_text, best[1], best[2], vocab_size), best[1], best[2]


# ---- the LSTM ----------------------------------------------------------------------------

class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed=48, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx, state=None):
        """idx (B, T) int64 -> logits (B, T, V), (h, c)."""
        out, state = self.lstm(self.embed(idx), state)
        return self.head(out), state


def encode(text, vocab):
    table = {c: i for i, c in enumerate(vocab)}
    return np.array([table[c] for c in text], np.int64)


def heldout_bpc(model, ids, streams=16, seq_len=100):
    """Bits/char over ids (the first prediction conditions on ids[0]), in `streams`
    parallel contiguous streams with the LSTM state carried from window to window."""
    n = (len(ids) - 1) // streams
    x = ids[:n * streams].reshape(streams, n)
    y = ids[1:n * streams + 1].reshape(streams, n)
    total, state = 0.0, None
    model.eval()
    with fastdl.no_grad():
        for s in range(0, n, seq_len):
            logits, state = model(fastdl.from_numpy(np.ascontiguousarray(x[:, s:s + seq_len])), state)
            t = fastdl.from_numpy(np.ascontiguousarray(y[:, s:s + seq_len]).reshape(-1))
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t, reduction="sum").item()
    model.train()
    return total / (n * streams) / math.log(2)


def sample(model, vocab, prompt="Return the ", n=200, temperature=0.7, rng=None):
    """prompt followed by n characters drawn from softmax(logits / temperature)."""
    rng = rng or np.random.default_rng(0)
    table = {c: i for i, c in enumerate(vocab)}
    ids = [table.get(c, table.get("?", 0)) for c in prompt]
    out = []
    model.eval()
    with fastdl.no_grad():
        logits, state = model(fastdl.tensor([ids]))
        for _ in range(n):
            z = logits[0, -1].numpy().astype(np.float64) / temperature
            p = np.exp(z - z.max())
            i = int(rng.choice(len(p), p=p / p.sum()))
            out.append(vocab[i])
            logits, state = model(fastdl.tensor([[i]]), state)
    model.train()
    return prompt + "".join(out)


def _train(run, cfg, state=None):
    text = stdlib_corpus(cfg["corpus_chars"])
    vocab = sorted(set(text))
    train_text, test_text = split(text)
    tr, te = encode(train_text, vocab), encode(test_text, vocab)
    ngram, order, disc = tuned_ngram(train_text, len(vocab), cfg["ngram_orders"], cfg["ngram_discounts"])
    ngram_bpc = ngram.bits_per_char(test_text[1:], test_text[:1])  # same targets as heldout_bpc
    run.say(f"corpus {len(text)} chars, vocab {len(vocab)}; {order}-gram (d={disc}) held-out bpc {ngram_bpc:.4f}")

    model = CharLSTM(len(vocab), cfg["embed"], cfg["hidden"])
    opt = fastdl.optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = fastdl.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg["epochs"])
    epoch = 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        epoch = int(state["epoch"])
        fastdl.set_rng_state(state["rng"])
    L, B = cfg["seq_len"], cfg["batch_size"]
    steps = (len(tr) - 1) // (L * B)
    windows = fastdl.from_numpy(np.stack([tr[i:i + L + 1] for i in range(0, len(tr) - L - 1, L // 2)]))
    bpc = float("nan")
    while epoch < cfg["epochs"]:
        perm = fastdl.randperm(len(windows))[:steps * B]
        total = 0.0
        bar = run.progress(range(steps), total=steps, desc=f"epoch {epoch + 1}")
        for s in bar:
            w = windows[perm[s * B:(s + 1) * B]]
            logits, _ = model(w[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, len(vocab)), w[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
            opt.step()
            total += loss.item()
            bar.set_postfix(bpc=f"{loss.item() / math.log(2):.3f}")
        sched.step()
        epoch += 1
        bpc = heldout_bpc(model, te, cfg["eval_streams"], L)
        run.log(epoch=epoch, train_bpc=total / steps / math.log(2), heldout_bpc=bpc, ngram_bpc=ngram_bpc)
        run.say(f"epoch {epoch:3d}  train bpc {total / steps / math.log(2):.4f}  held-out bpc {bpc:.4f}  "
                f"({order}-gram {ngram_bpc:.4f})")
        run.checkpoint({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                        "epoch": epoch, "rng": list(fastdl.get_rng_state())})
    text_out = sample(model, vocab, cfg["prompt"], cfg["sample_chars"], cfg["temperature"],
                      np.random.default_rng(run.seed))
    run.say("sample:\n" + text_out)
    summary = {"heldout_bpc": bpc, "ngram_bpc": ngram_bpc, "ngram_order": order, "ngram_discount": disc,
               "corpus_chars": len(text), "vocab": "".join(vocab), "sample": text_out}
    return model, summary


def train(run, config, state=None):
    """`fastdl train charlm`: held-out bits/char of the LSTM and of the n-gram baseline."""
    return _train(run, config, state)[1]


def fit(seed=0, out_dir=None, quiet=True, **overrides):
    """Trains a CharLSTM; returns (model, summary) (summary["vocab"] is the vocabulary)."""
    return run_family("charlm", {**DEFAULTS, **overrides}, seed, out_dir, quiet,
                      lambda run, cfg: _train(run, cfg), PLOTS)


def _bpc_plot(fig, history):
    ax = fig.add_subplot(111)
    ep = [h["epoch"] for h in history if "epoch" in h]
    for key in ("train_bpc", "heldout_bpc", "ngram_bpc"):
        ax.plot(ep, [h[key] for h in history if "epoch" in h], label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("bits per character")
    ax.legend(fontsize=8)


PLOTS = {"bpc": _bpc_plot}
