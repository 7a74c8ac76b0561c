"""``shop-launcher``: the Procfile's ``python -m`` processes forked from one parent that
imported their code first (so they share its pages), everything else as honcho runs it;
one process ending, or Ctrl-C, stops them all."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from service_runtime.launcher import parse_module_command
from service_runtime.testing.processes import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]

PROBE_INIT = '''
import atexit
import os

IMPORTED_BY = os.getpid()
# The launcher's own exit handler: not a forked command's.
atexit.register(print, "inherited exit handler", flush=True)
'''

PROBE_MAIN = '''
import atexit
import json
import os
import sys
import time

import probe_app
from service_runtime.launcher import in_preloaded_fork


def main():
    atexit.register(print, "own exit handler of " + sys.argv[1], flush=True)
    print("probe " + json.dumps({
        "name": sys.argv[1], "pid": os.getpid(), "argv": sys.argv[1:],
        "imported_by_parent": probe_app.IMPORTED_BY != os.getpid(),
        "in_preloaded_fork": in_preloaded_fork(), "port": os.environ.get("PORT"),
        "greeting": os.environ.get("GREETING"),
        "process_group_is_own": os.getpgid(0) == os.getpid()}), flush=True)
    open(sys.argv[1] + ".started", "w").close()
    if sys.argv[2] == "exit":
        # Once the processes named after the status have reported (else they may be
        # stopped before they print, on a busy machine).
        deadline = time.monotonic() + 30
        while (not all(os.path.exists(name + ".started") for name in sys.argv[4:])
               and time.monotonic() < deadline):
            time.sleep(0.05)
        sys.exit(int(sys.argv[3]))
    time.sleep(120)


if __name__ == "__main__":
    main()
'''


def probe_package(directory: Path) -> None:
    package = directory / "probe_app"
    package.mkdir()
    (package / "__init__.py").write_text(PROBE_INIT)
    (package / "__main__.py").write_text(PROBE_MAIN)
    # A command line that is a module of the package, not its __main__.
    (package / "other_entry.py").write_text(PROBE_MAIN)


def launch(directory: Path, procfile: str, *names: str, **env: str) -> subprocess.Popen:
    (directory / "Procfile").write_text(procfile)
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "GREETING", "NAME")}
    return subprocess.Popen(
        [sys.executable, "-m", "service_runtime.launcher", "start", "-f", "Procfile", *names],
        cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**clean, "PYTHONPATH": str(directory), "PYTHONUNBUFFERED": "1", **env})


def probes(output: str) -> dict[str, dict]:
    found = {}
    for line in output.splitlines():
        if "| probe " in line:
            report = json.loads(line.split("| probe ", 1)[1])
            found[report["name"]] = report
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"


def test_procfile_lines_that_run_python_modules_are_recognised():
    gateway = parse_module_command(
        "exec env -u PORT WEB_CONCURRENCY=${GATEWAY_WEB_CONCURRENCY:-2} python -m api_gateway api")
    assert (gateway.module, gateway.args) == ("api_gateway", ("api",))
    assert gateway.environment({"PORT": "5000", "A": "1"}) == {"A": "1", "WEB_CONCURRENCY": "2"}
    assert gateway.environment({"GATEWAY_WEB_CONCURRENCY": "3"})["WEB_CONCURRENCY"] == "3"
    assert parse_module_command("python3 -m user worker --once").args == ("worker", "--once")
    # Anything a shell would have to do stays with a shell.
    for line in ("exec shop-broker", "python -m user worker | tee log", "python -m user $ARG",
                 "cd x && python -m user worker", "python script.py", "python -c 'print(1)'"):
        assert parse_module_command(line) is None, line


def test_every_python_process_of_the_platforms_procfile_is_forked():
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                 if line and not line.startswith("#"))
    shell_run = sorted(name for name, line in lines.items() if parse_module_command(line) is None)
    assert shell_run == ["broker"]


def test_module_lines_are_forked_from_the_preloaded_parent_and_one_ending_stops_all(tmp_path):
    probe_package(tmp_path)
    launcher = launch(tmp_path, "\n".join([
        "sleeper: exec env -u PORT GREETING=${NAME:-world} python -m probe_app sleeper sleep",
        "quitter: exec python -m probe_app quitter exit 3 sleeper module",
        "module: exec python -m probe_app.other_entry module sleep",
        "shell: echo from-a-shell; exec sleep 120",
    ]) + "\n")
    output, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 3, output  # the first process to end gives its status
    reports = probes(output)
    sleeper, quitter, module = reports["sleeper"], reports["quitter"], reports["module"]
    assert "Warning" not in output, output  # runpy finds no module it runs imported already
    for report in (sleeper, quitter, module):
        assert report["imported_by_parent"] and report["in_preloaded_fork"], output
        assert report["process_group_is_own"], output  # honcho stops a process by its group
    assert sleeper["argv"] == ["sleeper", "sleep"]
    assert sleeper["port"] is None and sleeper["greeting"] == "world"  # env -u, ${:-}
    assert quitter["port"] == "5100"  # honcho's port for the second process
    assert re.search(r"^\S+ shell\.1\s+\| from-a-shell$", output, re.MULTILINE), output
    assert "sleeper.1 stopped" in output and "shell.1 stopped" in output
    assert not alive(sleeper["pid"])
    # A command's exit handlers run as in a process of its own; the launcher's do not.
    assert re.search(r"quitter\.1\s+\| own exit handler of quitter$", output, re.MULTILINE)
    assert not re.search(r"\| inherited exit handler", output), output


def test_ctrl_c_stops_every_process(tmp_path):
    probe_package(tmp_path)
    launcher = launch(tmp_path, "one: python -m probe_app one sleep\n"
                                "two: python -m probe_app two sleep\n"
                                "unused: python -m probe_app unused exit 0\n",
                      "one", "two", NAME="x")
    lines: list[str] = []
    wait_until(lambda: lines.append(launcher.stdout.readline()) or
               len(probes("".join(lines))) == 2, timeout=60, message="both probes report")
    launcher.send_signal(signal.SIGINT)
    output, _ = launcher.communicate(timeout=30)
    assert launcher.returncode == 130, output
    reports = probes("".join(lines))
    assert set(reports) == {"one", "two"}  # only the names asked for
    assert not any(alive(report["pid"]) for report in reports.values())


def shared_dirty_kb(pid: int) -> int:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(re.search(r"^Shared_Dirty:\s+(\d+)", rollup, re.MULTILINE).group(1))


def test_a_service_api_runs_gunicorn_in_the_fork_and_serves_its_metrics(tmp_path):
    port = free_port()
    launcher = launch(tmp_path, f"web: exec env -u PORT python -m shop_web api --port {port}\n",
                      WEB_CONCURRENCY="1")
    started: list[str] = []
    try:
        wait_until(lambda: started.append(launcher.stdout.readline()) or
                   "web.1 started" in "".join(started), timeout=60, message="web started")
        master = int(re.search(r"web\.1 started \(pid=(\d+)\)", "".join(started)).group(1))
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(healthy, timeout=60, message="the web API answers")
        metrics = requests.get(f"{base}/metrics", timeout=5).text
        assert re.search(r'^http_requests_total\{.*route="/healthz".*\} [1-9]', metrics,
                         re.MULTILINE), metrics[:2000]
        # Not a new interpreter: the master still shares the launcher's imported pages.
        assert Path(f"/proc/{master}/cmdline").read_text().startswith("gunicorn: master")
        assert shared_dirty_kb(master) > 30_000  # ~55 MB forked, ~6 MB exec-ed
    finally:
        launcher.send_signal(signal.SIGINT)
        output, _ = launcher.communicate(timeout=30)
    assert launcher.returncode == 130, "".join(started) + output
