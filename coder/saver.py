"""Saving coded documents in a process of its own while the next ones are parsed.

Storing a document (building its rows, SQLite's inserts and commit) costs about a fifth of
a rules-only run. A thread would not help: SQLite lets go of the GIL for every row and
waits to get it back. So a child process (`python -m coder.saver DB`) saves on another
core. Documents reach it pickled over its stdin, a pipe between the two coder processes
(nothing is written to disk but the database), and each is saved in one transaction by
`Store.save_document`, in order.

- If saving fails, the child stops and reports the error; the parent raises it as a
  `StoreError` at its next save or at the end.
- If the parent dies, the child saves the documents it fully received, then stops.
- Ctrl-C stops the parent; the child ignores it and finishes the documents already sent.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO

from .errors import CoderError, StoreError
from .store import Store
from .transcript import Segment, Transcript

# Documents waiting for the child at most (about 50 kB each in a typical interview).
QUEUE_DOCUMENTS = 128
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class Saver:
    """Saves documents into `store`'s database: from a child process when `background`,
    else through `store` itself (a child costs a start-up of about 0.1 s: not worth it for
    a few files)."""

    def __init__(self, store: Store, background: bool = True) -> None:
        self.path = store.path
        self._store: Store | None = None if background else store
        self._proc: subprocess.Popen[bytes] | None = None
        if not background:
            return
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (_PACKAGE_ROOT,
                                                          env.get("PYTHONPATH"))))
        # stderr is dropped: the child reports its errors on stdout, and nothing it could
        # print should reach a terminal (a traceback may quote transcript text)
        self._proc = subprocess.Popen([sys.executable, "-m", "coder.saver", self.path],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, env=env)
        # Parsing yields documents in bursts (a batch at a time) and a pipe holds only one
        # or two: a thread feeds the pipe from a queue, so the parser need not wait.
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_DOCUMENTS)
        self._broken = False
        self._feeder = threading.Thread(target=self._feed, name="coder-saver-feed",
                                        daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        stdin = self._proc.stdin
        while (blob := self._queue.get()) is not None:
            if self._broken:
                continue  # keep taking, so that `save` never blocks on a full queue
            try:
                stdin.write(blob)
                stdin.flush()
            except OSError:  # the child stopped: `_finish` reads why
                self._broken = True
        try:
            stdin.close()  # end of input: the child saves the rest and stops
        except OSError:
            pass

    def save(self, run_id: int, transcript: Transcript, segments: list[Segment],
             codebook_hash: str) -> None:
        """Save one coded document (in the child: hand it over)."""
        item = (run_id, transcript, segments, codebook_hash)
        if self._store is not None:
            self._store.save_document(*item)
            return
        if self._broken:  # the child stopped early: say why (it always reports an error)
            self._finish()
            raise StoreError(f"{self.path}: the saving process stopped")
        self._queue.put(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        """Wait until every document handed over is saved; raise if saving failed."""
        if self._proc is not None:
            self._finish()

    def _finish(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdout is not None
        self._queue.put(None)
        self._feeder.join()
        out = proc.stdout.read()
        proc.wait()
        try:
            report = json.loads(out.decode("utf-8").strip().splitlines()[-1])
        except (ValueError, IndexError):
            report = {"error": f"{self.path}: the saving process stopped unexpectedly "
                               f"(exit code {proc.returncode})"}
        if "error" in report:
            raise StoreError(report["error"])

    def __enter__(self) -> "Saver":
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
            return
        try:  # already failing: save what was handed over, keep the first error
            self.close()
        except StoreError:
            pass


def serve(path: str, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """The child's loop: save each document read from `stdin` until its end; write a
    one-line JSON report to `stdout`. Returns the exit code."""
    saved = 0
    try:
        with Store(path) as store:
            while True:
                try:
                    item = pickle.load(stdin)
                except (EOFError, pickle.UnpicklingError):  # done, or the parent died
                    break
                store.save_document(*item)
                saved += 1
        report: dict[str, object] = {"saved": saved}
    except CoderError as exc:
        report = {"error": str(exc)}
    except Exception as exc:  # sqlite3 errors and the like: type and message, no traceback
        report = {"error": f"{path}: saving a document failed ({type(exc).__name__}: {exc})"}
    stdout.write((json.dumps(report) + "\n").encode("utf-8"))
    stdout.flush()
    return 1 if "error" in report else 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches both: the parent stops us
    sys.exit(serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer))
