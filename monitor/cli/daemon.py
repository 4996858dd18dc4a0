"""`trainspend run` (the daemon) and `trainspend demo` (the daemon on an embedded simulated cluster)."""

from __future__ import annotations

import logging
import signal
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from monitor.cli.config import format_validation_error


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _wait_for_stop(stop: threading.Event, duration: float | None) -> None:
    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    deadline = None if duration is None else time.monotonic() + duration
    while not stop.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            break
        stop.wait(0.5)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        listen: Annotated[str | None, typer.Option(help="HOST:PORT of the HTTP listener (overrides `listen`)")] = None,
    ) -> None:
        """Run the daemon: watch the cluster, accrue, project, publish. Stops gracefully on SIGTERM."""
        from monitor.app import build_daemon
        from monitor.clock import SystemClock
        from monitor.settings import Settings

        try:
            settings = Settings(listen=listen) if listen else Settings()
        except ValidationError as exc:
            typer.echo(format_validation_error(exc), err=True)
            raise typer.Exit(2) from exc
        _logging(settings.log_level)
        daemon = build_daemon(settings, SystemClock())
        daemon.start()
        logging.getLogger("trainspend").info("trainspend serving on %s", daemon.url)
        try:
            _wait_for_stop(threading.Event(), None)
        finally:
            daemon.stop()

    @app.command("demo")
    def demo(
        duration: Annotated[float | None, typer.Option(help="seconds to run; default until Ctrl-C")] = None,
        listen: Annotated[str, typer.Option(help="HOST:PORT of the HTTP listener")] = "127.0.0.1:8080",
        speed: Annotated[float, typer.Option(help="simulated seconds per real second")] = 60.0,
        db: Annotated[Path | None, typer.Option(help="SQLite file; default a temporary one")] = None,
        quiet: Annotated[bool, typer.Option(help="no periodic job table")] = False,
    ) -> None:
        """The daemon on an embedded simulated cluster: real HTTP Kubernetes API on 127.0.0.1, training jobs on an
        accelerated clock, SQLite, embedded prices. No cluster or cloud account needed."""
        from monitor.cli.demo_view import print_jobs
        from monitor.demo.runner import DemoRunner

        _logging("WARNING")
        with tempfile.TemporaryDirectory(prefix="trainspend-demo-") as tmp:
            runner = DemoRunner(listen=listen, speed=speed, db_path=db or Path(tmp) / "demo.db")
            runner.start()
            typer.echo(f"trainspend demo: simulated cluster at {runner.apiserver_url} (x{speed:g} clock)")
            typer.echo(f"  jobs:     {runner.url}/api/v1/jobs")
            typer.echo(f"  budgets:  {runner.url}/api/v1/budgets")
            typer.echo(f"  metrics:  {runner.url}/metrics")
            typer.echo(f"  estimate: {runner.url}/api/v1/estimate?model=llama-3-8b&tokens=2e9&gpu=A100-SXM-80GB&gpus=8")
            typer.echo("Ctrl-C to stop." if duration is None else f"Running for {duration:g} s.")
            stop = threading.Event()
            printer = None
            if not quiet:

                def show() -> None:
                    while not stop.wait(15.0):
                        print_jobs(runner.latest())

                printer = threading.Thread(target=show, name="demo-table", daemon=True)
                printer.start()
            try:
                _wait_for_stop(stop, duration)
            finally:
                stop.set()
                result = runner.latest()
                runner.stop()
            print_jobs(result)
            started = datetime.now(UTC)
            typer.echo(f"demo stopped at {started:%H:%M:%S} UTC")
