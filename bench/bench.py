#!/usr/bin/env python3
"""The side-by-side benchmark behind BENCHMARKS.md; run it through bench/run.sh.

Starts examples/bench (release) and a minimal atlassian-connect-express app on 127.0.0.1,
installs one tenant in each with an RS256-signed install from connect-sim (whose key CDN both
apps are pointed at), then drives the same authenticated GET on both and our public route, in
interleaved rounds at each concurrency, with wrk. Every answer must be a 200: a run with any
other status aborts. Reports req/s, p50/p99 latency, peak RSS, cold start and tenant-count
scaling, writes bench/results.json and bench/results.csv, and renders the charts with gnuplot.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
TARGET = ROOT / "target" / "release"


def log(message):
    print(message, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_status(url, headers=None, timeout=2.0):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Server:
    """A server process: started, timed to its first 200 on the descriptor, measured, stopped."""

    def __init__(self, name, command, env, cwd, port):
        self.name, self.port = name, port
        full_env = dict(os.environ)
        full_env.update(env)
        self.log_path = WORK / f"{name}.log"
        self.log_file = open(self.log_path, "w")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            command, env=full_env, cwd=cwd, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        descriptor = f"http://127.0.0.1:{port}/atlassian-connect.json"
        deadline = started + 60
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{name} exited early; see {self.log_path}")
            if get_status(descriptor, timeout=0.5) == 200:
                break
            time.sleep(0.001)
        else:
            raise SystemExit(f"{name} never served its descriptor; see {self.log_path}")
        self.cold_start_ms = (time.perf_counter() - started) * 1000

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def peak_rss_mb(self):
        """Peak resident set (VmHWM) of the process and its children, in MB."""
        total = 0
        pids = [self.process.pid]
        try:
            children = subprocess.run(
                ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
            ).stdout.split()
            pids += [int(pid) for pid in children]
        except FileNotFoundError:
            pass
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                total += int(match.group(1))
        return total / 1024

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log_file.close()


def sim(directory, *args):
    """Runs connect-sim in `directory`; returns its stdout (raises on a usage error)."""
    result = subprocess.run(
        [str(TARGET / "connect-sim"), "--dir", str(directory), *args],
        capture_output=True,
        text=True,
    )
    if result.returncode == 2:
        raise SystemExit(f"connect-sim {' '.join(args)}: {result.stderr}")
    return result.stdout


def install(server, cdn_port, directory):
    directory.mkdir(parents=True, exist_ok=True)
    state = directory / "connect-sim.json"
    if state.exists():
        state.unlink()
    out = sim(directory, "install", server.url(""), "--cdn-port", str(cdn_port))
    if "installed: 204" not in out and "installed: 200" not in out:
        raise SystemExit(f"installing into {server.name} failed:\n{out}\nsee {server.log_path}")
    token = sim(directory, "token", "GET", "/bench/jwt", "--expires-in", "7200").strip()
    return token


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, connections, duration, token=None, scheme="JWT", script=None):
    threads = 1 if connections == 1 else 2
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: {scheme} {token}"]
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latencies = {p: to_ms(v, u) for p, v, u in WRK_LATENCY.findall(out)}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    if non_2xx or errors:
        raise SystemExit(f"not every answer was a 200 ({url}, c={connections}):\n{out}")
    return {"rps": rps, "p50_ms": latencies.get("50"), "p99_ms": latencies.get("99")}


def ensure_ok(url, token=None):
    headers = {"Authorization": f"JWT {token}"} if token else {}
    status = get_status(url, headers)
    if status != 200:
        raise SystemExit(f"{url} answered {status}, not 200: refusing to benchmark errors")


def prepare_ace():
    ace = WORK / "ace"
    ace.mkdir(parents=True, exist_ok=True)
    for name in ["package.json", "app.js", "config.json", "atlassian-connect.json"]:
        shutil.copy(BENCH / "ace" / name, ace / name)
    stamp = ace / "node_modules" / ".installed-package.json"
    package = (ace / "package.json").read_text()
    if not stamp.exists() or stamp.read_text() != package:
        log("installing atlassian-connect-express (npm) into bench/.work/ace ...")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=ace, check=True)
        stamp.write_text(package)
    version = json.loads(
        (ace / "node_modules" / "atlassian-connect-express" / "package.json").read_text()
    )["version"]
    return ace, version


def start_ours(name, cdn_port, database, extra_env=None):
    port = free_port()
    env = {
        "PORT": str(port),
        "CONNECT_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite://{database}",
        "CONNECT_KEYS_CDN_URL": f"http://127.0.0.1:{cdn_port}",
        "CONNECT_ALLOWED_TENANT_HOSTS": ".atlassian.net",
        "RUST_LOG": "warn",
    }
    env.update(extra_env or {})
    return Server(name, [str(TARGET / "examples" / "bench")], env, WORK, port)


def start_ace(ace_dir, cdn_port):
    port = free_port()
    env = {
        "PORT": str(port),
        "AC_LOCAL_BASE_URL": f"http://127.0.0.1:{port}",
        "CONNECT_KEYS_CDN_URL": f"http://127.0.0.1:{cdn_port}",
        "NODE_ENV": "development",
    }
    return Server("ace", ["node", "app.js"], env, ace_dir, port)


def fresh_db(name):
    path = WORK / f"{name}.db"
    for suffix in ["", "-wal", "-shm"]:
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            candidate.unlink()
    return path


FORGE_APP_ID = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11"
# What wrk sends to the trigger: a POST of Forge's installed event.
FORGE_EVENT_SCRIPT = """wrk.method = "POST"
wrk.body = '{"eventType":"avi:forge:installed:app","context":{"cloudId":"bench"}}'
wrk.headers["Content-Type"] = "application/json"
"""


class ForgePlatform:
    """`connect-sim forge serve`: the JWKS and API the app verifies Forge Invocation Tokens with."""

    def __init__(self):
        self.dir = WORK / "sim-forge"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.log_file = open(WORK / "forge-platform.log", "w")
        self.process = subprocess.Popen(
            [str(TARGET / "connect-sim"), "--dir", str(self.dir), "forge", "serve",
             "--port", str(self.port), "--app-id", FORGE_APP_ID],
            stdout=self.log_file, stderr=subprocess.STDOUT,
        )
        self.jwks = f"http://127.0.0.1:{self.port}/.well-known/jwks.json"
        deadline = time.perf_counter() + 30
        while get_status(self.jwks, timeout=0.5) != 200:
            if time.perf_counter() > deadline or self.process.poll() is not None:
                raise SystemExit("connect-sim forge serve never served its JWKS")
            time.sleep(0.01)

    def token(self, module):
        """A FIT for `module` living 290 s (the app accepts at most 300): one wrk run."""
        return sim(self.dir, "forge", "token", "--module", module, "--expires-in", "290").strip()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log_file.close()


def start_hello_forge(platform):
    """examples/hello with its Forge routes on, verifying tokens against `platform`."""
    port = free_port()
    env = {
        "PORT": str(port),
        "CONNECT_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": "memory://",
        "FORGE_APP_ID": FORGE_APP_ID,
        "FORGE_JWKS_URL": platform.jwks,
        "FORGE_ALLOWED_API_HOSTS": "127.0.0.1",
        "RUST_LOG": "warn",
    }
    return Server("hello-forge", [str(TARGET / "examples" / "hello")], env, WORK, port)


def cold_start(make, samples):
    """Median process start → first 200 on the descriptor, over `samples` starts."""
    times = []
    for _ in range(samples):
        server = make()
        times.append(server.cold_start_ms)
        server.stop()
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--levels", default="1,8,32,128")
    parser.add_argument("--tenants", type=int, default=10_000)
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    WORK.mkdir(parents=True, exist_ok=True)

    ace_dir, ace_version = prepare_ace()
    cdn_port = free_port()

    ours = start_ours("ours", cdn_port, fresh_db("ours"))
    ace = start_ace(ace_dir, cdn_port)
    servers = [ours, ace]
    try:
        ours_token = install(ours, cdn_port, WORK / "sim-ours")
        ace_token = install(ace, cdn_port, WORK / "sim-ace")
        targets = {
            "ace_jwt": (ace.url("/bench/jwt"), ace_token),
            "ours_jwt": (ours.url("/bench/jwt"), ours_token),
            "ours_public": (ours.url("/bench/public"), None),
            # The public route sent the same `Authorization` header (which it ignores): the
            # cost of carrying the token's bytes through wrk, the kernel and hyper, without
            # verifying it, separates the two parts of the jwt/public gap.
            "ours_public_token": (ours.url("/bench/public"), ours_token),
        }
        for url, token in targets.values():
            ensure_ok(url, token)

        samples = {(name, c): [] for name in targets for c in levels}
        for round_number in range(1, args.rounds + 1):
            for connections in levels:
                for name, (url, token) in targets.items():
                    result = wrk(url, connections, args.duration, token)
                    samples[(name, connections)].append(result)
                    log(
                        f"round {round_number} c={connections:<3} {name:<12} "
                        f"{result['rps']:>10.0f} req/s  p50 {result['p50_ms']:.2f} ms  "
                        f"p99 {result['p99_ms']:.2f} ms"
                    )
        peak_rss = {"ours": ours.peak_rss_mb(), "ace": ace.peak_rss_mb()}

        # Forge: a valid FIT on hello's /forge/lifecycle trigger, delivered again and again
        # with the same token (the same jti): each request is verified (RS256 with the cached
        # JWKS key, claims, module), then acknowledged as a delivery already handled. Next to
        # `/bench/public`, at 32 connections, interleaved, a fresh token per wrk run.
        platform = ForgePlatform()
        hello = start_hello_forge(platform)
        servers.append(hello)
        script = WORK / "forge-event.lua"
        script.write_text(FORGE_EVENT_SCRIPT)
        forge_samples = {"ours_forge": [], "ours_public": []}
        try:
            for round_number in range(1, args.rounds + 1):
                token = platform.token("hello-lifecycle")
                forge_samples["ours_forge"].append(
                    wrk(hello.url("/forge/lifecycle"), 32, args.duration, token, "Bearer", script)
                )
                forge_samples["ours_public"].append(
                    wrk(ours.url("/bench/public"), 32, args.duration)
                )
                log(
                    f"round {round_number} c=32  forge trigger "
                    f"{forge_samples['ours_forge'][-1]['rps']:>10.0f} req/s  public "
                    f"{forge_samples['ours_public'][-1]['rps']:>10.0f} req/s"
                )
        finally:
            platform.stop()
    finally:
        for server in servers:
            server.stop()

    # Tenant-count scaling: 1 tenant vs `tenants` stored tenants (+ the installed one),
    # SQLite, rounds interleaved, at 32 connections.
    log(f"seeding {args.tenants} tenants ...")
    one = start_ours("ours-1-tenant", cdn_port, fresh_db("ours-1"))
    many = start_ours(
        "ours-many-tenants",
        cdn_port,
        fresh_db("ours-many"),
        {"BENCH_SEED_TENANTS": str(args.tenants)},
    )
    scaling = {"1": [], str(args.tenants): []}
    try:
        one_token = install(one, cdn_port, WORK / "sim-one")
        many_token = install(many, cdn_port, WORK / "sim-many")
        pair = [("1", one, one_token), (str(args.tenants), many, many_token)]
        # Twice the rounds, the order alternating, so drift on a shared machine hits both.
        for round_number in range(2 * args.rounds):
            for key, server, token in pair if round_number % 2 == 0 else pair[::-1]:
                scaling[key].append(wrk(server.url("/bench/jwt"), 32, args.duration, token))
                log(f"tenants={key:<6} {scaling[key][-1]['rps']:>10.0f} req/s")
    finally:
        one.stop()
        many.stop()

    cold = {
        "ours": cold_start(lambda: start_ours("ours-cold", cdn_port, fresh_db("ours-cold")), 5),
        "ace": cold_start(lambda: start_ace(ace_dir, cdn_port), 3),
    }

    def median(name, connections, field):
        return statistics.median(s[field] for s in samples[(name, connections)])

    table = []
    for connections in levels:
        row = {"connections": connections}
        for name in targets:
            for field in ["rps", "p50_ms", "p99_ms"]:
                row[f"{name}_{field}"] = median(name, connections, field)
        row["ours_vs_ace"] = row["ours_jwt_rps"] / row["ace_jwt_rps"]
        row["jwt_vs_public"] = row["ours_jwt_rps"] / row["ours_public_rps"]
        row["jwt_vs_public_token"] = row["ours_jwt_rps"] / row["ours_public_token_rps"]
        row["rounds_jwt_vs_public"] = [
            jwt["rps"] / public["rps"]
            for jwt, public in zip(
                samples[("ours_jwt", connections)], samples[("ours_public", connections)]
            )
        ]
        table.append(row)
    scaling_rps = {k: statistics.median(s["rps"] for s in v) for k, v in scaling.items()}
    results = {
        "machine": machine(),
        "ace_version": ace_version,
        "rounds": args.rounds,
        "duration_s": args.duration,
        "table": table,
        "peak_rss_mb": peak_rss,
        "cold_start_ms": cold,
        "tenant_scaling_rps_at_32": scaling_rps,
        "tenant_scaling_ratio": scaling_rps[str(args.tenants)] / scaling_rps["1"],
        "forge_trigger_at_32": {
            "rounds": forge_samples,
            "median_rps": {
                name: statistics.median(s["rps"] for s in runs)
                for name, runs in forge_samples.items()
            },
        },
    }
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    with open(BENCH / "results.csv", "w") as csv:
        csv.write(
            "connections ace_jwt_rps ours_jwt_rps ours_public_rps "
            "ace_jwt_p99_ms ours_jwt_p99_ms ours_public_p99_ms\n"
        )
        for row in table:
            csv.write(
                f"{row['connections']} {row['ace_jwt_rps']:.0f} {row['ours_jwt_rps']:.0f} "
                f"{row['ours_public_rps']:.0f} {row['ace_jwt_p99_ms']:.3f} "
                f"{row['ours_jwt_p99_ms']:.3f} {row['ours_public_p99_ms']:.3f}\n"
            )
    charts()
    report(results)


def machine():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "kernel": os.uname().release}


def charts():
    script = BENCH / "charts.gnuplot"
    subprocess.run(["gnuplot", str(script)], cwd=BENCH, check=True)


def report(results):
    log("")
    log(f"machine: {results['machine']}; ACE {results['ace_version']}")
    log("| connections | ACE req/s | ours jwt req/s | ours public req/s | ours/ACE | jwt/public | p50 ACE / jwt / public (ms) | p99 ACE / jwt / public (ms) |")
    log("|---:|---:|---:|---:|---:|---:|---|---|")
    for row in results["table"]:
        log(
            f"| {row['connections']} | {row['ace_jwt_rps']:,.0f} | {row['ours_jwt_rps']:,.0f} | "
            f"{row['ours_public_rps']:,.0f} | {row['ours_vs_ace']:.1f}× | {row['jwt_vs_public']:.2f} | "
            f"{row['ace_jwt_p50_ms']:.2f} / {row['ours_jwt_p50_ms']:.2f} / {row['ours_public_p50_ms']:.2f} | "
            f"{row['ace_jwt_p99_ms']:.2f} / {row['ours_jwt_p99_ms']:.2f} / {row['ours_public_p99_ms']:.2f} |"
        )
    for row in results["table"]:
        rounds = ", ".join(f"{ratio:.2f}" for ratio in row["rounds_jwt_vs_public"])
        log(
            f"c={row['connections']}: jwt/public per round {rounds}; public with the token's "
            f"header {row['ours_public_token_rps']:,.0f} req/s "
            f"({row['ours_public_token_rps'] / row['ours_public_rps']:.2f}× public); "
            f"jwt / public-with-header {row['jwt_vs_public_token']:.2f}"
        )
    rss = results["peak_rss_mb"]
    log(f"peak RSS: ours {rss['ours']:.1f} MB, ACE {rss['ace']:.1f} MB ({rss['ours'] / rss['ace']:.3f}×)")
    cold = results["cold_start_ms"]
    log(f"cold start (to the first 200 on the descriptor): ours {cold['ours']:.1f} ms, ACE {cold['ace']:.1f} ms")
    log(
        f"tenants: {results['tenant_scaling_rps_at_32']} req/s at 32 connections "
        f"(ratio {results['tenant_scaling_ratio']:.3f})"
    )
    forge = results["forge_trigger_at_32"]["median_rps"]
    log(
        f"Forge trigger (valid FIT, repeated delivery) at 32 connections: {forge['ours_forge']:,.0f} req/s, "
        f"/bench/public {forge['ours_public']:,.0f} req/s ({forge['ours_forge'] / forge['ours_public']:.2f}×)"
    )
    log("wrote bench/results.json, bench/results.csv, bench/throughput.svg, bench/latency-p99.svg")


if __name__ == "__main__":
    sys.exit(main())
