"""The layers issue's done-when: a CNN, an LSTM classifier and an MLP written for
PyTorch run in fastdl with only the import changed, and give the same numbers.

MODELS below is PyTorch code. It is executed twice: once with `torch` bound to torch,
once with `torch` bound to fastdl (`import fastdl as torch`). Weights are copied from
the torch models through state_dict, then outputs, losses, every gradient and one SGD
step are compared.
"""
import numpy as np
import pytest

import fastdl

torch = pytest.importorskip("torch")

MODELS = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):  # the PyTorch MNIST example network
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 6 * 6, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


class LSTMClassifier(nn.Module):
    def __init__(self, n_in=4, hidden=16, n_classes=3):
        super().__init__()
        self.lstm = nn.LSTM(n_in, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return self.head(out[:, -1])


def mlp():
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.BatchNorm1d(32), nn.Linear(32, 4))


def train_step(model, x, y, loss_fn, lr=0.1):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    opt.step()
    return loss, grads
'''


def _namespace(module):
    import sys
    import types
    saved = {k: sys.modules.get(k) for k in ("torch", "torch.nn", "torch.nn.functional", "torch.optim")}
    try:
        if module is fastdl:  # "import fastdl as torch"
            sys.modules.update({"torch": fastdl, "torch.nn": fastdl.nn, "torch.nn.functional": fastdl.nn.functional,
                                "torch.optim": fastdl.optim})
        ns = {}
        exec(compile(MODELS, "<pytorch models>", "exec"), ns)
        return types.SimpleNamespace(**ns)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def _copy_weights(src, dst):
    dst.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


def _compare(make, x, y, loss_name, train_mode):
    T, FD = _namespace(torch), _namespace(fastdl)
    torch.manual_seed(0)
    tm = getattr(T, make)()
    fm = getattr(FD, make)()
    _copy_weights(tm, fm)
    tm.train(train_mode)
    fm.train(train_mode)
    tx, ty = torch.tensor(x), torch.tensor(y)
    fx, fy = fastdl.tensor(x), fastdl.tensor(y)
    np.testing.assert_allclose(fm(fx).detach().numpy(), tm(tx).detach().numpy(), rtol=1e-4, atol=1e-5)
    t_loss, t_grads = T.train_step(tm, tx, ty, getattr(torch.nn.functional, loss_name))
    f_loss, f_grads = FD.train_step(fm, fx, fy, getattr(fastdl.nn.functional, loss_name))
    assert abs(f_loss.item() - t_loss.item()) < 1e-4
    assert list(f_grads) == list(t_grads)
    for name in t_grads:
        np.testing.assert_allclose(f_grads[name].numpy(), t_grads[name].numpy(), rtol=1e-3, atol=1e-5, err_msg=name)
    for (n1, p1), (n2, p2) in zip(fm.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p1.detach().numpy(), p2.detach().numpy(), rtol=1e-3, atol=1e-5, err_msg=n1)


def test_pytorch_mnist_cnn_runs_unchanged():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 1, 16, 16)).astype(np.float32)
    y = rng.integers(0, 10, 4)
    _compare("Net", x, y, "nll_loss", train_mode=False)  # dropout off: exact comparison


def test_lstm_classifier_runs_unchanged():
    rng = np.random.default_rng(1)
    _compare("LSTMClassifier", rng.standard_normal((5, 7, 4)).astype(np.float32), rng.integers(0, 3, 5),
             "cross_entropy", train_mode=True)


def test_mlp_with_batchnorm_runs_unchanged():
    rng = np.random.default_rng(2)
    _compare("mlp", rng.standard_normal((8, 10)).astype(np.float32), rng.integers(0, 4, 8), "cross_entropy",
             train_mode=True)
