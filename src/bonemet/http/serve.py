"""`bonemet serve`: run the service under uvicorn, refusing unsafe combinations before starting."""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any

from bonemet.access.config import Settings
from bonemet.errors import ServeError, SettingsError


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_for(host: str, dev: bool, db: Path | None) -> Settings:
    if dev and not _is_loopback(host):
        raise ServeError(f"--dev disables authentication, so it binds to 127.0.0.1 only "
                         f"(got --host {host})")
    overrides: dict[str, Any] = {}
    if dev:
        overrides["dev_mode"] = True
    if db is not None:
        overrides["db_path"] = db
    try:
        return Settings.from_env(None, **overrides)
    except SettingsError as exc:
        raise ServeError(str(exc)) from None


def load_demo_cases(settings: Settings) -> int:
    """Put in the store the demo cases it does not hold yet; returns how many were added.

    A demo case already stored is left as it is: the user may have edited it, and `make run`
    (which passes --load-demo on every start) must not put the original back over the edit.
    """
    from bonemet.api import load_case
    from bonemet.demo import demo_cases
    from bonemet.stores.store import Store, VersionConflict

    store = Store(settings.db_path)
    added = 0
    try:
        for path in demo_cases():
            case = load_case(path)
            try:
                store.put_case(case.case_id, case.model_dump(mode="json", exclude_defaults=True),
                               expected_version=0)
            except VersionConflict:
                continue
            added += 1
        return added
    finally:
        store.close()


def _listen(host: str, port: int) -> socket.socket:
    """Bind before saying "serving": a port in use or out of range is an error, not a hang."""
    if not 0 <= port <= 65535:
        raise ServeError(f"--port {port}: expected 0..65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ServeError(f"--host {host}: cannot resolve it ({exc})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def startup_help(db_path: Path, port: int) -> str:
    """What a first-time user needs at start: where the data is, how to stop, how to move the port."""
    other = 8001 if port != 8001 else 8002
    return (f"  data: SQLite store {Path(db_path).resolve()}\n"
            f"  stop: press Ctrl+C\n"
            f"  another port: make run PORT={other}  (or bonemet serve --port {other})")


def serve(host: str, port: int, dev: bool, db: Path | None, load_demo: bool) -> None:
    import uvicorn

    from bonemet.http.app import create_app
    from bonemet.stores.store import StoreError

    settings = settings_for(host, dev, db)
    try:
        app = create_app(settings)
        if load_demo:
            count = load_demo_cases(settings)
            print(f"loaded {count} demo cases into {settings.db_path} (demo cases already there "
                  f"are kept as they are)", file=sys.stderr)
    except (StoreError, SettingsError) as exc:
        raise ServeError(f"--db {settings.db_path}: {exc}" if isinstance(exc, StoreError)
                         else str(exc)) from None
    sock = _listen(host, port)
    port = sock.getsockname()[1]
    url = f"http://{host}:{port}"
    if settings.dev_mode:
        print("DEVELOPMENT MODE: no sign-in (CSRF and Host checks stay on); listening on "
              "loopback only.", file=sys.stderr)
    else:
        print(f"production mode: users sign in by {settings.auth_mode}; public URL "
              f"{settings.public_base_url}", file=sys.stderr)
        if not settings.role_map:  # roles come only from the map (issue 22): nobody has one
            print("warning: BONEMET_ROLE_MAP is empty: roles come only from it, so every signed-in "
                  "user will be refused (403)", file=sys.stderr)
    print(f"bonemet serving on {url}/  (OpenAPI {url}/openapi.json, CDS Hooks discovery "
          f"{url}/cds-services)", file=sys.stderr, flush=True)
    print(startup_help(settings.db_path, port), file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           server_header=False))
    server.run(sockets=[sock])
