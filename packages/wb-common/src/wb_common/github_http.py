"""One call to GitHub's REST API with a token: HTTPS only, no redirect followed, one status.

urllib's default opener follows 301/302/303/307/308 and re-sends every header it was given —
`Authorization: Bearer <token>` included — to whatever host the `Location` names, and turns a
POST into a GET on the way. Here a redirect is an error (the token goes to the host it was
meant for, or nowhere), the URL must be `https://` (GitHub.com or a GitHub Enterprise host),
and any status but the one the endpoint answers on success is a failure.

Plain `http://` is accepted only for a loopback host (127.0.0.1, ::1, localhost): the request
never leaves this machine, and it is how the tests stand a local server in for GitHub.
`wb-demo automation test` (wb_common.payload) and the workflow wait (wb_common.promotion) use it.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_RESPONSE_BYTES = 5 * 1024 * 1024  # a workflow-runs page is a few KB


class GitHubCallError(RuntimeError):
    """The call failed; `str()` is one sentence (Korean, then English), `status` GitHub's code
    (None when no answer, or a redirect that was refused: then `redirect` is its target)."""

    def __init__(self, message: str, status: int | None = None, redirect: str | None = None):
        super().__init__(message)
        self.status, self.redirect = status, redirect


def check_api_url(url: str) -> str:
    """`url` if it is `https://HOST...` (or `http://` to a loopback host), else GitHubCallError."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed "[" in the host
        parts, host = None, None
    if parts is None or not host or parts.username or parts.password:
        ok = False
    elif parts.scheme == "https":
        ok = True
    else:
        ok = parts.scheme == "http" and host in LOOPBACK_HOSTS
    if not ok:
        raise GitHubCallError(
            f"GitHub API 주소는 https:// 로 시작해야 합니다({url!r}); 토큰을 보내지 않았습니다. "
            f"The GitHub API URL must be https:// (got {url!r}); the token was not sent."
        )
    return url


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Raise on any redirect instead of following it with the token (see the module doc)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        fp.close()
        raise GitHubCallError(
            f"GitHub API가 {code}로 다른 주소({newurl})로 보냈지만 따르지 않았습니다(토큰은 그곳에 "
            f"보내지 않음). {req.full_url} answered {code} redirecting to {newurl}; it was not "
            "followed, so the token went nowhere else.",
            redirect=newurl,
        )


_OPENER = urllib.request.build_opener(_RefuseRedirects)  # replaces the default redirect handler


def call(
    url: str,
    token: str,
    *,
    expected: int,
    method: str = "GET",
    body: bytes | None = None,
    timeout: float = 15,
) -> bytes:
    """The response body of `method url` when GitHub answers `expected`; else GitHubCallError.

    The token travels only in the Authorization header of this one request.
    """
    check_api_url(url)
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "wb-demo",
    }
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
            data = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as err:
        err.close()
        raise GitHubCallError(
            f"GitHub API가 {err.code}로 답했습니다({url}). GitHub answered {err.code} for {url}.",
            status=err.code,
        ) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise GitHubCallError(
            f"GitHub API에 연결하지 못했습니다({reason}). Could not reach {url} ({reason}).",
        ) from None
    if status != expected:
        raise GitHubCallError(
            f"GitHub API가 {expected}이 아닌 {status}로 답해 실패로 봅니다({url}). "
            f"{url} answered {status}, not {expected}; treated as a failure.",
            status=status,
        )
    if len(data) > MAX_RESPONSE_BYTES:
        raise GitHubCallError(
            f"GitHub API의 응답이 너무 큽니다({url}). The answer from {url} is over "
            f"{MAX_RESPONSE_BYTES // 1024 // 1024} MB.",
            status=status,
        )
    return data
