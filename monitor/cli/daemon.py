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

from monitor.cli.config import CONFIG_EXIT_CODE, format_validation_error, load_settings
from monitor.cli.logs import configure_logging
from monitor.cli.startup import explain_startup_error


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


def _exit_if_explained(
    exc: Exception, *, listen: str, listen_flag: str, store_url: str, kubeconfig: str | None = None
) -> None:
    """Print the one-line explanation and exit when the failure is one the user can fix; else return (re-raise)."""
    failure = explain_startup_error(
        exc, listen=listen, listen_flag=listen_flag, store_url=store_url, kubeconfig=kubeconfig
    )
    if failure is not None:
        typer.echo(failure.message, err=True)
        raise typer.Exit(failure.exit_code) from exc


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        listen: Annotated[str | None, typer.Option(help="HOST:PORT of the HTTP listener (overrides `listen`)")] = None,
    ) -> None:
        """Run the daemon: watch the cluster, accrue, project, publish. Stops gracefully on SIGTERM."""
        from monitor.core.clock import SystemClock
        from monitor.runtime.app import build_daemon

        settings = load_settings(listen=listen) if listen else load_settings()
        configure_logging(settings.log_level, settings.log_format)
        flag = "--listen" if listen else "listen (TRAINSPEND_LISTEN)"
        try:
            daemon = build_daemon(settings, SystemClock())
            daemon.start()
        except Exception as exc:
            _exit_if_explained(
                exc,
                listen=settings.listen,
                listen_flag=flag,
                store_url=settings.store.url,
                kubeconfig=settings.kube.kubeconfig,
            )
            raise
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

        configure_logging("WARNING")
        with tempfile.TemporaryDirectory(prefix="trainspend-demo-") as tmp:
            db_path = db or Path(tmp) / "demo.db"
            runner = DemoRunner(listen=listen, speed=speed, db_path=db_path)
            try:
                runner.start()
            except Exception as exc:
                runner.server.stop()  # the simulated API server starts first; nothing else is running yet
                if isinstance(exc, ValidationError):
                    typer.echo(
                        format_validation_error(exc).replace("listen (env TRAINSPEND_LISTEN)", "--listen"), err=True
                    )
                    raise typer.Exit(CONFIG_EXIT_CODE) from exc
                _exit_if_explained(exc, listen=listen, listen_flag="--listen", store_url=f"sqlite:///{db_path}")
                raise
            typer.echo(f"trainspend demo: open {runner.url}/ (the page: jobs, cost curves, budgets)")
            typer.echo(f"  simulated cluster at {runner.apiserver_url} (x{speed:g} clock)")
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
