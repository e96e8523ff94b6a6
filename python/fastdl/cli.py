"""The `fastdl` command: `fastdl train FAMILY ...`, `fastdl info`, `fastdl bench`."""
import argparse
import sys


def _train(args):
    from . import models
    from .data.datasets import MissingExtraError
    from .models._run import CheckpointMismatch, Run
    try:
        module = models.family_module(args.family)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sets = {}
    for item in args.set or []:
        key, sep, raw = item.partition("=")
        if not sep or key not in module.DEFAULTS:
            print(f"error: --set {item!r}: expected KEY=VALUE with KEY one of {', '.join(module.DEFAULTS)}",
                  file=sys.stderr)
            return 2
        sets[key] = _parse_value(raw)
    env = sets.get("env") or args.env
    if env is not None and "env" not in module.DEFAULTS:
        print(f"error: family {args.family!r} has no environment to choose (--env is for dqn, ppo, reinforce)",
              file=sys.stderr)
        return 2
    # the order of fit(): DEFAULTS, then the environment's PRESETS, then what the command line sets
    config = {**module.DEFAULTS, **({"env": env, **getattr(module, "PRESETS", {}).get(env, {})} if env else {})}
    for key in ("epochs", "steps"):
        value = getattr(args, key)
        if value is not None:
            if key not in config:
                print(f"error: family {args.family!r} takes --{'steps' if key == 'epochs' else 'epochs'}, "
                      f"not --{key}", file=sys.stderr)
                return 2
            config[key] = value
    config.update(sets)
    if args.family in ("lstm", "gru"):
        config["cell"] = args.family
    import fastdl
    fastdl.manual_seed(args.seed)
    run = Run(args.family, config, out_dir=args.out, seed=args.seed, device=args.device, quiet=args.quiet)
    try:
        state = run.resume(args.resume) if args.resume else None
    except (CheckpointMismatch, FileNotFoundError, ValueError) as e:  # ValueError: a damaged file
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        summary = module.train_family(run, config, state) if hasattr(module, "train_family") else \
            module.train(run, config, state)
    except MissingExtraError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        run.interrupted = True
        run.finish({"interrupted": True})
        print(f"\ninterrupted; the last checkpoint is kept in {args.out}" if args.out else "\ninterrupted",
              file=sys.stderr)
        return 130
    record = run.finish(summary, getattr(module, "PLOTS", None))
    shown = "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in summary.items())
    print(f"{args.family}: {shown}  ({record['seconds']:.1f} s, seed {args.seed}, {args.device}, "
          f"{record['threads']} threads)")
    return 0


_PYTHON_CONSTANTS = {"None": None, "True": True, "False": False}


def _parse_value(raw):
    """--set values: JSON when it parses (numbers, true/false/null, lists), Python's
    None/True/False (as the DEFAULTS print them), else the string."""
    import json
    if raw in _PYTHON_CONSTANTS:
        return _PYTHON_CONSTANTS[raw]
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _info(args):
    import fastdl
    from . import _C, models
    print(f"fastdl {fastdl.__version__}")
    print(f"threads: {fastdl.get_num_threads()}  avx2+fma: {_C.cpu_has_avx2_fma()} (in use: {_C.use_avx2()})"
          f"  avx512f: {_C.cpu_has_avx512f()} (in use: {_C.use_avx512()})")
    print(f"cuda built: {fastdl.cuda.is_built()}  cuda available: {fastdl.cuda.is_available()}")
    print(f"model families: {', '.join(models.available())}")
    return 0


def _bench(args):
    if args.device == "cuda":
        from . import gpu_bench
        return gpu_bench.run(args.json)
    if args.device != "cpu":
        print(f"error: fastdl bench: --device must be cpu or cuda, got {args.device!r}", file=sys.stderr)
        return 2
    from . import bench
    return bench.run(args.quick, args.json, args.threads)


def main(argv=None):
    from .models import FAMILIES
    parser = argparse.ArgumentParser(prog="fastdl", description="fastdl: train models, inspect the build")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train a model family on built-in data")
    tr.add_argument("family", help="model family: " + ", ".join(FAMILIES))
    tr.add_argument("--epochs", type=int, default=None, help="training epochs (supervised/generative families)")
    tr.add_argument("--steps", type=int, default=None, help="training steps (RL and GAN families)")
    tr.add_argument("--device", default="cpu", help="cpu or cuda")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out", default=None, help="folder for checkpoint, metrics.json and plots")
    tr.add_argument("--resume", default=None, help="continue from the checkpoint in this folder")
    tr.add_argument("--env", default=None, help="RL families: gymnasium environment, e.g. Acrobot-v1 "
                    "(with that environment's preset hyperparameters)")
    tr.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="override a config value, e.g. --set lr=0.001 or --set dataset=grid")
    tr.add_argument("--quiet", action="store_true")
    tr.set_defaults(func=_train)
    info = sub.add_parser("info", help="print build and runtime facts")
    info.set_defaults(func=_info)
    be = sub.add_parser("bench", help="time fastdl's kernels and training steps against NumPy and PyTorch "
                        "(cpu) or cuBLAS / cuDNN through PyTorch (cuda)")
    be.add_argument("--device", default="cpu", help="cpu, or cuda (--json only; default bench/results/gpu.json)")
    from .bench import add_arguments
    add_arguments(be)
    be.set_defaults(func=_bench)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
