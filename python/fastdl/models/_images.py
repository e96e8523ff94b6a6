"""Helpers shared by the generative families: digits as flat tensors and PNG grids of
8x8 images (matplotlib optional: without it the grid is skipped silently)."""
import os

import numpy as np

import fastdl
from fastdl.data import load_digits


def digits_flat(seed=0):
    """Digits as float32 tensors (n, 64) in [0, 1]: (x_train, y_train, x_test, y_test)."""
    xtr, ytr, xte, yte = load_digits(seed=seed)
    return (fastdl.from_numpy(np.ascontiguousarray(xtr.reshape(len(xtr), -1))), fastdl.from_numpy(ytr),
            fastdl.from_numpy(np.ascontiguousarray(xte.reshape(len(xte), -1))), fastdl.from_numpy(yte))


def pyplot():
    """matplotlib.pyplot with the Agg backend, or None when matplotlib is absent."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def save_grid(out_dir, name, rows, row_titles=None):
    """Writes out_dir/name.png: one row of 8x8 images per entry of `rows` (arrays (n, 64)
    or (n, 1, 8, 8)). Returns the path, or None when there is nowhere/no way to draw."""
    plt = pyplot()
    if not out_dir or plt is None:
        return None
    rows = [np.asarray(r).reshape(len(r), 8, 8) for r in rows]
    ncol = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), ncol, figsize=(ncol * 0.6, len(rows) * 0.65 + 0.2), squeeze=False)
    for i, r in enumerate(rows):
        for j in range(ncol):
            ax = axes[i][j]
            ax.axis("off")
            if j < len(r):
                ax.imshow(np.clip(r[j], 0, 1), cmap="gray_r", vmin=0, vmax=1)
        if row_titles:
            axes[i][0].set_title(row_titles[i], fontsize=7, loc="left")
    fig.tight_layout(pad=0.2)
    path = os.path.join(out_dir, name + ".png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
