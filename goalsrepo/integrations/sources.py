"""Sources: where ``sync`` reads a key result's value (SPEC §10).

A source is defined once in goalsrepo.yaml (:class:`~goalsrepo.files.config.Source`); a
key result names it and says what to read (:class:`~goalsrepo.files.config.Reading`; both
live with the configuration, so that ``validate`` checks them without loading an HTTP
client). :func:`fetch` makes the one request a (source, query) needs and :func:`value_of`
takes the number out of its answer, so a document read by many key results is fetched
once.

Everything here assumes the answer is hostile: a request has a timeout, a size limit and
follows redirects only to the same host; a value must be a finite number; and no secret
(a token, a header value, a URL's query string or userinfo) reaches an error message,
which :class:`Secrets` makes sure of by masking every one it was given.
"""

from __future__ import annotations

import base64
import csv
import email.utils
import io
import ipaddress
import json
import math
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPException, HTTPMessage
from pathlib import Path
from typing import IO, Any

from goalsrepo.errors import GoalsrepoError
from goalsrepo.files.config import POINTER, Reading, Source
from goalsrepo.files.config import SOURCE_TIMEOUT as TIMEOUT

KINDS = ("json", "csv", "jira", "github", "command")
# What each kind reads from a key result's `source` mapping, and what it needs.
MAX_BYTES = 1 << 20  # 1 MiB
MAX_RETRY_WAIT = 10.0  # a 429 asking for a longer wait fails instead of stalling the run
GITHUB_API = "https://api.github.com"
GITHUB_API_VERSION = "2022-11-28"
USER_AGENT = "goalsrepo-sync"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SourceError(GoalsrepoError):
    """A source could not give a value; the message is safe to show (no secrets)."""


def fetch_key(source: Source, reading: Reading, goal: str, kr: str) -> Hashable:
    """Requests with the same key are made once per run: a document once however many
    pointers or rows read it, a search once per query, a command once per key result."""
    if source.kind in ("json", "csv"):
        return (source.name,)
    if source.kind == "command":
        return (source.name, goal, kr)
    return (source.name, reading.query)


@dataclass
class Secrets:
    """The secret strings of one run, to mask in any text shown (the service's error
    messages can echo what they were sent)."""

    values: set[str] = field(default_factory=set)

    def add(self, value: str | None) -> None:
        if value and len(value) >= 3:
            self.values.add(value)

    def mask(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, "***")
        return text


def secrets_of(source: Source, environ: Mapping[str, str]) -> Secrets:
    """Every value of ``source`` that must never be shown: tokens, header values, the
    query string and userinfo of its URLs."""
    found = Secrets()
    for env in (source.token_env, source.user_env):
        if env:
            found.add(environ.get(env))
    if source.user_env and source.token_env:  # what Jira Cloud's basic auth sends
        found.add(_basic(environ.get(source.user_env, ""), environ.get(source.token_env, "")))
    for _, value in source.headers:
        found.add(value)
        found.add(_expand(value, environ, strict=False))
    for url in (source.url, source.api_url):
        if url:
            parts = urllib.parse.urlsplit(url)
            found.add(parts.query)
            found.add(parts.netloc.rpartition("@")[0] if "@" in parts.netloc else None)
    return found


def _expand(value: str, environ: Mapping[str, str], strict: bool = True) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            if strict:
                raise SourceError(f"the environment variable {name} is not set")
            return ""
        return environ[name]

    return _VARIABLE.sub(one, value)


def _env(name: str | None, what: str, environ: Mapping[str, str]) -> str:
    if not name:
        raise SourceError(f"no {what} configured")
    value = environ.get(name)
    if not value:
        raise SourceError(f"the environment variable {name} ({what}) is not set")
    return value


# --- requests ------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> urllib.parse.SplitResult:
    """``url`` when goalsrepo may request it: https, or http to a loopback address."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return parts
    if parts.scheme == "http" and is_loopback(host):
        return parts
    raise SourceError("the URL must be https (http only to a loopback address such as "
                      "127.0.0.1)")


class _SameHost(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme and host: a token sent to one host must
    not travel to another, and an https answer must not lead to http."""

    def __init__(self, origin: urllib.parse.SplitResult) -> None:
        self.origin = origin

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: HTTPMessage,
                         newurl: str) -> urllib.request.Request | None:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl))
        if (target.scheme, target.hostname, target.port) != (
                self.origin.scheme, self.origin.hostname, self.origin.port):
            fp.close()
            raise SourceError(f"HTTP {code}: redirected to another host; not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def request(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None,
            body: bytes | None = None, timeout: float = TIMEOUT,
            sleep: Any = time.sleep) -> Answer:
    """One HTTP request under the rules of SPEC §10. A 429 (or GitHub's 403 rate limit)
    asking to wait at most :data:`MAX_RETRY_WAIT` seconds is retried once."""
    parts = check_url(url)
    handlers: list[Any] = [_SameHost(parts)]
    if is_loopback(parts.hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))  # never send loopback to a proxy
    opener = urllib.request.build_opener(*handlers)
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    for attempt in (1, 2):
        req = urllib.request.Request(url, data=body, headers=sent, method=method)
        try:
            with opener.open(req, timeout=timeout) as response:
                return Answer(response.status, _read_limited(response))
        except urllib.error.HTTPError as error:
            with error:
                wait = _retry_after(error.code, error.headers)
                if wait is not None and attempt == 1 and wait <= MAX_RETRY_WAIT:
                    sleep(wait)
                    continue
                raise SourceError(_http_failure(error, wait)) from None
        except SourceError:
            raise
        except TimeoutError:
            raise SourceError(f"no answer within {timeout:g} s") from None
        except urllib.error.URLError as error:
            raise SourceError(f"could not connect ({_reason(error.reason)})") from None
        except (HTTPException, OSError) as error:
            raise SourceError(f"the connection failed ({type(error).__name__})") from None
        except ValueError:  # http.client refuses a header with a line break, non-Latin-1 ...
            raise SourceError("the request cannot be sent: a header or the URL holds "
                              "characters HTTP does not allow") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return type(reason).__name__ if not isinstance(reason, str) else "refused"


def _read_limited(stream: Any) -> bytes:
    data: bytes = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SourceError(f"the answer is larger than {MAX_BYTES // (1 << 20)} MiB")
    return data


def _retry_after(code: int, headers: Any) -> float | None:
    """Seconds a rate-limited answer asks to wait, or None when it does not say.

    429 is the standard answer; GitHub also answers 403 with ``Retry-After`` (secondary
    rate limit) or with ``x-ratelimit-remaining: 0`` and the reset time in
    ``x-ratelimit-reset`` (epoch seconds).
    """
    if code not in (403, 429):
        return None
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            return None
        return max(0.0, when - time.time())
    if headers.get("x-ratelimit-remaining") == "0" and str(
            headers.get("x-ratelimit-reset", "")).isdigit():
        return max(0.0, int(headers["x-ratelimit-reset"]) - time.time())
    return None


_STATUS = {
    400: "the request was refused (HTTP 400)",
    401: "the credentials were refused (HTTP 401): check the token",
    403: "access denied (HTTP 403): check the token's permissions",
    404: "not found (HTTP 404)",
    410: "gone (HTTP 410)",
    422: "the query was refused (HTTP 422)",
    429: "rate limited (HTTP 429)",
}


def _http_failure(error: urllib.error.HTTPError, wait: float | None) -> str:
    message = _STATUS.get(error.code, f"HTTP {error.code}")
    if error.code >= 500:
        message = f"the server failed (HTTP {error.code})"
    if wait is not None:
        message = f"rate limited (HTTP {error.code}); retry after {math.ceil(wait)} s"
    try:
        detail = _service_message(error.read(MAX_BYTES))
    except (OSError, HTTPException):
        detail = None
    return f"{message}: {detail}" if detail else message


def _service_message(body: bytes) -> str | None:
    """The first message of a Jira (``errorMessages``/``errors``) or GitHub (``message``)
    error body, on one line and clipped."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    found: Any = None
    if isinstance(data, dict):
        messages = data.get("errorMessages")
        if isinstance(messages, list) and messages:
            found = messages[0]
        elif isinstance(data.get("errors"), dict) and data["errors"]:
            found = next(iter(data["errors"].values()))
        elif isinstance(data.get("message"), str):
            found = data["message"]
    if not isinstance(found, str) or not found.strip():
        return None
    return one_line(found)


def one_line(text: str, width: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


# --- the kinds -----------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a fetch may use: the environment (for secrets) and the repository root (where
    commands run)."""

    environ: Mapping[str, str]
    root: Path


def fetch(source: Source, reading: Reading, goal: str, kr: str, context: Context) -> Any:
    """The answer behind one fetch key: a parsed JSON document, CSV rows, or a count."""
    environ = context.environ
    if source.kind == "json":
        answer = request(_url(source), headers=_headers(source, environ),
                         timeout=source.timeout)
        return _json(answer.body)
    if source.kind == "csv":
        answer = request(_url(source), headers=_headers(source, environ),
                         timeout=source.timeout)
        return _csv(answer.body)
    if source.kind == "jira":
        return _jira(source, reading.query or "", environ)
    if source.kind == "github":
        return _github(source, reading.query or "", environ)
    return _command(source, reading, goal, kr, context)


def value_of(source: Source, reading: Reading, fetched: Any) -> float:
    """The key result's number in a fetched answer."""
    if source.kind == "json":
        return number(resolve_pointer(fetched, reading.pointer or ""),
                      f"the value at {reading.pointer or '(the whole document)'}")
    if source.kind == "csv":
        return _cell(fetched, reading.row or "", reading.column or "")
    return number(fetched, "the answer")


def _url(source: Source) -> str:
    if not source.url:
        raise SourceError("no url configured")
    return source.url


def _headers(source: Source, environ: Mapping[str, str]) -> dict[str, str]:
    return {name: _expand(value, environ) for name, value in source.headers}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise SourceError("the answer is not valid JSON") from None
    except RecursionError:
        raise SourceError("the answer is nested too deeply to read") from None


def number(value: Any, what: str) -> float:
    """``value`` when it is a finite number (never a boolean), else a SourceError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SourceError(f"{what} is {_describe(value)}, not a number")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        finite = False
    if not finite:
        shown = value if isinstance(value, float) else "a number too large"
        raise SourceError(f"{what} is {shown}, not a finite number")
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 JSON Pointer (``""`` is the whole document)."""
    if not POINTER.fullmatch(pointer):
        raise SourceError(f"`{pointer}` is not a JSON Pointer (RFC 6901)")
    value = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and re.fullmatch(r"0|[1-9][0-9]*", token) and int(
                token) < len(value):
            value = value[int(token)]
        else:
            raise SourceError(f"nothing at {pointer} in the document")
    return value


def _csv(body: bytes) -> list[list[str]]:
    try:
        text = body.decode("utf-8-sig")  # Excel Online writes a byte order mark
    except UnicodeDecodeError:
        raise SourceError("the CSV is not UTF-8") from None
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(row)]
    except csv.Error:
        raise SourceError("the CSV cannot be read") from None
    if not rows:
        raise SourceError("the CSV is empty")
    return rows


_GROUPED = re.compile(r"[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")


def parse_number(text: str, what: str) -> float:
    """A number as a sheet or a script writes it: ``12``, ``-3.5``, ``1,234.5``, ``45%``
    (read as 45). Anything else is a SourceError quoting at most one clipped line."""
    cleaned = text.strip().removesuffix("%").strip()
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        shown = one_line(text, 40)
        raise SourceError(f"{what} is `{shown}`, not a number" if shown else
                          f"{what} is empty, not a number") from None
    if not math.isfinite(value):
        raise SourceError(f"{what} is `{one_line(text, 40)}`, not a finite number")
    return int(value) if value.is_integer() and re.fullmatch(r"[-+]?[0-9]+", cleaned) else value


def _cell(rows: list[list[str]], row: str, column: str) -> float:
    header = [cell.strip() for cell in rows[0]]
    if column not in header:
        raise SourceError(f"the CSV has no column `{one_line(column, 60)}`")
    index = header.index(column)
    for cells in rows[1:]:
        if cells and cells[0].strip() == row:
            if index >= len(cells):
                raise SourceError(f"row `{one_line(row, 60)}` has no cell under "
                                  f"`{one_line(column, 60)}`")
            return parse_number(cells[index], f"the cell at `{row}` / `{column}`")
    raise SourceError(f"the CSV has no row `{one_line(row, 60)}`")


def _jira(source: Source, query: str, environ: Mapping[str, str]) -> Any:
    """Jira Cloud: ``POST /rest/api/3/search/approximate-count`` ``{"jql": ...}`` answers
    ``{"count": N}`` (basic auth, e-mail and API token). Data Center: ``GET
    /rest/api/2/search?jql=...&maxResults=0`` answers ``{"total": N, ...}`` (a personal
    access token as bearer)."""
    site = _url(source).rstrip("/")
    token = _env(source.token_env, "token_env", environ)
    headers = {"Accept": "application/json"}
    if source.api == "datacenter":
        headers["Authorization"] = f"Bearer {token}"
        params = urllib.parse.urlencode({"jql": query, "maxResults": 0, "fields": "id"})
        answer = request(f"{site}/rest/api/2/search?{params}", headers=headers,
                         timeout=source.timeout)
        return _field(_json(answer.body), "total")
    user = _env(source.user_env, "user_env", environ)
    headers.update({"Authorization": f"Basic {_basic(user, token)}",
                    "Content-Type": "application/json"})
    answer = request(f"{site}/rest/api/3/search/approximate-count", method="POST",
                     headers=headers, body=json.dumps({"jql": query}).encode(),
                     timeout=source.timeout)
    return _field(_json(answer.body), "count")


def _basic(user: str, token: str) -> str:
    return base64.b64encode(f"{user}:{token}".encode()).decode()


def _github(source: Source, query: str, environ: Mapping[str, str]) -> Any:
    """``GET /search/issues?q=...`` answers ``{"total_count", "incomplete_results",
    "items"}``; one item per page is all a count needs."""
    base = (source.api_url or GITHUB_API).rstrip("/")
    headers = {"Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": GITHUB_API_VERSION}
    if source.token_env:
        headers["Authorization"] = f"Bearer {_env(source.token_env, 'token_env', environ)}"
    params = urllib.parse.urlencode({"q": query, "per_page": 1})
    answer = request(f"{base}/search/issues?{params}", headers=headers, timeout=source.timeout)
    data = _json(answer.body)
    if isinstance(data, dict) and data.get("incomplete_results") is True:
        # The search timed out on GitHub's side: total_count may be short.
        raise SourceError("GitHub's search timed out (incomplete_results); not trusted")
    return _field(data, "total_count")


def _field(data: Any, name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise SourceError(f"the answer has no `{name}`")
    return data[name]


def _command(source: Source, reading: Reading, goal: str, kr: str, context: Context) -> float:
    """Run the command without a shell, in the repository root, and read the one number
    it prints. Its process group is killed when it runs past the timeout."""
    env = {**context.environ, "GOALSREPO_GOAL": goal, "GOALSREPO_KR": kr,
           "GOALSREPO_QUERY": reading.query or ""}
    program = source.run[0]
    try:
        proc = subprocess.Popen(list(source.run), cwd=context.root, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as error:
        raise SourceError(f"cannot run `{one_line(program, 60)}`: "
                          f"{(error.strerror or type(error).__name__).lower()}") from None
    try:
        out, err = proc.communicate(timeout=source.timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise SourceError(f"the command did not finish within {source.timeout:g} s") from None
    if proc.returncode != 0:
        last = next((line for line in reversed(err.decode("utf-8", "replace").splitlines())
                     if line.strip()), "")
        why = f": {one_line(last)}" if last else ""
        raise SourceError(f"the command exited with status {proc.returncode}{why}")
    text = out.decode("utf-8", "replace").strip()
    if not text:
        raise SourceError("the command printed nothing")
    if "\n" in text:
        raise SourceError("the command printed more than one line; print only the number")
    return parse_number(text, "the command's output")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.communicate()
