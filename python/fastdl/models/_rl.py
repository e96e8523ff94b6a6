"""Shared pieces of the RL families (dqn, ppo, reinforce): gymnasium environments,
batched evaluation, best-weights selection on separate episodes, the episode-return
bookkeeping, NumPy RNG state in checkpoints, the return-curve PNG and the final summary.

Evaluation episodes have fixed seeds: EVAL_SEED.. for the reported mean return and
SELECT_SEED.. for picking the best weights, so the reported figure is never measured on
the episodes that chose the weights.

Environment state is not checkpointed: a resumed run starts a fresh episode."""
import json
import os

import numpy as np

from fastdl import nn
from fastdl.data.datasets import require

SOLVED = {"CartPole-v1": 475.0, "Acrobot-v1": -100.0}  # the targets of the family table
EVAL_SEED = 10_000  # the held-out episodes of the reported evaluation
SELECT_SEED = 20_000  # the episodes that pick the best weights during training


def make_env(name, seed=None):
    """A gymnasium environment, reset once with `seed` so its episodes are reproducible."""
    gym = require("gymnasium")
    env = gym.make(name)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    return env


def env_dims(name):
    env = make_env(name)
    dims = env.observation_space.shape[0], env.action_space.n
    env.close()
    return dims


def mlp(sizes, activation=nn.Tanh):
    """Linear layers with `activation` between them (none after the last)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i + 2 < len(sizes):
            layers.append(activation())
    return nn.Sequential(*layers)


def evaluate(act, env_name, episodes=100, seed=EVAL_SEED):
    """Mean and std of the return of `act` over `episodes` episodes, all run side by side
    so every step is one batched forward: act(obs (n, d) float32 array) -> actions (n,).
    Seeds seed, seed+1, ... so evaluation never reuses the training episodes."""
    envs = [make_env(env_name) for _ in range(episodes)]
    obs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(envs)]).astype(np.float32)
    returns = np.zeros(episodes)
    alive = np.arange(episodes)
    while len(alive):
        actions = act(obs[alive])
        still = []
        for j, a in zip(alive, actions):
            o, r, term, trunc, _ = envs[j].step(int(a))
            returns[j] += r
            obs[j] = o
            if not (term or trunc):
                still.append(j)
        alive = np.array(still, dtype=np.int64)
    for e in envs:
        e.close()
    return float(returns.mean()), float(returns.std())


class BestWeights:
    """Model selection as in Stable-Baselines3's EvalCallback: every `every` env steps the
    current policy plays `episodes` selection episodes (seeds SELECT_SEED..) and a copy of
    the weights with the highest mean return so far is kept (the latest on ties, where SB3
    keeps the first: capped returns such as CartPole's 500 tie often, and the later weights
    have trained longer). The final report evaluates the kept weights on the held-out
    EVAL_SEED episodes. every=0 turns selection off (the final weights are reported)."""

    def __init__(self, model, env_name, every, episodes, state=None):
        self.model, self.env_name, self.every, self.episodes = model, env_name, int(every), int(episodes)
        self.best_mean, self.best_step, self.weights, self.next_at, self.history = None, None, None, int(every), []
        if state is not None:
            self.best_mean, self.best_step = state["best_mean"], state["best_step"]
            self.next_at, self.history = int(state["next_at"]), [tuple(h) for h in state["history"]]
            self.weights = state["weights"] or None

    def maybe_evaluate(self, step, act):
        """Evaluates when `step` has reached the next selection point; returns the mean or None."""
        if not self.every or step < self.next_at:
            return None
        while self.next_at <= step:
            self.next_at += self.every
        mean, _ = evaluate(act, self.env_name, self.episodes, seed=SELECT_SEED)
        self.history.append((int(step), mean))
        if self.best_mean is None or mean >= self.best_mean:
            self.best_mean, self.best_step = mean, int(step)
            self.weights = {k: v.clone() for k, v in self.model.state_dict().items()}
        return mean

    def restore(self):
        """Loads the kept weights into the model; False when selection never ran."""
        if self.weights is None:
            return False
        self.model.load_state_dict(self.weights)
        return True

    def state(self):
        return {"best_mean": self.best_mean, "best_step": self.best_step, "next_at": self.next_at,
                "history": [list(h) for h in self.history], "weights": self.weights or {}}


class Episodes:
    """Training-time episode returns: the moving average over the last `window` episodes
    and the env step at which it first reached the environment's target."""

    def __init__(self, env_name, window=20, returns=None, ends=None, solved_at=None):
        self.target = SOLVED.get(env_name)
        self.window = window
        self.returns = list(returns or [])
        self.ends = list(ends or [])  # env step at which each episode ended
        self.solved_at = solved_at

    def add(self, ret, step):
        self.returns.append(float(ret))
        self.ends.append(int(step))
        if (self.solved_at is None and self.target is not None and len(self.returns) >= self.window
                and self.moving() >= self.target):
            self.solved_at = int(step)

    def moving(self):
        tail = self.returns[-self.window:]
        return float(np.mean(tail)) if tail else float("nan")

    def state(self):
        return {"returns": self.returns, "ends": self.ends, "solved_at": self.solved_at}


def np_rng_state(rng):
    return json.dumps(rng.bit_generator.state)  # 128-bit ints: JSON text keeps them exact


def np_rng_from(state, seed):
    rng = np.random.default_rng(seed)
    if state is not None:
        rng.bit_generator.state = json.loads(state)
    return rng


def save_return_curve(run, episodes, title, selections=()):
    """episode_returns.png in run.out_dir: each training episode's return, the moving
    average and the selection evaluations (step, mean) against env steps; skipped when
    there is no out_dir or no matplotlib."""
    if not run.out_dir or not episodes.returns:
        return
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    r = np.array(episodes.returns)
    w = episodes.window
    ma = np.convolve(r, np.ones(w) / w, mode="valid") if len(r) >= w else r
    fig = plt.figure(figsize=(6, 3.5))
    ax = fig.add_subplot(111)
    ax.plot(episodes.ends, r, lw=0.5, alpha=0.5, label="episode return")
    ax.plot(episodes.ends[len(r) - len(ma):], ma, label=f"moving average ({w})")
    if selections:
        ax.plot([p[0] for p in selections], [p[1] for p in selections], "k.", ms=4, label="selection eval")
    if episodes.target is not None:
        ax.axhline(episodes.target, color="gray", ls="--", lw=0.8)
    ax.set_xlabel("env steps")
    ax.set_ylabel("return")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(run.out_dir, "episode_returns.png"), dpi=100)
    plt.close(fig)


def final_summary(run, act, best, cfg, steps, episodes, policy, title):
    """Evaluates the final weights, then (when selection ran) the kept best weights, which
    stay loaded in the model and give eval_mean_return; draws the return curve."""
    mean, std = evaluate(act, cfg["env"], cfg["eval_episodes"])
    out = {"env": cfg["env"], "eval_mean_return": mean, "eval_std_return": std, "eval_episodes_policy": policy,
           "env_steps": int(steps), "train_episodes": len(episodes.returns),
           "moving_avg_return": episodes.moving(), "solved_at_step": episodes.solved_at}
    if best.restore():
        out["eval_weights"] = f"best of {len(best.history)} selection evaluations ({best.episodes} episodes each)"
        out["eval_mean_return"], out["eval_std_return"] = evaluate(act, cfg["env"], cfg["eval_episodes"])
        out.update(selected_at_step=best.best_step, selection_mean_return=best.best_mean,
                   final_weights_eval_mean_return=mean, final_weights_eval_std_return=std)
    else:
        out["eval_weights"] = "final"
    save_return_curve(run, episodes, title, best.history)
    return out


def curve_vs_step(key, ylabel=None):
    """A PLOTS entry: history[key] against the env step of each log line."""
    def draw(fig, history):
        ax = fig.add_subplot(111)
        pts = [(h["step"], h[key]) for h in history if key in h and "step" in h]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts])
        ax.set_xlabel("env steps")
        ax.set_ylabel(ylabel or key)
    return draw


def fit_family(family, module, env, seed, out_dir, quiet, overrides):
    """The Python API shared by dqn/ppo/reinforce: config = DEFAULTS, then PRESETS[env],
    then overrides; returns (trained model, summary) and writes metrics.json to out_dir."""
    from ._run import run_family
    cfg = {**module.DEFAULTS, "env": env, **module.PRESETS.get(env, {}), **overrides}
    return run_family(family, cfg, seed, out_dir, quiet, module._train, module.PLOTS)
