"""torch.func.stack_module_state: the states of N same-class modules stacked along a new
leading dim, for vmap over functional_call (model ensembling)."""
from .ops.shape import stack


def _stacked_leaf(tensors, name):
    grads = {t.requires_grad for t in tensors}
    if len(grads) > 1:
        raise RuntimeError(f"stack_module_state: expected {name} of every model to have the same requires_grad")
    out = stack(list(tensors))
    # a new leaf: training the stack must not write into the models' own tensors
    return out.detach().requires_grad_() if grads == {True} else out


def stack_module_state(models):
    """(params, buffers): dicts of name -> tensor of shape (len(models), *shape)."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: expected at least one model, got 0")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: expected all models to have the same training/eval mode")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: expected all models to be of the same class, got "
                           + ", ".join(sorted({type(m).__name__ for m in models})))

    def stacked(named):
        per_model = [dict(named(m)) for m in models]
        if any(d.keys() != per_model[0].keys() for d in per_model):
            raise RuntimeError("stack_module_state: the models' state names differ")
        return {k: _stacked_leaf([d[k] for d in per_model], k) for k in per_model[0]}

    return stacked(lambda m: m.named_parameters()), stacked(lambda m: m.named_buffers())
