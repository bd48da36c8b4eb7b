"""Who may launch: anyone may look; launching, cancelling and retrying need the app to be served on the
loopback interface only, or the admin token; read-only mode hides those controls altogether."""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TOKEN_ENV = "ATLAS_ADMIN_TOKEN"
READ_ONLY_ENV = "ATLAS_READ_ONLY"
READ_ONLY_FLAG = "--read-only"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Access:
    """Whether launch controls are drawn, whether they work, and why not."""

    visible: bool
    allowed: bool
    reason: str
    needs_token: bool = False


def read_only(environ: Mapping[str, str] = os.environ, argv: Sequence[str] = ()) -> bool:
    """Read-only mode: ``ATLAS_READ_ONLY=1`` or ``streamlit run app.py -- --read-only``."""
    return environ.get(READ_ONLY_ENV, "").strip().lower() in _TRUE or READ_ONLY_FLAG in argv


def launch_access(server_address: str | None, given_token: str | None, environ: Mapping[str, str] = os.environ,
                  argv: Sequence[str] = ()) -> Access:
    """The launch permission of one viewer.

    ``server_address`` is the address the app listens on (Streamlit's ``server.address``): on the loopback
    interface only people on this machine can reach it. Elsewhere the viewer must give the token set in
    ``ATLAS_ADMIN_TOKEN``; without one set, nobody can launch from another machine.
    """
    if read_only(environ, argv):
        return Access(False, False, "read-only mode")
    if (server_address or "").strip() in _LOOPBACK:
        return Access(True, True, "served on this machine only")
    expected = environ.get(TOKEN_ENV, "")
    if not expected:
        return Access(True, False, f"the app is served on {server_address or 'every interface'} and no admin token "
                                   f"is set ({TOKEN_ENV}): launching is only possible when served on localhost")
    if given_token and hmac.compare_digest(given_token.encode(), expected.encode()):
        return Access(True, True, "admin token accepted", needs_token=True)
    reason = "wrong admin token" if given_token else "enter the admin token to launch, cancel or retry"
    return Access(True, False, reason, needs_token=True)
