"""A small class-conditional DCGAN (Radford et al., 2016) on scikit-learn's 8x8 digits: a
ConvTranspose2d generator (z and the label's one-hot code -> 2x2 -> 4x4 -> 8x8, BatchNorm +
ReLU, sigmoid output) and a Conv2d discriminator (8x8 -> 4x4 -> 2x2, LeakyReLU(0.2),
BatchNorm) with two heads, real/fake and the class (ACGAN), trained with the non-saturating
loss plus the class cross-entropy and Adam(betas=(0.5, 0.999)) for 200 epochs, the lr
falling linearly towards 0 over the last third. conditional=None gives the unconditional
DCGAN of sessions 1-5 (0.85 on the fixed judge at 200 epochs, against ACGAN's 0.94).

Two judges score the samples: the fixed judge, the cnn family's DigitsCNN trained once
with judge_seed (98.9 % test accuracy, mean max-softmax 0.941 on its real test digits) and
the same whatever the run's seed, and the mlp family's classifier retrained per run seed
(94-97.5 %, 0.95-0.97 on real digits; kept for comparison with earlier figures). For each
we report the mean max-softmax confidence on the samples (are they recognisable digits?),
how many of the 10 classes appear among them and the class histogram's reverse KL to
uniform (are they diverse?): per epoch on `eval_samples`, at the end on `final_samples`.
conditional="acgan" (Odena et al., 2017; the default): G also gets a class label (its
one-hot code concatenated to z) and D a second head that predicts the class, trained with
cross-entropy (weight class_weight) on real digits with their labels and on fakes with
their sampled labels, by D and by G alike. Samples are drawn with labels uniform over the
10 classes, and both judges also report label_agreement: how often their class is the label.
Trial options, measured and not kept as defaults (docs/results_generative.md): d_width,
d_norm="spectral" (SNGAN's D), loss="hinge", real_label < 1 (one-sided label smoothing),
augment_shift > 0 (DiffAugment's translation on D's inputs).

    from fastdl.models import dcgan
    G, summary = dcgan.fit(epochs=200)
    summary["confidence"]; G.sample(16); G.sample(3, labels=[0, 4, 9])  # labels: conditional G only
"""
import numpy as np

import fastdl
from fastdl import nn
from fastdl.nn import functional as F

from . import cnn, mlp
from ._images import digits_flat, save_grid
from ._run import curve, run_family

DEFAULTS = {"epochs": 200, "z_dim": 32, "width": 64, "d_width": 64, "d_norm": "batch", "lr": 4e-4, "batch_size": 32,
            "lr_decay_last": 1 / 3, "augment_shift": 0, "loss": "bce", "real_label": 1.0, "eval_samples": 1000,
            "final_samples": 10000, "classifier_epochs": 30, "judge_seed": 0, "judge_epochs": 8,
            "conditional": "acgan", "class_weight": 1.0}


NUM_CLASSES = 10


class Generator(nn.Module):
    """num_classes > 0: class-conditional, the label's one-hot code concatenated to z (ACGAN)."""

    def __init__(self, z_dim=32, width=64, num_classes=0):
        super().__init__()
        self.z_dim, self.num_classes = z_dim, num_classes
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim + num_classes, 2 * width, 2, 1, 0, bias=False), nn.BatchNorm2d(2 * width),
            nn.ReLU(),  # 2x2
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),  # 4x4
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Sigmoid())  # 8x8 in [0, 1], as the data
        if num_classes:  # the one-hot codes as a lookup table: one indexing op per forward
            self.register_buffer("codes", fastdl.eye(num_classes), persistent=False)

    def forward(self, z, labels=None):
        if (labels is None) != (self.num_classes == 0):
            raise ValueError(f"dcgan.Generator: labels are needed exactly when the generator is conditional "
                             f"(num_classes={self.num_classes}), got labels={'None' if labels is None else 'a tensor'}")
        if labels is not None:
            z = fastdl.cat([z, self.codes[labels]], dim=1)
        return self.net(z.reshape(len(z), -1, 1, 1))

    def random_labels(self, n):
        """n class labels drawn uniformly (None for an unconditional generator)."""
        return fastdl.randint(0, self.num_classes, (n,)) if self.num_classes else None

    def sample(self, n, labels=None):
        """n images; a conditional generator draws its labels uniformly unless given `labels`
        (n integers in [0, num_classes): a sequence, NumPy array or int64 tensor)."""
        labels = self.random_labels(n) if labels is None else self._check_labels(n, labels)
        with fastdl.no_grad():
            return self(fastdl.randn(n, self.z_dim), labels)

    def _check_labels(self, n, labels):
        if not self.num_classes:
            raise ValueError("dcgan.Generator.sample: labels given to an unconditional generator")
        values = labels.numpy() if isinstance(labels, fastdl.Tensor) else np.asarray(labels)
        if values.shape != (n,) or not np.issubdtype(values.dtype, np.integer):
            raise ValueError(f"dcgan.Generator.sample: labels must be {n} integers (shape ({n},)), got shape "
                             f"{values.shape} of dtype {values.dtype}")
        if n and (values.min() < 0 or values.max() >= self.num_classes):
            raise ValueError(f"dcgan.Generator.sample: labels must lie in [0, {self.num_classes}), got values "
                             f"from {values.min()} to {values.max()}")
        return fastdl.tensor(values.astype(np.int64))


def _unit(v):
    return v / ((v * v).sum().sqrt() + 1e-12)


class SpectralNormConv2d(nn.Conv2d):
    """Conv2d whose weight is divided by its largest singular value (Miyato et al., 2018),
    estimated by one power-iteration step per training forward on the (out, in*kh*kw)
    matrix; the left singular vector `u` is a buffer, so it travels with checkpoints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("u", _unit(fastdl.randn(self.out_channels)))

    def forward(self, x):
        w = self.weight.reshape(self.out_channels, -1)
        with fastdl.no_grad():
            v = _unit(w.t() @ self.u)
            u = _unit(w @ v)  # a fresh tensor: sigma's graph must not see the buffer's later updates
            if self.training:
                self.u.copy_(u)
        sigma = (u * (w @ v)).sum()
        return F.conv2d(x, self.weight / sigma, self.bias, self.stride, self.padding)


class Discriminator(nn.Module):
    """norm="batch": BatchNorm on the middle layer (DCGAN); norm="spectral": every conv
    spectrally normalised and no BatchNorm (SNGAN). num_classes > 0: a second head on the
    2x2 features predicts the class (ACGAN's auxiliary classifier); see `logits`."""

    def __init__(self, width=64, norm="batch", num_classes=0):
        super().__init__()
        if norm not in ("batch", "spectral"):
            raise ValueError(f"dcgan.Discriminator: norm must be 'batch' or 'spectral', got {norm!r}")
        conv = SpectralNormConv2d if norm == "spectral" else nn.Conv2d
        first = conv(1, width, 4, 2, 1)  # built in this order so the batch-norm D keeps its seeded init
        middle = ([nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * width)] if norm == "batch"
                  else [conv(width, 2 * width, 4, 2, 1)])
        self.net = nn.Sequential(
            first, nn.LeakyReLU(0.2),  # 4x4
            *middle, nn.LeakyReLU(0.2),  # 2x2
            conv(2 * width, 1, 2, 1, 0))  # 1x1 logit
        self.num_classes = num_classes
        if num_classes:
            self.classify = conv(2 * width, num_classes, 2, 1, 0)

    def logits(self, x):
        """(real/fake logits (N,), class logits (N, num_classes) or None when unconditional)."""
        if not self.num_classes:
            return self.net(x).reshape(-1), None
        *trunk, head = self.net
        for layer in trunk:
            x = layer(x)
        return head(x).reshape(-1), self.classify(x).reshape(len(x), -1)

    def forward(self, x):
        return self.logits(x)[0]


_JUDGES = {}


def fixed_judge(seed=0, epochs=8):
    """The cnn family's DigitsCNN trained on the digits split of `seed`, the same for every
    run whatever the run's seed (cached per process; fastdl's RNG state is restored, so a
    run's stream does not depend on whether the judge was cached). Returns (predict_proba,
    test accuracy, mean max-softmax on its own real test digits)."""
    key = (seed, epochs)
    if key not in _JUDGES:
        rng = fastdl.get_rng_state()
        fastdl.manual_seed(seed)
        model, data = cnn.DigitsCNN(), cnn.load_digits_tensors(seed=seed)
        opts = {k: cnn.DEFAULTS[k] for k in ("lr", "batch_size", "weight_decay", "shift")}
        acc = cnn.fit(model, data, epochs, **opts)
        model.eval()
        fastdl.set_rng_state(rng)

        def proba(images):
            with fastdl.no_grad():
                return fastdl.softmax(model(images.reshape(len(images), 1, 8, 8)), dim=1).numpy()
        _JUDGES[key] = (proba, acc, float(proba(data[2]).max(1).mean()))
    return _JUDGES[key]


def train_classifier(seed, epochs=30):
    """An MLP digits classifier (the mlp family); returns (predict_proba, test accuracy).
    Note: mlp.train reseeds fastdl's generator with `seed`."""
    result = mlp.train(epochs=epochs, seed=seed, log=None)
    params = result["params"]

    def proba(images):
        with fastdl.no_grad():
            return fastdl.softmax(mlp.forward(params, images.reshape(len(images), 64)), dim=1).numpy()
    return proba, result["test_accuracy"]


def sample_metrics(proba, images, prefix="", labels=None):
    p = proba(images)
    hist = np.bincount(p.argmax(1), minlength=10) / len(p)
    nz = hist > 0
    metrics = {prefix + "confidence": float(p.max(1).mean()), prefix + "classes": int(nz.sum()),
               prefix + "class_reverse_kl": float(np.sum(hist[nz] * np.log(hist[nz] * 10)))}
    if labels is not None:
        metrics[prefix + "label_agreement"] = float(np.mean(p.argmax(1) == labels.numpy()))
    return metrics


def judge_samples(judges, images, labels=None):
    """Both judges' metrics on the same images: the fixed CNN's unprefixed, the per-seed MLP's as mlp_*.
    With the conditioning `labels`, also label_agreement: how often the judge's class is the label."""
    return {**sample_metrics(judges["cnn"], images, labels=labels),
            **sample_metrics(judges["mlp"], images, "mlp_", labels)}


def sampled(G, n):
    """n samples and their conditioning labels (None for an unconditional G)."""
    labels = G.random_labels(n)
    return G.sample(n, labels), labels


def class_losses(config):
    """(d_class_loss(real_class_logits, real_labels, fake_class_logits, fake_labels),
    g_class_loss(fake_class_logits, fake_labels)): ACGAN's auxiliary cross-entropy terms
    weighted by class_weight, or zero for an unconditional run."""
    kind, weight = config["conditional"], config["class_weight"]
    if kind is None:
        return (lambda *_: 0.0), (lambda *_: 0.0)
    if kind != "acgan":
        raise ValueError(f"dcgan: conditional must be 'acgan' or None, got {kind!r}")
    ce = F.cross_entropy
    return ((lambda r, yr, f, yf: weight * (ce(r, yr) + ce(f, yf))), (lambda f, yf: weight * ce(f, yf)))


def differentiable_shift(x, max_shift):
    """Shifts each image of a (N, C, H, W) batch by its own random offset in [-max_shift,
    max_shift] pixels per axis, filling with zeros, as a gather so that gradients reach G
    (DiffAugment's translation, Zhao et al., 2020: D sees shifted real and fake images)."""
    n, c, h, w = x.shape
    offsets = fastdl.randint(-max_shift, max_shift + 1, (n, 2)).numpy()
    rows = np.arange(h) - offsets[:, 0, None]  # (n, h) source row of each output row
    cols = np.arange(w) - offsets[:, 1, None]
    source = rows[:, :, None] * w + cols[:, None, :]
    outside = ((rows < 0) | (rows >= h))[:, :, None] | ((cols < 0) | (cols >= w))[:, None, :]
    source[outside] = h * w  # the appended zero pixel
    index = np.broadcast_to(source.reshape(n, 1, h * w), (n, c, h * w))
    flat = fastdl.cat([x.reshape(n, c, h * w), fastdl.zeros(n, c, 1, dtype=x.dtype)], dim=2)
    return flat.gather(2, fastdl.tensor(np.ascontiguousarray(index))).reshape(n, c, h, w)


def gan_losses(kind, real_label):
    """(d_loss(real_logits, fake_logits), g_loss(fake_logits)) for the non-saturating BCE
    loss (real_label < 1: one-sided label smoothing) or the hinge loss."""
    if kind == "hinge":
        return (lambda r, f: (1 - r).relu().mean() + (1 + f).relu().mean()), (lambda f: -f.mean())
    if kind != "bce":
        raise ValueError(f"dcgan: loss must be 'bce' or 'hinge', got {kind!r}")
    bce = F.binary_cross_entropy_with_logits
    return ((lambda r, f: bce(r, fastdl.full((len(r),), real_label)) + bce(f, fastdl.zeros(len(f)))),
            (lambda f: bce(f, fastdl.ones(len(f)))))


def lr_at(config, epoch):
    """Both optimisers' lr in 0-based `epoch`: config["lr"], falling linearly towards 0 over
    the last `lr_decay_last` fraction of the epochs (0: constant)."""
    epochs, frac = config["epochs"], config["lr_decay_last"]
    if not 0 <= frac <= 1:
        raise ValueError(f"dcgan: lr_decay_last must be a fraction in [0, 1], got {frac!r}")
    decay_epochs = frac * epochs
    if decay_epochs <= 0:
        return config["lr"]
    return config["lr"] * min(1.0, (epochs - epoch) / decay_epochs)


def train(run, config, state=None):
    """`fastdl train dcgan`: one D and one G step per minibatch, a checkpoint per epoch."""
    return _train(run, config, state)[1]


def _train(run, config, state):
    mlp_proba, mlp_acc = train_classifier(run.seed, config["classifier_epochs"])
    judge, judge_acc, judge_real = fixed_judge(config["judge_seed"], config["judge_epochs"])
    judges = {"cnn": judge, "mlp": mlp_proba}
    run.say(f"judge (DigitsCNN, seed {config['judge_seed']}): test accuracy {judge_acc:.4f}, confidence on real "
            f"test digits {judge_real:.4f}; per-seed MLP classifier: test accuracy {mlp_acc:.4f}")
    xtr, ytr = digits_flat(seed=run.seed)[:2]
    xtr = xtr.reshape(-1, 1, 8, 8)
    d_class_loss, g_class_loss = class_losses(config)
    classes = NUM_CLASSES if config["conditional"] else 0
    G = Generator(config["z_dim"], config["width"], classes)
    D = Discriminator(config["d_width"], config["d_norm"], classes)
    d_loss_fn, g_loss_fn = gan_losses(config["loss"], config["real_label"])
    shift = config["augment_shift"]
    augment = (lambda x: differentiable_shift(x, shift)) if shift else (lambda x: x)
    opt_g = fastdl.optim.Adam(G.parameters(), lr=config["lr"], betas=(0.5, 0.999))
    opt_d = fastdl.optim.Adam(D.parameters(), lr=config["lr"], betas=(0.5, 0.999))
    start = 0
    if state is not None:
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        fastdl.set_rng_state(state["rng"])
        start = int(state["epoch"])
    n, bs = len(xtr), config["batch_size"]
    bar = run.progress(range(start, config["epochs"]), total=config["epochs"] - start, desc="dcgan")
    for epoch in bar:
        G.train()
        D.train()
        for group in opt_g.param_groups + opt_d.param_groups:
            group["lr"] = lr_at(config, epoch)  # a function of the epoch, so --resume needs no scheduler state
        perm = fastdl.randperm(n)
        d_sum = g_sum = 0.0
        steps = 0
        for i in range(0, n - bs + 1, bs):  # full batches only: BatchNorm statistics stay comparable
            real, real_labels = xtr[perm[i:i + bs]], ytr[perm[i:i + bs]]
            fake_labels = G.random_labels(bs)
            fake = G(fastdl.randn(bs, config["z_dim"]), fake_labels)
            real_logits, real_classes = D.logits(augment(real))
            fake_logits, fake_classes = D.logits(augment(fake.detach()))
            d_loss = (d_loss_fn(real_logits, fake_logits)
                      + d_class_loss(real_classes, real_labels, fake_classes, fake_labels))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            fake_logits, fake_classes = D.logits(augment(fake))
            g_loss = g_loss_fn(fake_logits) + g_class_loss(fake_classes, fake_labels)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            d_sum, g_sum, steps = d_sum + d_loss.item(), g_sum + g_loss.item(), steps + 1
        G.eval()
        metrics = judge_samples(judges, *sampled(G, config["eval_samples"]))
        run.log(epoch=epoch + 1, d_loss=d_sum / steps, g_loss=g_sum / steps, **metrics)
        bar.set_postfix(d=f"{d_sum / steps:.3f}", g=f"{g_sum / steps:.3f}", conf=f"{metrics['confidence']:.3f}")
        run.say(f"epoch {epoch + 1:4d}  D {d_sum / steps:.4f}  G {g_sum / steps:.4f}  confidence "
                f"{metrics['confidence']:.4f} (MLP {metrics['mlp_confidence']:.4f})  classes {metrics['classes']}"
                f"  class reverse KL {metrics['class_reverse_kl']:.3f}"
                + (f"  label agreement {metrics['label_agreement']:.3f}" if "label_agreement" in metrics else ""))
        run.checkpoint({"G": G.state_dict(), "D": D.state_dict(), "opt_g": opt_g.state_dict(),
                        "opt_d": opt_d.state_dict(), "rng": list(fastdl.get_rng_state()), "epoch": epoch + 1})
    G.eval()
    # the final figures on more samples than the per-epoch ones, to cut the metric's noise
    metrics = judge_samples(judges, *sampled(G, config["final_samples"]))
    save_samples(run.out_dir, G)
    # each judge's confidence on real test digits: the ceiling to compare against
    mlp_real = sample_metrics(mlp_proba, digits_flat(seed=run.seed)[2])["confidence"]
    return G, {**metrics, "judge_accuracy": judge_acc, "judge_real_confidence": judge_real,
               "mlp_accuracy": mlp_acc, "mlp_real_confidence": mlp_real}


def save_samples(out_dir, G):
    """samples.png: 4 rows of 16 samples, or for a conditional G one row of 8 per class."""
    if not G.num_classes:
        return save_grid(out_dir, "samples", [r.numpy() for r in G.sample(64).reshape(4, 16, 64).unbind(0)])
    images = G.sample(8 * G.num_classes, np.repeat(np.arange(G.num_classes), 8))
    return save_grid(out_dir, "samples", [r.numpy() for r in images.reshape(G.num_classes, 8, 64).unbind(0)],
                     [f"label {c}" for c in range(G.num_classes)])


def fit(seed=0, out_dir=None, quiet=True, **config):
    """Python API: trains with DEFAULTS updated by `config`; returns (G, summary)."""
    return run_family("dcgan", {**DEFAULTS, **config}, seed, out_dir, quiet,
                      lambda run, cfg: _train(run, cfg, None), PLOTS)


PLOTS = {"confidence": curve("confidence", "classifier confidence on samples"),
         "losses": curve("g_loss", "generator loss")}
