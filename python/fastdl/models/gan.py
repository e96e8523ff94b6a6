"""A GAN on 2-D Gaussian mixtures with the PacGAN protocol (Lin et al., 2018): MLP
generator and discriminator, the discriminator seeing packs of `pack` samples (all real
or all generated) concatenated into one input (pack=4 is PacGAN4; pack=1 a plain GAN).

Datasets (as in PacGAN's 2-D experiments):
  "ring": 8 Gaussians with means on the unit circle (cos(2 pi i/8), sin(2 pi i/8)),
          standard deviation 0.01;
  "grid": 25 Gaussians with means on {-4, -2, 0, 2, 4}^2, standard deviation 0.05.

Metrics on `eval_samples` (2,500) generated points, each assigned to its nearest mode:
  high_quality: the fraction within 3 standard deviations of that mode;
  modes: the modes with at least one high-quality sample (PacGAN's code counts these);
  well_covered_modes: the modes with at least `min_per_mode` high-quality samples (a
          stricter count of ours: 2,500 uniform samples put 100 on each grid mode);
  reverse_kl: KL(p || uniform) of the histogram p of high-quality samples over modes;
  mean_distance: the mean distance of a sample to its nearest mode.

    from fastdl.models import gan
    G, summary = gan.fit(dataset="grid")        # DEFAULTS are the ring's settings
    summary["modes"], summary["high_quality"]

Options against a discriminator that wins outright on the grid (all off in DEFAULTS):
  d_noise: instance noise of this std on every point D sees, decaying to 0 at
          `d_noise_until` of the run; d_lr: D's own learning rate (None: `lr`);
  d_r1:   the R1 gradient penalty's gamma, on D's analytic input gradient;
  g_output_scale: a constant multiplying G's output (G's initial samples are ~0.01 wide).

`fastdl train gan` runs DEFAULTS (the ring); the grid runs from Python as above, with
the PRESETS["grid"] settings applied on top of DEFAULTS.
"""
import math

import numpy as np

import fastdl
from fastdl import nn
from fastdl.nn import functional as F

from ._images import pyplot
from ._run import curve, run_family

DEFAULTS = {"dataset": "ring", "steps": 6000, "batch_size": 128, "pack": 4, "z_dim": 2, "g_hidden": 128,
            "d_hidden": 128, "g_output_scale": 1.0, "d_input_scale": 10.0, "d_fourier": 0.0,
            "d_noise": 0.0, "d_noise_until": 0.5, "d_r1": 0.0, "lr": 1e-3, "d_lr": None, "d_steps": 2, "beta1": 0.5,
            "eval_samples": 2500, "min_per_mode": 20, "log_every": 250, "checkpoint_every": 1000}

# fit(dataset=...) applies these on top of DEFAULTS (which are the ring's settings)
# The grid's: PacGAN4 over 70k steps with the lr falling linearly to 0 (session 4; seeds
# 0-2 from scratch: 25, 25, 24 of 25 modes, 94.4 / 95.5 / 96.0 % high-quality; 20k steps
# of packs of 2 reached 17 well-covered modes, docs/results_generative.md).
PRESETS = {"ring": {}, "grid": {"steps": 70000, "batch_size": 256, "g_hidden": 256, "d_hidden": 256, "pack": 4,
                                "d_input_scale": 5.0, "log_every": 500}}


def mixture(name):
    """(means (K, 2) float32, std) of the named dataset."""
    if name == "ring":
        a = 2 * math.pi * np.arange(8) / 8
        return np.stack([np.cos(a), np.sin(a)], 1).astype(np.float32), 0.01
    if name == "grid":
        g = np.arange(-4, 5, 2, dtype=np.float32)
        return np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2), 0.05
    raise ValueError(f"gan: unknown dataset {name!r}; expected 'ring' or 'grid'")


def sample_real(means, std, n):
    """n points of the mixture (uniform over modes), drawn with fastdl's generator."""
    idx = fastdl.randint(0, len(means), (n,))
    return means[idx] + fastdl.randn(n, 2) * std


def mlp(sizes, act):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """ReLU MLP z -> (x, y): ReLU's flat regions let it map whole regions of z onto one
    tight mode (a LeakyReLU generator kept spreading samples between the modes)."""

    def __init__(self, z_dim=4, hidden=256, output_scale=1.0):
        super().__init__()
        self.z_dim, self.output_scale = z_dim, output_scale
        self.net = mlp([z_dim, hidden, hidden, hidden, 2], nn.ReLU)

    def forward(self, z):
        out = self.net(z)
        # at init the net's outputs have std ~0.014; a scale lets G reach the grid's +-4 sooner
        return out * self.output_scale if self.output_scale != 1 else out

    def sample(self, n):
        with fastdl.no_grad():
            return self(fastdl.randn(n, self.z_dim))


class Discriminator(nn.Module):
    """Scores packs: input (n, 2) with n divisible by `pack` -> logits (n / pack,).

    `input_scale` multiplies the input: the modes are 0.01-0.05 wide, and with default
    init and Adam's ~lr-sized steps the first layer would need very many steps to grow
    weights that resolve them; scaling the input gives D that resolution from the start.

    `fourier` > 0 adds, per point, sin/cos of `n_features` fixed random projections with
    frequencies ~ N(0, fourier^2) cycles per unit (random Fourier features): an MLP on raw
    coordinates learns such high-frequency functions slowly (on the grid D stayed at chance
    for 11k steps). The scaled coordinates stay in: periodic features alone give G no slope
    back from far-off regions."""

    def __init__(self, pack=4, hidden=256, input_scale=1.0, fourier=0.0, n_features=64):
        super().__init__()
        self.pack, self.input_scale, self.fourier = pack, input_scale, fourier
        width = 2 + 2 * n_features if fourier else 2
        if fourier:  # random Fourier features: fixed frequencies ~ N(0, fourier^2) cycles per unit
            self.register_buffer("freqs", fastdl.randn(2, n_features) * (2 * math.pi * fourier))
        self.net = mlp([width * pack, hidden, hidden, hidden, 1], lambda: nn.LeakyReLU(self.SLOPE))

    SLOPE = 0.2

    def forward(self, x):
        return self.net(self._features(x).reshape(len(x) // self.pack, -1)).reshape(-1)

    def _features(self, x):
        features = x * self.input_scale
        if self.fourier:
            proj = x @ self.freqs
            features = fastdl.cat([features, fastdl.sin(proj), fastdl.cos(proj)], 1)
        return features

    def input_gradient(self, x):
        """d(sum of logits)/dx, (n, 2), written out with ordinary ops so that a penalty on it
        backpropagates to D's weights (fastdl has no double backward). Exact almost everywhere:
        LeakyReLU's slope is piecewise constant, so each layer's slope mask is a constant."""
        linears = [m for m in self.net if isinstance(m, nn.Linear)]
        masks = []
        with fastdl.no_grad():
            h = self._features(x).reshape(len(x) // self.pack, -1)
            for lin in linears[:-1]:
                z = lin(h)
                masks.append((z > 0).float() * (1 - self.SLOPE) + self.SLOPE)
                h = F.leaky_relu(z, self.SLOPE)
        g = linears[-1].weight  # (1, hidden): d logit / d last hidden layer, broadcast over packs
        for lin, mask in zip(reversed(linears[:-1]), reversed(masks)):
            g = (g * mask) @ lin.weight
        g = g.reshape(len(x), -1)  # per point: d logit / d its features
        grad = g[:, :2] * self.input_scale
        if self.fourier:
            k = self.freqs.shape[1]
            with fastdl.no_grad():
                proj = x @ self.freqs
            grad = grad + (fastdl.cos(proj) * g[:, 2:2 + k] - fastdl.sin(proj) * g[:, 2 + k:]) @ self.freqs.T
        return grad


def mode_metrics(points, means, std, min_per_mode=20):
    """PacGAN's 2-D metrics for points (n, 2) against mixture means (K, 2)."""
    d = np.linalg.norm(points[:, None, :] - means[None, :, :], axis=2)
    nearest, dist = d.argmin(1), d.min(1)
    good = dist <= 3 * std
    counts = np.bincount(nearest[good], minlength=len(means))
    p = counts / max(counts.sum(), 1)
    nz = p > 0
    rkl = float(np.sum(p[nz] * np.log(p[nz] * len(means)))) if counts.sum() else float("inf")
    return {"modes": int((counts > 0).sum()), "well_covered_modes": int((counts >= min_per_mode).sum()),
            "high_quality": float(good.mean()), "reverse_kl": rkl, "mean_distance": float(dist.mean())}


def evaluate(G, means, std, config):
    G.eval()
    pts = G.sample(config["eval_samples"]).numpy()
    G.train()
    return mode_metrics(pts, means, std, config["min_per_mode"]), pts


def train(run, config, state=None):
    """`fastdl train gan`: non-saturating GAN loss, Adam for both players, `d_steps` D steps and one
    G step per iteration, learning rates decaying linearly to 0; checkpoints every `checkpoint_every` steps."""
    return _train(run, config, state)[1]


def _train(run, config, state):
    means_np, std = mixture(config["dataset"])
    means = fastdl.from_numpy(means_np)
    G = Generator(config["z_dim"], config["g_hidden"], config["g_output_scale"])
    D = Discriminator(config["pack"], config["d_hidden"], config["d_input_scale"], config["d_fourier"])
    betas = (config["beta1"], 0.999)
    opt_g = fastdl.optim.Adam(G.parameters(), lr=config["lr"], betas=betas)
    opt_d = fastdl.optim.Adam(D.parameters(), lr=config["d_lr"] or config["lr"], betas=betas)
    # a linear decay of both learning rates to 0 sharpens the modes late in training
    decay = lambda s: 1.0 - s / max(config["steps"], 1)  # noqa: E731
    scheds = [fastdl.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_g, opt_d)]
    start = 0
    if state is not None:
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        for sch, sd in zip(scheds, state["scheds"]):
            sch.load_state_dict(sd)
        fastdl.set_rng_state(state["rng"])
        start = int(state["step"])
    bs, m = config["batch_size"], config["pack"]
    ones, zeros = fastdl.ones(bs // m), fastdl.zeros(bs // m)
    bar = run.progress(range(start, config["steps"]), total=config["steps"] - start, desc="gan")
    for step in bar:
        noisy = _instance_noise(config, step)
        for _ in range(config["d_steps"]):
            real = noisy(sample_real(means, std, bs))
            fake = G(fastdl.randn(bs, config["z_dim"]))
            d_loss = (F.binary_cross_entropy_with_logits(D(real), ones)
                      + F.binary_cross_entropy_with_logits(D(noisy(fake.detach())), zeros))
            if config["d_r1"]:  # R1 (Mescheder et al., 2018): gamma/2 E ||grad_x D(real pack)||^2
                d_loss = d_loss + config["d_r1"] / 2 * (D.input_gradient(real) ** 2).sum() / (bs // m)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        g_loss = F.binary_cross_entropy_with_logits(D(noisy(fake)), ones)  # non-saturating
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        for sch in scheds:
            sch.step()
        done = step + 1
        if done % config["log_every"] == 0 or done == config["steps"]:
            metrics, _ = evaluate(G, means_np, std, config)
            run.log(step=done, d_loss=d_loss.item(), g_loss=g_loss.item(), **metrics)
            bar.set_postfix(d=f"{d_loss.item():.3f}", g=f"{g_loss.item():.3f}", modes=metrics["modes"],
                            hq=f"{metrics['high_quality']:.2f}")
            run.say(f"step {done:6d}  D {d_loss.item():.4f}  G {g_loss.item():.4f}  modes {metrics['modes']}"
                    f"/{len(means_np)} ({metrics['well_covered_modes']} with >= {config['min_per_mode']})  "
                    f"high-quality {metrics['high_quality']:.3f}  reverse KL {metrics['reverse_kl']:.3f}")
        if done % config["checkpoint_every"] == 0 or done == config["steps"]:
            run.checkpoint({"G": G.state_dict(), "D": D.state_dict(), "opt_g": opt_g.state_dict(),
                            "opt_d": opt_d.state_dict(), "scheds": [sch.state_dict() for sch in scheds], "rng": list(fastdl.get_rng_state()), "step": done})
    metrics, pts = evaluate(G, means_np, std, config)
    _scatter(run.out_dir, sample_real(means, std, config["eval_samples"]).numpy(), pts, config["dataset"])
    return G, {**metrics, "n_modes": len(means_np)}


def _instance_noise(config, step):
    """Instance noise (Sonderby et al., 2016): Gaussian noise of std `d_noise` added to every
    point D sees, real and generated, decaying linearly to 0 at `d_noise_until` of the run.
    Both distributions blurred alike overlap, so D cannot separate them sharply while the
    noise is large (on the grid this only delayed D's win; docs/results_generative.md)."""
    sigma = config["d_noise"] * max(0.0, 1.0 - step / max(config["d_noise_until"] * config["steps"], 1))
    return (lambda x: x + fastdl.randn(*x.shape) * sigma) if sigma > 0 else (lambda x: x)


def _scatter(out_dir, real, fake, title):
    plt = pyplot()
    if not out_dir or plt is None:
        return
    import os
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(real[:, 0], real[:, 1], s=2, c="tab:blue", alpha=0.5, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:red", alpha=0.5, label="generated")
    ax.set_title(f"{title}: real vs generated")
    ax.legend(loc="upper right", markerscale=4)
    ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "samples.png"), dpi=100)
    plt.close(fig)


def fit(seed=0, out_dir=None, quiet=True, **config):
    """Python API: DEFAULTS, then PRESETS[dataset], then `config`; returns (G, summary)."""
    dataset = config.get("dataset", DEFAULTS["dataset"])
    cfg = {**DEFAULTS, **PRESETS.get(dataset, {}), **config}
    return run_family("gan", cfg, seed, out_dir, quiet, lambda run, cfg: _train(run, cfg, None), PLOTS)


PLOTS = {"modes": curve("modes", "modes captured"), "high_quality": curve("high_quality", "high-quality fraction")}
