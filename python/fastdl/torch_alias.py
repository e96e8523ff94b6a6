"""Run a PyTorch script on fastdl without editing it.

    python -m fastdl.torch_alias script.py [args ...]

installs an import hook that makes `import torch`, `import torch.nn.functional as F`,
`from torch.utils.data import DataLoader` ... import `fastdl`, `fastdl.nn.functional`,
`fastdl.utils.data` ..., then runs the script as `__main__` with its arguments (as
`python script.py args` would). In Python code: `fastdl.torch_alias.install()` before
the first `import torch`.

The hook goes first on sys.meta_path, so it wins over an installed torch. A `torch.X`
that fastdl lacks raises ModuleNotFoundError naming both modules. Other packages that
import torch (torchvision, ...) get fastdl too, and may need what fastdl does not have.
"""
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

__all__ = ["install", "uninstall", "main"]


class _AliasLoader(importlib.abc.Loader):
    """Returns the already imported fastdl module; the import system then registers it
    under the torch name too (it keeps the module's own __name__ and __spec__)."""

    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return importlib.import_module(self.real)

    def exec_module(self, module):
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    def __init__(self, alias="torch", target="fastdl"):
        self.alias, self.target = alias, target

    def find_spec(self, name, path=None, target=None):
        if name != self.alias and not name.startswith(self.alias + "."):
            return None
        real = self.target + name[len(self.alias):]
        if importlib.util.find_spec(real) is None:
            raise ModuleNotFoundError(f"fastdl.torch_alias: the script imports {name!r}, and fastdl has no "
                                      f"{real!r}", name=name)
        return importlib.util.spec_from_loader(name, _AliasLoader(real))


_saved = {}  # alias -> the real modules install() took out of sys.modules


def install(alias="torch"):
    """Maps `alias` and `alias.X` to fastdl's modules from now on (idempotent). Modules
    already imported under `alias` (a real torch) are set aside, so later imports see
    fastdl (objects made from them stay torch's); uninstall() puts them back."""
    if any(isinstance(f, _AliasFinder) and f.alias == alias for f in sys.meta_path):
        return
    _saved[alias] = {n: sys.modules.pop(n) for n in list(sys.modules) if n == alias or n.startswith(alias + ".")}
    sys.meta_path.insert(0, _AliasFinder(alias))
    _alias_spawned_children(alias)


def _alias_spawned_children(alias):
    """Processes that multiprocessing starts with 'spawn' (torch.multiprocessing
    programs, DataLoader workers under spawn) run a fresh interpreter that re-imports
    the script's modules: its command line installs the same hook first, or their
    `import torch` would find the real torch."""
    import multiprocessing.spawn as mp_spawn
    base = getattr(mp_spawn.get_command_line, "_fastdl_base", mp_spawn.get_command_line)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder holding the fastdl package
    prefix = (f"import sys; sys.path.insert(0, {here!r}); import fastdl.torch_alias as _fa; "
              f"_fa.install({alias!r}); ")

    def get_command_line(**kwds):
        cmd = base(**kwds)
        if "-c" in cmd:
            i = cmd.index("-c") + 1
            cmd[i] = prefix + cmd[i]
        return cmd
    get_command_line._fastdl_base = base
    mp_spawn.get_command_line = get_command_line


def uninstall(alias="torch"):
    """Removes the hook and the aliased entries of sys.modules (fastdl's own stay), and
    restores the modules install() set aside (a C extension such as torch's cannot be
    imported a second time in one process)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not (isinstance(f, _AliasFinder) and f.alias == alias)]
    import multiprocessing.spawn as mp_spawn
    mp_spawn.get_command_line = getattr(mp_spawn.get_command_line, "_fastdl_base", mp_spawn.get_command_line)
    for name in [n for n in sys.modules if n == alias or n.startswith(alias + ".")]:
        del sys.modules[name]
    sys.modules.update(_saved.pop(alias, {}))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    install()
    script = argv[0]
    sys.argv = argv  # the script sees itself as argv[0], as under `python script.py`
    if script == "-m":
        if len(argv) < 2:
            print("fastdl.torch_alias: -m needs a module name", file=sys.stderr)
            return 2
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.path[0] = os.path.dirname(os.path.abspath(script))  # the script's folder, as `python script.py` has
        runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
