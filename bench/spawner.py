"""A small process that starts the measured programs for bench/run.py and reports their wall time and rusage.

Why a separate process: on Linux a child's ru_maxrss starts from the hiwater RSS of the address space it was
spawned from (subprocess uses vfork/fork, and exec folds the old address space's peak into the new program's
maxrss). Spawned straight from the bench, whose emulators hold the seeded data, every child would report at least
the bench's own RSS. Spawned from here (a few MiB, started before any data is seeded), the floor is this process's
size, well under any program measured.

Protocol: one JSON request per line on stdin {argv, stdin, stdout, stderr, env, timeout}; one JSON answer per
line on stdout {wall, cpu, maxrss_kib, returncode}. Standard library only; run with `python -S`.
"""

import json
import os
import subprocess
import sys
import threading
import time


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        with open(request["stdin"] or os.devnull, "rb") as stdin, open(request["stdout"], "wb") as stdout, \
                open(request["stderr"], "wb") as stderr:
            start = time.perf_counter()
            proc = subprocess.Popen(request["argv"], stdin=stdin, stdout=stdout, stderr=stderr, env=request["env"])
            killer = threading.Timer(request["timeout"], proc.kill)
            killer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                killer.cancel()
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: Popen must not wait again
        sys.stdout.write(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                                     "maxrss_kib": usage.ru_maxrss, "returncode": proc.returncode}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
