"""The embedded stack's process manager: honcho, with every Python process forked from one
parent that has already imported what they all import.

    shop-launcher start -f Procfile [NAME ...]      # what ``./platform run`` runs

It reads the Procfile as honcho does (same names, ``.env``, ``PORT``, output prefixed
with the process name, Ctrl-C or one process ending stops them all) and differs in one
thing: a line of the form ``[exec] [env [-u NAME]... [NAME=VALUE]...] python -m MODULE
ARGS...`` is not started as a new interpreter. The launcher imports every such module's
command line, service definition and HTTP app once, freezes those objects out of the
garbage collector, and forks each process from itself: the twenty-odd processes share the
pages of the libraries and the platform's code instead of each holding a copy (measured
with ``bench/footprint.py``: see the README's "Performance"). Any other line (the broker,
Prometheus) runs in a shell, as honcho runs it.

A forked process then runs its module as ``python -m`` would (``runpy``), with the
line's environment; ``in_preloaded_fork()`` tells it so, and ``python -m <service> api``
then runs gunicorn in the same process instead of ``exec``-ing a new interpreter when
the API has one worker (several workers need Prometheus' multiprocess mode, chosen when
``prometheus_client`` is imported: those start afresh as before).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import importlib
import multiprocessing
import os
import re
import runpy
import shlex
import signal
import sys
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_in_preloaded_fork = False

# What every forked process needs whatever its module: imported once, here.
SHARED_MODULES = (
    "service_runtime.cli",
    "service_runtime.worker",
    "service_runtime.auth",
    "service_runtime.gunicorn_worker",
    "gunicorn.app.wsgiapp",
    "gunicorn.workers.gthread",
)
_PYTHONS = {"python", "python3", Path(sys.executable).name, sys.executable}
_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+))")


def in_preloaded_fork() -> bool:
    """True in a process the launcher forked (its libraries were imported before the fork)."""
    return _in_preloaded_fork


@dataclass(frozen=True)
class ModuleCommand:
    """A Procfile line that runs ``python -m module args`` (after optional env changes)."""

    module: str
    args: tuple[str, ...]
    unset: tuple[str, ...] = ()
    assignments: tuple[tuple[str, str], ...] = ()

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        env = {name: value for name, value in base.items() if name not in self.unset}
        for name, value in self.assignments:
            env[name] = _expand(value, base)
        return env

    @property
    def title(self) -> str:
        """What ``ps`` shows for the process: the command it would have been."""
        return " ".join(["python", "-m", self.module, *self.args])


def parse_module_command(line: str) -> ModuleCommand | None:
    """The line as a ``ModuleCommand``, or None if a shell must run it."""
    if any(char in line for char in ";&|<>`()") or "$(" in line:
        return None
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if words[:1] == ["exec"]:
        words = words[1:]
    unset: list[str] = []
    assignments: list[tuple[str, str]] = []
    if words[:1] == ["env"]:
        words = words[1:]
        while words and words[0] == "-u" and len(words) > 1:
            unset.append(words[1])
            words = words[2:]
        while words and re.fullmatch(r"\w+=.*", words[0]):
            name, _, value = words[0].partition("=")
            assignments.append((name, value))
            words = words[1:]
    if len(words) < 3 or words[0] not in _PYTHONS or words[1] != "-m":
        return None
    if any("$" in word for word in words):
        return None  # arguments that need a shell's expansion
    return ModuleCommand(words[2], tuple(words[3:]), tuple(unset), tuple(assignments))


def _expand(value: str, env: Mapping[str, str]) -> str:
    """``$NAME``, ``${NAME}`` and ``${NAME:-default}``, as the shell expands them."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        found = env.get(name, "")
        return found if found or match.group(2) is None else match.group(2)

    return _VARIABLE.sub(replace, value)


def preload(modules: list[str]) -> None:
    """Import what the forked processes will run, then keep it out of garbage collection
    (a collection writes to every object it visits, and so copies the page it is on)."""
    for name in SHARED_MODULES:
        importlib.import_module(name)
    for module in modules:
        imported = importlib.import_module(module)
        if not hasattr(imported, "__path__"):
            # A module, not a package: what it imported stays; itself, runpy runs afresh
            # as __main__ in each fork (finding it imported already, it would warn).
            del sys.modules[module]
            continue
        try:
            importlib.import_module(f"{module}.__main__")
        except ModuleNotFoundError:
            continue
        # What it imported stays; itself, runpy runs afresh as __main__ in each fork.
        del sys.modules[f"{module}.__main__"]
        definition = getattr(sys.modules.get(f"{module}.definition"), "DEFINITION", None)
        app = getattr(definition, "app", None)
        if app:
            importlib.import_module(app.split(":")[0])
    gc.collect()
    gc.freeze()


class ForkedProcess:
    """What honcho needs of a ``subprocess.Popen``, for a process forked from here."""

    def __init__(self, command: ModuleCommand, env: Mapping[str, str], cwd: str | None):
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child's coverage is its own process's
            os.close(read_end)
            _become(command, env, cwd, write_end)
        os.close(write_end)
        self.stdout: IO[bytes] = os.fdopen(read_end, "rb")
        self.returncode: int | None = None

    def wait(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def _become(command: ModuleCommand, env: Mapping[str, str], cwd: str | None,
            output: int) -> None:
    """Turn this fork into ``python -m module args`` and exit with its status."""
    global _in_preloaded_fork
    code = 1
    # Exit handlers are the command's own, as in a process of its own: none of the
    # launcher's, and the command's run at its end (os._exit below skips them otherwise).
    atexit._clear()
    try:
        os.setsid()  # its own process group, as honcho starts each: it stops the group
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.close(stdin)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.environ.clear()
        os.environ.update(command.environment(env))
        if cwd:
            os.chdir(cwd)
        import setproctitle

        setproctitle.setproctitle(command.title)
        _in_preloaded_fork = True
        sys.argv = [command.module, *command.args]
        runpy.run_module(command.module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
    except KeyboardInterrupt:
        code = 128 + signal.SIGINT
    except BaseException:
        traceback.print_exc()
    finally:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def start(procfile: Path, names: list[str]) -> int:
    """Run the Procfile's processes (all, or ``names``) until one ends or a signal comes."""
    from honcho.environ import expand_processes, parse, parse_procfile
    from honcho.manager import Manager
    from honcho.printer import Printer

    # honcho runs each process's supervisor in a multiprocessing child: it must be a fork
    # of this process (the default on Linux until Python 3.14) to fork preloaded pages.
    multiprocessing.set_start_method("fork", force=True)
    processes = parse_procfile(procfile.read_text()).processes
    unknown = [name for name in names if name not in processes]
    if unknown:
        raise SystemExit(f"shop-launcher: no process {', '.join(unknown)} in {procfile}")
    chosen = {name: processes[name] for name in names} if names else dict(processes)
    dotenv = procfile.parent / ".env"
    app_env = parse(dotenv.read_text()) if dotenv.exists() else {}
    commands = {line: parse_module_command(line) for line in chosen.values()}
    preload([command.module for command in commands.values() if command])
    if threading.active_count() > 1:  # a fork copies one thread: the others' locks stay held
        raise SystemExit("shop-launcher: importing the modules started a thread; cannot fork")

    manager = Manager(Printer(sys.stdout))
    for params in expand_processes(chosen, env=app_env, port=5000):
        env = {**os.environ, **params.env}
        process = manager.add_process(params.name, params.cmd, quiet=params.quiet, env=env)
        command = commands[params.cmd]
        if command is not None:
            # honcho's Process starts its child with this constructor (its own Popen by default).
            process._child_ctor = (
                lambda _cmd, env, cwd, command=command: ForkedProcess(command, env, cwd))
    manager.loop()
    return manager.returncode or 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="shop-launcher", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start the Procfile's processes")
    start_parser.add_argument("-f", "--procfile", type=Path, default=Path("Procfile"))
    start_parser.add_argument("names", nargs="*", metavar="NAME")
    args = parser.parse_args(argv)
    sys.exit(start(args.procfile, args.names))


if __name__ == "__main__":
    # As the module itself, not as __main__: forks read in_preloaded_fork() from it.
    from service_runtime import launcher

    launcher.main()
