"""torch.utils.tensorboard for fastdl: SummaryWriter writes TensorBoard event files
(TFRecord-framed Event protobufs) in pure Python; no tensorboard or protobuf package."""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
