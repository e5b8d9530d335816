"""deploy/: nginx accepts deploy/nginx.conf, keeps each browser on one replica, and passes a real Streamlit replica's
health check and websocket through; compose.yaml runs the services nginx.conf names."""

from __future__ import annotations

import asyncio
import http.cookiejar
import http.server
import re
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.browser import ROOT, free_port, serve
from tests.services import check_nginx_config, deploy_config, nginx

pytestmark = pytest.mark.browser  # one test starts a real `streamlit run` replica; the others start nginx only

DEPLOY = ROOT / "deploy"


def test_nginx_accepts_the_deployment_config():
    result = check_nginx_config(deploy_config(free_port(), {"app-a": free_port(), "app-b": free_port()}))
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_compose_runs_the_replicas_nginx_sends_to():
    compose = (DEPLOY / "compose.yaml").read_text()
    upstreams = re.findall(r"server ([\w-]+):(\d+)", (DEPLOY / "nginx.conf").read_text())
    assert upstreams == [("app-a", "8501"), ("app-b", "8501")]
    for name, port in upstreams:
        service = re.search(rf"^  {name}:\n((?:    .*\n|\s*\n)+)", compose, re.MULTILINE)
        assert service and f'"--server.port", "{port}"' in service.group(1), name
    for name in ("postgres", "trainer", "nginx"):
        assert re.search(rf"^  {name}:$", compose, re.MULTILINE), name
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf" in compose


@contextmanager
def named_replica(name: str) -> Iterator[int]:
    """A tiny HTTP server on a free loopback port that answers every GET with its name."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_each_browser_stays_on_one_replica_and_browsers_spread_over_both():
    port = free_port()
    with named_replica("a") as a, named_replica("b") as b, nginx(deploy_config(port, {"app-a": a, "app-b": b}),
                                                                  port) as proxy:
        seen = []
        for _ in range(16):  # browsers with their own cookies, all from one address (a classroom behind NAT)
            browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            answers = [browser.open(f"{proxy.url}/page/{n}", timeout=10).read().decode() for n in range(4)]
            assert len(set(answers)) == 1, answers  # its first request (cookie being set) included
            seen.append(answers[0])
        assert set(seen) == {"a", "b"}


def test_nginx_passes_a_real_replica_s_health_check_and_websocket(tmp_path):
    from websockets.asyncio.client import connect

    port = free_port()
    with serve(tmp_path, tmp_path) as app:
        replica = int(app.url.rsplit(":", 1)[1])
        with nginx(deploy_config(port, {"app-a": replica, "app-b": replica}), port) as proxy:
            with urllib.request.urlopen(f"{proxy.url}/_stcore/health", timeout=10) as response:
                assert response.read() == b"ok"

            async def talk() -> float:
                socket_url = proxy.url.replace("http://", "ws://") + "/_stcore/stream"
                async with connect(socket_url, subprotocols=["streamlit"], origin=proxy.url) as socket:
                    assert socket.subprotocol == "streamlit"
                    return await (await socket.ping())  # the replica's pong came back through nginx

            assert asyncio.run(asyncio.wait_for(talk(), 30)) >= 0
            assert "101" in proxy.log()  # the upgrade was proxied, not answered by nginx itself
