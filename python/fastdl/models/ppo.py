"""Proximal Policy Optimization (Schulman et al. 2017) on a gymnasium control task:
separate actor and critic MLPs, n_envs environments stepped side by side (one batched
forward per step), generalised advantage estimation, the clipped surrogate objective,
several epochs of minibatches per rollout, linearly decaying learning rate and clip range.

DEFAULTS follow the RL Baselines3 Zoo's CartPole-v1 PPO (8 envs x 32 steps, GAE 0.8,
gamma 0.98), with 10 epochs per rollout instead of 20 to halve the update count.
The weights reported are the best of the evaluations every `select_every` env steps on
separate episodes (_rl.BestWeights); evaluation takes the policy's mode (argmax of the
logits) over 100 held-out episodes.

    from fastdl.models import ppo
    agent, summary = ppo.fit(env="CartPole-v1", steps=100_000, seed=0)
"""
import sys

import numpy as np

import fastdl
from fastdl import nn

from . import _rl

DEFAULTS = {"env": "CartPole-v1", "steps": 100_000, "n_envs": 8, "n_steps": 32, "batch_size": 256, "n_epochs": 10,
            "lr": 1e-3, "clip": 0.2, "gamma": 0.98, "gae_lambda": 0.8, "vf_coef": 0.5, "ent_coef": 0.0,
            "max_grad_norm": 0.5, "hidden": 64, "select_every": 10_000, "select_episodes": 20, "eval_episodes": 100,
            "checkpoint_every": 20}

# per-environment overrides (after the zoo's Acrobot-v1 settings, with a smaller budget)
PRESETS = {"Acrobot-v1": {"steps": 200_000, "n_envs": 16, "n_steps": 256, "batch_size": 256, "n_epochs": 4,
                          "gamma": 0.99, "gae_lambda": 0.94, "lr": 3e-4}}


class ActorCritic(nn.Module):
    """Separate tanh MLPs: actor obs -> action logits, critic obs -> state value."""

    def __init__(self, obs_dim, n_actions, hidden=64):
        super().__init__()
        self.actor = _rl.mlp([obs_dim, hidden, hidden, n_actions])
        self.critic = _rl.mlp([obs_dim, hidden, hidden, 1])

    def forward(self, obs):
        return self.actor(obs), self.critic(obs).squeeze(1)

    def act(self, obs):
        """The policy's mode for a (n, obs_dim) float32 array."""
        with fastdl.no_grad():
            return self.actor(fastdl.from_numpy(obs)).argmax(dim=1).numpy()


def sample_categorical(logits, rng):
    """One action per row of a NumPy logits array, and its log-probability."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    a = np.minimum((rng.random(len(p))[:, None] > np.cumsum(p, axis=1)).sum(axis=1), p.shape[1] - 1)
    return a, np.log(p[np.arange(len(p)), a])


def gae(rewards, values, dones, last_value, gamma, lam):
    """Advantages (T, n) by backward recursion; dones[t] = 1 where the episode ended at t."""
    adv = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1], np.float32)
    for t in range(len(rewards) - 1, -1, -1):
        next_v = last_value if t == len(rewards) - 1 else values[t + 1]
        live = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_v * live - values[t]
        running = delta + gamma * lam * live * running
        adv[t] = running
    return adv


def _update(agent, opt, batch, clip, cfg):
    obs, actions, old_logp, adv, returns = (fastdl.from_numpy(x) for x in batch)
    logits, values = agent(obs)
    logp_all = logits.log_softmax(dim=1)
    logp = logp_all.gather(1, actions[:, None]).squeeze(1)
    ratio = (logp - old_logp).exp()
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    policy_loss = -fastdl.minimum(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv).mean()
    value_loss = ((values - returns) ** 2).mean()
    loss = policy_loss + cfg["vf_coef"] * value_loss
    if cfg["ent_coef"]:
        loss = loss + cfg["ent_coef"] * (logp_all.exp() * logp_all).sum(dim=1).mean()
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(agent.parameters(), cfg["max_grad_norm"])
    opt.step()
    return policy_loss.item(), value_loss.item()


def _train(run, cfg, state=None):
    obs_dim, n_actions = _rl.env_dims(cfg["env"])
    agent = ActorCritic(obs_dim, n_actions, cfg["hidden"])
    opt = fastdl.optim.Adam(agent.parameters(), lr=cfg["lr"], eps=1e-5)
    n, T = cfg["n_envs"], cfg["n_steps"]
    rollouts = max(1, cfg["steps"] // (n * T))
    it, episodes, rng_state, best_state = 0, _rl.Episodes(cfg["env"]), None, None
    if state is not None:
        agent.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        it, episodes = int(state["iteration"]), _rl.Episodes(cfg["env"], **state["episodes"])
        fastdl.set_rng_state(state["rng"])
        rng_state, best_state = state["np_rng"], state.get("best")  # absent in older checkpoints
    best = _rl.BestWeights(agent, cfg["env"], cfg["select_every"], cfg["select_episodes"], best_state)
    rng = _rl.np_rng_from(rng_state, run.seed)
    envs = [_rl.make_env(cfg["env"], seed=run.seed * 1000 + it * n + i) for i in range(n)]
    obs = np.stack([e.reset()[0] for e in envs]).astype(np.float32)
    ep_ret = np.zeros(n)
    buf_o = np.zeros((T, n, obs_dim), np.float32)
    buf_a = np.zeros((T, n), np.int64)
    buf_lp, buf_r, buf_v, buf_d = (np.zeros((T, n), np.float32) for _ in range(4))
    pl = vl = float("nan")

    def checkpoint():
        run.checkpoint({"model": agent.state_dict(), "optimizer": opt.state_dict(), "iteration": it,
                        "episodes": episodes.state(), "rng": list(fastdl.get_rng_state()),
                        "np_rng": _rl.np_rng_state(rng), "best": best.state()})

    bar = run.progress(total=rollouts, desc="ppo")
    bar.update(it)
    while it < rollouts:
        frac = 1.0 - it / rollouts  # linear decay of lr and clip range, as in the zoo
        for g in opt.param_groups:
            g["lr"] = cfg["lr"] * frac
        for t in range(T):
            with fastdl.no_grad():
                logits, v = agent(fastdl.from_numpy(obs))
            a, lp = sample_categorical(logits.numpy(), rng)
            buf_o[t], buf_a[t], buf_lp[t], buf_v[t] = obs, a, lp, v.numpy()
            step = (it * T + t + 1) * n
            for i, e in enumerate(envs):
                o, r, term, trunc, _ = e.step(int(a[i]))
                ep_ret[i] += r
                if trunc and not term:  # a time limit is not a terminal state: bootstrap from V(last obs)
                    with fastdl.no_grad():
                        r += cfg["gamma"] * agent.critic(fastdl.from_numpy(o[None].astype(np.float32))).item()
                buf_r[t, i], buf_d[t, i] = r, float(term or trunc)
                if term or trunc:
                    episodes.add(ep_ret[i], step)
                    run.log(step=step, episode_return=ep_ret[i], moving_avg_return=episodes.moving(),
                            policy_loss=pl, value_loss=vl)
                    ep_ret[i], o = 0.0, e.reset()[0]
                obs[i] = o
        with fastdl.no_grad():
            last_v = agent.critic(fastdl.from_numpy(obs)).squeeze(1).numpy()
        adv = gae(buf_r, buf_v, buf_d, last_v, cfg["gamma"], cfg["gae_lambda"])
        data = (buf_o.reshape(T * n, obs_dim), buf_a.reshape(-1), buf_lp.reshape(-1), adv.reshape(-1),
                (adv + buf_v).reshape(-1))
        for _ in range(cfg["n_epochs"]):
            perm = rng.permutation(T * n)
            for s in range(0, T * n, cfg["batch_size"]):
                idx = perm[s:s + cfg["batch_size"]]
                pl, vl = _update(agent, opt, [x[idx] for x in data], cfg["clip"] * frac, cfg)
        it += 1
        selection = best.maybe_evaluate(it * T * n, agent.act)
        if selection is not None:
            run.log(step=it * T * n, selection_return=selection)
        bar.update(1)
        bar.set_postfix(ret=f"{episodes.moving():.1f}", vloss=f"{vl:.3f}")
        if it % cfg["checkpoint_every"] == 0:
            run.say(f"step {it * T * n:7d}  moving avg return {episodes.moving():7.1f}  value loss {vl:.4f}")
            checkpoint()
    bar.close()
    for e in envs:
        e.close()
    checkpoint()
    return agent, _rl.final_summary(run, agent.act, best, cfg, rollouts * T * n, episodes, "mode (argmax)",
                                    f"PPO {cfg['env']}")


def train(run, config, state=None):
    """`fastdl train ppo`: returns the summary (mean return of the policy's mode)."""
    return _train(run, config, state)[1]


def fit(env="CartPole-v1", seed=0, out_dir=None, quiet=True, **overrides):
    """Trains a actor-critic; returns (ActorCritic, summary). Config = DEFAULTS, then PRESETS[env], then overrides."""
    return _rl.fit_family("ppo", sys.modules[__name__], env, seed, out_dir, quiet, overrides)


PLOTS = {"value_loss": _rl.curve_vs_step("value_loss", "value loss")}
