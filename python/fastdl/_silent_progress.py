"""A progress bar with tqdm's interface that prints nothing: it iterates and counts.
torch.hub's fallback when tqdm is absent (fastdl.hub.tqdm) and the training runs' bar
when they are quiet or tqdm is not installed (models/_run.py)."""


class SilentProgress:
    def __init__(self, iterable=None, total=None, desc=None, *args, **kwargs):
        self.iterable, self.total, self.desc, self.n = iterable, total, desc, 0

    def __iter__(self):
        for x in self.iterable:
            self.n += 1
            yield x

    def __len__(self):
        return len(self.iterable)

    def update(self, n=1):
        self.n += n

    def set_postfix(self, *args, **kwargs):
        pass

    def set_description(self, *args, **kwargs):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
