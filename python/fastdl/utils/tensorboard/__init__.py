"""torch.utils.tensorboard for fastdl: SummaryWriter writes TensorBoard event files
(TFRecord-framed Event protobufs) in pure Python; no tensorboard or protobuf package.
add_graph / add_onnx_graph / add_video / add_mesh / add_image_with_boxes raise
NotImplementedError naming what they would need."""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
