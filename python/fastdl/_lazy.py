"""Submodules imported on first attribute access (PEP 562), so `import fastdl` does not
pay for the parts many programs never touch (data loading, distributions, schedulers).
`import fastdl.data` and `from fastdl.data import X` work as for any submodule."""
import importlib


def lazy_submodules(package, names, namespace):
    """(__getattr__, __dir__) for `package` (its __name__) that import `names` on demand
    and bind them in `namespace` (the package's globals), so each is imported once."""
    names = frozenset(names)

    def __getattr__(name):
        if name in names:
            module = importlib.import_module(f"{package}.{name}")
            namespace[name] = module
            return module
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | names)

    return __getattr__, __dir__
