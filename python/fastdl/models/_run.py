"""Bookkeeping shared by every model family: the output folder, the progress bar,
metrics.json, atomic checkpoints (with --resume), and optional PNG plots.

A family's train function receives a Run and calls run.log(...) for every value it
wants recorded, run.checkpoint(state) when it wants to be resumable, and returns a
summary dict; the CLI turns Ctrl-C into a clean stop that keeps the last checkpoint.
"""
import json
import os
import sys
import time

import fastdl
from .._silent_progress import SilentProgress

CHECKPOINT = "checkpoint.safetensors"


class CheckpointMismatch(ValueError):
    pass


class Run:
    def __init__(self, family, config, out_dir=None, seed=0, device="cpu", quiet=False):
        self.family, self.config, self.seed, self.device, self.quiet = family, dict(config), seed, str(device), quiet
        self.out_dir = out_dir
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
        self.history = []
        self.started = time.time()
        self.interrupted = False

    # ---- progress and logging ---------------------------------------------------------
    def progress(self, iterable=None, total=None, desc=""):
        """tqdm when it is installed and output is a terminal-like stream; else plain."""
        if self.quiet:
            return SilentProgress(iterable, total, desc)
        try:
            from tqdm import tqdm
            return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True, file=sys.stderr)
        except ImportError:
            return SilentProgress(iterable, total, desc)

    def log(self, **values):
        values = {k: (float(v) if hasattr(v, "__float__") and not isinstance(v, (int, bool)) else v)
                  for k, v in values.items()}
        values["time_s"] = round(time.time() - self.started, 3)
        self.history.append(values)
        return values

    def say(self, text):
        if not self.quiet:
            print(text, flush=True)

    # ---- checkpoints --------------------------------------------------------------------
    def checkpoint(self, state):
        if not self.out_dir:
            return None
        path = os.path.join(self.out_dir, CHECKPOINT)
        fastdl.save({"family": self.family, "config": self.config, "seed": self.seed, "history": self.history,
                     "state": state}, path)
        return path

    def resume(self, resume_dir):
        """The state saved by a previous run of the same family, or a clear error."""
        path = os.path.join(resume_dir, CHECKPOINT) if os.path.isdir(resume_dir) else resume_dir
        if not os.path.exists(path):
            raise FileNotFoundError(f"--resume: no checkpoint at {path}")
        blob = fastdl.load(path)
        if not isinstance(blob, dict) or "family" not in blob or "state" not in blob:
            raise CheckpointMismatch(f"--resume: {path} is not a fastdl training checkpoint")
        if blob["family"] != self.family:
            raise CheckpointMismatch(f"--resume: {path} holds a '{blob['family']}' checkpoint, not '{self.family}'")
        self.history = list(blob.get("history", []))
        return blob["state"]

    # ---- the end --------------------------------------------------------------------------
    def finish(self, summary, plots=None):
        record = {"family": self.family, "summary": summary, "config": self.config, "seed": self.seed,
                  "device": self.device, "threads": fastdl.get_num_threads(), "fastdl_version": fastdl.__version__,
                  "seconds": round(time.time() - self.started, 3), "interrupted": self.interrupted,
                  "history": self.history}
        if self.out_dir:
            with open(os.path.join(self.out_dir, "metrics.json"), "w") as f:
                json.dump(record, f, indent=1)
            if plots:
                self._plot(plots)
        return record

    def _plot(self, plots):
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            self.say('(plots skipped: install matplotlib, e.g. pip install "fastdl[examples]")')
            return
        for name, draw in plots.items():
            fig = plt.figure(figsize=(5, 3.5))
            draw(fig, self.history)
            fig.tight_layout()
            fig.savefig(os.path.join(self.out_dir, name + ".png"), dpi=100)
            plt.close(fig)


def curve(key, ylabel=None):
    """A plot function drawing history[key] against the log step."""
    def draw(fig, history):
        ax = fig.add_subplot(111)
        pts = [(i, h[key]) for i, h in enumerate(history) if key in h]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts])
        ax.set_xlabel("log step")
        ax.set_ylabel(ylabel or key)
    return draw


def run_family(family, cfg, seed, out_dir, quiet, train, plots):
    """The Python API body every family's fit() shares: seeds fastdl, trains with
    train(run, cfg) under a Run that writes metrics.json (and plots) into out_dir;
    returns (model, summary)."""
    fastdl.manual_seed(seed)
    run = Run(family, cfg, out_dir=out_dir, seed=seed, quiet=quiet)
    model, summary = train(run, cfg)
    run.finish(summary, plots)
    return model, summary
