"""The `fastdl` command: `fastdl train FAMILY ...`, `fastdl info`."""
import argparse
import sys


def _train(args):
    from .data.datasets import MissingExtraError
    try:
        if args.family == "mlp":
            from .models import mlp
            result = mlp.train(epochs=args.epochs or 30, seed=args.seed)
            print(f"mlp on digits: test accuracy {result['test_accuracy']:.4f} "
                  f"({result['seconds']:.1f} s, {args.epochs or 30} epochs, seed {args.seed})")
            return 0
    except MissingExtraError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"error: unknown model family {args.family!r}; available: {', '.join(FAMILIES)}", file=sys.stderr)
    return 2


FAMILIES = ["mlp"]


def _info(args):
    import fastdl
    from . import _C
    print(f"fastdl {fastdl.__version__}")
    print(f"threads: {fastdl.get_num_threads()}  avx2+fma: {_C.cpu_has_avx2_fma()} (in use: {_C.use_avx2()})")
    print(f"cuda built: {fastdl.cuda.is_built()}  cuda available: {fastdl.cuda.is_available()}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fastdl", description="fastdl: train models, inspect the build")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train a model family on built-in data")
    tr.add_argument("family", help="model family: " + ", ".join(FAMILIES))
    tr.add_argument("--epochs", type=int, default=None)
    tr.add_argument("--seed", type=int, default=0)
    tr.set_defaults(func=_train)
    info = sub.add_parser("info", help="print build and runtime facts")
    info.set_defaults(func=_info)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
