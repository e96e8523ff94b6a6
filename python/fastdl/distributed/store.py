"""torch.distributed's key-value stores, in one process: HashStore (an in-memory dict;
values are bytes, as torch's). A key nobody has set raises at once instead of waiting
for the timeout: no other process exists to set it."""
from datetime import timedelta

__all__ = ["Store", "HashStore"]


class Store:
    """Base class of the stores (init_process_group(store=...) accepts any object)."""


def _bytes(value):
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"Store: value must be str or bytes, got {type(value).__name__}")


class HashStore(Store):
    def __init__(self):
        self._data, self.timeout = {}, timedelta(seconds=300)

    def set(self, key, value):
        self._data[key] = _bytes(value)

    def get(self, key):
        if key not in self._data:
            raise RuntimeError(f"HashStore.get: key {key!r} is not set (one process: no one else can set it)")
        return self._data[key]

    def add(self, key, amount):
        value = int(self._data.get(key, b"0")) + int(amount)
        self._data[key] = str(value).encode()
        return value

    def compare_set(self, key, expected_value, desired_value):
        current = self._data.get(key)
        if (current is None and _bytes(expected_value) == b"") or current == _bytes(expected_value):
            self._data[key] = _bytes(desired_value)
            return self._data[key]
        return current if current is not None else _bytes(expected_value)

    def check(self, keys):
        return all(k in self._data for k in keys)

    def wait(self, keys, timeout=None):
        missing = [k for k in keys if k not in self._data]
        if missing:
            raise RuntimeError(f"HashStore.wait: keys {missing} are not set (one process: no one else can set them)")

    def delete_key(self, key):
        return self._data.pop(key, None) is not None

    def num_keys(self):
        return len(self._data)

    def set_timeout(self, timeout):
        self.timeout = timeout
