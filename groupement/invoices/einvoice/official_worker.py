"""The process that runs Saxon (saxonche) for official_rules, and the client that talks to it.

saxonche embeds a GraalVM native image: calling one processor from another thread than the one
that created it aborts the whole process ("Failed to enter the specified IsolateThread context",
factur-x issue 77), and a transform cannot be interrupted. So Saxon never runs in the web or job
worker: it runs in a child process (this file run as a script by the same interpreter: nothing of
the app is imported there, and no fork of a running GraalVM), started once per worker process on
the first check; it compiles each stylesheet once, when first asked for it, and keeps it.

The client sends (stylesheet file, XML text) as length-prefixed frames on the child's stdin,
waits at most `timeout` seconds for the answer on its stdout, and on a timeout, a crash or a pipe
error kills the child and raises OfficialRulesUnavailable (a French reason); the next call starts
a new child. Calls are serialised by a lock, so threads may share one client.
"""

from __future__ import annotations

import os
import select
import struct
import subprocess
import sys
import threading
import time

DEFAULT_TIMEOUT = 60.0  # seconds for one document; the corpus takes under 1 s each, on a loaded machine
# The child's start and a stylesheet's first compilation: 1 to 3 s each alone, 20 s seen on a machine
# shared by many processes; allowed on top of the timeout, once per stylesheet and child.
COMPILE_ALLOWANCE = 180.0
_HEADER = struct.Struct(">Q")
MAX_FRAME = 64 * 1024 * 1024


class OfficialRulesUnavailable(Exception):
    """The official validator could not give a result (French reason, for the user)."""


# --- the child -------------------------------------------------------------------------------


def _read_frame(stream) -> bytes | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    return stream.read(size)


def _write_frames(stream, *frames: bytes) -> None:
    for frame in frames:
        stream.write(_HEADER.pack(len(frame)) + frame)
    stream.flush()


def serve() -> None:
    """Answer (stylesheet path, XML text) requests with (b"ok", SVRL) or (b"error", message)."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever Saxon prints goes to stderr, never into the answers
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    compiled: dict[str, object] = {}
    _write_frames(answers, b"ready", processor.version.encode())
    while True:
        stylesheet, xml_text = _read_frame(requests), _read_frame(requests)
        if stylesheet is None or xml_text is None:
            return
        try:
            path = stylesheet.decode()
            if path not in compiled:
                compiled[path] = compiler.compile_stylesheet(stylesheet_file=path)
            document = processor.parse_xml(xml_text=xml_text.decode())
            svrl = compiled[path].transform_to_string(xdm_node=document)
            _write_frames(answers, b"ok", (svrl or "").encode())
        except Exception as error:  # a Saxon error on this document: the child stays usable
            _write_frames(answers, b"error", str(error).strip()[:500].encode())


# --- the client, in the app's process ----------------------------------------------------------


class SaxonClient:
    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._compiled: set[str] = set()  # the stylesheets this child has compiled
        self.version = ""

    def transform(self, stylesheet: str, xml_text: str) -> str:
        """The SVRL text of `stylesheet` applied to `xml_text`; OfficialRulesUnavailable otherwise."""
        with self._lock:
            process = self._started()
            try:
                _write_frames(process.stdin, stylesheet.encode(), xml_text.encode())
                allowance = 0.0 if stylesheet in self._compiled else COMPILE_ALLOWANCE
                status, payload = self._answer(process, allowance), self._answer(process)
                self._compiled.add(stylesheet)
            except TimeoutError:  # before OSError, of which it is a subclass
                self._stop()
                raise OfficialRulesUnavailable(
                    f"le validateur officiel n'a pas répondu en {max(1, round(self.timeout))} seconde(s)"
                ) from None
            except (OSError, ValueError):
                self._stop()
                raise OfficialRulesUnavailable("le validateur officiel s'est arrêté inopinément") from None
        if status != b"ok":
            raise OfficialRulesUnavailable(f"le validateur officiel a signalé une erreur : {payload.decode()}")
        return payload.decode()

    def _answer(self, process: subprocess.Popen, allowance: float = 0.0) -> bytes:
        deadline = time.monotonic() + self.timeout + allowance
        header = self._read(process, _HEADER.size, deadline)
        (size,) = _HEADER.unpack(header)
        if size > MAX_FRAME:
            raise ValueError("answer too large")
        return self._read(process, size, deadline)

    @staticmethod
    def _read(process: subprocess.Popen, size: int, deadline: float) -> bytes:
        chunks, missing, fd = [], size, process.stdout.fileno()
        while missing:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise OSError("the validator process ended")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def _started(self) -> subprocess.Popen:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop()
        try:
            self._process = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
            )
            if self._answer(self._process, COMPILE_ALLOWANCE) != b"ready":
                raise OSError("unexpected greeting")
            self.version = self._answer(self._process).decode()
        except (OSError, ValueError, TimeoutError, struct.error):
            self._stop()
            raise OfficialRulesUnavailable("le validateur officiel n'a pas pu démarrer") from None
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        self._compiled = set()
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if process.poll() is None:
            process.kill()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        with self._lock:
            self._stop()


if __name__ == "__main__":
    serve()
