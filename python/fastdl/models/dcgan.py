"""A small DCGAN (Radford et al., 2016) on scikit-learn's 8x8 digits: a ConvTranspose2d
generator (z -> 2x2 -> 4x4 -> 8x8, BatchNorm + ReLU, sigmoid output) and a Conv2d
discriminator (8x8 -> 4x4 -> 2x2 -> 1, LeakyReLU(0.2), BatchNorm), trained with the
non-saturating loss and Adam(betas=(0.5, 0.999)).

The metric: a digits classifier trained inside the family (fastdl.models.mlp, >= 95%
test accuracy) scores `eval_samples` generated images; we report its mean max-softmax
confidence (are samples recognisable digits?) and how many of the 10 classes it sees
among them with its class histogram's reverse KL to uniform (are they diverse?).

    from fastdl.models import dcgan
    G, summary = dcgan.fit(epochs=60)
    summary["confidence"]; G.sample(16)
"""
import numpy as np

import fastdl
from fastdl import nn
from fastdl.nn import functional as F

from . import mlp
from ._images import digits_flat, save_grid
from ._run import curve, run_family

DEFAULTS = {"epochs": 60, "z_dim": 32, "width": 64, "lr": 4e-4, "batch_size": 32, "eval_samples": 1000,
            "classifier_epochs": 30}


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


class Discriminator(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),  # 4x4
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),  # 2x2
            nn.Conv2d(2 * width, 1, 2, 1, 0))  # 1x1 logit

    def forward(self, x):
        return self.net(x).reshape(-1)


def train_classifier(seed, epochs=30):
    """An MLP digits classifier (the mlp family); returns (predict_proba, test accuracy).
    Note: mlp.train reseeds fastdl's generator with `seed`."""
    result = mlp.train(epochs=epochs, seed=seed, log=None)
    params = result["params"]

    def proba(images):
        with fastdl.no_grad():
            return fastdl.softmax(mlp.forward(params, images.reshape(len(images), 64)), dim=1).numpy()
    return proba, result["test_accuracy"]


def sample_metrics(proba, images):
    p = proba(images)
    hist = np.bincount(p.argmax(1), minlength=10) / len(p)
    nz = hist > 0
    return {"confidence": float(p.max(1).mean()), "classes": int(nz.sum()),
            "class_reverse_kl": float(np.sum(hist[nz] * np.log(hist[nz] * 10)))}


def train(run, config, state=None):
    """`fastdl train dcgan`: one D and one G step per minibatch, a checkpoint per epoch."""
    return _train(run, config, state)[1]


def _train(run, config, state):
    proba, clf_acc = train_classifier(run.seed, config["classifier_epochs"])
    run.say(f"digits classifier: test accuracy {clf_acc:.4f}")
    xtr = digits_flat(seed=run.seed)[0].reshape(-1, 1, 8, 8)
    G, D = Generator(config["z_dim"], config["width"]), Discriminator(config["width"])
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
    metrics = {}
    bar = run.progress(range(start, config["epochs"]), total=config["epochs"] - start, desc="dcgan")
    for epoch in bar:
        G.train()
        D.train()
        perm = fastdl.randperm(n)
        d_sum = g_sum = 0.0
        steps = 0
        for i in range(0, n - bs + 1, bs):  # full batches only: BatchNorm statistics stay comparable
            real = xtr[perm[i:i + bs]]
            fake = G(fastdl.randn(bs, config["z_dim"]))
            ones, zeros = fastdl.ones(bs), fastdl.zeros(bs)
            d_loss = (F.binary_cross_entropy_with_logits(D(real), ones)
                      + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            d_sum, g_sum, steps = d_sum + d_loss.item(), g_sum + g_loss.item(), steps + 1
        G.eval()
        metrics = sample_metrics(proba, G.sample(config["eval_samples"]))
        run.log(epoch=epoch + 1, d_loss=d_sum / steps, g_loss=g_sum / steps, **metrics)
        bar.set_postfix(d=f"{d_sum / steps:.3f}", g=f"{g_sum / steps:.3f}", conf=f"{metrics['confidence']:.3f}")
        run.say(f"epoch {epoch + 1:4d}  D {d_sum / steps:.4f}  G {g_sum / steps:.4f}  confidence "
                f"{metrics['confidence']:.4f}  classes {metrics['classes']}  class reverse KL "
                f"{metrics['class_reverse_kl']:.3f}")
        run.checkpoint({"G": G.state_dict(), "D": D.state_dict(), "opt_g": opt_g.state_dict(),
                        "opt_d": opt_d.state_dict(), "rng": list(fastdl.get_rng_state()), "epoch": epoch + 1})
    G.eval()
    if not metrics:
        metrics = sample_metrics(proba, G.sample(config["eval_samples"]))
    save_grid(run.out_dir, "samples", [r.numpy() for r in G.sample(64).reshape(4, 16, 64).unbind(0)])
    # the same classifier's confidence on real test digits: the ceiling to compare against
    real = sample_metrics(proba, digits_flat(seed=run.seed)[2])["confidence"]
    return G, {**metrics, "classifier_accuracy": clf_acc, "real_test_confidence": real}


def fit(seed=0, out_dir=None, quiet=True, **config):
    """Python API: trains with DEFAULTS updated by `config`; returns (G, summary)."""
    return run_family("dcgan", {**DEFAULTS, **config}, seed, out_dir, quiet,
                      lambda run, cfg: _train(run, cfg, None), PLOTS)


PLOTS = {"confidence": curve("confidence", "classifier confidence on samples"),
         "losses": curve("g_loss", "generator loss")}
