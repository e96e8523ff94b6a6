"""Transfer learning on the digits (`fastdl train transfer`): pretrain a DigitsCNN on
digits 0-4, then learn digits 5-9 from only `shots` labelled examples per class, once
from the pretrained network and once from scratch with the same architecture, batch,
number of passes over the labelled images and equally tuned hyperparameters; both are
scored on every 5-9 image that is not one of the labelled ones.

Pretraining (`pretrain`) is supervised on the five classes in `pretrain_poses` poses
(4: also rotated by 90, 180, 270 degrees, 8: and mirrored), each pose of each digit a
class of its own, so the features must describe strokes' orientations rather than only
what separates 0-4; or, with `pretrain_exemplars`, self-supervised: each 0-4 training
image is its own class (Exemplar-CNN), best with `pretrain_affine` (random rotations,
zooms and shifts instead of 1-pixel shifts). The pretrained network keeps its first
`frozen_blocks` conv blocks frozen; `adapt_bn` re-estimates BatchNorm statistics on the
labelled 5-9 images (AdaBN: "all" blocks or only the "frozen" ones); a new head is
trained on the frozen features (a linear probe), then the later blocks and that head
are fine-tuned together (LP-FT), optionally pulled towards the pretrained weights (`l2sp`).

Python API:
    pre, _ = pretrain(DEFAULTS, seed=0)
    target = few_shot(cnn.load_digits_tensors(classes=range(5, 10)), shots=10)
    phase = lambda model, name, epochs, lr: cnn.fit(model, target, epochs, lr, batch_size=10, shift=0)
    model, accuracy = fine_tune(pre, target, DEFAULTS, phase)
"""
import numpy as np

import fastdl
from fastdl import nn

from . import _classify, cnn
from ._run import curve

DEFAULTS = {"epochs": 4, "lr": 3e-3, "batch_size": 64, "width": 16, "pretrain_exemplars": False,
            "pretrain_affine": False, "pretrain_poses": 4, "shots": 10, "frozen_blocks": 1, "adapt_bn": "all",
            "probe_epochs": 20, "probe_lr": 1e-2, "finetune_epochs": 20, "finetune_lr": 3e-3, "l2sp": 0.0,
            "scratch_lr": 1e-2, "scratch_weight_decay": 1e-2, "finetune_batch_size": 10}


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


def warp(x, angle, zoom, offset):
    """Image i of a (N, C, H, W) batch rotated by angle[i] radians about its centre,
    scaled by zoom[i] and shifted by offset[i] = (rows, cols) pixels (bilinear, zero fill)."""
    n, c, h, w = x.shape
    cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom              # output -> source map
    ys, xs = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    ys, xs = ys - offset[:, 0, None, None], xs - offset[:, 1, None, None]
    src_y = cos[:, None, None] * ys + sin[:, None, None] * xs + (h - 1) / 2
    src_x = -sin[:, None, None] * ys + cos[:, None, None] * xs + (w - 1) / 2
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 2), (1, 2)))      # zeros around for the corners
    y0 = np.clip(np.floor(src_y), -1, h).astype(np.int64)
    x0 = np.clip(np.floor(src_x), -1, w).astype(np.int64)
    fy = np.clip(src_y - y0, 0, 1)[:, None]
    fx = np.clip(src_x - x0, 0, 1)[:, None]
    at = lambda dy, dx: padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                               (y0 + 1 + dy)[:, None], (x0 + 1 + dx)[:, None]]
    out = (at(0, 0) * (1 - fy) * (1 - fx) + at(0, 1) * (1 - fy) * fx
           + at(1, 0) * fy * (1 - fx) + at(1, 1) * fy * fx)
    return fastdl.tensor(np.ascontiguousarray(out, dtype=np.float32))


def random_affine(x, degrees=15.0, scale=0.15, shift=1.0):
    """warp() with each image's own random angle in [-degrees, degrees], zoom in
    [1 - scale, 1 + scale] and shift in [-shift, shift] pixels per axis (from fastdl's
    generator, so runs are seeded): pretraining then sees strokes in more poses than
    digits 0-4 have."""
    u = fastdl.rand(len(x), 4).numpy().astype(np.float64) * 2 - 1
    return warp(x, np.deg2rad(degrees) * u[:, 0], 1 + scale * u[:, 1], shift * u[:, 2:])


def with_pose_classes(data, poses, num_classes):
    """Self-supervised label augmentation (Lee et al. 2020): every image also appears
    rotated by 90, 180, 270 degrees (poses 4) and mirrored (poses 8), and class y in pose
    k becomes class y + num_classes * k, so the features must tell strokes' orientations
    apart instead of only what separates the original classes."""
    if poses not in (1, 4, 8):
        raise ValueError(f"with_pose_classes: poses must be 1, 4 or 8, got {poses}")
    out = []
    for x, y in (data[:2], data[2:]):
        xs, ys = x.numpy(), y.numpy()
        views = [np.rot90(v, k, axes=(2, 3)) for v in (xs, xs[..., ::-1])[:1 + (poses == 8)]
                 for k in range(min(poses, 4))]
        out += [fastdl.tensor(np.ascontiguousarray(np.concatenate(views))),
                fastdl.tensor(np.concatenate([ys + num_classes * k for k in range(len(views))]))]
    return tuple(out)


def l2_sp(module, alpha):
    """L2-SP (Li et al. 2018): adds alpha * (p - p0) to the gradient of every trainable
    parameter p of `module`, p0 being its value now (the pretrained one), so fine-tuning
    is pulled towards the pretrained weights instead of towards zero."""
    for p in module.parameters():
        if p.requires_grad:
            start = p.detach().clone()
            p.register_hook(lambda grad, p=p, start=start: grad + alpha * (p.detach() - start))


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


def pretrain(config, seed, run=None, state=None):
    """A DigitsCNN trained on digits 0-4: on their five classes, or with
    config["pretrain_exemplars"] on one class per training image; in
    config["pretrain_poses"] poses, each its own class; with random_affine when
    config["pretrain_affine"], else random 1-pixel shifts. Returns (model, its accuracy
    on the 0-4 test split, or on its own exemplars, in the same poses)."""
    poses = config["pretrain_poses"]
    data, classes = cnn.load_digits_tensors(seed=seed, classes=range(5)), 5
    if config["pretrain_exemplars"]:
        # Exemplar-CNN (Dosovitskiy et al. 2014): every training image is its own class,
        # scored on recognising 200 of the (unaugmented) images themselves
        x, ids = data[0], fastdl.arange(len(data[0]))
        data, classes = (x, ids, x[:200], ids[:200]), len(ids)
    data = with_pose_classes(data, poses, classes)
    model = cnn.DigitsCNN(config["width"], num_classes=classes * poses)
    augment = random_affine if config["pretrain_affine"] else (lambda x: cnn.random_shift(x, 1))
    acc = _classify.fit(model, data, config["epochs"], config["lr"], config["batch_size"],
                        weight_decay=cnn.DEFAULTS["weight_decay"], augment=augment, run=run, state=state,
                        desc="pretrain")
    return model, acc


def fine_tune(pre, target, config, phase):
    """LP-FT on the few-shot `target` from the pretrained `pre` (whose modules it takes
    over): AdaBN on config["adapt_bn"]'s blocks, then a new head on the features of every
    (frozen) block (the probe), then the unfrozen blocks and that head together, pulled
    towards the pretrained weights when config["l2sp"] > 0. phase(model, name, epochs, lr)
    trains and returns the accuracy; returns (the fine-tuned FineTuned, its accuracy)."""
    adapt = {"all": pre.features, "frozen": first_blocks(pre, config["frozen_blocks"]), "none": None}
    if config["adapt_bn"] not in adapt:
        raise ValueError(f"transfer: adapt_bn must be 'all', 'frozen' or 'none', got {config['adapt_bn']!r}")
    if adapt[config["adapt_bn"]] is not None:
        adapt_batchnorm(adapt[config["adapt_bn"]], target[0])
    # the probe fits the head first, so that fine-tuning starts from a fitted head instead
    # of pushing a random head's gradients into the features (Kumar et al. 2022)
    probe = FineTuned(pre, 5, frozen_blocks=len(cnn.DigitsCNN.BLOCK_ENDS))
    phase(probe, "probe", config["probe_epochs"], config["probe_lr"])
    ft = FineTuned(pre, 5, config["frozen_blocks"], head=probe.head)
    if config["l2sp"]:
        l2_sp(ft.tuned, config["l2sp"])
    return ft, phase(ft, "finetune", config["finetune_epochs"], config["finetune_lr"])


def train(run, config, state=None):
    """`fastdl train transfer`: {"finetuned_accuracy", "scratch_accuracy", "pretrain_accuracy"}."""
    phases = dict(state["phases"]) if state else {}
    pre, pre_acc = pretrain(config, run.seed, _PhaseRun(run, "pretrain", phases), phases.get("pretrain"))
    target = few_shot(cnn.load_digits_tensors(seed=run.seed, classes=range(5, 10)), config["shots"], run.seed)

    def phase(model, name, epochs, lr, weight_decay=cnn.DEFAULTS["weight_decay"]):
        # no augmentation: both few-shot models see exactly the same images per class
        return _classify.fit(model, target, epochs, lr, config["finetune_batch_size"], weight_decay=weight_decay,
                             run=_PhaseRun(run, name, phases), state=phases.get(name), desc=name)

    _, ft_acc = fine_tune(pre, target, config, phase)
    # scratch starts from the same random state whatever the transfer recipe consumed,
    # so that two recipes are compared against the very same scratch runs
    fastdl.manual_seed(run.seed)
    scratch = cnn.DigitsCNN(config["width"], num_classes=5)
    # the same number of passes over the labelled images as probe + fine-tuning
    scratch_acc = phase(scratch, "scratch", config["probe_epochs"] + config["finetune_epochs"], config["scratch_lr"],
                        config["scratch_weight_decay"])
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
