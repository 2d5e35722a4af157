"""A guard for tests that check that a FIFO is refused without being opened.

Opening a FIFO for reading waits until a writer opens it. If the code under test regressed and
opened one, such a test would wait for ever. Under :func:`unblock_after` a helper thread releases
any reader waiting on the FIFO, so the test fails on its assertion instead of hanging.
"""

import contextlib
import os
import threading


@contextlib.contextmanager
def unblock_after(fifo, seconds):
    """Within the block, every ``seconds`` open `fifo` for writing and close it again.

    A writer's non-blocking open succeeds only while a reader waits, and closing it gives the
    reader end of file; with no reader it fails (``ENXIO``) and nothing happens.
    """
    done = threading.Event()

    def release():
        while not done.wait(seconds):
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            os.close(fd)

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextlib.contextmanager
def fifo_spellings(directory, name, monkeypatch, seconds=10):
    """Make the FIFO ``directory / name``; yield the names smart_open would open it by.

    Those are the path itself, ``~/name`` (``HOME`` is set to `directory`) and a ``file://`` URI,
    all inside :func:`unblock_after`.
    """
    fifo = directory / name
    os.mkfifo(fifo)
    monkeypatch.setenv("HOME", str(directory))
    with unblock_after(fifo, seconds):
        yield (fifo, f"~/{name}", f"file://{fifo}")
