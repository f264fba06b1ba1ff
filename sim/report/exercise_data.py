"""What every threat-intelligence export shares: the exercise-data statement, deterministic
ids, and fictional observables for a scenario's indicators, which are names
("wiper-binary-hash", "crew-c2-domain"). Intelligence formats want a value a sensor could
match; these values can never match anything real: hashes of a marked text, domains under
the reserved `.invalid` top-level domain (RFC 2606) and addresses in a documentation range
(RFC 5737)."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

NAMESPACE = uuid.UUID("6f0c2f3e-5b8a-5d8e-9d2c-1c7e9a7b3f10")
"""The UUIDv5 namespace of every id cyberttx writes."""

EXERCISE_STATEMENT = (
    "EXERCISE DATA. Simulated by cyberttx for a tabletop exercise: the organisations, "
    "intrusions and indicators are fictional and the indicator values can match nothing "
    "real. Do not act on them outside the exercise."
)


def exercise_uuid(*key: str) -> str:
    """The UUIDv5 of `key`: the same key gives the same id in every run and export."""
    return str(uuid.uuid5(NAMESPACE, "|".join(key)))


def run_key(scenario_digest: str, events: object) -> str:
    """What identifies a run: its resolved scenario and a digest of its event log (two
    played exercises of one scenario and seed differ in their decisions)."""
    return f"{scenario_digest}|{hashlib.sha256(repr(events).encode()).hexdigest()}"


EXERCISE_DOMAIN = "exercise.invalid"
"""Every fictional domain, URL and e-mail address sits under this reserved name."""

_KINDS = (
    ("url", {"url", "link", "phishing", "page", "site"}),
    ("email", {"email", "mail", "sender", "spearphish"}),
    ("ip", {"ip", "ipv4", "address", "addr", "server", "proxy"}),
    ("account", {"credential", "credentials", "account", "user", "login", "password"}),
    ("domain", {"domain", "c2", "dns", "host", "beacon"}),
    ("sha256", {"hash", "binary", "dropper", "loader", "file", "sample", "malware", "tool"}),
)
"""Observable kinds, with the words of an indicator's name that call for each, in priority
order: "vpn-credential-reuse" is an account, "crew-c2-domain" a domain."""


@dataclass(frozen=True)
class Observable:
    """What an indicator looks like on the wire: `kind` is sha256, domain, ip, url, email or
    account, and `value` is fictional."""

    kind: str
    value: str


def observable(indicator: str) -> Observable:
    """The fictional observable of `indicator`: the kind its name suggests (a domain when it
    suggests none), with a value derived from the name alone, so it is the same in every
    run and every export."""
    words = set(re.split(r"[^a-z0-9]+", indicator.lower()))
    kind = next((kind for kind, cues in _KINDS if words & cues), "domain")
    digest = hashlib.sha256(f"cyberttx exercise indicator: {indicator}".encode()).hexdigest()
    label = re.sub(r"[^a-z0-9-]+", "-", indicator.lower()).strip("-")[:63] or digest[:12]
    values = {
        "sha256": digest,
        "domain": f"{label}.{EXERCISE_DOMAIN}",
        "ip": f"203.0.113.{int(digest[:8], 16) % 254 + 1}",
        "url": f"https://{label}.{EXERCISE_DOMAIN}/",
        "email": f"{label}@{EXERCISE_DOMAIN}",
        "account": f"exercise-{label}",
    }
    return Observable(kind, values[kind])
