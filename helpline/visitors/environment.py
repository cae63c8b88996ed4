"""What a browser tells about itself: device from the User-Agent, country from the address.

Both are offline: ua-parser ships its rules and iptocc its address table, so nothing is
downloaded at run time.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

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
