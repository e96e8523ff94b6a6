"""Training speed per model family: one representative training step of every family
in fastdl.models.FAMILIES, in fastdl and in the same model written for PyTorch.

    PYTHONPATH=python nice -n 0 python3 bench/bench_families.py [--threads 2] [--families cnn,gan] [--quick]

The models are the families' own classes (fastdl.models.*) with the sizes of their
DEFAULTS; the PyTorch twin of each is built from the fastdl model itself (torch_twin:
the same layers with the same constructor arguments, the fastdl class's forward and
other methods borrowed, the fastdl weights copied in). Each step is written once, for
`lib` = fastdl or torch, after the family's training loop: forward, loss, backward,
gradient clipping where the family clips, optimiser step (the family's optimiser and
settings). Inputs are synthetic arrays of the family's shapes, converted to tensors
once; data loading, augmentation, LR schedules and environment steps are not timed.

Timing (fastdl.bench.interleaved): after a warm-up, fastdl and torch run in
interleaved rounds, each sample long enough (>= sample_s) and the ratio per round is
t_torch / t_fastdl (> 1: fastdl faster); the table gives the median over rounds with
[min, max]. Both libraries use the same thread count. Checked: before any step, the
twins' forward outputs on the same batch agree (max |diff| / max |ref| <= TOL), and
every loss of the first and the last step is finite in both.
"""
import argparse
import inspect
import json
import math
import os
import platform
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np

import fastdl
from fastdl.bench import interleaved, relerr
from fastdl.models import FAMILIES

TOL = 1e-3  # float32 outputs of a whole model; the LSTMs run 40-100 steps
CARTPOLE = (4, 2)  # observation size, actions: the RL families' default env, without gymnasium
CHARLM_VOCAB = 96  # printable ASCII and newline: the most symbols the charlm corpus can have
DEFAULT_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "families.json")


# ---- the PyTorch twin of a fastdl model -------------------------------------------------

# fastdl layer -> the attributes that are the torch constructor's keyword arguments
TWIN_ARGS = {
    "Linear": ("in_features", "out_features", "bias"),
    "Conv1d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "padding_mode"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "padding_mode"),
    "ConvTranspose2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                        "groups", "bias", "dilation"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "BatchNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"),
    "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "Flatten": ("start_dim", "end_dim"),
    "LeakyReLU": ("negative_slope",),
    "Dropout": ("p",),
    "ReLU": (), "Tanh": (), "Sigmoid": (),
}
_SCALARS = (bool, int, float, str, tuple)
_twin_classes = {}


def _twin_class(fcls, torch):
    """A torch.nn.Module subclass carrying the methods (forward, encode, ...) of the
    fastdl model class: they only call submodules and tensor methods, which torch has.
    train/eval stay torch's (a fastdl override may call super()); modes are copied."""
    if fcls not in _twin_classes:
        methods = {}
        own = [k for k in fcls.__mro__ if issubclass(k, fastdl.nn.Module) and k is not fastdl.nn.Module]
        for klass in reversed(own):
            methods.update({k: v for k, v in vars(klass).items()
                            if inspect.isfunction(v) and k not in ("__init__", "train", "eval")})
        _twin_classes[fcls] = type("Torch" + fcls.__name__, (torch.nn.Module,), methods)
    return _twin_classes[fcls]


def _twin_module(fm, torch):
    name = type(fm).__name__
    if name in TWIN_ARGS:
        kwargs = {}
        for arg in TWIN_ARGS[name]:
            v = getattr(fm, arg)
            kwargs[arg] = (v is not None) if arg == "bias" and not isinstance(v, bool) else v
        return getattr(torch.nn, name)(**kwargs)
    if name == "Sequential":
        # keep the child names: a slice of a Sequential keeps its parent's indices
        return torch.nn.Sequential(OrderedDict((k, _twin_module(c, torch)) for k, c in fm.named_children()))
    if name in dir(fastdl.nn):
        raise TypeError(f"torch_twin: no twin for fastdl.nn.{name}; add its constructor arguments to TWIN_ARGS")
    tm = _twin_class(type(fm), torch)()
    for k, v in vars(fm).items():  # plain settings the borrowed methods read (z_dim, pack, ...)
        if not k.startswith("_") and k != "training" and isinstance(v, _SCALARS):
            setattr(tm, k, v)
    for k, p in fm.named_parameters(recurse=False):  # a model's own weights (CosineLinear); values come later
        setattr(tm, k, torch.nn.Parameter(torch.zeros(tuple(p.shape), dtype=torch.float32)))
    for k, child in fm.named_children():
        setattr(tm, k, _twin_module(child, torch))
    return tm


def torch_twin(model, torch):
    """The torch twin of a fastdl module (same layers, weights, buffers, requires_grad
    and train/eval modes), or of a list of fastdl tensors (the mlp family's parameters)."""
    if isinstance(model, list):
        return [torch.from_numpy(p.detach().numpy().copy()).requires_grad_(p.requires_grad) for p in model]
    tm = _twin_module(model, torch)
    tm.load_state_dict({k: torch.from_numpy(np.array(v.detach().numpy())) for k, v in model.state_dict().items()})
    for (fk, fp), (tk, tp) in zip(model.named_parameters(), tm.named_parameters(), strict=True):
        assert fk == tk, (fk, tk)
        tp.requires_grad_(fp.requires_grad)
    for (fk, fsub), (tk, tsub) in zip(model.named_modules(), tm.named_modules(), strict=True):
        assert fk == tk, (fk, tk)
        tsub.training = fsub.training
    return tm


def param_count(model):
    params = model if isinstance(model, list) else list(model.parameters())
    return sum(p.numel() for p in params)


# ---- the families --------------------------------------------------------------------------

@dataclass
class Family:
    """One family's benchmark: build() -> {name: fastdl model} (from fastdl.models),
    data(rng) -> {name: NumPy array} (one step's inputs), optimizers(lib, models) ->
    {name: optimiser}, step(lib, models, opts, data) -> loss tensors, outputs(lib,
    models, data) -> forward outputs compared between the twins."""
    model: str
    batch: str
    build: Callable
    data: Callable
    optimizers: Callable
    step: Callable
    outputs: Callable


def _trainable(model):
    return [p for p in model.parameters() if p.requires_grad]


def adam(**settings):
    """optimizers(): one Adam per model over its trainable parameters."""
    return lambda lib, models: {k: lib.optim.Adam(_trainable(m), **settings) for k, m in models.items()}


def _update(lib, model, opt, loss, clip=None):
    opt.zero_grad()
    loss.backward()
    if clip:
        lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()


def _labels(rng, n, classes=10):
    return rng.integers(0, classes, n).astype(np.int64)


def classifier(model, batch, make, x_shape, cfg, lr_key="lr", wd=None, clip=None, classes=10):
    """The supervised-classification step of models._classify.fit: cross-entropy, Adam
    with weight decay, optional gradient-norm clipping."""
    def step(lib, m, o, d):
        loss = lib.nn.functional.cross_entropy(m["net"](d["x"]), d["y"])
        _update(lib, m["net"], o["net"], loss, clip)
        return [loss]

    n = x_shape[0]
    return Family(model, batch, lambda: {"net": make()},
                  lambda rng: {"x": rng.standard_normal(x_shape, np.float32), "y": _labels(rng, n, classes)},
                  adam(lr=cfg[lr_key], weight_decay=cfg.get("weight_decay", 0.0) if wd is None else wd), step,
                  lambda lib, m, d: [m["net"](d["x"])])


def fam_mlp():
    from fastdl.models import mlp
    c = mlp.DEFAULTS
    sizes = [64, c["hidden"], c["hidden"], 10]

    def step(lib, m, o, d):  # raw tensors and hand-written SGD, as mlp.train
        params = m["params"]
        loss = lib.nn.functional.cross_entropy(mlp.forward(params, d["x"]), d["y"])
        for p in params:
            p.grad = None
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad * c["lr"])
        return [loss]

    return Family(f"MLP {'-'.join(map(str, sizes))}, SGD", f"{c['batch_size']} x 64",
                  lambda: {"params": mlp.init_mlp(sizes)},
                  lambda rng: {"x": rng.random((c["batch_size"], 64), np.float32), "y": _labels(rng, c["batch_size"])},
                  lambda lib, m: {}, step, lambda lib, m, d: [mlp.forward(m["params"], d["x"])])


def fam_cnn():
    from fastdl.models import cnn
    c = cnn.DEFAULTS
    return classifier(f"DigitsCNN(width={c['width']}), Adam", f"{c['batch_size']} x 1x8x8",
                      lambda: cnn.DigitsCNN(c["width"]), (c["batch_size"], 1, 8, 8), c)


def fam_cnn1d():
    from fastdl.models import cnn1d
    c = cnn1d.DEFAULTS
    return classifier(f"CNN1d(width={c['width']}), Adam", f"{c['batch_size']} x 1x40",
                      lambda: cnn1d.CNN1d(c["width"]), (c["batch_size"], 1, 40), c)


def _rnn(cell):
    from fastdl.models import rnn
    c = rnn.DEFAULTS
    return classifier(f"{cell.upper()}({c['hidden']}) + Linear, Adam, clip {c['clip']}",
                      f"{c['batch_size']} x 40 steps x 1", lambda: rnn.SequenceClassifier(cell, c["hidden"]),
                      (c["batch_size"], 40, 1), c, clip=c["clip"])


def fam_transfer():
    from fastdl.models import cnn, transfer
    c = transfer.DEFAULTS
    w = c["width"]

    def make():  # the fine-tuning phase: first conv block(s) frozen in eval mode, the rest and the head tuned
        pretrained = cnn.DigitsCNN(w, num_classes=5)
        head = transfer.new_head(c["head"], pretrained.head.in_features, 5, c["cosine_scale"])
        return transfer.FineTuned(pretrained, 5, c["frozen_blocks"], head=head)

    # transfer fine-tunes through cnn.fit, whose weight decay is cnn's
    return classifier(f"DigitsCNN({w}), {c['frozen_blocks']} conv block frozen, {c['head']} head, Adam",
                      f"{c['finetune_batch_size']} x 1x8x8",
                      make, (c["finetune_batch_size"], 1, 8, 8), c, lr_key="finetune_lr",
                      wd=cnn.DEFAULTS["weight_decay"], classes=5)


def fam_charlm():
    from fastdl.models import charlm
    c = charlm.DEFAULTS
    B, L, V = c["batch_size"], c["seq_len"], CHARLM_VOCAB

    def step(lib, m, o, d):
        logits, _ = m["net"](d["x"])
        loss = lib.nn.functional.cross_entropy(logits.reshape(-1, V), d["y"])
        _update(lib, m["net"], o["net"], loss, c["clip"])
        return [loss]

    return Family(f"Embedding({V},{c['embed']})-LSTM({c['hidden']})-Linear, Adam, clip {c['clip']}",
                  f"{B} x {L} chars", lambda: {"net": charlm.CharLSTM(V, c["embed"], c["hidden"])},
                  lambda rng: {"x": rng.integers(0, V, (B, L)).astype(np.int64),
                               "y": rng.integers(0, V, B * L).astype(np.int64)},
                  adam(lr=c["lr"]), step, lambda lib, m, d: [m["net"](d["x"])[0]])


def fam_autoencoder():
    from fastdl.models import autoencoder
    c = autoencoder.DEFAULTS

    def step(lib, m, o, d):
        loss = lib.nn.functional.mse_loss(m["net"](d["x"]), d["x"])
        _update(lib, m["net"], o["net"], loss)
        return [loss]

    return Family(f"AutoEncoder 64-{c['hidden']}-{c['hidden'] // 2}-{c['k']} and back, Adam",
                  f"{c['batch_size']} x 64", lambda: {"net": autoencoder.AutoEncoder(64, c["k"], c["hidden"])},
                  lambda rng: {"x": rng.random((c["batch_size"], 64), np.float32)},
                  adam(lr=c["lr"], weight_decay=c["weight_decay"]), step, lambda lib, m, d: [m["net"](d["x"])])


def fam_vae():
    from fastdl.models import vae
    c = vae.DEFAULTS

    def step(lib, m, o, d):  # -ELBO with one reparameterised draw, as vae.elbo
        net, x = m["net"], d["x"]
        mu, logvar = net.encode(x)
        logits = net.decode(mu + (logvar * 0.5).exp() * lib.randn(*mu.shape))
        log_px = -lib.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
        kl = 0.5 * (mu.square() + logvar.exp() - 1 - logvar).sum(dim=1)
        loss = -(log_px - kl).mean()
        _update(lib, net, o["net"], loss)
        return [loss]

    def outputs(lib, m, d):
        mu, logvar = m["net"].encode(d["x"])
        return [mu, logvar, m["net"].decode(mu)]

    return Family(f"VAE 64-{c['hidden']}-{c['hidden']}-z{c['latent']}, Adam", f"{c['batch_size']} x 64",
                  lambda: {"net": vae.VAE(64, c["latent"], c["hidden"])},
                  lambda rng: {"x": rng.random((c["batch_size"], 64), np.float32)}, adam(lr=c["lr"]), step, outputs)


def _gan_step(lib, m, o, d):
    """One D step on real and generated data, then one non-saturating G step."""
    bce = lib.nn.functional.binary_cross_entropy_with_logits
    G, D = m["G"], m["D"]
    fake = G(lib.randn(len(d["real"]), G.z_dim))
    d_loss = bce(D(d["real"]), d["ones"]) + bce(D(fake.detach()), d["zeros"])
    _update(lib, D, o["D"], d_loss)
    g_loss = bce(D(fake), d["ones"])
    _update(lib, G, o["G"], g_loss)
    return [d_loss, g_loss]


def _gan_outputs(lib, m, d):
    return [m["D"](d["real"]), m["D"](m["G"](d["z"]))]


def _gan_data(real_shape, z_dim, n_logits):
    return lambda rng: {"real": rng.random(real_shape, np.float32),
                        "z": rng.standard_normal((real_shape[0], z_dim), np.float32),
                        "ones": np.ones(n_logits, np.float32), "zeros": np.zeros(n_logits, np.float32)}


def fam_gan():
    from fastdl.models import gan
    c = gan.DEFAULTS
    bs = c["batch_size"]
    return Family(f"G 2-{c['g_hidden']}x3-2, D pack {c['pack']} {c['d_hidden']}x3, Adam; 1 D + 1 G step "
                  f"(the recipe: {c['d_steps']} D steps per G step)", f"{bs} x 2",
                  lambda: {"G": gan.Generator(c["z_dim"], c["g_hidden"]),
                           "D": gan.Discriminator(c["pack"], c["d_hidden"], c["d_input_scale"])},
                  _gan_data((bs, 2), c["z_dim"], bs // c["pack"]), adam(lr=c["lr"], betas=(c["beta1"], 0.999)),
                  _gan_step, _gan_outputs)


def fam_dcgan():
    from fastdl.models import dcgan
    c = dcgan.DEFAULTS
    bs, classes = c["batch_size"], dcgan.NUM_CLASSES if c["conditional"] else 0

    def step(lib, m, o, d):
        """dcgan._train's step with the ACGAN class terms (one D step, one G step). The
        one-hot codes come with the data and go through G.net: G.forward's own lookup
        and concatenation call fastdl directly, which the torch twin cannot borrow."""
        if not classes:
            return _gan_step(lib, m, o, d)
        bce, ce = lib.nn.functional.binary_cross_entropy_with_logits, lib.nn.functional.cross_entropy
        G, D = m["G"], m["D"]
        z = lib.cat([lib.randn(bs, G.z_dim), d["fake_codes"]], 1)
        fake = G.net(z.reshape(bs, -1, 1, 1))
        real_logits, real_classes = D.logits(d["real"])
        fake_logits, fake_classes = D.logits(fake.detach())
        d_loss = (bce(real_logits, d["ones"]) + bce(fake_logits, d["zeros"])
                  + c["class_weight"] * (ce(real_classes, d["real_labels"]) + ce(fake_classes, d["fake_labels"])))
        _update(lib, D, o["D"], d_loss)
        fake_logits, fake_classes = D.logits(fake)
        g_loss = bce(fake_logits, d["ones"]) + c["class_weight"] * ce(fake_classes, d["fake_labels"])
        _update(lib, G, o["G"], g_loss)
        return [d_loss, g_loss]

    def data(rng):
        arrays = _gan_data((bs, 1, 8, 8), c["z_dim"], bs)(rng)
        if classes:
            fake_labels = _labels(rng, bs, classes)
            arrays.update(real_labels=_labels(rng, bs, classes), fake_labels=fake_labels,
                          fake_codes=np.eye(classes, dtype=np.float32)[fake_labels])
        return arrays

    def outputs(lib, m, d):
        if not classes:
            return _gan_outputs(lib, m, d)
        fake = m["G"].net(lib.cat([d["z"], d["fake_codes"]], 1).reshape(bs, -1, 1, 1))
        return [*m["D"].logits(d["real"]), *m["D"].logits(fake)]

    kind = "ACGAN (class-conditional G, class head on D)" if classes else "DCGAN"
    return Family(f"{kind} z{c['z_dim']} width {c['width']} (ConvTranspose2d G, Conv2d D, BatchNorm), Adam; "
                  "1 D + 1 G step", f"{bs} x 1x8x8",
                  lambda: {"G": dcgan.Generator(c["z_dim"], c["width"], classes),
                           "D": dcgan.Discriminator(c["d_width"], c["d_norm"], classes)},
                  data, adam(lr=c["lr"], betas=(0.5, 0.999)), step, outputs)


def fam_dqn():
    from fastdl.models import dqn
    c = dqn.DEFAULTS
    bs, (obs, actions) = c["batch_size"], CARTPOLE

    def build():
        q, target = dqn.QNetwork(obs, actions, c["hidden"]), dqn.QNetwork(obs, actions, c["hidden"])
        target.load_state_dict(q.state_dict())
        return {"q": q, "target": target}

    def step(lib, m, o, d):  # one gradient step on a replay batch, as dqn._update
        with lib.no_grad():
            y = d["r"] + c["gamma"] * (1.0 - d["done"]) * m["target"](d["o2"]).amax(dim=1)
        q_sa = m["q"](d["o"]).gather(1, d["a"][:, None]).squeeze(1)
        loss = lib.nn.functional.smooth_l1_loss(q_sa, y)
        _update(lib, m["q"], o["q"], loss, c["max_grad_norm"])
        return [loss]

    return Family(f"QNetwork {obs}-{c['hidden']}-{c['hidden']}-{actions} + target net, Huber, Adam",
                  f"{bs} transitions", build,
                  lambda rng: {"o": rng.standard_normal((bs, obs), np.float32), "a": _labels(rng, bs, actions),
                               "r": np.ones(bs, np.float32), "o2": rng.standard_normal((bs, obs), np.float32),
                               "done": (rng.random(bs) < 0.05).astype(np.float32)},
                  lambda lib, m: {"q": lib.optim.Adam(m["q"].parameters(), lr=c["lr"])}, step,
                  lambda lib, m, d: [m["q"](d["o"]), m["target"](d["o2"])])


def fam_ppo():
    from fastdl.models import ppo
    c = ppo.DEFAULTS
    bs, (obs, actions) = c["batch_size"], CARTPOLE

    def step(lib, m, o, d):  # one clipped-surrogate minibatch update, as ppo._update
        logits, values = m["net"](d["obs"])
        logp_all = logits.log_softmax(dim=1)
        ratio = (logp_all.gather(1, d["actions"][:, None]).squeeze(1) - d["old_logp"]).exp()
        adv = (d["adv"] - d["adv"].mean()) / (d["adv"].std() + 1e-8)
        policy_loss = -lib.minimum(ratio * adv, ratio.clamp(1 - c["clip"], 1 + c["clip"]) * adv).mean()
        loss = policy_loss + c["vf_coef"] * ((values - d["returns"]) ** 2).mean()
        if c["ent_coef"]:
            loss = loss + c["ent_coef"] * (logp_all.exp() * logp_all).sum(dim=1).mean()
        _update(lib, m["net"], o["net"], loss, c["max_grad_norm"])
        return [loss]

    return Family(f"ActorCritic 2x ({obs}-{c['hidden']}-{c['hidden']}), tanh, Adam", f"{bs} transitions",
                  lambda: {"net": ppo.ActorCritic(obs, actions, c["hidden"])},
                  lambda rng: {"obs": rng.standard_normal((bs, obs), np.float32), "actions": _labels(rng, bs, actions),
                               "old_logp": np.full(bs, -math.log(actions), np.float32),
                               "adv": rng.standard_normal(bs, np.float32),
                               "returns": rng.standard_normal(bs, np.float32)},
                  adam(lr=c["lr"], eps=1e-5), step, lambda lib, m, d: list(m["net"](d["obs"])))


def fam_reinforce():
    from fastdl.models import reinforce
    c = reinforce.DEFAULTS
    k, (obs, actions) = c["episodes_per_update"], CARTPOLE
    lengths = np.random.default_rng(1).integers(20, 200, k)  # synthetic episodes, mid-training lengths
    n = int(lengths.sum())

    def step(lib, m, o, d):  # one update on a batch of episodes, as reinforce._update after returns-to-go
        net = m["net"]
        values = net.value(d["obs"])
        logp_all = net(d["obs"]).log_softmax(dim=1)
        policy_loss = -(logp_all.gather(1, d["actions"][:, None]).squeeze(1) * d["adv"]).mean()
        loss = policy_loss + c["vf_coef"] * ((values - d["ret"]) ** 2).mean()
        if c["ent_coef"]:
            loss = loss + c["ent_coef"] * (logp_all.exp() * logp_all).sum(dim=1).mean()
        _update(lib, net, o["net"], loss)
        return [loss]

    return Family(f"Policy + baseline 2x ({obs}-{c['hidden']}-{c['hidden']}), tanh, Adam",
                  f"{k} episodes, {n} steps", lambda: {"net": reinforce.Policy(obs, actions, c["hidden"])},
                  lambda rng: {"obs": rng.standard_normal((n, obs), np.float32), "actions": _labels(rng, n, actions),
                               "adv": rng.standard_normal(n, np.float32), "ret": rng.standard_normal(n, np.float32)},
                  adam(lr=c["lr"]), step, lambda lib, m, d: [m["net"](d["obs"]), m["net"].value(d["obs"])])


BENCHES = {"mlp": fam_mlp, "cnn": fam_cnn, "cnn1d": fam_cnn1d, "lstm": lambda: _rnn("lstm"),
           "gru": lambda: _rnn("gru"), "charlm": fam_charlm, "autoencoder": fam_autoencoder, "vae": fam_vae,
           "gan": fam_gan, "dcgan": fam_dcgan, "dqn": fam_dqn, "ppo": fam_ppo, "reinforce": fam_reinforce,
           "transfer": fam_transfer}
assert set(BENCHES) == set(FAMILIES), "every family in fastdl.models.FAMILIES needs a benchmark here"


# ---- running one family ----------------------------------------------------------------------

class Side:
    """One library's copy of a family: its models, optimisers and input tensors."""

    def __init__(self, lib, family, models, arrays):
        self.lib, self.family, self.models = lib, family, models
        self.data = {k: lib.from_numpy(np.ascontiguousarray(a)) for k, a in arrays.items()}
        self.opts = family.optimizers(lib, models)

    def step(self):
        return self.family.step(self.lib, self.models, self.opts, self.data)

    def outputs(self):
        with self.lib.no_grad():
            return [o.detach().numpy().copy() for o in self.family.outputs(self.lib, self.models, self.data)]


def _finite(losses):
    return all(math.isfinite(float(l.item())) for l in losses)


def prepare(name, torch):
    """The family's Family and its Sides: {"fastdl": Side, "torch": Side (with torch)},
    built from the same seeded weights and inputs."""
    family = BENCHES[name]()
    fastdl.manual_seed(0)
    models = family.build()
    arrays = family.data(np.random.default_rng(0))
    sides = {"fastdl": Side(fastdl, family, models, arrays)}
    if torch is not None:
        torch.manual_seed(0)
        sides["torch"] = Side(torch, family, {k: torch_twin(m, torch) for k, m in models.items()}, arrays)
    return family, sides


def check(sides):
    """Before any step: max relative difference of the twins' forward outputs (0.0
    without torch); then one step each: are its losses finite?"""
    err = 0.0
    if "torch" in sides:
        fd, tt = sides["fastdl"].outputs(), sides["torch"].outputs()
        err = max(relerr(a, b) for a, b in zip(fd, tt, strict=True))
    return err, all(_finite(s.step()) for s in sides.values())


def measure(name, torch, threads, rounds, sample_s):
    family, sides = prepare(name, torch)
    err, finite_first = check(sides)
    timing = interleaved({k: s.step for k, s in sides.items()}, rounds, sample_s,
                         settle_s=0.1 if threads > 1 else 0.0)
    finite_last = all(_finite(s.step()) for s in sides.values())
    params = sum(param_count(m) for m in sides["fastdl"].models.values())
    return {"family": name, "model": family.model, "params": params, "batch": family.batch, "threads": threads,
            "max_rel_err": err, "losses_finite": finite_first and finite_last,
            "valid": bool(err <= TOL and finite_first and finite_last), **timing}


# ---- the table -------------------------------------------------------------------------------

def _ratio(row):
    r = row.get("vs_torch")
    return f"{r['median']:5.2f} [{r['min']:4.2f}, {r['max']:5.2f}]" if r else ""


def format_row(row):
    torch_ms = f"{row['torch_ms']:9.2f}" if "torch_ms" in row else ""
    ok = (f"yes ({row['max_rel_err']:.0e})" if row["valid"]
          else f"NO (err {row['max_rel_err']:.1e}, losses finite {row['losses_finite']})")
    return (f"| {row['family']} | {row['model']} | {row['batch']} | {row['fastdl_ms']:.2f} | {torch_ms.strip()} | "
            f"{_ratio(row)} | {ok} |")


HEADER = ("| family | model | batch | fastdl ms/step | torch ms/step | t_torch / t_fastdl [min, max] "
          "| outputs agree (max rel. diff) |\n|---|---|---|---:|---:|---|---|")


def _load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--families", default=",".join(FAMILIES), help="comma-separated, e.g. cnn,gan")
    ap.add_argument("--quick", action="store_true", help="7 rounds of >= 20 ms samples (default 9 of 50 ms)")
    ap.add_argument("--no-torch", action="store_true", help="time fastdl only")
    ap.add_argument("--json", default=DEFAULT_JSON)
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.families.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        ap.error(f"unknown families {', '.join(unknown)}; available: {', '.join(BENCHES)}")
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed: timing fastdl only")
    fastdl.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    rounds, sample_s = (7, 0.02) if args.quick else (9, 0.05)
    load_before = os.getloadavg()
    print(f"threads {args.threads}, torch {torch.__version__ if torch else 'absent'}, "
          f"{rounds} rounds of >= {sample_s * 1e3:.0f} ms; load average {_load()}")
    print(HEADER, flush=True)
    t0 = time.perf_counter()
    rows = []
    for name in names:
        rows.append(measure(name, torch, args.threads, rounds, sample_s))
        print(format_row(rows[-1]), f"  (load {_load()})", flush=True)
    print(f"{time.perf_counter() - t0:.0f} s; load average before {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after {_load()}")
    record = {"command": " ".join([os.path.basename(sys.argv[0])] + (argv if argv is not None else sys.argv[1:])),
              "threads": args.threads, "quick": args.quick, "rounds": rounds, "sample_s": sample_s,
              "load_before": list(load_before), "load_after": list(os.getloadavg()),
              "torch": torch.__version__ if torch else None, "numpy": np.__version__,
              "python": platform.python_version(), "machine": platform.processor() or platform.machine(),
              "cpus": os.cpu_count(), "ratio": "t_torch / t_fastdl (> 1: fastdl faster)", "results": rows}
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(record, f, indent=1)
        print(f"wrote {args.json}")
    return record


if __name__ == "__main__":
    main()
