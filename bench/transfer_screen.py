"""Screen `fastdl train transfer` recipes on many seeds, paying for each recipe's
fine-tuning only: per seed, each distinct pretraining is run once, then every recipe
restores its weights and the random state right after it, as train() would continue;
each distinct scratch arm runs once per seed. The figures are those of
`fastdl train transfer --seed S --set ...` (the per-epoch scoring is skipped: it touches
neither the weights nor the random state; checked against the CLI, see
docs/results_supervised.md).

    PYTHONPATH=python python3 bench/transfer_screen.py --seeds 100-109 --out screen.jsonl \\
        base "side:side_width=8,head=linear,imprint=false" ...
    python3 bench/transfer_screen.py --summary screen.jsonl [--reference base] [--seeds 0-9]

A recipe is NAME or NAME:key=value,... (the values parsed as `--set` parses them) on top
of the DEFAULTS. Each line of --out is {"seed", "recipe", "finetuned", "scratch"}; the
summary gives per recipe the means and the paired fine-tuned - scratch difference (mean,
SD, wins/losses), against the recipe's own scratch arm and against --reference's.
"""
import argparse
import json
import sys

import numpy as np

import fastdl
from fastdl.cli import _parse_value
from fastdl.models import _classify, transfer

PRETRAIN_KEYS = ("epochs", "lr", "batch_size", "width", "pretrain_exemplars", "pretrain_affine", "pretrain_poses",
                 "pretrain_head", "pretrain_reconstruction", "pretrain_prototypical", "pretrain_composites",
                 "pretrain_mixup", "mixup_alpha", "pretrain_source", "cosine_scale", "side_pretrained", "side_width",
                 "pretrain_cross_entropy", "pretrain_contrastive", "contrastive_supervised", "contrastive_temperature",
                 "contrastive_views")
SCRATCH_KEYS = ("width", "side_width", "scratch_head", "cosine_scale", "scratch_lr", "scratch_weight_decay",
                "probe_epochs", "finetune_epochs", "finetune_batch_size", "few_shot_augment", "elastic_alpha",
                "elastic_sigma", "shots", "few_shot_poses", "ensemble")


def recipe(text):
    name, _, sets = text.partition(":")
    config = dict(transfer.DEFAULTS)
    for item in filter(None, sets.split(",")):
        key, value = item.split("=", 1)
        if key not in config:
            raise SystemExit(f"unknown key {key!r} in recipe {text!r}")
        config[key] = _parse_value(value)
    return name, config


def phase_for(target, config):
    """train()'s phase, scored once at the end instead of after every epoch."""
    x, y, x_test, y_test = target
    augment = transfer.few_shot_augment(config)

    def phase(model, name, epochs, lr, weight_decay=config["finetune_weight_decay"], criterion=None):
        _classify.fit(model, (x, y, x_test[:1], y_test[:1]), epochs, lr, config["finetune_batch_size"],
                      weight_decay=weight_decay, augment=augment, desc=name, criterion=criterion)
        return _classify.accuracy(model, x_test, y_test)
    return phase


def screen(seed, recipes):
    pretrained, scratch, rows = {}, {}, []
    for name, config in recipes:
        target = transfer.few_shot_target(config, seed)
        key = tuple(config[k] for k in PRETRAIN_KEYS)
        configs = [config] + ([transfer.side_pretraining(config)] if config["side_pretrained"] else [])
        if key not in pretrained:
            fastdl.manual_seed(seed)
            models = [transfer.pretrain(c, seed)[0] for c in configs]  # in train()'s order
            pretrained[key] = ([{k: v.clone() for k, v in m.state_dict().items()} for m in models],
                               fastdl.get_rng_state())
        weights, rng = pretrained[key]
        models = [transfer.pretraining_model(c, w["head.weight"].shape[0]) for c, w in zip(configs, weights)]
        for model, w in zip(models, weights):
            model.load_state_dict(w)
        fastdl.set_rng_state(rng)
        phase = phase_for(target, config)
        _, finetuned = transfer.fine_tune_ensemble(models[0], target, config, phase, *models[1:], seed=seed)
        key = tuple(config[k] for k in SCRATCH_KEYS)
        if key not in scratch:
            fastdl.manual_seed(seed)
            scratch[key] = transfer.scratch_ensemble(config, target, phase)[1]
        rows.append({"seed": seed, "recipe": name, "finetuned": finetuned, "scratch": scratch[key]})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def paired(a, b):
    d = 100 * (np.asarray(a) - np.asarray(b))
    return f"{d.mean():+.2f} (SD {d.std(ddof=1) if len(d) > 1 else 0:.2f}, {(d > 0).sum()}/{(d < 0).sum()})"


def seed_ranges(seeds):
    """[0, 1, 2, 5, 200, 201] -> "0-2, 5, 200-201"."""
    runs = []
    for seed in seeds:
        if runs and seed == runs[-1][1] + 1:
            runs[-1][1] = seed
        else:
            runs.append([seed, seed])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


def summary(path, reference, seeds=None):
    rows = [json.loads(line) for line in open(path)]
    rows = [r for r in rows if seeds is None or r["seed"] in seeds]
    by = {}
    for r in rows:
        by.setdefault(r["recipe"], {})[r["seed"]] = r
    ref = by.get(reference, {})
    print("| recipe | seeds | fine-tuned | scratch | paired vs own scratch (points, SD, W/L) "
          f"| paired vs {reference}'s scratch | per seed fine-tuned / scratch |")
    print("|---|---|---|---|---|---|---|")
    for name, seeds in by.items():
        s = sorted(seeds)
        ft, sc = [seeds[k]["finetuned"] for k in s], [seeds[k]["scratch"] for k in s]
        vs_ref = paired(ft, [ref[k]["scratch"] for k in s]) if all(k in ref for k in s) else "-"
        per = ", ".join(f"{seeds[k]['finetuned']:.4f}/{seeds[k]['scratch']:.4f}" for k in s)
        print(f"| {name} | {seed_ranges(s)} ({len(s)}) | {np.mean(ft):.4f} | {np.mean(sc):.4f} | {paired(ft, sc)} "
              f"| {vs_ref} | {per} |")


def parse_seeds(text):
    """"100-109" or "0,3,7" -> a list of ints."""
    if "-" in text:
        first, last = map(int, text.split("-"))
        return list(range(first, last + 1))
    return [int(s) for s in text.split(",")]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("recipes", nargs="*")
    ap.add_argument("--seeds", help="A-B or a comma list (default 100-109; with --summary: every seed in the file)")
    ap.add_argument("--out")
    ap.add_argument("--summary")
    ap.add_argument("--reference", default="base")
    args = ap.parse_args(argv)
    seeds = parse_seeds(args.seeds) if args.seeds else None
    if args.summary:
        return summary(args.summary, args.reference, seeds)
    seeds = seeds or parse_seeds("100-109")
    recipes = [recipe(r) for r in args.recipes]
    with open(args.out, "a") if args.out else sys.stdout as out:
        for seed in seeds:
            for row in screen(seed, recipes):
                if args.out:
                    out.write(json.dumps(row) + "\n")
                    out.flush()


if __name__ == "__main__":
    main()
