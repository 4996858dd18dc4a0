"""The load generator of benchmarks/http_load.py: client threads in spawned child processes, standard library only
(a spawned child imports this module alone, so it starts in well under a second)."""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

PATHS = ("/metrics", "/api/v1/jobs")
CLIENT_PROCESSES = 4
REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass
class PathFigures:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    bytes_received: int = 0


def _client(port: int, path: str, deadline: float, out: PathFigures, lock: threading.Lock) -> None:
    headers = {"Accept-Encoding": "gzip"} if path == "/metrics" else {"Accept": "application/json"}
    while time.monotonic() < deadline:
        began = time.perf_counter()
        error = ""
        size = 0
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            size = len(response.read())
            conn.close()
            if response.status != 200 or size == 0:
                error = f"HTTP {response.status}"
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        elapsed = time.perf_counter() - began
        with lock:
            if error:
                out.errors[error] = out.errors.get(error, 0) + 1
            else:
                out.latencies.append(elapsed)
                out.bytes_received += size


def _client_process(conn: Connection, port: int, clients: int, seconds: float) -> None:
    """`clients` threads, alternating paths; sends {path: PathFigures as a tuple} back when done."""
    figures = {path: PathFigures() for path in PATHS}
    lock = threading.Lock()
    conn.recv()  # start together
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_client, args=(port, PATHS[i % 2], deadline, figures[PATHS[i % 2]], lock))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conn.send({path: (f.latencies, f.errors, f.bytes_received) for path, f in figures.items()})


def load(port: int, clients: int, seconds: float) -> dict[str, PathFigures]:
    """`clients` concurrent clients on 127.0.0.1:`port` for `seconds`, half on each path; figures per path."""
    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    for i in range(CLIENT_PROCESSES):
        share = clients // CLIENT_PROCESSES + (1 if i < clients % CLIENT_PROCESSES else 0)
        parent, child = context.Pipe()
        process = context.Process(target=_client_process, args=(child, port, share, seconds), daemon=True)
        process.start()
        pipes.append(parent)
        processes.append(process)
    for pipe in pipes:
        pipe.send("go")
    merged = {path: PathFigures() for path in PATHS}
    for pipe in pipes:
        for path, (latencies, errors, size) in pipe.recv().items():
            merged[path].latencies.extend(latencies)
            merged[path].bytes_received += size
            for kind, count in errors.items():
                merged[path].errors[kind] = merged[path].errors.get(kind, 0) + count
    for process in processes:
        process.join(timeout=10)
    return merged
