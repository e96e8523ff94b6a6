"""Model families with a Python API; `fastdl train FAMILY` wraps them.

Each family is a module here with DEFAULTS (its config, overridable from the command
line) and train(run, config, state=None) -> summary dict, where `run` is a
models._run.Run (logging, progress, checkpoints) and `state` is what a previous run
checkpointed when resuming.
"""
import importlib

# family name -> module in fastdl.models
FAMILIES = {
    "mlp": "mlp",
    "cnn": "cnn",
    "cnn1d": "cnn1d",
    "lstm": "rnn",
    "gru": "rnn",
    "charlm": "charlm",
    "autoencoder": "autoencoder",
    "vae": "vae",
    "gan": "gan",
    "dcgan": "dcgan",
    "dqn": "dqn",
    "ppo": "ppo",
    "reinforce": "reinforce",
    "transfer": "transfer",
}


def family_module(name):
    if name not in FAMILIES:
        raise ValueError(f"unknown model family {name!r}; available: {', '.join(FAMILIES)}")
    try:
        return importlib.import_module(f"fastdl.models.{FAMILIES[name]}")
    except ModuleNotFoundError as e:
        if e.name == f"fastdl.models.{FAMILIES[name]}":
            raise ValueError(f"model family {name!r} is not part of this build of fastdl yet") from None
        raise


def available():
    out = []
    for name in FAMILIES:
        try:
            family_module(name)
            out.append(name)
        except ValueError:
            pass
    return out
