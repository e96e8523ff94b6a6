"""torch.utils.tensorboard.SummaryWriter for fastdl, writing TensorBoard event files
with no tensorboard / protobuf dependency (see _proto.py and _record.py).

Events are buffered in memory and written (with a flush to the OS) when max_queue of
them are pending, when flush_secs have passed since the last write (checked on each
add, there is no background thread), and on flush() / close() / interpreter exit."""
import atexit
import itertools
import os
import socket
import threading
import time
import weakref

from . import _embedding, _proto, _record, _summary

__all__ = ["FileWriter", "SummaryWriter"]

WRITER_NAME = "fastdl.utils.tensorboard"
_global_uid = itertools.count()  # the event file name's counter, per process as tensorboard's
_uid_lock = threading.Lock()
_open_writers = weakref.WeakSet()


@atexit.register
def _flush_at_exit():
    for w in list(_open_writers):
        try:
            w.flush()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


class EventFileWriter:
    """Writes framed Event records to events.out.tfevents.<time>.<host>.<pid>.<n><suffix>
    in `logdir`; the first record is the file_version event, written at once."""

    def __init__(self, logdir, max_queue_size=10, flush_secs=120, filename_suffix=""):
        self._logdir = logdir
        os.makedirs(logdir, exist_ok=True)
        with _uid_lock:
            uid = next(_global_uid)
        self._file_name = os.path.join(logdir, "events.out.tfevents.%010d.%s.%s.%s" % (
            time.time(), socket.gethostname(), os.getpid(), uid)) + filename_suffix
        self._file = open(self._file_name, "wb")
        self._max_queue = max(1, int(max_queue_size))
        self._flush_secs = flush_secs
        self._pending = []
        self._lock = threading.Lock()
        self._closed = False
        self._last_flush = time.time()
        _open_writers.add(self)
        # As tensorboard's EventFileWriter, which names itself in source_metadata.
        self.add_event({"wall_time": time.time(), "file_version": "brain.Event:2",
                        "source_metadata": {"writer": WRITER_NAME}})
        self.flush()

    def get_logdir(self):
        return self._logdir

    def get_filename(self):
        return self._file_name

    def add_event(self, event):
        """Queue an Event (a dict for _proto.encode("Event", ...))."""
        record = _record.frame(_proto.encode("Event", event))
        with self._lock:
            if self._closed:
                raise OSError(f"EventFileWriter for {self._file_name} is closed")
            self._pending.append(record)
            due = len(self._pending) >= self._max_queue or time.time() - self._last_flush >= self._flush_secs
        if due:
            self.flush()

    def flush(self):
        with self._lock:
            if self._closed:
                return
            if self._pending:
                self._file.write(b"".join(self._pending))
                self._pending.clear()
            self._file.flush()
            self._last_flush = time.time()

    def close(self):
        self.flush()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._file.close()
                _open_writers.discard(self)


class FileWriter:
    """torch's FileWriter: wraps Summary messages in Events and hands them to an
    EventFileWriter. Events and summaries are dicts (see _proto.SCHEMAS)."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        log_dir = str(log_dir)
        self._args = (log_dir, max_queue, flush_secs, filename_suffix)
        self.event_writer = EventFileWriter(log_dir, max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        event = dict(event)
        event["wall_time"] = time.time() if walltime is None else float(walltime)
        if step is not None:
            event["step"] = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        self.add_event({"summary": summary}, global_step, walltime)

    def flush(self):
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()

    def reopen(self):
        """After close(), continue in a new event file in the same directory."""
        if self.event_writer._closed:
            self.event_writer = EventFileWriter(*self._args)


def _unsupported(what, needs):
    raise NotImplementedError(f"SummaryWriter.{what} is not supported by fastdl: it needs {needs}")


class SummaryWriter:
    """Writes scalars, histograms, images, text, hparams, PR curves ... to event files
    in log_dir for TensorBoard, as torch.utils.tensorboard.SummaryWriter does. Values
    may be fastdl tensors (any device), NumPy arrays or Python numbers."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            from datetime import datetime
            current_time = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", current_time + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _summary.default_bins()

    def _get_file_writer(self):
        """The default FileWriter, recreated (new event file) after close()."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # TensorBoard hides events at steps >= purge_step written before this restart.
                step = self.purge_step
                self.file_writer.add_event({"step": step, "file_version": "brain.Event:2"})
                self.file_writer.add_event({"step": step, "session_log": {"status": _proto.SESSION_LOG_START}})
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    def _add(self, summary, global_step, walltime):
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("add_hparams: hparam_dict and metric_dict should be dictionary, got "
                            f"{type(hparam_dict).__name__} and {type(metric_dict).__name__}")
        exp, ssi, sei = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w_hp:
            for s in (exp, ssi, sei):
                w_hp.file_writer.add_summary(s, global_step)
            for k, v in metric_dict.items():
                w_hp.add_scalar(k, v, global_step)

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        self._add(_summary.scalar(tag, scalar_value, new_style, double_precision), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """One run (sub-directory <log_dir>/<main_tag>_<key>) per key, all under main_tag."""
        walltime = time.time() if walltime is None else walltime
        fw_logdir = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            fw_tag = fw_logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(fw_tag)
            if fw is None:
                fw = FileWriter(fw_tag, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[fw_tag] = fw
            fw.add_summary(_summary.scalar(main_tag, scalar_value), global_step, walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None):
        self._add(_summary.tensor_proto(tag, tensor), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """bins: "tensorflow" (torch's default exponential buckets), an int, a sequence of
        edges or any of numpy.histogram's bin names ("auto", "fd", ...)."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._add(_summary.histogram(tag, values, bins, max_bins=max_bins), global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,
                          global_step=None, walltime=None):
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError(f"add_histogram_raw: len(bucket_limits) = {len(bucket_limits)} != "
                             f"len(bucket_counts) = {len(bucket_counts)}")
        self._add(_summary.histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts),
                  global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """img_tensor: (3, H, W) by default (or as dataformats says: HWC, HW, ...); float
        values in [0, 1] or uint8 in [0, 255]."""
        self._add(_summary.image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch (N, 3 or 1, H, W) laid out as a grid of 8 columns."""
        self._add(_summary.image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_image_with_boxes(self, tag, img_tensor, box_tensor, global_step=None, walltime=None,
                             rescale=1, dataformats="CHW", labels=None):
        _unsupported("add_image_with_boxes", "box and label drawing (PIL's ImageDraw in torch)")

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """Render a matplotlib figure (or a list of them, as a grid) as an image."""
        images = _figure_to_image(figure, close)
        self.add_image(tag, images, global_step, walltime,
                       dataformats="NCHW" if isinstance(figure, list) else "CHW")

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None):
        _unsupported("add_video", "GIF encoding (moviepy in torch)")

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None):
        self._add(_summary.audio(tag, snd_tensor, sample_rate=sample_rate), global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._add(_summary.text(tag, text_string), global_step, walltime)

    def add_onnx_graph(self, prototxt):
        _unsupported("add_onnx_graph", "the onnx package and GraphDef encoding")

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        _unsupported("add_graph", "a traced graph (torch.jit.trace) encoded as a GraphDef")

    @staticmethod
    def _encode(rawstr):
        # A tag as one path component (torch's escaping of %, / and \\).
        return rawstr.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        """Projector data: mat (N, D) rows, optional metadata labels (N) and label_img
        (N, C, H, W) images, under <log_dir>/<step:05d>/<tag>/ plus projector_config.pbtxt."""
        mat = _summary.make_np(mat, "mat")
        if global_step is None:
            global_step = 0
        subdir = f"{str(global_step).zfill(5)}/{self._encode(tag)}"
        save_path = os.path.join(self._get_file_writer().get_logdir(), subdir)
        if os.path.exists(save_path):
            if not os.path.isdir(save_path):
                raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
            print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
        if mat.ndim != 2:
            raise ValueError(f"add_embedding: mat should be 2D (N, D), got shape {mat.shape}")
        if metadata is not None and mat.shape[0] != len(metadata):
            raise ValueError(f"add_embedding: len(metadata) = {len(metadata)} != mat.shape[0] = {mat.shape[0]}")
        if label_img is not None:
            n_img = _summary.make_np(label_img, "label_img").shape
            if len(n_img) != 4 or n_img[0] != mat.shape[0]:
                raise ValueError(f"add_embedding: label_img should be (N, C, H, W) with N = mat.shape[0] = "
                                 f"{mat.shape[0]}, got shape {n_img}")
        os.makedirs(save_path, exist_ok=True)
        if metadata is not None:
            _embedding.make_tsv(metadata, save_path, metadata_header=metadata_header)
        if label_img is not None:
            _embedding.make_sprite(label_img, save_path)
        _embedding.make_mat(mat, save_path)
        if not hasattr(self, "_projector_config"):
            self._projector_config = []
        self._projector_config.append(_embedding.embedding_info(metadata, label_img, subdir, global_step, tag))
        with open(os.path.join(self._get_file_writer().get_logdir(), "projector_config.pbtxt"), "wb") as f:
            f.write(_embedding.projector_config_pbtxt(self._projector_config).encode("utf-8"))

    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127, weights=None,
                     walltime=None):
        self._add(_summary.pr_curve(tag, labels, predictions, num_thresholds, weights), global_step, walltime)

    def add_pr_curve_raw(self, tag, true_positive_counts, false_positive_counts, true_negative_counts,
                         false_negative_counts, precision, recall, global_step=None, num_thresholds=127,
                         weights=None, walltime=None):
        self._add(_summary.pr_curve_raw(tag, true_positive_counts, false_positive_counts, true_negative_counts,
                                        false_negative_counts, precision, recall, num_thresholds),
                  global_step, walltime)

    def add_custom_scalars_multilinechart(self, tags, category="default", title="untitled"):
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags, category="default", title="untitled"):
        if len(tags) != 3:
            raise ValueError(f"add_custom_scalars_marginchart: expected 3 tags, got {len(tags)}")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_custom_scalars(self, layout):
        self._add(_summary.custom_scalars(layout), None, None)

    def add_mesh(self, tag, vertices, colors=None, faces=None, config_dict=None, global_step=None,
                 walltime=None):
        _unsupported("add_mesh", "the mesh plugin's metadata encoding")

    def flush(self):
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self):
        if self.all_writers is None:
            return  # a second close does nothing
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()


def _figure_to_image(figures, close=True):
    """CHW uint8 array of a matplotlib figure (NCHW for a list), rendered with Agg."""
    try:
        import matplotlib.backends.backend_agg as plt_backend_agg
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("SummaryWriter.add_figure needs matplotlib (pip install matplotlib)") from e
    import numpy as np

    def render_to_rgb(figure):
        canvas = plt_backend_agg.FigureCanvasAgg(figure)
        canvas.draw()
        data = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        w, h = figure.canvas.get_width_height()
        image_chw = np.moveaxis(data.reshape([h, w, 4])[:, :, 0:3], source=2, destination=0)
        if close:
            plt.close(figure)
        return image_chw

    if isinstance(figures, list):
        return np.stack([render_to_rgb(f) for f in figures])
    return render_to_rgb(figures)
