"""Transfer learning on the digits (`fastdl train transfer`): pretrain a DigitsCNN on
digits 0-4, then learn digits 5-9 from only `shots` labelled examples per class, once
from the pretrained network and once from scratch with the same architecture, batch,
number of passes over the labelled images and equally tuned learning rates; both are
scored on every 5-9 image that is not one of the labelled ones.

The pretrained network keeps its first `frozen_blocks` conv blocks frozen (the generic
stroke detectors; with `adapt_bn` their BatchNorm statistics are re-estimated on the
labelled 5-9 images, AdaBN), first trains only a new head on the frozen features (a
linear probe), then fine-tunes the later blocks and that head together (LP-FT).

Python API:
    pre = DigitsCNN(16, num_classes=5); cnn.fit(pre, load_digits_tensors(classes=range(5)))
    x, y, x_test, y_test = data = few_shot(load_digits_tensors(classes=range(5, 10)), shots=10)
    adapt_batchnorm(first_blocks(pre, 1), x)
    probe = FineTuned(pre, 5, frozen_blocks=3); cnn.fit(probe, data, shift=0)
    ft = FineTuned(pre, 5, frozen_blocks=1, head=probe.head); cnn.fit(ft, data, shift=0)
"""
import numpy as np

import fastdl
from fastdl import nn

from . import cnn
from ._run import curve

DEFAULTS = {"epochs": 8, "shots": 10, "lr": 3e-3, "batch_size": 64, "width": 16, "frozen_blocks": 1,
            "adapt_bn": True, "probe_epochs": 20, "probe_lr": 1e-2, "finetune_epochs": 20, "finetune_lr": 3e-3,
            "scratch_lr": 1e-2, "finetune_batch_size": 10}


def first_blocks(model, n):
    """The first `n` conv blocks of a DigitsCNN's `features` (a Sequential sharing its modules)."""
    ends = cnn.DigitsCNN.BLOCK_ENDS
    if not 0 <= n <= len(ends):
        raise ValueError(f"FineTuned: frozen_blocks must be in 0..{len(ends)}, got {n}")
    return model.features[:ends[n - 1] if n else 0]


class FineTuned(nn.Module):
    """A pretrained DigitsCNN whose first `frozen_blocks` conv blocks are frozen (no
    gradients, and kept in eval mode so their BatchNorm statistics stay fixed), whose
    remaining conv blocks start from the pretrained weights and are fine-tuned, and which
    gets `head` (default: a new Linear). It shares modules with `pretrained`.

    frozen_blocks=3 freezes every conv block: a linear probe. Alone it is worse than
    training from scratch (features trained to separate 0-4 do not separate 5-9
    linearly, docs/results_supervised.md); train() uses it only to fit the head first."""

    def __init__(self, pretrained, num_classes, frozen_blocks=1, head=None):
        super().__init__()
        cut = len(first_blocks(pretrained, frozen_blocks))
        self.frozen = pretrained.features[:cut].requires_grad_(False)
        self.tuned = pretrained.features[cut:].requires_grad_(True)
        self.head = nn.Linear(pretrained.head.in_features, num_classes) if head is None else head
        self.train()

    def train(self, mode=True):
        super().train(mode)
        self.frozen.eval()
        return self

    def forward(self, x):
        return self.head(self.tuned(self.frozen(x)))


def adapt_batchnorm(module, x):
    """AdaBN (Li et al. 2016): replace the running statistics of every BatchNorm in
    `module` by those of the images `x` (one full-batch pass, no gradients), so frozen
    layers normalise the new domain with its own statistics; `module` is left in eval mode."""
    norms = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: one batch gives exactly its statistics
    module.train()
    with fastdl.no_grad():
        module(x)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    module.eval()


def few_shot(data, shots, seed=0):
    """The first `shots` training examples of each class in a seeded shuffle; every other
    image (the rest of the training split and the whole test split) is the test set, so
    that one image weighs ~0.1 point instead of ~0.5 on the 187-image test split alone."""
    xtr, ytr, xte, yte = (t.numpy() for t in data)
    order = np.random.default_rng(seed).permutation(len(ytr))
    keep = np.sort(np.concatenate([order[ytr[order] == c][:shots] for c in np.unique(ytr)]))
    rest = np.setdiff1d(np.arange(len(ytr)), keep)
    arrays = xtr[keep], ytr[keep], np.concatenate([xte, xtr[rest]]), np.concatenate([yte, ytr[rest]])
    return tuple(fastdl.tensor(a) for a in arrays)


class _PhaseRun:
    """The Run seen by one phase: logs carry phase=name and a checkpoint stores every
    phase's latest state, so --resume skips finished phases and continues the current one."""

    def __init__(self, run, name, phases):
        self.run, self.name, self.phases = run, name, phases

    def progress(self, *args, **kw):
        return self.run.progress(*args, **kw)

    def log(self, **values):
        return self.run.log(phase=self.name, **values)

    def say(self, text):
        self.run.say(text)

    def checkpoint(self, state):
        self.phases[self.name] = state
        return self.run.checkpoint({"phases": self.phases})


def train(run, config, state=None):
    """`fastdl train transfer`: {"finetuned_accuracy", "scratch_accuracy", "pretrain_accuracy"}."""
    phases = dict(state["phases"]) if state else {}
    w = config["width"]
    pre = cnn.DigitsCNN(w, num_classes=5)
    pre_acc = cnn.fit(pre, cnn.load_digits_tensors(seed=run.seed, classes=range(5)), config["epochs"],
                      config["lr"], config["batch_size"], run=_PhaseRun(run, "pretrain", phases),
                      state=phases.get("pretrain"), desc="pretrain")
    target = few_shot(cnn.load_digits_tensors(seed=run.seed, classes=range(5, 10)), config["shots"], run.seed)
    bs = config["finetune_batch_size"]

    def phase(model, name, epochs, lr):
        # no augmentation: both few-shot models see exactly the same images per class
        return cnn.fit(model, target, epochs, lr, bs, shift=0, run=_PhaseRun(run, name, phases),
                       state=phases.get(name), desc=name)

    if config["adapt_bn"]:
        adapt_batchnorm(first_blocks(pre, config["frozen_blocks"]), target[0])
    # LP-FT: fit the new head on the frozen features first, so that fine-tuning starts
    # from a fitted head instead of pushing a random head's gradients into the features
    probe = FineTuned(pre, 5, frozen_blocks=len(cnn.DigitsCNN.BLOCK_ENDS))
    phase(probe, "probe", config["probe_epochs"], config["probe_lr"])
    ft = FineTuned(pre, 5, config["frozen_blocks"], head=probe.head)
    ft_acc = phase(ft, "finetune", config["finetune_epochs"], config["finetune_lr"])
    scratch = cnn.DigitsCNN(w, num_classes=5)
    # the same number of passes over the labelled images as probe + fine-tuning
    scratch_acc = phase(scratch, "scratch", config["probe_epochs"] + config["finetune_epochs"], config["scratch_lr"])
    run.say(f"digits 5-9 with {config['shots']} labels/class: fine-tuned {ft_acc:.4f}, from scratch {scratch_acc:.4f}")
    return {"finetuned_accuracy": ft_acc, "scratch_accuracy": scratch_acc, "pretrain_accuracy": pre_acc}


def _by_phase(fig, history):
    ax = fig.add_subplot(111)
    for name in ("probe", "finetune", "scratch"):
        pts = [(h["epoch"], h["test_accuracy"]) for h in history if h.get("phase") == name]
        if pts:
            ax.plot(*zip(*pts), label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("digits 5-9 test accuracy")
    ax.legend()


PLOTS = {"pretrain_loss": curve("loss"), "few_shot_accuracy": _by_phase}
