"""Database URLs as they may be shown: with the password hidden, everywhere.

``shown_url`` masks a URL that SQLAlchemy parses and, as a fallback, anything that looks
like ``scheme://user:secret@host`` (a URL SQLAlchemy rejects may still hold a password);
``scrub`` removes a URL's password from any text (a driver's error message, a log line).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

DEFAULT_WAREHOUSE_URL = "duckdb:///data/warehouse.duckdb"  # relative to the working directory
MASK = "***"
# scheme://user:password@ ... (the password ends at the last @ before the host part)
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<pw>[^\s]*)@")
# the same without a scheme: user:password@host
_BARE_USERINFO = re.compile(r"(?P<head>(?<![:/\w.%\-])[\w.%\-]+:)(?P<pw>[^\s@/]+)@")
# key=value connection strings: password=secret
_KEYWORD = re.compile(r"(?i)(password\s*=\s*)('[^']*'|\S+)")


def shown_url(url: str | None) -> str:
    """``url`` with its password replaced by ***; never raises."""
    if not url:
        return ""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is masked by pattern
        return _mask_pattern(url)


def _mask_pattern(text: str) -> str:
    text = _USERINFO.sub(lambda m: f"{m['head']}{MASK}@", text)
    text = _BARE_USERINFO.sub(lambda m: f"{m['head']}{MASK}@", text)
    return _KEYWORD.sub(lambda m: f"{m[1]}{MASK}", text)


def password_of(url: str | None) -> str | None:
    """The password of ``url`` (parsed by SQLAlchemy, else by pattern), or None."""
    if not url:
        return None
    try:
        from sqlalchemy.engine import make_url

        pw = make_url(url).password
        if pw:
            return str(pw)
    except Exception:  # noqa: BLE001
        pass
    m = _USERINFO.search(url) or _BARE_USERINFO.search(url)
    return m["pw"] if m and m["pw"] else None


def scrub(text: str, url: str | None = None) -> str:
    """``text`` with the password of ``url`` (raw and URL-decoded forms) and any
    ``user:password@`` / ``password=`` it holds replaced by ***."""
    pw = password_of(url)
    if pw:
        for form in sorted({pw, unquote(pw), quote(pw, safe="")}, key=len, reverse=True):
            if len(form) >= 3:  # a one- or two-character password would mask everything
                text = text.replace(form, MASK)
    return _mask_pattern(text)
