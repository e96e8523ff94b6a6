"""Deep Q-learning (Mnih et al. 2015) on a gymnasium control task (CartPole-v1 by
default, Acrobot-v1 via PRESETS): an MLP Q-network, a NumPy replay buffer, a target
network, a linearly decaying epsilon-greedy policy, Adam on the Huber loss.

DEFAULTS are the RL Baselines3 Zoo's tuned CartPole-v1 DQN (256-256 MLP, train every
256 env steps with 128 gradient steps, target synced every 10 env steps). DQN's greedy
policy oscillates after it first solves CartPole, so every `select_every` env steps the
policy plays `select_episodes` separate episodes and the best weights are kept
(_rl.BestWeights, SB3's EvalCallback); the reported evaluation is greedy (argmax Q) over
100 held-out episodes with those weights.

    from fastdl.models import dqn
    qnet, summary = dqn.fit(env="CartPole-v1", steps=50_000, seed=0)
"""
import sys

import numpy as np

import fastdl
from fastdl import nn
from fastdl.nn import functional as F

from . import _rl

DEFAULTS = {"env": "CartPole-v1", "steps": 50_000, "lr": 2.3e-3, "batch_size": 64, "buffer_size": 100_000,
            "learning_starts": 1000, "gamma": 0.99, "target_update_interval": 10, "train_freq": 256,
            "gradient_steps": 128, "exploration_fraction": 0.16, "eps_start": 1.0, "eps_final": 0.04,
            "hidden": 256, "max_grad_norm": 10.0, "select_every": 2000, "select_episodes": 20, "eval_episodes": 100,
            "checkpoint_every": 10_000}

# per-environment overrides (the zoo's Acrobot-v1 settings), applied by fit(env=...)
PRESETS = {"Acrobot-v1": {"steps": 100_000, "lr": 6.3e-4, "batch_size": 128, "buffer_size": 50_000,
                          "learning_starts": 0, "target_update_interval": 250, "train_freq": 4, "gradient_steps": 4,
                          "exploration_fraction": 0.12, "eps_final": 0.1}}


class QNetwork(nn.Module):
    """obs -> one Q-value per action (two hidden ReLU layers)."""

    def __init__(self, obs_dim, n_actions, hidden=256):
        super().__init__()
        self.net = _rl.mlp([obs_dim, hidden, hidden, n_actions], nn.ReLU)

    def forward(self, obs):
        return self.net(obs)

    def act(self, obs):
        """Greedy actions for a (n, obs_dim) float32 array."""
        with fastdl.no_grad():
            return self(fastdl.from_numpy(obs)).argmax(dim=1).numpy()


class ReplayBuffer:
    """A ring buffer of transitions in preallocated NumPy arrays."""

    def __init__(self, capacity, obs_dim):
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.dones = np.zeros(capacity, np.float32)  # 1 where the episode terminated (not truncated)
        self.capacity, self.pos, self.size = capacity, 0, 0

    def add(self, o, a, r, o2, done):
        i = self.pos
        self.obs[i], self.actions[i], self.rewards[i], self.next_obs[i], self.dones[i] = o, a, r, o2, done
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, n, rng):
        i = rng.integers(0, self.size, n)
        return self.obs[i], self.actions[i], self.rewards[i], self.next_obs[i], self.dones[i]

    def state(self):
        n = self.size
        return {"pos": self.pos, "size": n, "obs": fastdl.from_numpy(self.obs[:n].copy()),
                "next_obs": fastdl.from_numpy(self.next_obs[:n].copy()),
                "actions": fastdl.from_numpy(self.actions[:n].copy()),
                "rewards": fastdl.from_numpy(self.rewards[:n].copy()), "dones": fastdl.from_numpy(self.dones[:n].copy())}

    def load(self, s):
        n = self.size = int(s["size"])
        self.pos = int(s["pos"])
        for k in ("obs", "next_obs", "actions", "rewards", "dones"):
            getattr(self, k)[:n] = s[k].numpy()


def epsilon(step, cfg):
    frac = min(1.0, step / max(1.0, cfg["exploration_fraction"] * cfg["steps"]))
    return cfg["eps_start"] + frac * (cfg["eps_final"] - cfg["eps_start"])


def _update(q, target, opt, batch, cfg):
    o, a, r, o2, d = batch
    with fastdl.no_grad():
        next_q = target(fastdl.from_numpy(o2)).amax(dim=1)
        y = fastdl.from_numpy(r) + cfg["gamma"] * (1.0 - fastdl.from_numpy(d)) * next_q
    q_sa = q(fastdl.from_numpy(o)).gather(1, fastdl.from_numpy(a)[:, None]).squeeze(1)
    loss = F.smooth_l1_loss(q_sa, y)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q.parameters(), cfg["max_grad_norm"])
    opt.step()
    return loss.item()


def _train(run, cfg, state=None):
    obs_dim, n_actions = _rl.env_dims(cfg["env"])
    q = QNetwork(obs_dim, n_actions, cfg["hidden"])
    target = QNetwork(obs_dim, n_actions, cfg["hidden"])
    opt = fastdl.optim.Adam(q.parameters(), lr=cfg["lr"])
    buf = ReplayBuffer(cfg["buffer_size"], obs_dim)
    step, episodes, rng_state, best_state = 0, _rl.Episodes(cfg["env"]), None, None
    if state is not None:
        q.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        buf.load(state["buffer"])
        step, episodes = int(state["step"]), _rl.Episodes(cfg["env"], **state["episodes"])
        fastdl.set_rng_state(state["rng"])
        rng_state, best_state = state["np_rng"], state.get("best")  # absent in older checkpoints
    best = _rl.BestWeights(q, cfg["env"], cfg["select_every"], cfg["select_episodes"], best_state)
    target.load_state_dict(q.state_dict())
    rng = _rl.np_rng_from(rng_state, run.seed)
    env = _rl.make_env(cfg["env"], seed=run.seed + step)
    o = env.reset()[0].astype(np.float32)
    ep_ret, loss = 0.0, float("nan")

    def checkpoint():
        run.checkpoint({"model": q.state_dict(), "optimizer": opt.state_dict(), "buffer": buf.state(),
                        "step": step, "episodes": episodes.state(), "rng": list(fastdl.get_rng_state()),
                        "np_rng": _rl.np_rng_state(rng), "best": best.state()})

    bar = run.progress(total=cfg["steps"], desc="dqn")
    bar.update(step)
    while step < cfg["steps"]:
        if rng.random() < epsilon(step, cfg):
            a = int(rng.integers(n_actions))
        else:
            a = int(q.act(o[None])[0])
        o2, r, term, trunc, _ = env.step(a)
        o2 = o2.astype(np.float32)
        buf.add(o, a, r, o2, float(term))
        o, ep_ret, step = o2, ep_ret + r, step + 1
        bar.update(1)
        if term or trunc:
            episodes.add(ep_ret, step)
            run.log(step=step, episode_return=ep_ret, moving_avg_return=episodes.moving(), loss=loss,
                    epsilon=epsilon(step, cfg))
            bar.set_postfix(ret=f"{episodes.moving():.1f}", loss=f"{loss:.3f}")
            o, ep_ret = env.reset()[0].astype(np.float32), 0.0
        if step > cfg["learning_starts"] and step % cfg["train_freq"] == 0:
            for _ in range(cfg["gradient_steps"]):
                loss = _update(q, target, opt, buf.sample(cfg["batch_size"], rng), cfg)
        if step % cfg["target_update_interval"] == 0:
            target.load_state_dict(q.state_dict())
        selection = best.maybe_evaluate(step, q.act)
        if selection is not None:
            run.log(step=step, selection_return=selection)
        if step % cfg["checkpoint_every"] == 0:
            run.say(f"step {step:7d}  moving avg return {episodes.moving():7.1f}  loss {loss:.4f}")
            checkpoint()
    bar.close()
    env.close()
    checkpoint()
    return q, _rl.final_summary(run, q.act, best, cfg, step, episodes, "greedy", f"DQN {cfg['env']}")


def train(run, config, state=None):
    """`fastdl train dqn`: returns the summary (mean greedy return over eval_episodes)."""
    return _train(run, config, state)[1]


def fit(env="CartPole-v1", seed=0, out_dir=None, quiet=True, **overrides):
    """Trains a Q-network; returns (QNetwork, summary). Config = DEFAULTS, then PRESETS[env], then overrides."""
    return _rl.fit_family("dqn", sys.modules[__name__], env, seed, out_dir, quiet, overrides)


PLOTS = {"loss": _rl.curve_vs_step("loss", "Huber loss")}
