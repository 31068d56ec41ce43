"""dbt started once per refresh: a process that has imported dbt forks one child per dbt command.

Every dbt command dagster-dbt runs is a new process (``dbt build``, ``dbt docs generate``), and each one
began by importing dbt: ~2.5 s at M before dbt read its project, paid again by every command of a refresh.
dagster-dbt 0.29 runs dbt only as a child process (its ``dbt_executable``), so ``tw run`` starts
:class:`DbtForkServer` as soon as it knows it will refresh: a process that imports dbt (the command line,
the build and docs tasks, the target's adapter) while the refresh imports Dagster and ingests, then waits.
The executable dagster-dbt is given is the server's *client* (:attr:`DbtForkServer.executable`, a script
written beside the server's socket): it hands its arguments, environment, working directory and its
standard input, output and error (the file descriptors themselves) to the server, which forks a child that
runs dbt's programmatic entry point (``dbt.cli.main.cli``, what the ``dbt`` script runs) with them. The child
writes to the client's pipes directly, so dagster-dbt reads dbt's JSON events as from a ``dbt`` process; the
client ends with the child's exit status (or its signal), which the server reads when the child has ended.

- **Forking is safe here** because the server has no thread when it forks (checked after its imports: with a
  thread it does not serve, and every client runs the ``dbt`` executable instead) and a child starts from
  the imported modules only: the server never runs a command itself, so no command sees another's state.
- **Signals**: the client forwards SIGINT, SIGTERM and SIGHUP to its child (dagster-dbt interrupts dbt with
  SIGINT; the refresh stops an unneeded dbt with SIGTERM). The server runs in a session of its own, so a
  Ctrl-C at the terminal reaches a child once, through its client, as it reached ``dbt`` once before.
- **Ending with what started it**: a child whose client has gone (killed) ends at once, as dbt's own
  process did when the refresh's process group was killed; the server leaves when its standard input
  closes (:meth:`DbtForkServer.close`, or the refresh's death), once its children have ended.
- **Falling back**: a client that cannot reach the server (gone, refusing, a platform without ``fork``)
  runs the ``dbt`` executable itself, with the same arguments: the refresh is slower, not different. The
  socket listens before the server starts (:class:`DbtForkServer` binds it and hands it over), so a command
  given while the server starts waits for it.

Only the standard library and core/settings.py at the top: the client imports this module at each dbt
command.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from core.settings import passed_on_environment, take_environment

FOLDER_PREFIX = "tw-dbt-"  # the server's folder (its socket and client script), in the temporary directory
CLIENT_NAME = "dbt"  # the client script's file name, in the server's folder
SOCKET_NAME = "dbt.sock"
FORWARDED_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))
# what the server imports before it serves: the command line, the tasks a refresh runs, the parser. Not the
# adapters: importing dbt-duckdb starts DuckDB's native thread, which a fork would copy without (the child
# then aborts at its exit); each child imports its adapter (~0.3 s)
PRELOADED = ("dbt.cli.main", "dbt.task.build", "dbt.task.docs.generate", "dbt.parser.manifest")
NO_STATUS_EXIT_CODE = 70  # the server ended before it could tell how the command ended (EX_SOFTWARE)
_MAX_REQUEST = 1 << 24


def dbt_beside_python() -> Path:
    """Where the project's virtual environment installs dbt: beside this Python."""
    return Path(sys.executable).parent / "dbt"


def installed_dbt() -> str:
    """The dbt installed beside this Python (the project's virtual environment), else dbt on PATH."""
    beside = dbt_beside_python()
    return str(beside) if beside.exists() else "dbt"


def available() -> bool:
    """Whether the server can run here: Linux (it counts its native threads in /proc before it forks, and
    fork without exec is only safe when there are none), which passes file descriptors over Unix sockets."""
    return sys.platform == "linux" and hasattr(socket, "send_fds")


class ServerUnavailable(RuntimeError):
    """The server cannot be started here (the caller runs dbt itself)."""


# --- the refresh's side -----------------------------------------------------------------------------------


class DbtForkServer:
    """The server process, started at once, and its client script (:attr:`executable`, for dagster-dbt's
    ``dbt_executable``). ``fallback``: the dbt executable a client runs itself when the server cannot be
    reached. ``output``: the file the server's standard output and error are appended to (else the
    caller's). ``import_now``: the server imports dbt at once; else when :meth:`import_dbt` tells it (the
    refresh does once the quality gates' worker has imported GX: both imports at once would slow the
    refresh's own start on two cores), or at the first command. ``modules``: what it imports. A context
    manager: leaving it stops the server."""

    def __init__(
        self,
        fallback: str,
        output: Path | None = None,
        import_now: bool = True,
        modules: Sequence[str] = PRELOADED,
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        self.socket_path = self.folder / SOCKET_NAME
        self.executable = str(self.folder / CLIENT_NAME)
        script = (
            f"#!{sys.executable} -I\n"
            "# dbt through the refresh's dbt fork server (transformation/dbt_forkserver.py)\n"
            "import sys\n"
            "from transformation.dbt_forkserver import client\n"
            f"sys.exit(client({str(self.socket_path)!r}, {fallback!r}, sys.argv[1:]))\n"
        )
        Path(self.executable).write_text(script, encoding="utf-8")
        os.chmod(self.executable, 0o755)
        listener = None
        sink = None
        try:
            if os.statvfs(self.folder).f_flag & os.ST_NOEXEC:  # the client could not be run from there
                raise ServerUnavailable(f"{self.folder.parent} is mounted noexec")
            # listening before the server has started: a client that comes while the server starts waits in
            # the socket's queue (it found no socket before, and ran dbt itself)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(self.socket_path))
            listener.listen(16)
            sink = open(output, "ab") if output is not None else None  # noqa: SIM115 (the child holds it)
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-P",  # not the refresh's working folder first on the import path of dbt's children
                    "-m",
                    "transformation.dbt_forkserver",
                    "now" if import_now else "when-told",
                    str(self.socket_path),
                    str(listener.fileno()),
                    *modules,
                ],
                stdin=subprocess.PIPE,
                stdout=sink,
                stderr=sink,
                pass_fds=(listener.fileno(),),
                start_new_session=True,  # a Ctrl-C reaches a child through its client only
            )
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        finally:
            if listener is not None:
                listener.close()  # the server's now
            if sink is not None:
                sink.close()

    @property
    def pid(self) -> int:
        return self._process.pid

    def import_dbt(self) -> None:
        """Tell a server started with ``import_now=False`` to import dbt now (a first command does too)."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            try:
                self._process.stdin.write(b"i")
                self._process.stdin.flush()
            except (OSError, ValueError):  # gone, or being closed: its clients run dbt themselves
                pass

    def close(self, timeout: float = 10.0) -> None:
        """Stop the server (it leaves once its running children have ended; killed after ``timeout``) and
        remove its folder."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            with contextlib.suppress(OSError):  # the server has gone (a byte left unwritten)
                self._process.stdin.close()  # the server's signal to leave
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> DbtForkServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(timeout=10.0 if kind is None else 1.0)


# --- the client: the executable dagster-dbt runs ------------------------------------------------------------


def client(socket_path: str, fallback: str, argv: Sequence[str]) -> int:
    """Run ``dbt ARGV`` in a child of the server at ``socket_path``; its exit code (a child ended by a
    signal ends this process by the same signal). Without a server, ``fallback ARGV`` replaces this
    process."""
    # signals that arrive before the child is known are held and passed on once it is
    child: list[int] = []
    held: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if not child:
            held.append(signum)
            return
        with contextlib.suppress(OSError):  # ended meanwhile
            os.kill(child[0], signum)

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(socket_path)
        request = {"argv": list(argv), "env": passed_on_environment(), "cwd": os.getcwd()}
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        replies = connection.makefile("rb")
        started = _reply(replies)
    except OSError:  # no server, or it refused or ended before the command started
        started = None
    if started is None or "pid" not in started:
        connection.close()
        for signum in FORWARDED_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        if held:  # interrupted before dbt started: as dbt would have been
            os.kill(os.getpid(), held[0])
        os.execvp(fallback, [fallback, *argv])  # dbt itself, as without a server
    child.append(int(started["pid"]))
    for signum in held:
        forward(signum, None)
    try:
        ended = _reply(replies)
    except OSError:
        ended = None
    if ended is None or "status" not in ended:
        sys.stderr.write(f"dbt fork server at {socket_path} ended before dbt (pid {child[0]}) did\n")
        return NO_STATUS_EXIT_CODE
    status = int(ended["status"])
    if status < 0:  # ended by a signal: end by it too, as dbt's own process would have
        with contextlib.suppress(OSError):  # SIGKILL's action cannot be set (it is the default already)
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        return 128 - status
    return status


def _reply(replies: object) -> dict | None:
    line = replies.readline()  # type: ignore[attr-defined]
    return json.loads(line) if line else None


# --- the server ---------------------------------------------------------------------------------------------


def serve(socket_path: str, listening: int, modules: Sequence[str], import_now: bool = True) -> int:
    """Import ``modules`` (at once, or with ``import_now`` False when told on standard input or at the first
    connection), then fork a child per connection on the socket ``socket_path``, listening on the
    descriptor ``listening`` (bound by :class:`DbtForkServer`), until standard input closes and the
    children have ended. A client that connects during the start or the imports waits for them."""
    import importlib

    listener = socket.socket(fileno=listening)
    listener.set_inheritable(False)  # handed over by the refresh (inheritable for that); no child's to keep
    if not import_now:
        waiting = selectors.DefaultSelector()
        waiting.register(listener, selectors.EVENT_READ)
        waiting.register(sys.stdin.fileno(), selectors.EVENT_READ)
        ready = {key.fd for key, _ in waiting.select()}
        waiting.close()
        if ready == {sys.stdin.fileno()} and not os.read(sys.stdin.fileno(), 1):
            return 0  # closed before any command: nothing to serve
    for name in modules:
        importlib.import_module(name)
    if (threads := _threads()) > 1:  # a fork would copy a thread's locks without the thread
        sys.stderr.write(
            f"dbt fork server: {threads - 1} other threads after importing {', '.join(modules)}; not serving "
            "(each dbt command runs the dbt executable)\n"
        )
        listener.close()  # a client waiting is refused, and falls back; one that comes finds no socket
        with contextlib.suppress(OSError):
            os.unlink(socket_path)
        return 1
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that the wake-up byte is written
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the refresh stops the server by closing its input
    children: dict[int, socket.socket] = {}
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "connection")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
    selector.register(wake_read, selectors.EVENT_READ, "child")
    accepting = True
    while accepting or children:
        for key, _ in selector.select():
            if key.data == "connection" and accepting:
                connection, _ = listener.accept()
                pid = _start(connection, children, (listener, selector), (wake_read, wake_write))
                if pid is not None:
                    children[pid] = connection
            elif key.data == "parent":  # told to import (done), or closed: no more commands
                if not os.read(sys.stdin.fileno(), 4096):
                    accepting = False
                    selector.unregister(sys.stdin.fileno())
                    selector.unregister(listener)
                    listener.close()
            else:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 4096)
                _reap(children)
        _reap(children)
    return 0


def _threads() -> int:
    """This process's threads, native ones included where the system lists them (Linux)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _reap(children: dict[int, socket.socket]) -> None:
    """Tell each ended child's client how it ended."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is None:
            continue
        with contextlib.suppress(OSError):  # the client has gone
            connection.sendall(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        connection.close()


def _start(
    connection: socket.socket,
    children: dict[int, socket.socket],
    server: Sequence[socket.socket | selectors.BaseSelector],
    server_fds: Sequence[int],
) -> int | None:
    """Fork the child of one request; its pid (None when the request was not readable). The child closes
    the server's sockets and selector (``server``), its pipes (``server_fds``) and the other children's
    connections, then becomes dbt (:func:`_run_child`); it leaves by ``SystemExit``, up through the server's
    loop, as the ``dbt`` script does."""
    fds: list[int] = []
    try:
        message, fds, _, _ = socket.recv_fds(connection, _MAX_REQUEST, 3)
        while not message.endswith(b"\n"):
            more = connection.recv(_MAX_REQUEST)
            if not more:
                raise ValueError("request cut short")
            message += more
        request = json.loads(message)
        if len(fds) != 3:
            raise ValueError(f"{len(fds)} file descriptors, not 3")
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"dbt fork server: unreadable request ({exc})\n")
        for fd in fds:  # the client's streams: held here, their reader would wait for their end
            os.close(fd)
        connection.close()  # the client falls back
        return None
    sys.stdout.flush()  # nothing of the server's own output may reach a child's streams
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError as exc:  # out of processes or memory: this command falls back, the others go on
        sys.stderr.write(f"dbt fork server: cannot fork ({exc})\n")
        for fd in fds:
            os.close(fd)
        connection.close()
        return None
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    # the child: nothing of the server's but the imported modules
    try:
        signal.set_wakeup_fd(-1)
        for other in [*children.values(), *server]:
            other.close()
        for fd in server_fds:
            os.close(fd)
        _run_child(connection, fds, request)
    except SystemExit:
        raise
    except BaseException:  # a child never returns into the server's loop
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(1)  # pragma: no cover (_run_child ends by SystemExit)


def _run_child(connection: socket.socket, fds: list[int], request: dict) -> None:
    """Become ``dbt ARGV`` with the client's streams, environment and working directory; exit as dbt does."""
    import io
    import random

    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    take_environment(request["env"])
    random.seed()
    sys.stdin = io.TextIOWrapper(open(0, "rb", closefd=False), encoding="utf-8")  # noqa: SIM115
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), encoding="utf-8", line_buffering=True)  # noqa: SIM115
    sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), encoding="utf-8", line_buffering=True)  # noqa: SIM115
    connection.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    threading.Thread(target=_end_when_gone, args=(connection,), daemon=True).start()
    sys.argv = ["dbt", *request["argv"]]
    _parse_state_without_database_path()
    from dbt.cli.main import cli

    sys.exit(cli())


def _parse_state_without_database_path() -> None:
    """Let dbt's saved parse serve a build database at another path (a child's dbt only).

    dbt re-parses the whole project when the profile's connection differs from the one its saved parse
    (``partial_parse.msgpack``) was made with, and a DuckDB connection includes the database file's path:
    every new home under ``tw run`` (a deployment's first refresh, the benchmark's) and every switch
    between homes parsed all of it again (~4 s of a 7 s ``dbt build`` start at M). Nothing the project
    parses reads the path: parse-time Jinja sees ``target``, and no model, macro or YAML file of
    dbt_project/ reads ``target.path`` (tests/unit/test_dbt_forkserver.py fails when one does). So the
    profile's digest in the parse state leaves the path out; any other change of the connection (another
    target, DuckDB's settings) still means a full parse. The ``dbt`` executable (the client's fallback)
    keeps dbt's own digest: the first command after it parses in full once, as before. A dbt whose parser
    is not the one this was written for (dbt-core 1.11) is left as it is: it parses in full, as dbt does."""
    import pprint

    try:
        from dbt.artifacts.resources.base import FileHash
        from dbt.contracts.graph.manifest import ManifestStateCheck
        from dbt.parser.manifest import ManifestLoader

        own = ManifestLoader.build_manifest_state_check
    except (ImportError, AttributeError):
        return
    if "profile_hash" not in getattr(ManifestStateCheck, "__dataclass_fields__", {}):
        return

    def without_path(loader: ManifestLoader) -> object:
        state = own(loader)
        connection = sorted(
            (key, value) for key, value in loader.root_project.credentials.connection_info() if key != "path"
        )
        state.profile_hash = FileHash.from_contents(pprint.pformat(connection))
        return state

    ManifestLoader.build_manifest_state_check = without_path  # type: ignore[method-assign]


def _end_when_gone(connection: socket.socket) -> None:
    """End dbt at once when its client has gone: the client ends without telling its child only when it is
    killed (SIGKILL: ``kill -9``, the out-of-memory killer, a failpoint killing the refresh's process group,
    core/failpoints.py), and dbt's own process then died with it."""
    try:
        while connection.recv(4096):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    # a child leaves by SystemExit from within serve(), as the dbt script does; the server itself without
    # freeing dbt's modules one by one (~1 s at the end of every refresh)
    status = serve(sys.argv[2], int(sys.argv[3]), sys.argv[4:], import_now=sys.argv[1] == "now")
    folder = Path(sys.argv[2]).parent
    # removed here too, the refresh may have been killed; not by a server that refused to serve: its
    # clients, run from that folder, fall back to dbt until the refresh ends
    if status == 0 and folder.name.startswith(FOLDER_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
