"""The projector plugin's files for SummaryWriter.add_embedding, as torch's
_embedding.py writes them: <step>/<tag>/tensors.tsv, metadata.tsv, sprite.png and
the run's projector_config.pbtxt (protobuf text format, written by hand here)."""
import math
import os

import numpy as np

from ._png import encode_png
from ._summary import make_grid, make_np


def make_tsv(metadata, save_path, metadata_header=None):
    if not metadata_header:
        lines = [str(x) for x in metadata]
    else:
        if len(metadata_header) != len(metadata[0]):
            raise ValueError(f"add_embedding: len(metadata_header) = {len(metadata_header)} != the number of "
                             f"columns in metadata ({len(metadata[0])})")
        lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + list(metadata)]
    with open(os.path.join(save_path, "metadata.tsv"), "wb") as f:
        f.write(("\n".join(lines) + "\n").encode("utf-8"))


def make_sprite(label_img, save_path):
    """All label images in one square grid image (nrow x nrow cells)."""
    images = make_np(label_img, "label_img")
    nrow = math.ceil(images.shape[0] ** 0.5)
    grid_chw = make_grid(images, ncols=nrow)
    square = np.zeros((grid_chw.shape[2], grid_chw.shape[2], 3))
    grid_hwc = grid_chw.transpose(1, 2, 0)
    square[:grid_hwc.shape[0], :, :] = grid_hwc
    with open(os.path.join(save_path, "sprite.png"), "wb") as f:
        f.write(encode_png(np.uint8((square * 255).clip(0, 255))))


def make_mat(mat, save_path):
    with open(os.path.join(save_path, "tensors.tsv"), "wb") as f:
        for row in mat:
            f.write(("\t".join(str(v.item()) for v in row) + "\n").encode("utf-8"))


def embedding_info(metadata, label_img, subdir, global_step, tag):
    info = {"tensor_name": f"{tag}:{str(global_step).zfill(5)}", "tensor_path": subdir + "/tensors.tsv"}
    if metadata is not None:
        info["metadata_path"] = subdir + "/metadata.tsv"
    if label_img is not None:
        shape = make_np(label_img, "label_img").shape
        info["sprite"] = {"image_path": subdir + "/sprite.png", "single_image_dim": [shape[3], shape[2]]}
    return info


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "'": "\\'", "\\": "\\\\"}


def _quote(s):
    # protobuf text format's C escaping of string fields
    return '"' + "".join(_ESCAPES.get(ch, f"\\{ord(ch):03o}" if ord(ch) < 32 or ord(ch) == 127 else ch)
                         for ch in s) + '"'


def projector_config_pbtxt(embeddings):
    """ProjectorConfig{embeddings: [...]} in text format, fields in field-number order
    (tensor_name 1, metadata_path 2, sprite 5, tensor_path 6) as text_format prints."""
    out = []
    for e in embeddings:
        out.append("embeddings {")
        out.append(f"  tensor_name: {_quote(e['tensor_name'])}")
        if "metadata_path" in e:
            out.append(f"  metadata_path: {_quote(e['metadata_path'])}")
        if "sprite" in e:
            out.append("  sprite {")
            out.append(f"    image_path: {_quote(e['sprite']['image_path'])}")
            out.extend(f"    single_image_dim: {int(d)}" for d in e["sprite"]["single_image_dim"])
            out.append("  }")
        out.append(f"  tensor_path: {_quote(e['tensor_path'])}")
        out.append("}")
    return "\n".join(out) + "\n"
