"""The container recipe without a Docker engine: build the wheel, install it into a fresh venv exactly as the
Dockerfile does, and run the console script from there. Plus static checks of the Dockerfile itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.binaries import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_dockerfile_is_multistage_non_root_and_read_only_friendly() -> None:
    stages = re.findall(r"^FROM\s+\S+(?:\s+AS\s+(\w+))?", DOCKERFILE, flags=re.MULTILINE)
    assert len(stages) >= 2
    user = re.findall(r"^USER\s+(\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert user, "no USER"
    uid = user[-1].split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0
    assert 'ENTRYPOINT ["trainspend"]' in DOCKERFILE
    assert 'CMD ["run"]' in DOCKERFILE
    assert "org.opencontainers.image.source" in DOCKERFILE
    # State only under the mounted data dir: the default relative SQLite URL resolves in WORKDIR /data, and no
    # TRAINSPEND_* variable is baked in (it would override the mounted config file).
    assert re.search(r"^WORKDIR /data$", DOCKERFILE, flags=re.MULTILINE)
    assert not re.search(r"^ENV[^#]*TRAINSPEND_", DOCKERFILE, flags=re.MULTILINE)
    assert "python-dateutil<3" in DOCKERFILE


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = list(dist.glob("trainspend-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "python-dateutil<3", f"{wheel}[postgres]"], check=True, timeout=600)
    trainspend = venv / "bin" / "trainspend"
    # Run from an empty directory with a read-only home, as in the container: nothing may need the source tree.
    workdir = tmp_path / "data"
    workdir.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(workdir),
        "TRAINSPEND_STORE__URL": "sqlite:////data/x.db",
    }
    help_out = subprocess.run(
        [str(trainspend), "--help"], capture_output=True, text=True, cwd=workdir, env=env, timeout=60, check=True
    ).stdout
    for command in ("estimate", "plan", "prices", "run", "demo", "check-config", "db", "alarms"):
        assert command in help_out
    check = subprocess.run(
        [str(trainspend), "check-config"], capture_output=True, text=True, cwd=workdir, env=env, timeout=60, check=False
    )
    assert check.returncode == 0, check.stderr
    assert "sqlite:////data/x.db" in check.stdout
    bad = subprocess.run(
        [str(trainspend), "check-config"],
        capture_output=True,
        text=True,
        cwd=workdir,
        env={**env, "TRAINSPEND_TICK_SECONDS": "-1"},
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "tick_seconds" in bad.stderr
    assert "TRAINSPEND_TICK_SECONDS" in bad.stderr
    # The migrations ship inside the wheel: upgrading a fresh database works from the installed package.
    db = subprocess.run(
        [str(trainspend), "db", "upgrade", "--url", f"sqlite:///{workdir / 'ts.db'}"],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=120,
        check=False,
    )
    assert db.returncode == 0, db.stderr
    assert os.path.exists(workdir / "ts.db")
    # The web page's assets ship inside the wheel too (served at / with no build step).
    page = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "from monitor.http.web import asset; print(*(len(asset(n)[1]) > 100 "
         "for n in ('index.html', 'app.js', 'style.css')))"],
        capture_output=True, text=True, cwd=workdir, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert page.stdout.split() == ["True", "True", "True"], page.stderr
