"""Built-in datasets that need no internet: they come from packages that ship or
generate them. Optional packages are imported lazily with a message naming the extra."""
import numpy as np


class MissingExtraError(ImportError):
    pass


def require(module, extra="examples"):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtraError(f"this needs the optional package '{module.split('.')[0]}'; install it with "
                                f'pip install "fastdl[{extra}]"') from e


def load_digits(test_fraction=0.2, seed=0, normalize=True):
    """scikit-learn's 8x8 handwritten digits (1,797 images, shipped inside scikit-learn).

    Returns (x_train, y_train, x_test, y_test) as NumPy arrays: float32 images of shape
    (n, 1, 8, 8) scaled to [0, 1] and int64 labels. The split is stratified-free but
    seeded, so it is the same on every machine.
    """
    datasets = require("sklearn.datasets")
    d = datasets.load_digits()
    x = d.images.astype(np.float32)[:, None]
    if normalize:
        x /= 16.0
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    te, tr = perm[:n_test], perm[n_test:]
    return x[tr], y[tr], x[te], y[te]
