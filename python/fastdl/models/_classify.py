"""The supervised-classification loop shared by the cnn, cnn1d, lstm/gru and transfer
families: minibatch Adam with a per-step cosine schedule, optional gradient clipping and
batch augmentation, test accuracy each epoch, resumable checkpoints."""
import math

import fastdl
from fastdl import nn
from fastdl.optim import Adam
from fastdl.optim.lr_scheduler import CosineAnnealingLR

from ._run import Run


def accuracy(model, x, y, batch_size=1000):
    """Fraction of `x` classified as `y` (eval mode, no autograd, in batches)."""
    was_training = model.training
    model.eval()
    correct = 0
    with fastdl.no_grad():
        for s in range(0, len(y), batch_size):
            correct += int((model(x[s:s + batch_size]).argmax(dim=1) == y[s:s + batch_size]).sum())
    model.train(was_training)
    return correct / len(y)


def fit(model, data, epochs, lr, batch_size=64, weight_decay=0.0, clip=None, augment=None, run=None,
        state=None, desc="train", criterion=None):
    """Train `model` on data = (x_train, y_train, x_test, y_test) (fastdl tensors) with
    Adam + cosine LR over every step; return the final test accuracy.

    augment(x) -> x is applied to each training batch; clip caps the gradient norm;
    criterion(model, x, y) -> loss replaces cross-entropy of model(x) (e.g. to add a term).
    With a `run` (models._run.Run) every epoch is logged, printed and checkpointed, and
    `state` (a checkpoint's state) resumes model, optimiser, schedule and RNG."""
    run = run or Run(desc, {}, quiet=True)
    xtr, ytr, xte, yte = data
    n = len(ytr)
    steps = math.ceil(n / batch_size)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = Adam(params, lr=lr, weight_decay=weight_decay)
    sched = CosineAnnealingLR(opt, T_max=max(1, epochs * steps))
    cross_entropy = nn.CrossEntropyLoss()
    criterion = criterion or (lambda model, x, y: cross_entropy(model(x), y))
    start, acc = 0, None
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        fastdl.set_rng_state(state["rng"])
        start, acc = int(state["epoch"]), state.get("test_accuracy")
    for epoch in range(start, epochs):
        model.train()
        perm = fastdl.randperm(n)
        total = 0.0
        bar = run.progress(range(0, n, batch_size), total=steps, desc=f"{desc} {epoch + 1}/{epochs}")
        for s in bar:
            idx = perm[s:s + batch_size]
            x = xtr[idx]
            if augment is not None:
                x = augment(x)
            loss = criterion(model, x, ytr[idx])
            opt.zero_grad()
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(params, clip)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            bar.set_postfix(loss=f"{loss.item():.3f}", test_acc="-" if acc is None else f"{acc:.4f}")
        bar.close()
        acc = accuracy(model, xte, yte)
        run.log(epoch=epoch + 1, loss=total / n, test_accuracy=acc)
        run.say(f"{desc} epoch {epoch + 1:3d}  loss {total / n:.4f}  test accuracy {acc:.4f}")
        run.checkpoint({"model": model.state_dict(), "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(), "rng": list(fastdl.get_rng_state()),
                        "epoch": epoch + 1, "test_accuracy": acc})
    if acc is None:
        acc = accuracy(model, xte, yte)
    return acc
