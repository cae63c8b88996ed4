"""What a browser tells about itself: device from the User-Agent, country from the address.

Both are offline: ua-parser ships its rules and iptocc its address table, so nothing is
downloaded at run time.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

import iptocc
from ua_parser import parse as parse_user_agent


@dataclass(frozen=True, slots=True)
class Device:
    browser: str | None
    os: str | None
    device: str  # "desktop" | "mobile" | "tablet" | "bot"


_MOBILE_OS = {"Android", "iOS", "Windows Phone", "KaiOS"}


@lru_cache(maxsize=4096)  # browsers repeat; parsing is the slow part of a visit
def describe_device(user_agent: str | None) -> Device:
    if not user_agent:
        return Device(None, None, "desktop")
    result = parse_user_agent(user_agent[:500])
    browser = os_name = None
    if result.user_agent is not None:
        ua = result.user_agent
        browser = f"{ua.family} {ua.major}" if ua.major else ua.family
    if result.os is not None:
        os_ = result.os
        os_name = f"{os_.family} {os_.major}" if os_.major else os_.family
    lowered = user_agent.lower()
    if "bot" in lowered or "spider" in lowered or "crawler" in lowered:
        kind = "bot"
    elif "ipad" in lowered or ("android" in lowered and "mobile" not in lowered):
        kind = "tablet"
    elif "mobile" in lowered or (result.os is not None and result.os.family in _MOBILE_OS):
        kind = "mobile"
    else:
        kind = "desktop"
    return Device(browser, os_name, kind)


def country_of(ip: str | None) -> str | None:
    """ISO 3166 country code of a public address; None for private, loopback or unknown."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if not address.is_global:
        return None
    return iptocc.country_code(str(address))


# Search engines and the query parameter that holds what was searched for.
_SEARCH_PARAMS = (
    ("yandex.", "text"), ("ya.ru", "text"), ("google.", "q"), ("bing.com", "q"), ("duckduckgo.com", "q"),
    ("mail.ru", "q"), ("yahoo.", "p"), ("rambler.ru", "query"), ("baidu.com", "wd"),
)


def search_query_of(referrer: str | None) -> str | None:
    """What the visitor searched for, when they came from a search engine that says."""
    if not referrer:
        return None
    parts = urlsplit(referrer)
    host = parts.netloc.lower()
    for engine, param in _SEARCH_PARAMS:
        if engine in host:
            values = parse_qs(parts.query).get(param)
            if values and values[0].strip():
                return " ".join(values[0].split())[:200]
    return None


def utm_of(url: str | None) -> dict[str, str] | None:
    """The utm_* tags of a landing page's address."""
    if not url:
        return None
    tags = {k: v[0][:200] for k, v in parse_qs(urlsplit(url).query).items() if k.startswith("utm_") and v}
    return dict(sorted(tags.items())[:10]) or None


class CityLookup:
    """Cities from a MaxMind-format database (GeoLite2-City or compatible), when configured.

    The country comes from iptocc, which is always there; a city database is large and
    licensed separately, so it is optional (`HELPLINE_GEOIP_CITY_DB`).
    """

    def __init__(self, path: str | None) -> None:
        self._reader = None
        if path:
            import maxminddb  # only needed when a database is configured

            self._reader = maxminddb.open_database(path)

    def city_of(self, ip: str | None) -> str | None:
        if self._reader is None or not ip:
            return None
        try:
            record = self._reader.get(ip)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        names = (record.get("city") or {}).get("names") or {}
        return names.get("ru") or names.get("en")


city_lookup = CityLookup(None)


def configure_city_lookup(path: str | None) -> None:
    global city_lookup
    city_lookup = CityLookup(path)
