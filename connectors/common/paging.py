"""Pagination as one small reusable object instead of a ``while next:`` loop per endpoint.

:class:`Paginator` drives any token- or URL-based API: ``fetch(token)`` returns a page (``token``
is ``None`` for the first one) and ``next_token(page)`` extracts the next token or ``None`` at the
end. A token seen twice means the API would loop forever, so it raises
:class:`~connectors.common.errors.MalformedResponseError` instead; ``max_pages`` bounds a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from connectors.common.errors import MalformedResponseError

PageT = TypeVar("PageT")


class Paginator(Generic[PageT]):
    """Iterate the pages of one listing, refusing a repeated page token."""

    def __init__(
        self,
        fetch: Callable[[str | None], PageT],
        next_token: Callable[[PageT], str | None],
        service: str = "",
        what: str = "listing",
        max_pages: int | None = None,
    ) -> None:
        self.fetch = fetch
        self.next_token = next_token
        self.service = service
        self.what = what
        self.max_pages = max_pages
        self.pages = 0

    def __iter__(self) -> Iterator[PageT]:
        seen: set[str] = set()
        token: str | None = None
        while True:
            if self.max_pages is not None and self.pages >= self.max_pages:
                raise MalformedResponseError(
                    f"{self.service} {self.what}: more than {self.max_pages} pages; "
                    "stopping to stay within the request budget",
                    self.service,
                )
            page = self.fetch(token)
            self.pages += 1
            yield page
            token = self.next_token(page)
            if not token:
                return
            if token in seen:
                raise MalformedResponseError(
                    f"{self.service} {self.what}: the API returned page token {token!r} twice; "
                    "stopping instead of looping forever",
                    self.service,
                )
            seen.add(token)
