"""Small helpers shared by the nn layer tests."""
import numpy as np
import pytest

import fastdl


def T(a, grad=False):
    return fastdl.tensor(np.asarray(a), requires_grad=grad)


def npy(t):
    return t.detach().numpy()


def torch_or_skip():
    return pytest.importorskip("torch")
