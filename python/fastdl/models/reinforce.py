"""REINFORCE (Williams 1992) with a baseline on a gymnasium control task: a tanh MLP
policy, `episodes_per_update` episodes run side by side (one batched forward per step),
discounted returns-to-go normalised over the batch (mean baseline, unit scale), and one
Adam step on -sum(log pi(a|s) * normalised return) per batch.

The weights reported are the best of the evaluations every `select_every` env steps on
separate episodes (_rl.BestWeights); evaluation takes the policy's mode (argmax of the
logits) over 100 held-out episodes.

    from fastdl.models import reinforce
    policy, summary = reinforce.fit(env="CartPole-v1", steps=200_000, seed=0)
"""
import sys

import numpy as np

import fastdl
from fastdl import nn

from . import _rl
from .ppo import sample_categorical

DEFAULTS = {"env": "CartPole-v1", "steps": 200_000, "episodes_per_update": 8, "lr": 5e-3, "gamma": 0.99,
            "hidden": 64, "select_every": 10_000, "select_episodes": 20, "eval_episodes": 100, "checkpoint_every": 10}

PRESETS = {"Acrobot-v1": {"steps": 200_000, "episodes_per_update": 4, "lr": 3e-3}}


class Policy(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=64):
        super().__init__()
        self.net = _rl.mlp([obs_dim, hidden, hidden, n_actions])

    def forward(self, obs):
        return self.net(obs)

    def act(self, obs):
        """The policy's mode for a (n, obs_dim) float32 array."""
        with fastdl.no_grad():
            return self(fastdl.from_numpy(obs)).argmax(dim=1).numpy()


def returns_to_go(rewards, gamma):
    out = np.zeros(len(rewards), np.float32)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def run_episodes(policy, envs, rng):
    """One full episode in each env, acting together; returns per-env (obs, actions, rewards)."""
    n = len(envs)
    obs = np.stack([e.reset()[0] for e in envs]).astype(np.float32)
    traj = [([], [], []) for _ in range(n)]
    alive = list(range(n))
    while alive:
        with fastdl.no_grad():
            logits = policy(fastdl.from_numpy(obs[alive])).numpy()
        actions, _ = sample_categorical(logits, rng)
        still = []
        for i, a in zip(alive, actions):
            o, r, term, trunc, _ = envs[i].step(int(a))
            traj[i][0].append(obs[i].copy())
            traj[i][1].append(int(a))
            traj[i][2].append(r)
            obs[i] = o
            if not (term or trunc):
                still.append(i)
        alive = still
    return traj


def _update(policy, opt, traj, gamma):
    obs = np.concatenate([np.array(t[0], np.float32) for t in traj])
    actions = np.concatenate([np.array(t[1], np.int64) for t in traj])
    ret = np.concatenate([returns_to_go(t[2], gamma) for t in traj])
    ret = (ret - ret.mean()) / (ret.std() + 1e-8)  # the baseline: returns centred and scaled over the batch
    logp = policy(fastdl.from_numpy(obs)).log_softmax(dim=1).gather(1, fastdl.from_numpy(actions)[:, None])
    loss = -(logp.squeeze(1) * fastdl.from_numpy(ret)).sum() / len(traj)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def _train(run, cfg, state=None):
    obs_dim, n_actions = _rl.env_dims(cfg["env"])
    policy = Policy(obs_dim, n_actions, cfg["hidden"])
    opt = fastdl.optim.Adam(policy.parameters(), lr=cfg["lr"])
    it, step, episodes, rng_state, best_state = 0, 0, _rl.Episodes(cfg["env"]), None, None
    if state is not None:
        policy.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        it, step = int(state["iteration"]), int(state["step"])
        episodes = _rl.Episodes(cfg["env"], **state["episodes"])
        fastdl.set_rng_state(state["rng"])
        rng_state, best_state = state["np_rng"], state.get("best")  # absent in older checkpoints
    best = _rl.BestWeights(policy, cfg["env"], cfg["select_every"], cfg["select_episodes"], best_state)
    rng = _rl.np_rng_from(rng_state, run.seed)
    k = cfg["episodes_per_update"]
    envs = [_rl.make_env(cfg["env"], seed=run.seed * 1000 + it * k + i) for i in range(k)]
    loss = float("nan")

    def checkpoint():
        run.checkpoint({"model": policy.state_dict(), "optimizer": opt.state_dict(), "iteration": it, "step": step,
                        "episodes": episodes.state(), "rng": list(fastdl.get_rng_state()),
                        "np_rng": _rl.np_rng_state(rng), "best": best.state()})

    bar = run.progress(total=cfg["steps"], desc="reinforce")
    bar.update(step)
    while step < cfg["steps"]:
        traj = run_episodes(policy, envs, rng)
        for t in traj:
            step += len(t[2])
            episodes.add(sum(t[2]), step)
            bar.update(len(t[2]))
        loss = _update(policy, opt, traj, cfg["gamma"])
        it += 1
        run.log(step=step, episode_return=float(np.mean([sum(t[2]) for t in traj])),
                moving_avg_return=episodes.moving(), loss=loss)
        selection = best.maybe_evaluate(step, policy.act)
        if selection is not None:
            run.log(step=step, selection_return=selection)
        bar.set_postfix(ret=f"{episodes.moving():.1f}", loss=f"{loss:.3f}")
        if it % cfg["checkpoint_every"] == 0:
            run.say(f"step {step:7d}  moving avg return {episodes.moving():7.1f}")
            checkpoint()
    bar.close()
    for e in envs:
        e.close()
    checkpoint()
    return policy, _rl.final_summary(run, policy.act, best, cfg, step, episodes, "mode (argmax)",
                                     f"REINFORCE {cfg['env']}")


def train(run, config, state=None):
    """`fastdl train reinforce`: returns the summary (mean return of the policy's mode)."""
    return _train(run, config, state)[1]


def fit(env="CartPole-v1", seed=0, out_dir=None, quiet=True, **overrides):
    """Trains a policy; returns (Policy, summary). Config = DEFAULTS, then PRESETS[env], then overrides."""
    return _rl.fit_family("reinforce", sys.modules[__name__], env, seed, out_dir, quiet, overrides)


PLOTS = {"moving_avg_return": _rl.curve_vs_step("moving_avg_return", "moving-average return")}
