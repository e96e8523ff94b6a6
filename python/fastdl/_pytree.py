"""Nested tuples / lists / namedtuples / dicts with arbitrary leaves, flattened to a leaf
list and a spec that rebuilds the same structure (torch.utils._pytree's role): vmap /
grad in fastdl.func and activation checkpointing's outputs share it."""


def _flatten(x):
    if isinstance(x, (tuple, list)):
        leaves, specs = [], []
        for item in x:
            lv, sp = _flatten(item)
            leaves += lv
            specs.append(sp)
        return leaves, (type(x), specs)
    if isinstance(x, dict):
        leaves, specs = [], []
        for k in x:
            lv, sp = _flatten(x[k])
            leaves += lv
            specs.append(sp)
        return leaves, (dict, (list(x), specs))
    return [x], None


def _unflatten(leaves, spec):
    it = iter(leaves)

    def build(sp):
        if sp is None:
            return next(it)
        kind, inner = sp
        if kind is dict:
            keys, specs = inner
            return {k: build(s) for k, s in zip(keys, specs)}
        items = [build(s) for s in inner]
        if kind is tuple or kind is list:
            return kind(items)
        try:
            return kind(*items)  # a namedtuple
        except TypeError:
            return tuple(items)
    return build(spec)
