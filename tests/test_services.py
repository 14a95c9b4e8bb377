"""The embedded services refuse to adopt a stranger listening on their port."""
from __future__ import annotations

import socket

import pytest

from citylake.services import ckan, mariadb, postgres, redis
from citylake.services.process import PortTaken
from citylake.settings import Settings


@pytest.mark.parametrize("service, port_attr", [(postgres, "pg_port"), (mariadb, "mariadb_port"), (redis, "redis_port"),
                                                (ckan, "ckan_port")])
def test_a_foreign_listener_is_a_clear_error(service, port_attr, tmp_path, monkeypatch):
    monkeypatch.setenv("CITYLAKE_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("CITYLAKE_PORT_BASE", "28900")  # a block no deployment of ours uses
    settings = Settings()
    if service is ckan:  # CKAN's own PostgreSQL and Redis are not what this case is about
        monkeypatch.setattr(postgres, "start", lambda s: None)
        monkeypatch.setattr(redis, "start", lambda s: None)
    port = getattr(settings, port_attr)
    with socket.socket() as stranger:
        stranger.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        stranger.bind(("127.0.0.1", port))
        stranger.listen()
        with pytest.raises(PortTaken, match=f"127.0.0.1:{port} is taken"):
            service.start(settings)
