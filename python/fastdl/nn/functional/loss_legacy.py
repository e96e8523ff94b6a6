"""size_average= / reduce= on the functional losses: PyTorch's deprecated spellings of
reduction, still accepted by torch (with a warning) and still in older example code
(`F.nll_loss(output, target, size_average=False)`). The loss modules already take them
(nn/modules/loss.py); this wraps the functions torch gives them to."""
import functools
import warnings

# torch.nn.functional's losses with size_average / reduce parameters
LEGACY = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss", "cross_entropy",
          "hinge_embedding_loss", "kl_div", "l1_loss", "margin_ranking_loss", "mse_loss", "multi_margin_loss",
          "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss", "poisson_nll_loss",
          "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss")


def legacy_reduction(size_average, reduce):
    """torch's _Reduction.legacy_get_string: both flags default to True."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _accepting_legacy_flags(fn):
    @functools.wraps(fn)
    def wrapper(*args, size_average=None, reduce=None, **kwargs):
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(size_average, reduce)
            warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                          f"instead.", UserWarning, stacklevel=2)
            kwargs["reduction"] = reduction
        return fn(*args, **kwargs)
    wrapper._legacy_flags = True
    return wrapper


def install(namespace):
    """Wraps the LEGACY functions found in `namespace` (nn.functional's globals)."""
    for name in LEGACY:
        fn = namespace.get(name)
        if fn is not None and not getattr(fn, "_legacy_flags", False):
            namespace[name] = _accepting_legacy_flags(fn)
