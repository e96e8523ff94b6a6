"""Per-call cost of common small ops (shapes, creation, joins, reductions, losses) on
small tensors, fastdl next to torch, by the method of index_overhead.py (CPU time of this
thread at 1 thread, both libraries in one process, minimum of 11 rounds): the calls a
model's forward, a collate function or an RL update makes many times per step.

    PYTHONPATH=python python3 bench/op_overhead.py [--json OUT]

Prints microseconds per call and torch / fastdl (above 1: fastdl faster).
"""
import index_overhead


def cases(lib):
    F = lib.nn.functional
    lib.manual_seed(0)
    x = lib.randn(64, 10)
    xs = [lib.randn(8, 16) for _ in range(4)]
    q = lib.randn(64, 4, requires_grad=True)
    a = lib.randint(0, 4, (64, 1))
    logits = lib.randn(64, 10, requires_grad=True)
    t = lib.randint(0, 10, (64,))
    m = x > 0
    y = lib.randn(64, 10)
    return {
        "x.view(-1)": lambda: x.view(-1),
        "x.reshape(32, 20)": lambda: x.reshape(32, 20),
        "x.unsqueeze(1)": lambda: x.unsqueeze(1),
        "x.permute(1, 0)": lambda: x.permute(1, 0),
        "x.transpose(0, 1)": lambda: x.transpose(0, 1),
        "x.expand(2, 64, 10)": lambda: x.expand(2, 64, 10),
        "x.flatten()": lambda: x.flatten(),
        "x.clone()": lambda: x.clone(),
        "x.float()": lambda: x.float(),
        "x.t().contiguous()": lambda: x.t().contiguous(),
        "cat 4 x (8, 16)": lambda: lib.cat(xs, 0),
        "stack 4 x (8, 16)": lambda: lib.stack(xs),
        "zeros(64, 10)": lambda: lib.zeros(64, 10),
        "tensor([1., 2., 3.])": lambda: lib.tensor([1.0, 2.0, 3.0]),
        "x ** 2": lambda: x ** 2,
        "x.clamp(-1, 1)": lambda: x.clamp(-1, 1),
        "where(m, x, 0.)": lambda: lib.where(m, x, 0.0),
        "x.masked_fill(m, 0.)": lambda: x.masked_fill(m, 0.0),
        "x.max(1)": lambda: x.max(1),
        "x.argmax(1)": lambda: x.argmax(1),
        "x.max()": lambda: x.max(),
        "x.argmax()": lambda: x.argmax(),
        "x.topk(3, 1)": lambda: x.topk(3, 1),
        "softmax(x, 1)": lambda: F.softmax(x, 1),
        "q.gather(1, a) (records)": lambda: q.gather(1, a),
        "cross_entropy (records)": lambda: F.cross_entropy(logits, t),
        "mse_loss (records)": lambda: F.mse_loss(q, q.detach()),
        "smooth_l1_loss (records)": lambda: F.smooth_l1_loss(q, q.detach()),
        "randn(64, 10)": lambda: lib.randn(64, 10),
        "y.copy_(x)": lambda: y.copy_(x),
        "y.relu_()": lambda: y.relu_(),
        "y.clamp_(-1, 1)": lambda: y.clamp_(-1, 1),
        "y.zero_()": lambda: y.zero_(),
    }


if __name__ == "__main__":
    index_overhead.main(cases)
