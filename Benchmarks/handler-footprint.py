#!/usr/bin/env python3
"""What a handler binary costs to ship and to start: file size, text + data, dynamic relocations,
cold start (exec to exit on a recorded event that ends in a send) and peak RSS, for every handler
and hello-baseline, in one or more build folders measured in the same run (interleaved, so a
before/after comparison shares the machine's noise). docs/BENCHMARKS.md records its figures.

Usage, from the repository root, after building as .ci/run does
(`swift build -c release --static-swift-stdlib --product X` for each handler and hello-baseline):

    python3 Benchmarks/handler-footprint.py [--runs 40] [--rss-runs 5] DIR [DIR ...]

Cold start: posix_spawn to waitpid, the event on stdin, stdout and stderr to /dev/null, a fresh
data folder per run, the clock pinned to when the event is due (TIDINGS_NOW); the median of
`--runs`, with the child's CPU time (user + system, from wait4) and minor page faults beside it,
which a busy machine disturbs less than wall time. Peak RSS: "Maximum resident set size" of `/usr/bin/time -v` (a child spawned from this
process would inherit this process's high-water mark at exec), the median of `--rss-runs`.
Relocations: `readelf -r X | wc -l`, as the issue asked (header lines included, the same few
lines for every binary). Every handler's answer is checked to be "sent" once per folder, so each
figure is of the whole path: decode, enrich, write, validate, render, deliver, audit.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

# Each handler's recorded event that ends in a send, and when it is due (triggered_at plus the
# flow's delay: an hour for cartAbandoned, none for the others).
HANDLERS = {
    "cartAbandoned": ("Events/cartAbandoned/canonical-returning-customer.json", "2026-11-21T18:20:00Z"),
    "orderCreated": ("Events/orderCreated/canonical-order-created.json", "2026-11-25T16:00:00Z"),
    "orderCancelled": ("Events/orderCancelled/canonical-order-cancelled.json", "2026-11-26T12:00:00Z"),
    "winBack": ("Events/winBack/canonical-customer-lapsed.json", "2026-11-22T09:00:00Z"),
}
BASELINE = "hello-baseline"


def environment(now, data):
    env = dict(os.environ)
    env.update({"TIDINGS_NOW": now, "TIDINGS_DATA_DIR": data, "TIDINGS_LOG_LEVEL": "error"})
    env.pop("AWS_LAMBDA_RUNTIME_API", None)
    return env


def spawn(argv, event, env):
    """Exec to exit in milliseconds, the child's CPU time (user + system) in milliseconds, its
    minor page faults, and its exit status."""
    with open(event, "rb") as stdin:
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, stdin.fileno(), 0),
            (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0),
        ])
        _, status, usage = os.wait4(pid, 0)
        elapsed = (time.perf_counter() - start) * 1000
    cpu = (usage.ru_utime + usage.ru_stime) * 1000
    return elapsed, cpu, usage.ru_minflt, os.waitstatus_to_exitcode(status)


def static_figures(binary):
    size = os.stat(binary).st_size
    text, data, bss = subprocess.run(["size", binary], capture_output=True, text=True, check=True) \
        .stdout.splitlines()[1].split()[:3]
    readelf = subprocess.run(["readelf", "-r", binary], capture_output=True, text=True, check=True).stdout
    return {"bytes": size, "text": int(text), "data": int(data), "relocations": readelf.count("\n")}


def check_sent(binary, event, now, scratch):
    data = tempfile.mkdtemp(dir=scratch)
    with open(event, "rb") as stdin:
        result = subprocess.run([binary], stdin=stdin, capture_output=True, env=environment(now, data))
    answer = json.loads(result.stdout)
    if result.returncode != 0 or answer.get("outcome") != "sent":
        sys.exit(f"{binary} on {event} answered {answer} (exit {result.returncode}); pick a sending event")


def peak_rss_kib(binary, event, now, scratch):
    data = tempfile.mkdtemp(dir=scratch)
    report = os.path.join(data, "time.txt")
    with open(event, "rb") as stdin:
        subprocess.run(["/usr/bin/time", "-v", "-o", report, binary], stdin=stdin,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment(now, data))
    for line in open(report):
        if "Maximum resident set size" in line:
            return int(line.rsplit(":", 1)[1])
    raise RuntimeError(f"no peak RSS for {binary}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rss-runs", type=int, default=5)
    parser.add_argument("--handlers", default=",".join(HANDLERS))
    parser.add_argument("folders", nargs="+")
    arguments = parser.parse_args()
    handlers = arguments.handlers.split(",")
    names = [BASELINE] + handlers
    scratch = tempfile.mkdtemp(prefix="tidings-footprint-")
    try:
        for folder in arguments.folders:
            for handler in handlers:
                event, now = HANDLERS[handler]
                check_sent(os.path.join(folder, handler), event, now, scratch)
        times = {(folder, name): [] for folder in arguments.folders for name in names}
        cpus = {(folder, name): [] for folder in arguments.folders for name in names}
        faults = {(folder, name): [] for folder in arguments.folders for name in names}
        rss = {(folder, name): [] for folder in arguments.folders for name in names}
        # Round-robin: every binary once per round, so slow phases of a shared machine hit all alike.
        for round in range(arguments.runs):
            for name in names:
                event, now = HANDLERS.get(name, HANDLERS[handlers[0]])
                # Alternate which folder goes first: the first of a pair was measured slower.
                for folder in arguments.folders[::-1] if round % 2 else arguments.folders:
                    binary = os.path.join(folder, name)
                    data = tempfile.mkdtemp(dir=scratch)
                    elapsed, cpu, minflt, status = spawn([binary], event, environment(now, data))
                    if status != 0:
                        sys.exit(f"{binary} exited {status}")
                    times[(folder, name)].append(elapsed)
                    cpus[(folder, name)].append(cpu)
                    faults[(folder, name)].append(minflt)
                    shutil.rmtree(data)
            if round < arguments.rss_runs:
                for name in names:
                    event, now = HANDLERS.get(name, HANDLERS[handlers[0]])
                    for folder in arguments.folders:
                        rss[(folder, name)].append(peak_rss_kib(os.path.join(folder, name), event, now, scratch))
        first = arguments.folders[0]
        print("| folder | binary | file | text + data | relocations | cold start (median) | ratio to hello "
              "| cold start vs first folder | CPU user + sys (median) | page faults | peak RSS |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for folder in arguments.folders:
            base = statistics.median(times[(folder, BASELINE)])
            for name in names:
                figures = static_figures(os.path.join(folder, name))
                median = statistics.median(times[(folder, name)])
                versus = median / statistics.median(times[(first, name)])
                print(f"| {folder} | {name} | {figures['bytes']:,} B "
                      f"| {figures['text'] + figures['data']:,} B | {figures['relocations']:,} "
                      f"| {median:.2f} ms | {median / base:.2f}x | {versus:.3f} "
                      f"| {statistics.median(cpus[(folder, name)]):.1f} ms "
                      f"| {statistics.median(faults[(folder, name)]):,.0f} "
                      f"| {statistics.median(rss[(folder, name)]) / 1024:.1f} MiB |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
