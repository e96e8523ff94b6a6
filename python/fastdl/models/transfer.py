"""Transfer learning on the digits (`fastdl train transfer`): pretrain a DigitsCNN on
digits 0-4, then learn digits 5-9 from only `shots` labelled examples per class, once
starting from the pretrained network with its first `frozen_blocks` conv blocks frozen
(the generic stroke detectors; the later blocks are fine-tuned and the head is new),
once from scratch with the same architecture and training settings; both are scored on
the full 5-9 test set.

Python API:
    pre = DigitsCNN(16, num_classes=5); cnn.fit(pre, load_digits_tensors(classes=range(5)))
    ft = FineTuned(pre, num_classes=5, frozen_blocks=1); cnn.fit(ft, few_shot_data, shift=0)
"""
import numpy as np

import fastdl
from fastdl import nn

from . import cnn
from ._run import curve

DEFAULTS = {"epochs": 8, "finetune_epochs": 20, "shots": 10, "lr": 3e-3, "finetune_lr": 1e-2, "batch_size": 64,
            "finetune_batch_size": 10, "width": 16, "frozen_blocks": 1}


class FineTuned(nn.Module):
    """A pretrained DigitsCNN whose first `frozen_blocks` conv blocks are frozen (no
    gradients, and kept in eval mode so their BatchNorm statistics stay those of the
    pretraining data), whose remaining conv blocks start from the pretrained weights and
    are fine-tuned, and which gets a new Linear head. It shares modules with `pretrained`.

    frozen_blocks=3 freezes every conv block (a linear probe on the pretrained features);
    on the digits that is worse than training from scratch: features trained to separate
    0-4 do not separate 5-9 linearly (docs/results_supervised.md)."""

    def __init__(self, pretrained, num_classes, frozen_blocks=1):
        super().__init__()
        ends = cnn.DigitsCNN.BLOCK_ENDS
        if not 0 <= frozen_blocks <= len(ends):
            raise ValueError(f"FineTuned: frozen_blocks must be in 0..{len(ends)}, got {frozen_blocks}")
        cut = ends[frozen_blocks - 1] if frozen_blocks else 0
        self.frozen = pretrained.features[:cut].requires_grad_(False)
        self.tuned = pretrained.features[cut:]
        self.head = nn.Linear(pretrained.head.in_features, num_classes)
        self.train()

    def train(self, mode=True):
        super().train(mode)
        self.frozen.eval()
        return self

    def forward(self, x):
        return self.head(self.tuned(self.frozen(x)))


def few_shot(data, shots, seed=0):
    """The first `shots` training examples of each class in a seeded shuffle, with the
    full test set."""
    xtr, ytr, xte, yte = data
    labels = ytr.numpy()
    order = np.random.default_rng(seed).permutation(len(labels))
    keep = np.concatenate([order[labels[order] == c][:shots] for c in np.unique(labels)])
    idx = fastdl.tensor(np.sort(keep))
    return xtr[idx], ytr[idx], xte, yte


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
    ft_args = (config["finetune_epochs"], config["finetune_lr"], config["finetune_batch_size"])
    # no augmentation here: both few-shot models see exactly the same 10 images per class
    ft = FineTuned(pre, 5, config["frozen_blocks"])
    ft_acc = cnn.fit(ft, target, *ft_args, shift=0, run=_PhaseRun(run, "finetune", phases),
                     state=phases.get("finetune"), desc="finetune")
    scratch = cnn.DigitsCNN(w, num_classes=5)
    scratch_acc = cnn.fit(scratch, target, *ft_args, shift=0, run=_PhaseRun(run, "scratch", phases),
                          state=phases.get("scratch"), desc="scratch")
    run.say(f"digits 5-9 with {config['shots']} labels/class: fine-tuned {ft_acc:.4f}, from scratch {scratch_acc:.4f}")
    return {"finetuned_accuracy": ft_acc, "scratch_accuracy": scratch_acc, "pretrain_accuracy": pre_acc}


def _by_phase(fig, history):
    ax = fig.add_subplot(111)
    for name in ("finetune", "scratch"):
        pts = [(h["epoch"], h["test_accuracy"]) for h in history if h.get("phase") == name]
        if pts:
            ax.plot(*zip(*pts), label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("digits 5-9 test accuracy")
    ax.legend()


PLOTS = {"pretrain_loss": curve("loss"), "few_shot_accuracy": _by_phase}
