"""A variational autoencoder (Kingma & Welling, 2014) on scikit-learn's digits: an MLP
Gaussian encoder q(z|x) = N(mu, diag(exp(logvar))), a standard-normal prior, the
reparameterisation z = mu + exp(logvar / 2) * eps with eps from fastdl.randn, and a
Bernoulli decoder p(x|z) over the 64 pixel intensities in [0, 1] (the usual
cross-entropy likelihood for grey-level digits).

The metric is the test ELBO per example in nats, E_q[log p(x|z)] - KL(q(z|x) || p(z)),
estimated with `elbo_samples` draws of z per test image (higher is better).

    from fastdl.models import vae
    model, summary = vae.fit(epochs=100)
    summary["test_elbo"]; model.sample(16)
"""
import fastdl
from fastdl import nn
from fastdl.nn import functional as F

from ._images import digits_flat, save_grid
from ._run import curve, run_family

DEFAULTS = {"epochs": 100, "latent": 8, "hidden": 256, "lr": 1e-3, "batch_size": 64, "elbo_samples": 10}


class VAE(nn.Module):
    def __init__(self, n_in=64, latent=8, hidden=256):
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, n_in))

    def encode(self, x):
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        """Bernoulli logits of the 64 pixels."""
        return self.decoder(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + (logvar * 0.5).exp() * fastdl.randn(*mu.shape)
        return self.decode(z), mu, logvar

    def sample(self, n):
        """n images (pixel means in [0, 1]) decoded from z ~ N(0, I)."""
        with fastdl.no_grad():
            return self.decode(fastdl.randn(n, self.latent)).sigmoid()


def elbo(model, x, logits=None, mu=None, logvar=None):
    """Per-example ELBO (n,) in nats for one reparameterised draw of z."""
    if logits is None:
        logits, mu, logvar = model(x)
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    kl = 0.5 * (mu.square() + logvar.exp() - 1 - logvar).sum(dim=1)
    return log_px - kl


def test_elbo(model, x, samples=10):
    """Mean per-example ELBO over x, averaged over `samples` draws of z."""
    model.eval()
    with fastdl.no_grad():
        return sum(float(elbo(model, x).mean()) for _ in range(samples)) / samples


def train(run, config, state=None):
    """`fastdl train vae`: Adam on the negative ELBO, one checkpoint per epoch."""
    return _train(run, config, state)[1]


def _train(run, config, state):
    xtr, _, xte, _ = digits_flat(seed=run.seed)
    model = VAE(xtr.shape[1], config["latent"], config["hidden"])
    opt = fastdl.optim.Adam(model.parameters(), lr=config["lr"])
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        fastdl.set_rng_state(state["rng"])
        start = int(state["epoch"])
    n, bs = len(xtr), config["batch_size"]
    score = None
    bar = run.progress(range(start, config["epochs"]), total=config["epochs"] - start, desc="vae")
    for epoch in bar:
        model.train()
        perm = fastdl.randperm(n)
        total = 0.0
        for i in range(0, n, bs):
            xb = xtr[perm[i:i + bs]]
            loss = -elbo(model, xb).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        score = test_elbo(model, xte, config["elbo_samples"])
        run.log(epoch=epoch + 1, loss=total / n, test_elbo=score)
        bar.set_postfix(neg_elbo=f"{total / n:.2f}", test_elbo=f"{score:.2f}")
        run.say(f"epoch {epoch + 1:4d}  train -ELBO {total / n:.3f}  test ELBO {score:.3f} nats")
        run.checkpoint({"model": model.state_dict(), "optimizer": opt.state_dict(),
                        "rng": list(fastdl.get_rng_state()), "epoch": epoch + 1})
    if score is None:
        score = test_elbo(model, xte, config["elbo_samples"])
    save_grid(run.out_dir, "samples", [r.numpy() for r in model.sample(64).reshape(4, 16, 64).unbind(0)])
    return model, {"test_elbo": score}


def fit(seed=0, out_dir=None, quiet=True, **config):
    """Python API: trains with DEFAULTS updated by `config`; returns (model, summary)."""
    return run_family("vae", {**DEFAULTS, **config}, seed, out_dir, quiet,
                      lambda run, cfg: _train(run, cfg, None), PLOTS)


PLOTS = {"loss": curve("loss", "train -ELBO (nats)"), "test_elbo": curve("test_elbo", "test ELBO (nats)")}
