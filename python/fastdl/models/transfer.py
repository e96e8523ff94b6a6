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
zooms and shifts instead of 1-pixel shifts). Pretraining can add a reconstruction term
(`pretrain_reconstruction`: a small decoder rebuilds the image from the features) or a
prototypical one (`pretrain_prototypical`), and use a cosine head (`pretrain_head`).
The pretrained network keeps its first `frozen_blocks` conv blocks frozen; `adapt_bn`
re-estimates BatchNorm statistics on the labelled 5-9 images (AdaBN: "all" blocks or
only the "frozen" ones); a new head (`head`: linear, or cosine with a learned scale,
optionally `imprint`ed with the class-mean features) is trained on the frozen features
for `probe_epochs` (a probe), then the later blocks and that head are fine-tuned
together (LP-FT), optionally pulled towards the pretrained weights (`l2sp`). The
DEFAULTS (reconstruction pretraining, imprinted cosine head, no probe epochs: the
imprinted head replaces the probe) were the best of the session-4 screen on tuning
seeds 100-104; on seeds 0-9 they tie with scratch (docs/results_supervised.md).

Options screened in session 7, all off by default (none beats scratch; see the
session-7 note in docs/results_supervised.md): `side_width` (side-tuning: a fresh trunk
beside the pretrained one, or with `side_pretrained` a second pretrained one; the
scratch arm is then the same two-trunk network, all random), `centroid_logits` (the
frozen adapted extractor's nearest-centroid cosine logits added to the model's) with
`center_features` (SimpleShot centring), `pretrain_composites` (25 top-half/bottom-half
classes), `pretrain_mixup` (manifold mixup, S2M2), `pretrain_source=all` (the 0-4 test
split too), `reinit_blocks` (restart the last conv blocks), `few_shot_poses` (the
labelled images of both arms in pose classes). bench/transfer_screen.py screens recipes.

Options added in session 16, all off by default (see the session-16 note):
`pretrain_contrastive` (SimCLR's NT-Xent between two random views of each image through a
projection MLP, added to the pretraining loss; `contrastive_supervised`: SupCon with the
pose classes as labels; `contrastive_temperature`, `contrastive_views` affine or
elastic; `pretrain_cross_entropy` 0 leaves the contrastive and reconstruction terms
alone), `delta` (DELTA without attention: fine-tuning pulls the tuned blocks' feature
maps towards those of the pretrained blocks on the same input), `wise` (WiSE-FT: the
fine-tuned weights interpolated back towards the starting ones), `ensemble` (K members
per arm, their softmax averaged: K fine-tunings of the one pretraining, or with
`ensemble_pretrain` of K pretrainings, against K scratch runs).

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
            "pretrain_affine": False, "pretrain_poses": 4, "pretrain_head": "linear", "pretrain_reconstruction": 3.0,
            "pretrain_prototypical": 0.0, "shots": 10, "frozen_blocks": 1, "adapt_bn": "all", "head": "cosine",
            "imprint": True, "cosine_scale": 5.0, "probe_epochs": 0, "probe_lr": 1e-2, "finetune_epochs": 40,
            "finetune_lr": 1e-2, "finetune_weight_decay": 1e-4, "l2sp": 0.0, "scratch_head": "linear",
            "scratch_lr": 1e-2, "scratch_weight_decay": 3e-2, "finetune_batch_size": 10, "few_shot_augment": "none",
            "elastic_alpha": 0.5, "elastic_sigma": 1.0, "pretrain_source": "train", "pretrain_composites": False,
            "pretrain_mixup": 0.0, "mixup_alpha": 2.0, "side_width": 0, "centroid_logits": 0.0,
            "center_features": False, "reinit_blocks": 0, "few_shot_poses": 1, "side_pretrained": False,
            "pretrain_cross_entropy": 1.0, "pretrain_contrastive": 0.0, "contrastive_supervised": False,
            "contrastive_temperature": 0.5, "contrastive_views": "affine", "delta": 0.0, "ensemble": 1,
            "wise": 1.0, "ensemble_pretrain": False}


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
    linearly, docs/results_supervised.md); train() uses it only to fit the head first.
    With `scored` > 0, eval mode returns only the first `scored` logits (the upright
    classes of few_shot_target's pose classes)."""

    def __init__(self, pretrained, num_classes, frozen_blocks=1, head=None, scored=0):
        super().__init__()
        cut = len(first_blocks(pretrained, frozen_blocks))
        self.frozen = pretrained.features[:cut].requires_grad_(False)
        self.tuned = pretrained.features[cut:].requires_grad_(True)
        self.head = nn.Linear(pretrained.head.in_features, num_classes) if head is None else head
        self.scored = scored
        self.train()

    def train(self, mode=True):
        super().train(mode)
        self.frozen.eval()
        return self

    def features(self, x):
        return self.tuned(self.frozen(x))

    def logits(self, x):
        return self.head(self.features(x))

    def forward(self, x):
        logits = self.logits(x)
        return logits[:, :self.scored] if self.scored and not self.training else logits


class SideTuned(FineTuned):
    """FineTuned with `side` (side-tuning, Zhang et al. 2020): a trainable trunk beside
    the pretrained one, the head on both trunks' features concatenated; and/or `extra`
    (a module of x, e.g. CentroidLogits) whose logits are added to the head's."""

    def __init__(self, pretrained, num_classes, frozen_blocks=1, head=None, scored=0, side=None, extra=None):
        super().__init__(pretrained, num_classes, frozen_blocks, head, scored)
        self.side, self.extra = side, extra

    def features(self, x):
        f = super().features(x)
        return f if self.side is None else fastdl.cat([f, self.side(x)], dim=1)

    def logits(self, x):
        logits = super().logits(x)
        return logits if self.extra is None else logits + self.extra(x)


def fine_tuned(pretrained, num_classes, frozen_blocks, head, scored=0, side=None, extra=None):
    """A FineTuned, or a SideTuned when there is a `side` trunk or `extra` logits."""
    if side is None and extra is None:
        return FineTuned(pretrained, num_classes, frozen_blocks, head, scored)
    return SideTuned(pretrained, num_classes, frozen_blocks, head, scored, side, extra)


def unit_rows(t, eps=1e-12):
    """Each row of a (N, D) tensor divided by its Euclidean norm."""
    return t * (t.square().sum(dim=1, keepdim=True) + eps).rsqrt()


class CosineLinear(nn.Module):
    """A cosine classifier (Baseline++, Chen et al. 2019; Qi et al. 2018): the logit of
    class k is scale * cos(feature, weight_k), with a learned `scale`. Normalising both
    sides makes each class a direction on the sphere, which few labelled images pin down
    better than a free-length weight and bias, and which imprint() can set directly."""

    def __init__(self, in_features, out_features, scale=10.0):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / np.sqrt(in_features)
        self.weight = nn.Parameter(fastdl.rand(out_features, in_features) * (2 * bound) - bound)
        self.scale = nn.Parameter(fastdl.tensor([float(scale)]))
        self.centered = False  # imprint(center=True) sets it and a `center` feature subtracted first

    def forward(self, x):
        x = x - self.center if self.centered else x
        return unit_rows(x).matmul(unit_rows(self.weight).t()) * self.scale


def imprint(head, features, labels, center=False):
    """Weight imprinting (Qi et al. 2018): class k's weight becomes the normalised mean of
    the normalised `features` (N, D) of its labelled images, so the head starts as a
    nearest-centroid classifier on the sphere instead of at random. With `center`
    (SimpleShot, Wang et al. 2019) the head's centre becomes the mean of `features` (the
    labelled images are class-balanced), subtracted before normalising."""
    if not isinstance(head, CosineLinear):
        raise TypeError(f"imprint: the head must be a CosineLinear, got {type(head).__name__}")
    y = labels.numpy()
    if sorted(set(y.tolist())) != list(range(head.out_features)):
        raise ValueError(f"imprint: labels must cover classes 0..{head.out_features - 1}, "
                         f"got {sorted(set(y.tolist()))}")
    features = features.detach()
    head.register_buffer("center", features.mean(dim=0) if center else None)
    head.centered = center
    f = unit_rows(features - head.center if center else features).numpy()
    means = np.stack([f[y == k].mean(axis=0) for k in range(head.out_features)])
    with fastdl.no_grad():
        head.weight.copy_(unit_rows(fastdl.tensor(means.astype(np.float32))))


class CentroidLogits(nn.Module):
    """The nearest-centroid cosine logits of a frozen extractor: scale * cos(f(x) - c,
    m_k - c), f a frozen copy of `extractor`, m_k class k's mean of the normalised
    features of the labelled (`x`, `y`) (as imprint() does), c their mean feature when
    `center` (SimpleShot) else 0. Added to a fine-tuned model's logits it keeps what the
    pretrained features say about the labelled images while the model fine-tunes away
    from them; it has nothing to train and uses no images but the labelled ones."""

    def __init__(self, extractor, x, y, num_classes, scale, center=False):
        super().__init__()
        self.extractor = extractor.requires_grad_(False).eval()
        self.head = CosineLinear(extractor_width(extractor), num_classes, scale).requires_grad_(False)
        with fastdl.no_grad():
            imprint(self.head, self.extractor(x), y, center)

    def train(self, mode=True):
        return super().train(False)  # frozen, BatchNorm statistics included, whatever its parent's mode

    def forward(self, x):
        return self.head(self.extractor(x))


def extractor_width(features):
    """The number of features a DigitsCNN `features` Sequential outputs (8 x width)."""
    return 8 * features[0].out_channels


def frozen_copy(features, width):
    """A new DigitsCNN `features` of `width` holding a copy of `features`' weights and
    BatchNorm statistics (fastdl tensors are not deep-copied)."""
    copy = cnn.DigitsCNN(width).features
    copy.load_state_dict(features.state_dict())
    return copy


def new_head(kind, in_features, out_features, scale):
    """The few-shot or pretraining head: "linear" (nn.Linear) or "cosine" (CosineLinear)."""
    if kind == "linear":
        return nn.Linear(in_features, out_features)
    if kind == "cosine":
        return CosineLinear(in_features, out_features, scale)
    raise ValueError(f"transfer: a head must be 'linear' or 'cosine', got {kind!r}")


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


def sample(x, src_y, src_x):
    """Image i of a (N, C, H, W) batch read at the (N, H, W) source coordinates
    src_y[i], src_x[i] (bilinear, zero outside the image)."""
    n, c, h, w = x.shape
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


def warp(x, angle, zoom, offset):
    """Image i of a (N, C, H, W) batch rotated by angle[i] radians about its centre,
    scaled by zoom[i] and shifted by offset[i] = (rows, cols) pixels (bilinear, zero fill)."""
    n, c, h, w = x.shape
    cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom              # output -> source map
    ys, xs = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    ys, xs = ys - offset[:, 0, None, None], xs - offset[:, 1, None, None]
    src_y = cos[:, None, None] * ys + sin[:, None, None] * xs + (h - 1) / 2
    src_x = -sin[:, None, None] * ys + cos[:, None, None] * xs + (w - 1) / 2
    return sample(x, src_y, src_x)


def gaussian_blur_matrix(size, sigma):
    """The (size, size) matrix that blurs a vector with a Gaussian of `sigma` pixels
    (zero outside), so that K @ field @ K.T blurs a 2-D field."""
    d = np.arange(size)[:, None] - np.arange(size)[None, :]
    return np.exp(-0.5 * (d / sigma) ** 2)


def elastic(x, alpha=0.5, sigma=1.0):
    """Elastic distortion (Simard et al. 2003): each image is resampled along its own
    random displacement field, uniform noise blurred by a Gaussian of `sigma` pixels and
    scaled so that its largest displacement is `alpha` pixels (from fastdl's generator,
    so runs are seeded): the strokes bend a little, as in another writer's hand."""
    n, c, h, w = x.shape
    noise = fastdl.rand(2, n, h, w).numpy().astype(np.float64) * 2 - 1
    ky, kx = gaussian_blur_matrix(h, sigma), gaussian_blur_matrix(w, sigma)
    field = ky @ noise @ kx.T
    field *= alpha / np.maximum(np.abs(field).max(axis=(0, 2, 3), keepdims=True), 1e-12)
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return sample(x, ys + field[0], xs + field[1])


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


def prototypical_loss(features, labels):
    """The prototypical-network loss (Snell et al. 2017) with the batch as the episode:
    image i is classified by its squared distance to each class's centroid of the other
    images of that class in the batch (a softmax over minus the distances); images whose
    class has no other image in the batch are left out, and so are such classes."""
    y = labels.numpy()
    classes, y = np.unique(y, return_inverse=True)
    onehot = np.eye(len(classes), dtype=np.float32)[y]                         # (B, K)
    others = onehot.sum(axis=0)[None, :] - onehot                              # other images of class k
    keep = np.nonzero(others[np.arange(len(y)), y] > 0)[0]
    if len(keep) == 0:
        return (features * 0).sum()
    const = lambda a: fastdl.tensor(np.ascontiguousarray(a)).to(features.dtype)
    sums = const(onehot.T).matmul(features)                                    # (K, D)
    own = const(onehot[:, :, None]) * features.unsqueeze(1)                    # (B, K, D): i's own share
    centroids = (sums.unsqueeze(0) - own) * const(1 / np.maximum(others, 1)[:, :, None])
    distance = (features.unsqueeze(1) - centroids).square().sum(dim=2)        # (B, K)
    absent = const(np.where(others > 0, 0.0, -1e4))
    keep_t = fastdl.tensor(keep)
    return nn.functional.cross_entropy((absent - distance)[keep_t], fastdl.tensor(y)[keep_t])


def with_composite_classes(data, num_classes, seed):
    """More pretraining classes from the same images (Huh et al. 2016: more classes, more
    general features): each image's top half over the bottom half of another image drawn
    at random (a seeded permutation per split), class a * num_classes + b for a top of
    class a and a bottom of class b, so num_classes**2 classes whose halves must be told
    apart on their own."""
    rng = np.random.default_rng(seed)
    out = []
    for x, y in (data[:2], data[2:]):
        xs, ys = x.numpy(), y.numpy()
        other = rng.permutation(len(ys))
        half = xs.shape[2] // 2
        mixed = np.concatenate([xs[:, :, :half], xs[other, :, half:]], axis=2)
        out += [fastdl.tensor(np.ascontiguousarray(mixed)), fastdl.tensor(ys * num_classes + ys[other])]
    return tuple(out)


def manifold_mixup_loss(model, x, y, alpha):
    """Manifold mixup (Verma et al. 2019; the pretraining of S2M2, Mangla et al. 2020):
    the batch's hidden state after a random conv block (or the input) is mixed with a
    shuffled copy of itself, lam ~ Beta(alpha, alpha), and the head's cross-entropy is
    mixed the same way, so that features vary smoothly between classes. The random
    draws come from fastdl's generator (runs stay seeded)."""
    ends = (0,) + cnn.DigitsCNN.BLOCK_ENDS
    draw = fastdl.rand(2).numpy()
    cut = ends[min(int(draw[0] * len(ends)), len(ends) - 1)]
    lam = float(np.random.default_rng(int(draw[1] * 2 ** 31)).beta(alpha, alpha))
    perm = fastdl.randperm(len(y))
    hidden = model.features[:cut](x)
    logits = model.head(model.features[cut:](hidden * lam + hidden[perm] * (1 - lam)))
    cross_entropy = nn.functional.cross_entropy
    return cross_entropy(logits, y) * lam + cross_entropy(logits, y[perm]) * (1 - lam)


def contrastive_loss(z1, z2, temperature=0.5, labels=None):
    """NT-Xent (SimCLR, Chen et al. 2020) between two views z1, z2 (B, D) of a batch: each
    of the 2B rows is classified, by a softmax over its cosine similarities / temperature
    to the 2B - 1 other rows, as its other view. With `labels` (B,) it is SupCon (Khosla et
    al. 2020, L_out): every other row of the same label is a positive, the loss averaging
    minus the log-probability over them."""
    n = len(z1)
    z = unit_rows(fastdl.cat([z1, z2]))
    y = np.tile(labels.numpy() if labels is not None else np.arange(n), 2)
    positive = (y[:, None] == y[None, :]) & ~np.eye(2 * n, dtype=bool)
    const = lambda a: fastdl.tensor(np.ascontiguousarray(a, dtype=np.float32)).to(z.dtype)
    logits = z.matmul(z.t()) * (1.0 / temperature) + const(np.eye(2 * n) * -1e4)   # a row is not its own pair
    log_p = nn.functional.log_softmax(logits, dim=1)
    weights = positive / positive.sum(axis=1, keepdims=True)
    return -(log_p * const(weights)).sum() * (1.0 / (2 * n))


def contrastive_view(kind):
    """The random view of contrastive pretraining: random_affine, then elastic() too
    with "elastic"."""
    if kind == "affine":
        return random_affine
    if kind == "elastic":
        return lambda x: elastic(random_affine(x))
    raise ValueError(f"transfer: contrastive_views must be 'affine' or 'elastic', got {kind!r}")


def pretraining_criterion(reconstruction, prototypical, mixup=0.0, mixup_alpha=2.0, cross_entropy_weight=1.0,
                          contrastive=0.0, supervised=False, temperature=0.5, views="affine"):
    """The pretraining loss: cross-entropy of the head's logits, plus `reconstruction`
    times the squared error of model.decoder rebuilding the (augmented) 8x8 input from
    the features (so that they keep the strokes' layout, not only what separates the
    pretraining classes), plus `prototypical` times prototypical_loss on the features,
    plus `mixup` times manifold_mixup_loss, plus `contrastive` times contrastive_loss
    (SupCon with the batch's labels when `supervised`) of model.projector on two fresh
    contrastive_view()s of the batch; `cross_entropy_weight` scales the cross-entropy (0:
    the head is not trained, the features learn from the other terms alone)."""
    cross_entropy, squared_error = nn.CrossEntropyLoss(), nn.MSELoss()
    view = contrastive_view(views)

    def criterion(model, x, y):
        features = model.features(x)
        loss = cross_entropy(model.head(features), y)
        if cross_entropy_weight != 1.0:
            loss = loss * cross_entropy_weight
        if reconstruction:
            loss = loss + reconstruction * squared_error(model.decoder(features), x.reshape(len(x), -1))
        if prototypical:
            loss = loss + prototypical * prototypical_loss(features, y)
        if mixup:
            loss = loss + mixup * manifold_mixup_loss(model, x, y, mixup_alpha)
        if contrastive:
            z1, z2 = (model.projector(model.features(view(x))) for _ in range(2))
            loss = loss + contrastive * contrastive_loss(z1, z2, temperature, y if supervised else None)
        return loss
    return criterion


def pretraining_model(config, num_classes):
    """The network pretrain() trains: a DigitsCNN with config["pretrain_head"] over
    `num_classes`, a decoder when config["pretrain_reconstruction"], and a projection MLP
    (SimCLR's) when config["pretrain_contrastive"]."""
    model = cnn.DigitsCNN(config["width"], num_classes=num_classes)
    if config["pretrain_head"] != "linear":
        model.head = new_head(config["pretrain_head"], model.head.in_features, num_classes, config["cosine_scale"])
    if config["pretrain_reconstruction"]:
        model.decoder = nn.Sequential(nn.Linear(model.head.in_features, 128), nn.ReLU(), nn.Linear(128, 64))
    if config["pretrain_contrastive"]:
        model.projector = nn.Sequential(nn.Linear(model.head.in_features, 128), nn.ReLU(), nn.Linear(128, 64))
    return model


def pretrain(config, seed, run=None, state=None):
    """A DigitsCNN trained on digits 0-4: on their five classes, or with
    config["pretrain_exemplars"] on one class per training image; in
    config["pretrain_poses"] poses, each its own class; with random_affine when
    config["pretrain_affine"], else random 1-pixel shifts. Returns (model, its accuracy
    on the 0-4 test split, or on its own exemplars, in the same poses)."""
    poses = config["pretrain_poses"]
    data, classes = cnn.load_digits_tensors(seed=seed, classes=range(5)), 5
    if config["pretrain_source"] == "all":
        # every 0-4 image is source data (none is a few-shot test image); the pretraining
        # accuracy is then measured on images it trained on
        data = (fastdl.cat([data[0], data[2]]), fastdl.cat([data[1], data[3]])) + data[2:]
    elif config["pretrain_source"] != "train":
        raise ValueError(f"transfer: pretrain_source must be 'train' or 'all', got {config['pretrain_source']!r}")
    if config["pretrain_exemplars"]:
        # Exemplar-CNN (Dosovitskiy et al. 2014): every training image is its own class,
        # scored on recognising 200 of the (unaugmented) images themselves
        x, ids = data[0], fastdl.arange(len(data[0]))
        data, classes = (x, ids, x[:200], ids[:200]), len(ids)
    elif config["pretrain_composites"]:
        data, classes = with_composite_classes(data, classes, seed), classes * classes
    data = with_pose_classes(data, poses, classes)
    model = pretraining_model(config, classes * poses)
    criterion = pretraining_criterion(config["pretrain_reconstruction"], config["pretrain_prototypical"],
                                      config["pretrain_mixup"], config["mixup_alpha"],
                                      config["pretrain_cross_entropy"], config["pretrain_contrastive"],
                                      config["contrastive_supervised"], config["contrastive_temperature"],
                                      config["contrastive_views"])
    augment = random_affine if config["pretrain_affine"] else (lambda x: cnn.random_shift(x, 1))
    acc = _classify.fit(model, data, config["epochs"], config["lr"], config["batch_size"],
                        weight_decay=cnn.DEFAULTS["weight_decay"], augment=augment, run=run, state=state,
                        desc="pretrain", criterion=criterion)
    return model, acc


def reinit_last_blocks(model, n, width):
    """Gives the last `n` conv blocks of a DigitsCNN a fresh random initialisation (as a
    new DigitsCNN of `width` has), keeping the earlier pretrained blocks: the last block
    is the most specific to the pretraining classes (Yosinski et al. 2014)."""
    ends = (0,) + cnn.DigitsCNN.BLOCK_ENDS
    if not 0 <= n < len(ends):
        raise ValueError(f"transfer: reinit_blocks must be in 0..{len(ends) - 1}, got {n}")
    fresh = cnn.DigitsCNN(width).features
    for i in range(ends[len(ends) - 1 - n], ends[-1]):
        model.features[i].load_state_dict(fresh[i].state_dict())


def side_pretraining(config):
    """The config of the side trunk's own pretraining (config["side_pretrained"]): the
    same recipe at width config["side_width"]."""
    if not config["side_width"]:
        raise ValueError("transfer: side_pretrained needs side_width > 0")
    return dict(config, width=config["side_width"])


def fine_tune(pre, target, config, phase, side_pre=None):
    """LP-FT on the few-shot `target` from the pretrained `pre` (whose modules it takes
    over): AdaBN on config["adapt_bn"]'s blocks, then a new head (config["head"],
    imprinted with the labelled images' mean features when config["imprint"]) trained on
    the features of every (frozen) block (the probe), then the unfrozen blocks and that
    head together, pulled towards the pretrained weights when config["l2sp"] > 0.
    config["side_width"] > 0 adds a fresh trainable trunk of that width beside the
    pretrained one (side-tuning); config["centroid_logits"] > 0 adds, at that scale, the
    adapted pretrained extractor's nearest-centroid cosine logits (CentroidLogits);
    config["center_features"] centres the imprinted and the centroid features on the
    labelled images' mean (SimpleShot); config["reinit_blocks"] re-initialises the last
    conv blocks first; `side_pre` (a second pretrained DigitsCNN) is the side trunk
    instead of a fresh one, every BatchNorm of it adapted unless adapt_bn is "none".
    phase(model, name, epochs, lr) trains and returns the accuracy; returns (the
    fine-tuned FineTuned, its accuracy)."""
    adapt = {"all": pre.features, "frozen": first_blocks(pre, config["frozen_blocks"]), "none": None}
    if config["adapt_bn"] not in adapt:
        raise ValueError(f"transfer: adapt_bn must be 'all', 'frozen' or 'none', got {config['adapt_bn']!r}")
    if config["reinit_blocks"]:
        reinit_last_blocks(pre, config["reinit_blocks"], config["width"])
    if adapt[config["adapt_bn"]] is not None:
        adapt_batchnorm(adapt[config["adapt_bn"]], target[0])
        if side_pre is not None:
            adapt_batchnorm(side_pre.features, target[0])
    classes, scored = 5 * config["few_shot_poses"], (5 if config["few_shot_poses"] > 1 else 0)
    extra = None
    if config["centroid_logits"]:
        extra = CentroidLogits(frozen_copy(pre.features, config["width"]), target[0], target[1], classes,
                               config["centroid_logits"], config["center_features"])
    if side_pre is not None:
        side = side_pre.features.requires_grad_(True)
    else:
        side = cnn.DigitsCNN(config["side_width"]).features if config["side_width"] else None
    # the probe (or imprinting) fits the head first, so that fine-tuning starts from a fitted
    # head instead of pushing a random head's gradients into the features (Kumar et al. 2022)
    head = new_head(config["head"], pre.head.in_features + 8 * config["side_width"], classes, config["cosine_scale"])
    probe = fine_tuned(pre, classes, len(cnn.DigitsCNN.BLOCK_ENDS), head, scored, side, extra)
    if config["imprint"]:
        probe.eval()
        with fastdl.no_grad():
            imprint(head, probe.features(target[0]), target[1], config["center_features"])
    phase(probe, "probe", config["probe_epochs"], config["probe_lr"])
    ft = fine_tuned(pre, classes, config["frozen_blocks"], probe.head, scored, side, extra)
    if config["l2sp"]:
        l2_sp(ft.tuned, config["l2sp"])
    kwargs = {}
    if config["delta"]:
        if side is not None or extra is not None:
            raise ValueError("transfer: delta needs a plain FineTuned (no side_width, no centroid_logits)")
        reference = frozen_copy(pre.features, config["width"])[len(ft.frozen):]
        kwargs["criterion"] = delta_criterion(reference, config["delta"], len(ft.frozen))
    start = {k: v.clone() for k, v in ft.state_dict().items()} if config["wise"] != 1.0 else None
    acc = phase(ft, "finetune", config["finetune_epochs"], config["finetune_lr"], **kwargs)
    if start is not None:
        wise(ft, start, config["wise"], target[0])
        acc = _classify.accuracy(ft, target[2], target[3])
    return ft, acc


def delta_criterion(reference, weight, cut):
    """DELTA (Li et al. 2019), without its channel attention: cross-entropy plus `weight`
    times the mean squared difference between the output feature maps of each tuned conv
    block and those of `reference` (a frozen copy of the tuned blocks as they were before
    fine-tuning, features[cut:]), both fed the frozen blocks' output. The copy runs in
    train mode so that its BatchNorm uses the same batch statistics as the model's: the
    term starts at exactly zero and only grows as the features move away."""
    reference.requires_grad_(False).train()
    ends = {e - cut for e in cnn.DigitsCNN.BLOCK_ENDS if e > cut}
    cross_entropy = nn.CrossEntropyLoss()

    def criterion(model, x, y):
        h = model.frozen(x)
        ref, drift = h.detach(), []
        for i, (layer, ref_layer) in enumerate(zip(model.tuned, reference)):
            h = layer(h)
            with fastdl.no_grad():
                ref = ref_layer(ref)
            if i + 1 in ends:
                drift.append((h - ref).square().mean())
        return cross_entropy(model.head(h), y) + sum(drift) * (weight / len(drift))
    return criterion


def wise(model, start, alpha, x):
    """WiSE-FT (Wortsman et al. 2022): every floating-point parameter and buffer of the
    fine-tuned `model` becomes (1 - alpha) * its value in `start` (the state_dict before
    fine-tuning: the adapted pretrained blocks and the imprinted head) + alpha * its
    fine-tuned value; then the BatchNorm statistics of the tuned blocks are re-estimated
    on the labelled images `x` (AdaBN), as they were at the start; `model` is left in
    eval mode."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"transfer: wise must be in [0, 1], got {alpha}")
    mixed = {k: (start[k] * (1 - alpha) + v * alpha if v.dtype.is_floating_point else v)
             for k, v in model.state_dict().items()}
    model.load_state_dict(mixed)
    model.eval()
    with fastdl.no_grad():
        h = model.frozen(x)
    adapt_batchnorm(model.tuned, h)


def ensemble_accuracy(models, x, y, batch_size=1000):
    """The accuracy on (x, y) of the mean of `models`' softmax outputs (eval mode)."""
    correct = 0
    for m in models:
        m.eval()
    with fastdl.no_grad():
        for s in range(0, len(y), batch_size):
            p = sum(nn.functional.softmax(m(x[s:s + batch_size]), dim=1) for m in models)
            correct += int((p.argmax(dim=1) == y[s:s + batch_size]).sum())
    return correct / len(y)


def member_phase(phase, k):
    """`phase` with the phase names of ensemble member k (0: unchanged, else name + str(k + 1))."""
    if k == 0:
        return phase
    return lambda model, name, epochs, lr, **kw: phase(model, f"{name}{k + 1}", epochs, lr, **kw)


def member_seed(seed, k):
    """The random seed of ensemble member k's own pretraining (config["ensemble_pretrain"]),
    far from every run's seed."""
    return seed + 1_000_003 * k


def fine_tune_ensemble(pre, target, config, phase, side_pre=None, seed=None):
    """config["ensemble"] fine_tune()s of the one pretrained `pre` (each from a copy of
    its weights, one after the other in the random stream, so they differ by their batch
    orders), or with config["ensemble_pretrain"] member k > 0 from its own pretraining on
    the same 0-4 images of `seed`'s split, after fastdl.manual_seed(member_seed(seed, k));
    returns (the members, the accuracy of their mean softmax, or the single member's
    accuracy when there is one)."""
    k_models = config["ensemble"]
    if k_models < 1:
        raise ValueError(f"transfer: ensemble must be >= 1, got {k_models}")
    if k_models == 1:
        ft, acc = fine_tune(pre, target, config, phase, side_pre)
        return [ft], acc
    if side_pre is not None:
        raise ValueError("transfer: ensemble does not combine with side_pretrained")
    weights = {k: v.clone() for k, v in pre.state_dict().items()}
    members = []
    if config["ensemble_pretrain"] and seed is None:
        raise ValueError("transfer: ensemble_pretrain needs the run's seed")
    for k in range(k_models):
        model = pre
        if k and config["ensemble_pretrain"]:
            fastdl.manual_seed(member_seed(seed, k))
            model, _ = pretrain(config, seed)
        elif k:
            model = pretraining_model(config, pre.head.out_features)
            model.load_state_dict(weights)
        members.append(fine_tune(model, target, config, member_phase(phase, k))[0])
    return members, ensemble_accuracy(members, target[2], target[3])


def scratch_ensemble(config, target, phase):
    """The from-scratch arm: config["ensemble"] scratch_model()s trained one after the
    other in the random stream; returns (the members, the accuracy of their mean softmax,
    or the single member's accuracy)."""
    members, acc = [], None
    for k in range(config["ensemble"]):
        model = scratch_model(config)
        # the same number of passes over the labelled images as probe + fine-tuning
        acc = member_phase(phase, k)(model, "scratch", config["probe_epochs"] + config["finetune_epochs"],
                                     config["scratch_lr"], weight_decay=config["scratch_weight_decay"])
        members.append(model)
    if len(members) > 1:
        acc = ensemble_accuracy(members, target[2], target[3])
    return members, acc


def scratch_model(config):
    """The from-scratch arm's network: the fine-tuned arm's architecture (a DigitsCNN, or
    with config["side_width"] > 0 the same two trunks side by side, every weight random
    and trained; over the pose classes with config["few_shot_poses"] > 1) with
    config["scratch_head"]."""
    classes = 5 * config["few_shot_poses"]
    model = cnn.DigitsCNN(config["width"], num_classes=classes)
    side = cnn.DigitsCNN(config["side_width"]).features if config["side_width"] else None
    head = model.head
    if config["scratch_head"] != "linear" or side is not None:
        head = new_head(config["scratch_head"], model.head.in_features + 8 * config["side_width"], classes,
                        config["cosine_scale"])
    if side is None and classes == 5:
        model.head = head
        return model
    return fine_tuned(model, classes, 0, head, 5 if classes > 5 else 0, side)


def few_shot_target(config, seed):
    """The few-shot data of seed `seed`: few_shot() of digits 5-9, the labelled images in
    config["few_shot_poses"] poses (each pose of each digit its own class, as in
    pretraining; the test images stay upright)."""
    target = few_shot(cnn.load_digits_tensors(seed=seed, classes=range(5, 10)), config["shots"], seed)
    if config["few_shot_poses"] == 1:
        return target
    return with_pose_classes(target[:2] + target[:2], config["few_shot_poses"], 5)[:2] + target[2:]


def few_shot_augment(config):
    """The augmentation of both few-shot arms' labelled images: None or elastic()."""
    if config["few_shot_augment"] == "none":
        return None
    if config["few_shot_augment"] == "elastic":
        return lambda x: elastic(x, config["elastic_alpha"], config["elastic_sigma"])
    raise ValueError(f"transfer: few_shot_augment must be 'none' or 'elastic', got {config['few_shot_augment']!r}")


def train(run, config, state=None):
    """`fastdl train transfer`: {"finetuned_accuracy", "scratch_accuracy", "pretrain_accuracy"}."""
    phases = dict(state["phases"]) if state else {}
    pre, pre_acc = pretrain(config, run.seed, _PhaseRun(run, "pretrain", phases), phases.get("pretrain"))
    side_pre = None
    if config["side_pretrained"]:
        side_pre, _ = pretrain(side_pretraining(config), run.seed, _PhaseRun(run, "pretrain_side", phases),
                               phases.get("pretrain_side"))
    target = few_shot_target(config, run.seed)

    augment = few_shot_augment(config)

    def phase(model, name, epochs, lr, weight_decay=config["finetune_weight_decay"], criterion=None):
        # both few-shot models see the same images per class, augmented the same way
        return _classify.fit(model, target, epochs, lr, config["finetune_batch_size"], weight_decay=weight_decay,
                             augment=augment, run=_PhaseRun(run, name, phases), state=phases.get(name), desc=name,
                             criterion=criterion)

    _, ft_acc = fine_tune_ensemble(pre, target, config, phase, side_pre, run.seed)
    # scratch starts from the same random state whatever the transfer recipe consumed,
    # so that two recipes are compared against the very same scratch runs
    fastdl.manual_seed(run.seed)
    _, scratch_acc = scratch_ensemble(config, target, phase)
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
