"""Rules that keep secrets out of anything the recorder exports.

A run record may be committed into a notebook and pushed to a public repository, so every
string that reaches it from the user's world (environment variables, parameters, variable
previews, git remotes, cell sources) passes through these rules first.  They are pure
functions of their arguments (in ``core``, so that every layer can use them, the source
hash in :mod:`.ids` included), cheap, and deliberately biased: hiding a harmless value
costs a line of context, leaking a token costs a credential rotation.

Two complementary tests:

* :func:`looks_secret_name` judges a *name* (variable, parameter, mapping key, query
  parameter): ``API_KEY``, ``db_password``, ``authToken``...  Names are split into word
  segments first so that ``KEY`` matches ``aws_access_key_id`` but not ``MONKEY`` or
  ``keyboard_layout``.
* :func:`looks_secret_value` judges a *value* whatever its name: well-known token formats,
  private keys, URLs carrying credentials, and long random-looking strings.
* :func:`looks_secret_binding` is the stricter test for names in code, where a literal
  bound to the name is redacted from the stored cell source
  (:mod:`.source_redaction`): code is full of keys and tokens that are no credentials
  (``primary_key``, ``pad_token``, ``token_pattern``).

Hex-only strings are never flagged by value: digests, commit ids and UUIDs are hex, the
run record is full of them, and redacting them would destroy it.  Hex secrets are caught
by their names instead.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from itertools import pairwise
from typing import Any, cast

__all__ = [
    "REDACTED",
    "looks_password_name",
    "looks_secret_binding",
    "looks_secret_name",
    "looks_secret_query_name",
    "looks_secret_value",
    "redact",
    "redact_mapping",
    "strip_url_credentials",
]

REDACTED = "<redacted>"
"""What replaces a hidden value.  It says that something was there, never what."""

# Word segments that mark a name as secret-bearing.  Matched against whole segments, so
# "key" hits API_KEY and aws_access_key_id but not MONKEY, hotkey or keyboard_layout.
# Plural "tokens"/"keys" are left out on purpose: max_tokens, sort_keys are ordinary.
# "cert" is left out too: certificates are public (private keys are caught by "private",
# "key" and the PEM value rule), and ssl_cert_file-style paths are worth keeping.
# fmt: off
_SECRET_SEGMENTS = frozenset({
    "token", "key", "secret", "secrets", "password", "passwords", "passwd", "pwd", "pass",
    "passphrase", "credential", "credentials", "creds", "auth", "oauth", "authorization",
    "bearer", "cookie", "cookies", "session", "sessions", "private", "signature", "dsn",
    "jwt", "hmac", "webhook", "apikey", "privatekey", "accesskey", "secretkey", "sessionkey",
})
# fmt: on
# Substrings that mark a segment even when words are run together (PGPASSWORD,
# clientsecret, MYSQL_ROOT_PASSWD).  Only words too specific to occur by accident.
_SECRET_SUBSTRINGS = ("password", "passwd", "secret", "credential", "apikey")
# Adjacent segment pairs: "connection string" is harmless word by word.
_SECRET_PAIRS = frozenset(
    {("connection", "string"), ("conn", "str"), ("database", "url"), ("db", "url")}
)
# Query-parameter names that carry secrets in signed URLs (Azure SAS "sig", S3 presigned).
_SECRET_QUERY_NAMES = frozenset({"sig", "code", "x-amz-security-token", "x-goog-signature"})

_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@lru_cache(maxsize=4096)
def looks_secret_name(name: str) -> bool:
    """Whether a name (variable, key, environment variable) suggests a secret value.

    Case-insensitive; ``camelCase``, ``snake_case``, ``kebab-case`` and dotted names are
    split into segments.  Cached because the same names recur cell after cell.
    """
    segments = [s.lower() for s in _SEGMENT.findall(name)]
    for segment in segments:
        if segment in _SECRET_SEGMENTS or segment.endswith("token"):
            return True
        if any(sub in segment for sub in _SECRET_SUBSTRINGS):
            return True
    return any(pair in _SECRET_PAIRS for pair in pairwise(segments))


def _secret_segment(segment: str) -> bool:
    return (
        segment in _SECRET_SEGMENTS
        or segment.endswith("token")
        or any(sub in segment for sub in _SECRET_SUBSTRINGS)
    )


# What a name ends with when it says *about* a secret rather than holding one:
# token_pattern, password_file, secret_name, api_key_id, signature_version, auth_url...
# fmt: off
_NON_SECRET_HEADS = frozenset({
    "id", "ids", "name", "names", "type", "types", "kind", "pattern", "patterns", "regex",
    "url", "urls", "uri", "endpoint", "path", "paths", "file", "files", "filename", "dir",
    "directory", "folder", "env", "var", "field", "fields", "column", "columns", "col",
    "cols", "count", "counts", "len", "length", "size", "num", "number", "method",
    "version", "header", "prefix", "suffix", "format", "fmt", "template", "label",
    "placeholder", "prompt", "hint", "help", "message", "msg", "mode", "policy", "expiry",
    "expires", "expiration", "ttl", "timeout", "scope", "scopes", "provider", "index",
    "idx", "position", "region", "host", "port", "user", "username", "email", "enabled",
    "required", "strength", "rule", "rules", "location", "style", "rate", "limit", "state",
    "stdin", "attr", "attribute", "backend", "class", "cls", "fn", "func", "function",
    "callback", "handler", "manager", "client", "store", "storage", "resource", "scheme",
    "trigger", "warning", "warnings", "error", "errors", "script", "query", "sql", "text",
    "doc", "docs", "description", "desc", "note", "notes", "comment", "schema", "example",
    "sample", "demo", "preview", "separator", "delimiter", "marker", "markers", "tag",
    "tags", "headers", "messages",
})
# Words before "key"/"token" that make an ordinary key or token: primary_key, sort_key,
# pad_token, eos_token (tokenizers' special tokens), public_key, s3 object keys.
_HARMLESS_QUALIFIERS = frozenset({
    "pad", "bos", "eos", "unk", "mask", "cls", "sep", "sos", "special", "start", "end",
    "stop", "primary", "foreign", "sort", "partition", "join", "group", "groupby", "hash",
    "index", "cache", "dict", "lookup", "row", "column", "col", "composite", "unique",
    "merge", "shard", "range", "cluster", "clustering", "candidate", "compound",
    "surrogate", "natural", "next", "prev", "previous", "first", "last", "public", "pub",
    "object", "blob", "s", "bucket", "widget", "form", "event", "feature", "label",
    "target", "split", "map", "config", "translation", "i18n", "dedup", "idempotency",
})
# A first word that makes the name a flag or an action about a secret, not the secret:
# --no-password, --ask-pass, use_auth, verify_signature.
_FLAG_WORDS = frozenset({
    "no", "ask", "use", "skip", "with", "without", "prompt", "require", "requires",
    "enable", "enabled", "disable", "disabled", "is", "has", "show", "hide", "check",
    "verify", "validate", "reset", "forgot",
})
# fmt: on


# Secrets that may be any word a person picks, unlike keys and tokens, which are issued
# as random strings.
_PASSWORD_SEGMENTS = frozenset({
    "pass", "pwd", "passwd", "password", "passwords", "passphrase", "secret", "secrets",
    "apikey", "privatekey", "secretkey", "accesskey",
})  # fmt: skip
_PASSWORD_SUBSTRINGS = ("password", "passwd", "secret", "apikey")
# Credentials hold passwords too (auth=('user', 'pw')), unless a later word says they
# are a token (auth_token).
_CREDENTIAL_SEGMENTS = frozenset({"auth", "credential", "credentials", "creds"})


@lru_cache(maxsize=4096)
def looks_password_name(name: str) -> bool:
    """Whether ``name`` holds a password or a secret chosen by a person (``db_password``,
    ``client_secret``, ``auth=('user', 'pw')``), whose value may be an ordinary word,
    unlike an issued key or token (``api_key``, ``github_token``), whose value is a
    random string."""
    segments = [s.lower() for s in _SEGMENT.findall(name)]
    for segment in segments:
        if segment in _PASSWORD_SEGMENTS or any(p in segment for p in _PASSWORD_SUBSTRINGS):
            return True
    last = next((s for s in reversed(segments) if _secret_segment(s)), None)
    return last in _CREDENTIAL_SEGMENTS


@lru_cache(maxsize=4096)
def looks_secret_binding(name: str) -> bool:
    """Whether a string literal bound to ``name`` in code should be taken for a secret.

    Stricter than :func:`looks_secret_name`, because code is full of keys and tokens
    that are not credentials.  The name must look secret, and also:

    * not be a bare ``key`` (a dict, sort or widget key: ``key='date'``);
    * not end in a word that describes rather than holds (``token_pattern``,
      ``password_file``, ``secret_name``, ``api_key_id``, ``auth_url``);
    * not start with a flag word (``no_password``, ``ask_pass``, ``use_auth``);
    * have a secret word that is not ``key``/``token`` qualified by an ordinary word
      (``primary_key``, ``sort_key``, ``pad_token``, ``public_key`` are ordinary).
    """
    if not looks_secret_name(name):
        return False
    words = [s.lower() for s in _SEGMENT.findall(name) if not s.isdigit()]
    if not words or words == ["key"]:
        return False
    if words[-1] in _NON_SECRET_HEADS or (len(words) > 1 and words[0] in _FLAG_WORDS):
        return False
    for i, word in enumerate(words):
        if not _secret_segment(word):
            continue
        qualified = word in ("key", "token") and i > 0 and words[i - 1] in _HARMLESS_QUALIFIERS
        if not qualified:
            return True
    return any(pair in _SECRET_PAIRS for pair in pairwise(words))


# Well-known credential formats.  Each is anchored on a distinctive prefix so that it
# cannot match ordinary prose.  Every pattern that can fail after a scan has that scan
# bounded, so that a megabyte of adversarial text is still vetted in linear time.
KEY_SHAPES: tuple[str, ...] = (
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",  # GitHub
    r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b",
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}",  # Slack
    r"\b(?:sk|rk)-(?=[A-Za-z0-9_-]{0,64}[0-9])[A-Za-z0-9_-]{20,}",  # sk- API keys
    r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe
    r"\bAIza[0-9A-Za-z_-]{35}",  # Google API key
    r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face
    r"\bglpat-[A-Za-z0-9_-]{20,}",  # GitLab
    r"\bnpm_[A-Za-z0-9]{36}",
    r"\bpypi-[A-Za-z0-9_-]{50,}",
)
"""Regular expressions of credential formats, each anchored on a distinctive prefix; the
source redactor matches the same shapes inside cells."""

_TOKEN_PATTERNS = re.compile(
    "|".join(
        [
            r"eyJ[A-Za-z0-9_-]{5,512}\.eyJ[A-Za-z0-9_-]{5,}\.",  # JWT
            *KEY_SHAPES,
            r"hooks\.slack\.com/services/[A-Za-z0-9/]{20,}",
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        ]
    )
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s\"'<>]*")
_URL_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{0,31}://)(?P<userinfo>[^/?#\s]{0,1024})@"
)
_QUERY_PARAM = re.compile(r"(?P<sep>[?&;])(?P<name>[^=?&#;\s]+)=(?P<value>[^&#;\s]*)")
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_-]{32,}=*")
_HEX = re.compile(r"[0-9a-fA-F_-]+")
_MIN_ENTROPY = 4.0
"""Bits per character.  Random base64/alphanumerics of 32+ characters score above 4.05
(measured over thousands of samples); hex cannot exceed 4.0 by construction."""
_MAX_MEAN_FRAGMENT = 3.5
"""Mean length of the word fragments of a token.  Random strings switch case and digits
every couple of characters (mean < 3.3 in 99.9% of samples); paths and identifiers are
made of words (mean > 3.7 in every ordinary sample tried)."""


def _entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _random_looking(token: str) -> bool:
    """Whether a 32+ character token looks like generated key material, not words."""
    if _HEX.fullmatch(token):
        return False
    classes = (
        any(c.isupper() for c in token)
        + any(c.islower() for c in token)
        + any(c.isdigit() for c in token)
    )
    pathlike = token.startswith(("/", "~", "./"))
    # Paths hold short words and content hashes (Nix, conda: lower case and digits);
    # demand a stronger signal before hiding one.
    if classes < (3 if pathlike else 2) or _entropy(token) < _MIN_ENTROPY:
        return False
    fragments = _SEGMENT.findall(token)
    mean = sum(map(len, fragments)) / max(1, len(fragments))
    return mean < (2.5 if pathlike else _MAX_MEAN_FRAGMENT)


def _url_has_credentials(url: str) -> bool:
    for m in _URL_USERINFO.finditer(url):
        user, sep, password = m.group("userinfo").partition(":")
        if (sep and password) or len(user) >= 20:
            return True
    return any(
        looks_secret_query_name(m.group("name")) and m.group("value")
        for m in _QUERY_PARAM.finditer(url)
    )


def looks_secret_query_name(name: str) -> bool:
    """Whether a URL query parameter of this name carries a secret (``token``, ``sig``)."""
    return name.lower() in _SECRET_QUERY_NAMES or looks_secret_name(name)


def looks_secret_value(value: str) -> bool:
    """Whether a string looks like (or contains) a credential, whatever its name.

    Flags known token formats (JWT, GitHub, AWS access key ids, Slack, ``sk-`` API keys,
    Stripe, Google, Hugging Face, GitLab, npm, PyPI), PEM private keys, URLs with a
    password, a long user name or a secret query parameter, and long random-looking
    strings.  Short words, numbers, paths, identifiers and hex digests are not flagged.
    """
    if "://" in value and any(_url_has_credentials(m.group()) for m in _URL.finditer(value)):
        return True
    if len(value) < 16:
        return False
    if _TOKEN_PATTERNS.search(value):
        return True
    return any(_random_looking(m.group()) for m in _CANDIDATE.finditer(value))


def strip_url_credentials(url: str) -> str:
    """Remove user info and secret query parameters from every URL in ``url``.

    ``https://user:token@host/x`` becomes ``https://host/x``; ``?token=abc`` becomes
    ``?token=<redacted>``.  The whole user-info part goes, not only a password: tokens
    are often passed as the user name.  scp-style ``git@host:path`` has no scheme and no
    room for a password, so it is kept.
    """

    def clean(m: re.Match[str]) -> str:
        text = _URL_USERINFO.sub(r"\g<scheme>", m.group())

        def query(q: re.Match[str]) -> str:
            if looks_secret_query_name(q.group("name")) and q.group("value"):
                return f"{q.group('sep')}{q.group('name')}={REDACTED}"
            return q.group()

        return _QUERY_PARAM.sub(query, text)

    return _URL.sub(clean, url) if "://" in url else url


_MAX_DEPTH = 32


def redact(value: Any, *, by_name: bool = True) -> Any:
    """Return a copy of ``value`` with secrets hidden.

    Strings that look secret are replaced at any depth; with ``by_name`` (the default),
    so is every value stored under a secret-looking key, except ``None`` and booleans,
    which cannot hold a secret (``use_auth=True`` stays readable).  Pass
    ``by_name=False`` for mappings keyed by names that are not variables, such as
    package names (``google-auth`` is not a credential).

    Walks dicts, lists and tuples through the base-class methods, so an overridden
    ``items`` or ``__iter__`` never runs; other objects are returned unchanged without
    being inspected.  Containers nested deeper than 32 levels are replaced wholesale.
    """
    return _redact(value, by_name, 0)


def _redact(value: Any, by_name: bool, depth: int) -> Any:
    cls = type(value)
    if issubclass(cls, str):
        return REDACTED if looks_secret_value(str.__str__(value)) else value
    if depth >= _MAX_DEPTH and issubclass(cls, (dict, list, tuple)):
        return REDACTED
    if issubclass(cls, dict):
        return _redact_items(dict.items(value), by_name, depth)
    if issubclass(cls, list):
        return [_redact(v, by_name, depth + 1) for v in list.__iter__(value)]
    if issubclass(cls, tuple):
        return tuple(_redact(v, by_name, depth + 1) for v in tuple.__iter__(value))
    return value


def _redact_items(items: Any, by_name: bool, depth: int) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, val in items:
        named = type(key) is str
        if named and looks_secret_value(key):
            key = f"{REDACTED}#{len(out)}"
        if (
            by_name
            and named
            and looks_secret_name(key)
            and val is not None
            and val is not True
            and val is not False
        ):
            out[key] = REDACTED
        else:
            out[key] = _redact(val, by_name, depth + 1)
    return out


def redact_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of a mapping with values under secret-looking keys, and secret-looking
    strings at any depth, replaced by :data:`REDACTED`.  The input is not modified."""
    if issubclass(type(data), dict):
        return _redact_items(dict.items(cast("dict[str, Any]", data)), True, 0)
    return _redact_items(data.items(), True, 0)
