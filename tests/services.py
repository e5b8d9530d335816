"""Throwaway servers for tests and benchmarks: Debian's PostgreSQL and nginx, on loopback ports, in temporary folders.

Never system services: each starts from its own folder on a free port of 127.0.0.1, runs in the
foreground as a child of this process, and is stopped and its folder removed afterwards. PostgreSQL
refuses to run as root, so under root it runs as the `postgres` user the Debian package creates
(the process is started with that user's ids, like `runuser -u postgres` would). Missing binaries
are an error that says what to install (`.ci/run` installs both), never a skipped test.
"""

from __future__ import annotations

import contextlib
import glob
import http.cookiejar
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser import ROOT, RunningApp, free_port, serve
from tests.paths import MNIST_SAMPLE

START_TIMEOUT = 30.0  # seconds for a server to start answering
REPLICA_COOKIE = "digit_replica"  # the cookie deploy/nginx.conf keeps each browser on one replica by
TRAINER_COMMAND = ("python", "-m", "digit_app", "trainer")  # deploy/compose.yaml's trainer


def postgres_bin(program: str) -> str:
    """A program of the newest PostgreSQL installed from Debian's packages (initdb, postgres, ...)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise RuntimeError(f"PostgreSQL's {program} is not installed: apt-get install postgresql (.ci/run does).")
    return found[-1]


def nginx_bin() -> str:
    """Debian's nginx."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise RuntimeError("nginx is not installed: apt-get install nginx (.ci/run does).")
    return found


def _service_user() -> pwd.struct_passwd | None:
    """Whom PostgreSQL runs as: None (this user) unless this is root, then Debian's `postgres` user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("Running as root, PostgreSQL needs a user of its own; the Debian package `postgresql` "
                           "creates `postgres`.") from None


@dataclass
class Postgres:
    """A PostgreSQL server in a temporary folder on 127.0.0.1:port, superuser `digit` with no password (trust)."""

    folder: Path
    port: int
    fast: bool = True  # no fsync: a test's data need not survive a power cut; benchmarks pass False
    process: subprocess.Popen | None = field(default=None, repr=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://digit@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server (again) on the same folder and port; returns when it accepts connections."""
        user = _service_user()
        settings = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"]
        if self.fast:
            settings += ["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]
        self.process = subprocess.Popen(
            [postgres_bin("postgres"), "-D", str(self.folder / "data"), "-p", str(self.port), *settings],
            stdout=subprocess.DEVNULL, stderr=open(self.folder / "server.log", "ab"),  # noqa: SIM115 - the child's
            user=user.pw_uid if user else None, group=user.pw_gid if user else None, cwd=self.folder)
        self.wait_ready()

    def wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                psycopg.connect(self.url().replace("+psycopg", ""), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
                time.sleep(0.1)

    def stop(self, immediate: bool = False) -> None:
        """Stop the server: a fast shutdown (SIGINT), or `immediate` (SIGQUIT, as if it crashed)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT if immediate else signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def create_database(self, name: str) -> str:
        """A new empty database on this server; returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def postgres(fast: bool = True) -> Iterator[Postgres]:
    """A throwaway PostgreSQL server (initdb in a temporary folder), stopped and removed afterwards."""
    user = _service_user()
    folder = Path(tempfile.mkdtemp(prefix="digit-postgres-"))
    server = Postgres(folder, free_port(), fast)
    try:
        if user:
            os.chown(folder, user.pw_uid, user.pw_gid)
        subprocess.run([postgres_bin("initdb"), "-D", str(folder / "data"), "-U", "digit", "-A", "trust",
                        "-E", "UTF8", "--locale=C", "--no-sync"], check=True, capture_output=True, cwd=folder,
                       user=user.pw_uid if user else None, group=user.pw_gid if user else None)
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Nginx:
    """An nginx started by `nginx()`: its address and folder (its logs are there)."""

    url: str
    folder: Path
    pid: int

    def log(self, name: str = "access.log") -> str:
        path = self.folder / "logs" / name
        return path.read_text(errors="replace") if path.exists() else ""

    def cookie_for(self, port: int, tries: int = 64) -> str:
        """A replica cookie (its value) that this nginx sends to the replica on `port`: new browsers are asked for
        until one lands there (the access log names the upstream each request went to)."""
        for _ in range(tries):
            jar = http.cookiejar.CookieJar()
            urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(
                f"{self.url}/_stcore/health", timeout=10).read()
            if self.log().rstrip("\n").rsplit("\n", 1)[-1].startswith(f"127.0.0.1:{port} "):
                return next(cookie.value for cookie in jar if cookie.name == REPLICA_COOKIE)
        raise RuntimeError(f"no browser of {tries} was sent to the replica on port {port}")


def nginx_main_config(folder: Path, http: str) -> str:
    """A whole nginx.conf that keeps everything in `folder` and holds the `http` block's directives."""
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""  # as root, the workers drop to nobody
    return f"""
{user}
worker_processes 1;
error_log {folder}/logs/error.log warn;
pid {folder}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {folder}/temp/body;
    proxy_temp_path {folder}/temp/proxy;
    fastcgi_temp_path {folder}/temp/fastcgi;
    uwsgi_temp_path {folder}/temp/uwsgi;
    scgi_temp_path {folder}/temp/scgi;
    log_format upstream '$upstream_addr $status "$request"';
    access_log {folder}/logs/access.log upstream;
{http}
}}
"""


def check_nginx_config(http: str) -> subprocess.CompletedProcess:
    """`nginx -t` on a config holding `http`; the completed process (its stderr says what nginx thought)."""
    with tempfile.TemporaryDirectory(prefix="digit-nginx-") as name:
        folder = _nginx_folder(Path(name))
        (folder / "nginx.conf").write_text(nginx_main_config(folder, http))
        return subprocess.run([nginx_bin(), "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                              capture_output=True, text=True)


@contextlib.contextmanager
def nginx(http: str, port: int) -> Iterator[Nginx]:
    """nginx in the foreground (daemon off) with `http` in a temporary folder, until the block ends; `http`
    listens on 127.0.0.1:`port`, and the block starts once nginx answers there."""
    with tempfile.TemporaryDirectory(prefix="digit-nginx-") as name:
        folder = _nginx_folder(Path(name))
        (folder / "nginx.conf").write_text(nginx_main_config(folder, http))
        process = subprocess.Popen([nginx_bin(), "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                    "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise RuntimeError(f"nginx did not start: {process.communicate()[1].decode(errors='replace')}")
                time.sleep(0.05)
            yield Nginx(f"http://127.0.0.1:{port}", folder, process.pid)
        finally:
            process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def deploy_config(port: int, replicas: dict[str, int]) -> str:
    """deploy/nginx.conf with its listen port and its replicas' addresses replaced by loopback ones."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    text, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", text)
    assert listens == 1
    for name, replica_port in replicas.items():
        text, found = re.subn(rf"server {name}:8501\b", f"server 127.0.0.1:{replica_port}", text)
        assert found == 1, name
    return text


@dataclass(frozen=True)
class Replicas:
    """deploy/compose.yaml on loopback: one PostgreSQL, the replicas app-a and app-b (each with its own models and
    data folders), deploy/nginx.conf in front."""

    postgres: Postgres
    database_url: str
    a: RunningApp
    b: RunningApp
    proxy: Nginx
    env: dict[str, str]  # what every process of the deployment (a trainer too) is given, beside its own folders

    def port(self, replica: RunningApp) -> int:
        return int(replica.url.rsplit(":", 1)[1])

    @contextlib.contextmanager
    def trainer(self, folder: Path) -> Iterator[subprocess.Popen]:
        """The deployment's trainer (TRAINER_COMMAND) with models and data folders of its own under `folder`; its
        output goes to `folder`/trainer.log. Stopped (SIGTERM, as `docker compose stop` does) afterwards."""
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **self.env, "DIGIT_APP_MODELS": str(folder / "models"),
               "DIGIT_APP_DATA_DIR": str(folder / "data")}
        with open(folder / "trainer.log", "ab") as log:
            process = subprocess.Popen([sys.executable, *TRAINER_COMMAND[1:]], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def add_version_reading(self, digit: int, folder: Path) -> str:
        """A model that reads every drawing as `digit` (one dense layer, its bias only), kept as a version in the
        shared database with its LiteRT part as training keeps one, not active yet; returns its id. `folder`: this
        process' models folder (an empty one)."""
        import keras
        import numpy as np

        from digit_app.database import Database, registry
        from digit_app.model import lite_parts
        from digit_app.sizes import INPUT_SHAPE
        from digit_app.store.metadata import TrainingSummary

        inputs = keras.Input(INPUT_SHAPE)
        model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inputs)))
        kernel, bias = model.layers[-1].get_weights()
        model.layers[-1].set_weights([np.zeros_like(kernel), np.eye(10, dtype=bias.dtype)[digit] * 10])
        opened = Database(self.database_url)
        try:
            return registry.save_version(model, TrainingSummary(), lite_parts(model), database=opened, folder=folder).id
        finally:
            opened.dispose()


@contextlib.contextmanager
def replicas_behind_nginx(folder: Path, env: dict[str, str] | None = None, fast: bool = True) -> Iterator[Replicas]:
    """Start the deployment in `folder` (PostgreSQL, the schema migrated once, two `streamlit run`, nginx); stop it
    all afterwards."""
    from digit_app.database import Database

    with contextlib.ExitStack() as stack:
        server = stack.enter_context(postgres(fast))
        url = server.create_database("digits")
        Database(url).dispose()  # migrated here once, before the replicas race to do it
        shared = {"DIGIT_APP_DATABASE_URL": url, **(env or {})}
        apps = []
        for name in ("a", "b"):
            models, data = folder / f"models-{name}", folder / f"data-{name}"
            models.mkdir()
            data.mkdir()
            apps.append(stack.enter_context(serve(models, MNIST_SAMPLE,
                                                  env={**shared, "DIGIT_APP_DATA_DIR": str(data)})))
        port = free_port()
        ports = {"app-a": int(apps[0].url.rsplit(":", 1)[1]), "app-b": int(apps[1].url.rsplit(":", 1)[1])}
        proxy = stack.enter_context(nginx(deploy_config(port, ports), port))
        yield Replicas(server, url, apps[0], apps[1], proxy, shared)


def _nginx_folder(folder: Path) -> Path:
    for sub in ("logs", "temp"):
        (folder / sub).mkdir()
    if os.geteuid() == 0:  # the workers run as nobody: they must reach the temporary folders
        folder.chmod(0o755)
        for sub in ("logs", "temp"):
            shutil.chown(folder / sub, "nobody")
    return folder


# Fixtures for the database tests (imported by tests/test_database*.py): every table test runs on both backends.

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """One throwaway PostgreSQL for the whole run; each test gets a database of its own on it."""
    with postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A new, empty database's URL: an SQLite file in the test's folder, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'digit_app.sqlite'}"
    return request.getfixturevalue("postgres_server").create_database(f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture()
def database(database_url):
    """The app's `Database` on `database_url`, migrated; its connections closed afterwards."""
    from digit_app.database import Database

    opened = Database(database_url)
    yield opened
    opened.dispose()
