"""A PostgreSQL URL as libpq reads it: DB001's rules, the parts messages may show (never
the password), and the search_path it sets. No connection is made here."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from checks.support.secrets import Masker


# -- DATABASE_URL --------------------------------------------------------------------
class InvalidDatabaseUrl(ValueError):
    """DATABASE_URL cannot be used; the message never contains the password."""



SCHEMES = ("postgres", "postgresql")



# libpq sslmode values that make the client insist on TLS
# (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION).
TLS_REQUIRING_SSLMODES = ("require", "verify-ca", "verify-full")



@dataclass(frozen=True)
class DatabaseUrl:
    scheme: str
    user: str
    hosts: tuple[str, ...]
    ports: tuple[int, ...]
    database: str
    sslmode: str | None
    conninfo: str = field(repr=False)  # the URL less the parameters libpq does not know
    password: str = field(default="", repr=False)
    ignored_parameters: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return ",".join(self.hosts)

    @property
    def socket(self) -> bool:
        return all(host.startswith("/") for host in self.hosts)

    @property
    def target(self) -> str:
        """host:port/database, for messages."""
        ports = ",".join(map(str, self.ports)) or "5432"
        where = self.host if self.socket else f"{self.host}:{ports}"
        return f"{where}/{self.database}"

    @property
    def display(self) -> str:
        """The URL without its password, for messages."""
        user = f"{self.user}@" if self.user else ""
        query = f"?sslmode={self.sslmode}" if self.sslmode else ""
        return f"{self.scheme}://{user}{self.target}{query}"



@functools.cache
def libpq_keywords() -> frozenset[str]:
    """Every connection parameter this libpq knows (PQconndefaults)."""
    from psycopg import pq  # start-up: only runs that reach a database load psycopg

    return frozenset(option.keyword.decode() for option in pq.Conninfo.get_defaults())



def _without_unknown_parameters(url: str) -> tuple[str, tuple[str, ...]]:
    """Drop query parameters libpq would reject ("invalid URI query parameter") but
    the app's driver ignores or uses itself: Prisma's `pgbouncer`, `connection_limit`,
    `schema`, node-postgres's `uselibpqcompat`..."""
    head, question, rest = url.partition("?")
    if not question:
        return url, ()
    query, hash_, fragment = rest.partition("#")
    kept: list[str] = []
    ignored: list[str] = []
    for part in query.split("&"):
        if not part:
            continue
        key = unquote(part.partition("=")[0])
        if key in libpq_keywords():
            kept.append(part)
        else:
            ignored.append(key)
    rebuilt = head + (f"?{'&'.join(kept)}" if kept else "") + (hash_ + fragment if hash_ else "")
    return rebuilt, tuple(ignored)



def parse_database_url(url: str) -> DatabaseUrl:
    """What DB001 accepts, parsed by libpq itself (what DB002 connects with).
    Raises InvalidDatabaseUrl with a message that names the problem, never the password."""
    url = url.strip()
    if "://" not in url:
        if re.search(r"\b(host|dbname|user)\s*=", url):
            raise InvalidDatabaseUrl("is a libpq keyword string, not a URL: Node drivers need "
                                     "postgresql://user:password@host:5432/dbname")
        raise InvalidDatabaseUrl("is not a URL (expected postgresql://user:password@host:5432/dbname)")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        raise InvalidDatabaseUrl(f"has the scheme {scheme!r}, not postgres:// or postgresql://")
    parts = urlsplit(url)
    # An '@' after the authority, or two in it: the password holds an unencoded '@', '/',
    # '?' or '#', and drivers would split the URL in the middle of it.
    if parts.netloc.count("@") > 1 or "@" in parts.path + parts.query + parts.fragment:
        raise InvalidDatabaseUrl("has an unencoded '@', '/', '?' or '#' in its user or password "
                                 "part: percent-encode them (%40, %2F, %3F, %23)")
    conninfo, ignored = _without_unknown_parameters(url)
    from psycopg import Error  # start-up: only runs that reach a database load psycopg

    # start-up: only runs that reach a database load psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(conninfo)
    except Error as exc:
        # libpq quotes the offending token, which may be the password itself.
        password = parts.password or ""
        reason = Masker([password, unquote(password)])(str(exc).strip())
        raise InvalidDatabaseUrl(f"cannot be parsed by libpq: {reason}") from None
    host_list = str(params.get("host") or params.get("hostaddr") or "")
    hosts = tuple(host for host in host_list.split(",") if host)
    if not hosts:
        raise InvalidDatabaseUrl("names no host (expected …@host:5432/dbname, "
                                 "or ?host=/socket/dir)")
    ports: list[int] = []
    for port in str(params.get("port") or "").split(","):
        if not port:
            continue
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidDatabaseUrl(f"has the port {port!r}, not a number from 1 to 65535")
        ports.append(int(port))
    database = str(params.get("dbname") or "")
    if not database:
        raise InvalidDatabaseUrl("names no database (add /dbname after the host)")
    sslmode = params.get("sslmode")
    return DatabaseUrl(
        scheme=scheme, user=str(params.get("user") or ""), hosts=hosts, ports=tuple(ports),
        database=database, sslmode=str(sslmode) if sslmode else None, conninfo=conninfo,
        password=str(params.get("password") or ""), ignored_parameters=ignored,
    )


def search_path_of_url(url: str) -> list[str]:
    """The search_path the app's connections use, from its URL: libpq's
    `options=-csearch_path=a,b` (also `-c search_path=`), or Prisma's `?schema=`
    (https://www.prisma.io/docs/orm/overview/databases/postgresql#arguments). Empty: the
    server's default."""

    query = parse_qs(urlsplit(url.strip()).query)
    if query.get("schema"):
        return [query["schema"][0]]
    for options in query.get("options", ()):
        found = re.search(r"(?:-c\s*|--)search_path\s*=\s*((?:\\\s|[^\s])+)", options)
        if found:
            return search_path_list(found.group(1).replace("\\ ", " "))
    return []


def search_path_list(value: str) -> list[str]:
    """A search_path setting's value (`audit, "$user", public`) as its schema names, read as
    the server reads it (SplitIdentifierString): a quoted name as written, another in lower
    case (`Audit` is schema audit)."""
    names = []
    for part in (p.strip() for p in value.split(",")):
        if len(part) > 1 and part[0] == part[-1] == '"':
            names.append(part[1:-1].replace('""', '"'))
        elif part:
            names.append(part.lower())
    return names
