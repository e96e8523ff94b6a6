"""nn.AdaptiveLogSoftmaxWithLoss (Grave et al., "Efficient softmax approximation for GPUs"):
a head over the shortlist classes plus one token per cluster, and a low-rank tail per
cluster. Same constructor, submodules (state_dict keys head.weight, tail.0.0.weight, ...),
outputs and errors as torch. Tail branch.

forward runs every cluster's tail on the whole batch and keeps each row's own cluster with
where (torch runs it on the rows of that cluster only): the same values and gradients with
no in-place index writes, at some extra arithmetic on large batches."""
import numbers
from collections import namedtuple

from ...ops import cat, log_softmax, where
from ..module import Module
from .container import ModuleList, Sequential
from .linear import Linear

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, device=device, dtype=dtype),
                                        Linear(hsz, osz, bias=False, device=device, dtype=dtype)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        targ_dim = target_.dim()
        if targ_dim == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension "
                                   f"(input {list(input_.shape)}, target {list(target_.shape)}).")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{list(input_.shape)}")
        elif targ_dim == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{list(input_.shape)}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if target_.dtype.is_floating_point or target_.dtype.name == "bool":
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: expected an int64 target, got {target_.dtype!r}")
        batched = targ_dim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        if target.numel() and bool(((target < 0) | (target >= self.n_classes)).any()):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min().item()}, {target.max().item()}] were found. ")
        head_logprob = log_softmax(self.head(input), 1)
        # the head column each row reads: its class in the shortlist, else its cluster's token
        gather_inds = target.clamp(max=self.shortlist_size - 1) if self.shortlist_size else target
        output = None
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            mask = (target >= low) & (target < high)
            gather_inds = where(mask, self.shortlist_size + i, gather_inds)
            rel = (target - low).clamp(0, high - low - 1)
            local = log_softmax(self.tail[i](input), 1).gather(1, rel.unsqueeze(1)).squeeze(1)
            part = where(mask, local, 0.0)
            output = part if output is None else output + part
        output = head_logprob.gather(1, gather_inds.unsqueeze(1)).squeeze(1) + output
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input, head_output):
        head_logprob = log_softmax(head_output, 1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = log_softmax(self.tail[i](input), 1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, 1)

    def _check_input(self, op, input):
        if input.dim() not in (1, 2) or input.shape[-1] != self.in_features:
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss.{op}: expected an input of shape [N, "
                               f"{self.in_features}] or [{self.in_features}], got {list(input.shape)}")

    def log_prob(self, input):
        """Log-probabilities of every class, shape (N, n_classes) (or (n_classes,))."""
        self._check_input("log_prob", input)
        batched = input.dim() > 1
        x = input if batched else input.unsqueeze(0)
        out = self._get_full_log_prob(x, self.head(x))
        return out if batched else out.squeeze(0)

    def predict(self, input):
        """The most likely class per row (argmax of log_prob)."""
        self._check_input("predict", input)
        return self.log_prob(input).argmax(-1)

    def extra_repr(self):
        return ""
