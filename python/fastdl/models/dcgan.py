"""A small DCGAN (Radford et al., 2016) on scikit-learn's 8x8 digits: a ConvTranspose2d
generator (z -> 2x2 -> 4x4 -> 8x8, BatchNorm + ReLU, sigmoid output) and a Conv2d
discriminator (8x8 -> 4x4 -> 2x2 -> 1, LeakyReLU(0.2), BatchNorm), trained with the
non-saturating loss and Adam(betas=(0.5, 0.999)) for 200 epochs, the lr falling linearly
towards 0 over the last third (the samples keep improving to epoch ~200: 0.81 -> 0.85 on
the fixed judge from epoch 60 to 200).

Two judges score the samples: the fixed judge, the cnn family's DigitsCNN trained once
with judge_seed (98.9 % test accuracy, mean max-softmax 0.941 on its real test digits) and
the same whatever the run's seed, and the mlp family's classifier retrained per run seed
(94-97.5 %, 0.95-0.97 on real digits; kept for comparison with earlier figures). For each
we report the mean max-softmax confidence on the samples (are they recognisable digits?),
how many of the 10 classes appear among them and the class histogram's reverse KL to
uniform (are they diverse?): per epoch on `eval_samples`, at the end on `final_samples`.
Trial options, measured and not kept as defaults (docs/results_generative.md): d_width,
d_norm="spectral" (SNGAN's D), loss="hinge", real_label < 1 (one-sided label smoothing),
augment_shift > 0 (DiffAugment's translation on D's inputs).

    from fastdl.models import dcgan
    G, summary = dcgan.fit(epochs=200)
    summary["confidence"]; G.sample(16)
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
            "final_samples": 10000, "classifier_epochs": 30, "judge_seed": 0, "judge_epochs": 8}


class Generator(nn.Module):
    def __init__(self, z_dim=32, width=64):
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 2 * width, 2, 1, 0, bias=False), nn.BatchNorm2d(2 * width), nn.ReLU(),  # 2x2
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),  # 4x4
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Sigmoid())  # 8x8 in [0, 1], as the data

    def forward(self, z):
        return self.net(z.reshape(len(z), self.z_dim, 1, 1))

    def sample(self, n):
        with fastdl.no_grad():
            return self(fastdl.randn(n, self.z_dim))


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
    spectrally normalised and no BatchNorm (SNGAN)."""

    def __init__(self, width=64, norm="batch"):
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

    def forward(self, x):
        return self.net(x).reshape(-1)


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


def sample_metrics(proba, images, prefix=""):
    p = proba(images)
    hist = np.bincount(p.argmax(1), minlength=10) / len(p)
    nz = hist > 0
    return {prefix + "confidence": float(p.max(1).mean()), prefix + "classes": int(nz.sum()),
            prefix + "class_reverse_kl": float(np.sum(hist[nz] * np.log(hist[nz] * 10)))}


def judge_samples(judges, images):
    """Both judges' metrics on the same images: the fixed CNN's unprefixed, the per-seed MLP's as mlp_*."""
    return {**sample_metrics(judges["cnn"], images), **sample_metrics(judges["mlp"], images, "mlp_")}


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
    xtr = digits_flat(seed=run.seed)[0].reshape(-1, 1, 8, 8)
    G, D = Generator(config["z_dim"], config["width"]), Discriminator(config["d_width"], config["d_norm"])
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
            real = xtr[perm[i:i + bs]]
            fake = G(fastdl.randn(bs, config["z_dim"]))
            d_loss = d_loss_fn(D(augment(real)), D(augment(fake.detach())))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = g_loss_fn(D(augment(fake)))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            d_sum, g_sum, steps = d_sum + d_loss.item(), g_sum + g_loss.item(), steps + 1
        G.eval()
        metrics = judge_samples(judges, G.sample(config["eval_samples"]))
        run.log(epoch=epoch + 1, d_loss=d_sum / steps, g_loss=g_sum / steps, **metrics)
        bar.set_postfix(d=f"{d_sum / steps:.3f}", g=f"{g_sum / steps:.3f}", conf=f"{metrics['confidence']:.3f}")
        run.say(f"epoch {epoch + 1:4d}  D {d_sum / steps:.4f}  G {g_sum / steps:.4f}  confidence "
                f"{metrics['confidence']:.4f} (MLP {metrics['mlp_confidence']:.4f})  classes {metrics['classes']}"
                f"  class reverse KL {metrics['class_reverse_kl']:.3f}")
        run.checkpoint({"G": G.state_dict(), "D": D.state_dict(), "opt_g": opt_g.state_dict(),
                        "opt_d": opt_d.state_dict(), "rng": list(fastdl.get_rng_state()), "epoch": epoch + 1})
    G.eval()
    # the final figures on more samples than the per-epoch ones, to cut the metric's noise
    metrics = judge_samples(judges, G.sample(config["final_samples"]))
    save_grid(run.out_dir, "samples", [r.numpy() for r in G.sample(64).reshape(4, 16, 64).unbind(0)])
    # each judge's confidence on real test digits: the ceiling to compare against
    mlp_real = sample_metrics(mlp_proba, digits_flat(seed=run.seed)[2])["confidence"]
    return G, {**metrics, "judge_accuracy": judge_acc, "judge_real_confidence": judge_real,
               "mlp_accuracy": mlp_acc, "mlp_real_confidence": mlp_real}


def fit(seed=0, out_dir=None, quiet=True, **config):
    """Python API: trains with DEFAULTS updated by `config`; returns (G, summary)."""
    return run_family("dcgan", {**DEFAULTS, **config}, seed, out_dir, quiet,
                      lambda run, cfg: _train(run, cfg, None), PLOTS)


PLOTS = {"confidence": curve("confidence", "classifier confidence on samples"),
         "losses": curve("g_loss", "generator loss")}
