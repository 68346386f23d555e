"""A dependency-free progress display for training loops.

On a terminal it redraws one line (``epoch 1/5 [#####.....] 32/63 loss 0.41``);
when the output is a file or pipe it prints one line per epoch, so logs stay short.
"""
import sys
import time


class Progress:
    def __init__(self, total, prefix="", stream=None, width=30):
        self.total = total
        self.prefix = prefix
        self.stream = stream or sys.stdout
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self.n = 0

    def update(self, n=1, **metrics):
        self.n += n
        if self.tty:
            filled = int(self.width * self.n / max(self.total, 1))
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{self.prefix} [{bar}] {self.n}/{self.total} {self._fmt(metrics)}")
            self.stream.flush()

    def close(self, **metrics):
        elapsed = time.perf_counter() - self.start
        line = f"{self.prefix} {self.n}/{self.total} {elapsed:.1f}s {self._fmt(metrics)}".rstrip()
        if self.tty:
            self.stream.write("\r" + line + " " * 10 + "\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    @staticmethod
    def _fmt(metrics):
        return " ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())
