"""fastdl.nn.functional: the functional forms of the layers (torch.nn.functional).
Each family lives in its own file; this package re-exports them."""
from ...ops import cross_entropy, log_softmax, mse_loss, relu, sigmoid, softmax, tanh  # noqa: F401
