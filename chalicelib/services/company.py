"""The company's switches and region, read through one shared cache."""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.domain.model import Company
from chalicelib.services.ports import DirectoryRepository

CACHE_SECONDS = 60.0
MAX_CACHED = 1000


class CompanySettings:
    """Company settings are read on every send and changed about never: each Lambda
    container keeps them for up to a minute (an admin's switch takes effect within a
    minute). Every service reads the company through this one reader."""

    def __init__(
        self,
        directory: DirectoryRepository,
        ttl: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Company | None]] = {}

    def get(self, company_id: str) -> Company | None:
        now = self._monotonic()
        cached = self._cache.get(company_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        company = self._directory.get_company(company_id)
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[company_id] = (now, company)
        return company

    def region(self, company_id: str) -> str:
        """Where numbers typed without a country code are read."""
        company = self.get(company_id)
        return company.default_region if company else "US"

    def forget(self, company_id: str) -> None:
        """Drop the cached copy (this container just changed it)."""
        self._cache.pop(company_id, None)
