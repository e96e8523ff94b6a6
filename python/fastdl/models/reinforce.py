"""REINFORCE with a learned state-value baseline (Williams 1992; Sutton & Barto 2018,
section 13.4) on a gymnasium control task: tanh MLPs for the policy and the baseline,
`episodes_per_update` episodes run side by side (one batched forward per step), and one
Adam step per batch on

    -mean(log pi(a_t|s_t) * A_t) + vf_coef * mean((V(s_t) - G_t)^2) - ent_coef * mean(entropy)

where G_t is the discounted return-to-go and the advantage A_t = G_t - V(s_t) is
normalised over the batch. An episode cut by the time limit is not a terminal state: its
return-to-go is bootstrapped from V of the last observation (as in ppo), so the baseline is
not taught that states near the time limit are worth nothing.

Acrobot-v1 pays -1 per step until the tip swings up, which a uniform-random policy does in
about 2% of 500-step episodes, so the policy must stay exploratory until a few of those
episodes have been seen: with 4 episodes per update at lr 3e-3 only the entropy bonus
kept it so (docs/results_rl.md, "REINFORCE on Acrobot"); the preset's 8 episodes at lr 1e-3
do it even without.

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
            "vf_coef": 0.5, "ent_coef": 0.0, "hidden": 64, "select_every": 10_000, "select_episodes": 20,
            "eval_episodes": 100, "checkpoint_every": 10}

PRESETS = {"Acrobot-v1": {"steps": 200_000, "episodes_per_update": 8, "lr": 1e-3, "ent_coef": 0.01}}


class Policy(nn.Module):
    """Separate tanh MLPs: actor obs -> action logits, critic obs -> state value (the baseline)."""

    def __init__(self, obs_dim, n_actions, hidden=64):
        super().__init__()
        self.actor = _rl.mlp([obs_dim, hidden, hidden, n_actions])
        self.critic = _rl.mlp([obs_dim, hidden, hidden, 1])

    def forward(self, obs):
        return self.actor(obs)

    def value(self, obs):
        return self.critic(obs).squeeze(1)

    def act(self, obs):
        """The policy's mode for a (n, obs_dim) float32 array."""
        with fastdl.no_grad():
            return self(fastdl.from_numpy(obs)).argmax(dim=1).numpy()


class Episode:
    """One episode's observations, actions and rewards, and how it ended: `last_obs` is the
    observation after the final step, `truncated` whether the time limit (not the task) ended it."""

    def __init__(self):
        self.obs, self.actions, self.rewards = [], [], []
        self.last_obs, self.truncated = None, False


def returns_to_go(rewards, gamma, bootstrap=0.0):
    """Discounted returns-to-go; `bootstrap` is the value of the state after the last step."""
    out = np.zeros(len(rewards), np.float32)
    running = bootstrap
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def run_episodes(policy, envs, rng):
    """One full episode in each env, acting together; returns one Episode per env."""
    obs = np.stack([e.reset()[0] for e in envs]).astype(np.float32)
    episodes = [Episode() for _ in envs]
    alive = list(range(len(envs)))
    while alive:
        with fastdl.no_grad():
            logits = policy(fastdl.from_numpy(obs[alive])).numpy()
        actions, _ = sample_categorical(logits, rng)
        still = []
        for i, a in zip(alive, actions):
            o, r, term, trunc, _ = envs[i].step(int(a))
            ep = episodes[i]
            ep.obs.append(obs[i].copy())
            ep.actions.append(int(a))
            ep.rewards.append(r)
            obs[i] = o
            if term or trunc:
                ep.last_obs, ep.truncated = np.asarray(o, np.float32), trunc and not term
            else:
                still.append(i)
        alive = still
    return episodes


def _update(policy, opt, episodes, cfg):
    obs = fastdl.from_numpy(np.concatenate([np.array(e.obs, np.float32) for e in episodes]))
    actions = fastdl.from_numpy(np.concatenate([np.array(e.actions, np.int64) for e in episodes]))
    with fastdl.no_grad():
        last_v = policy.value(fastdl.from_numpy(np.stack([e.last_obs for e in episodes]))).numpy()
    ret = np.concatenate([returns_to_go(e.rewards, cfg["gamma"], last_v[i] if e.truncated else 0.0)
                          for i, e in enumerate(episodes)])
    values = policy.value(obs)
    adv = ret - values.detach().numpy()
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    logp_all = policy(obs).log_softmax(dim=1)
    logp = logp_all.gather(1, actions[:, None]).squeeze(1)
    policy_loss = -(logp * fastdl.from_numpy(adv)).mean()
    value_loss = ((values - fastdl.from_numpy(ret)) ** 2).mean()
    loss = policy_loss + cfg["vf_coef"] * value_loss
    if cfg["ent_coef"]:
        loss = loss + cfg["ent_coef"] * (logp_all.exp() * logp_all).sum(dim=1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return policy_loss.item(), value_loss.item()


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
    pl = vl = float("nan")

    def checkpoint():
        run.checkpoint({"model": policy.state_dict(), "optimizer": opt.state_dict(), "iteration": it, "step": step,
                        "episodes": episodes.state(), "rng": list(fastdl.get_rng_state()),
                        "np_rng": _rl.np_rng_state(rng), "best": best.state()})

    bar = run.progress(total=cfg["steps"], desc="reinforce")
    bar.update(step)
    while step < cfg["steps"]:
        batch = run_episodes(policy, envs, rng)
        for e in batch:
            step += len(e.rewards)
            episodes.add(sum(e.rewards), step)
            bar.update(len(e.rewards))
        pl, vl = _update(policy, opt, batch, cfg)
        it += 1
        run.log(step=step, episode_return=float(np.mean([sum(e.rewards) for e in batch])),
                moving_avg_return=episodes.moving(), policy_loss=pl, value_loss=vl)
        selection = best.maybe_evaluate(step, policy.act)
        if selection is not None:
            run.log(step=step, selection_return=selection)
        bar.set_postfix(ret=f"{episodes.moving():.1f}", vloss=f"{vl:.3f}")
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


PLOTS = {"moving_avg_return": _rl.curve_vs_step("moving_avg_return", "moving-average return"),
         "value_loss": _rl.curve_vs_step("value_loss", "baseline (value) loss")}
