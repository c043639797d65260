"""Secrets out of cell sources, before the store keeps them.

A cell such as ``api_key = 'sk-...'`` would otherwise put its key into the run store,
``jupyter-ext show --source`` and everything made from them.  :func:`redact_source`
returns the source with secrets replaced by :data:`~.redaction.REDACTED`, keeping the
code readable and parseable: a string literal keeps its quotes (``api_key =
'<redacted>'``), and inside a string only the secret part goes
(``'postgresql://user:<redacted>@host/db'``).

What is redacted
----------------
* String literals bound to a secret-looking name: assigned (``password = '...'``,
  ``cfg.token: str = '...'``, ``os.environ['API_KEY'] = '...'``), passed as a keyword
  argument (``login(token='...')``), stored under a dict key (``{'Authorization':
  '...'}``), or set with ``os.environ.setdefault``/``os.putenv``.  A bound value that
  starts with a bracket has each literal of the tuple or list redacted
  (``auth=('user', 'pw')``); literals concatenated to it (``'ab' 'cd'``, ``'ab' + x``)
  too.  An f-string keeps its ``{fields}``; only its literal text goes.
* Anywhere in a string literal, a comment, a ``!`` shell line or a magic: credentials
  in URLs (``scheme://user:pass@host``, a long user name alone, secret query
  parameters), known key formats (AWS access key ids, ``sk-``, ``ghp_``, ``xox*``,
  Stripe, Google, Hugging Face, GitLab, npm and PyPI tokens, JWTs, PEM private keys),
  ``Bearer`` tokens and ``Authorization:``-style headers.
* In ``!`` lines, ``%%bash``/``%%sh``/``%%script`` cells and magics: ``NAME=value`` with
  a secret name, options such as ``--password=...``/``--token ...``, ``mysql -p...``,
  ``sshpass -p ...`` and ``curl -u user:...``; and ``%env NAME value``.
  Python after ``%time``/``%timeit``/``%%time``/``%%capture``... is redacted as Python.

How false positives are avoided
-------------------------------
* Only *string literals* are ever replaced by name: ``token_count = 5``,
  ``sort_keys=True`` and ``df['key'] = df.a`` bind no literal and are left alone.
* Names are judged by :func:`~.redaction.looks_secret_binding`, which splits them into
  word segments (``keyboard`` and ``monkey`` hold no ``key`` segment, ``max_tokens`` is
  plural) and refuses a bare ``key`` (dict, sort and widget keys), names that describe
  a secret rather than hold one (``token_pattern``, ``password_file``, ``api_key_id``,
  ``auth_url``), flags (``no_password``, ``use_auth``) and keys or tokens qualified by
  an ordinary word (``primary_key``, ``sort_key``, ``pad_token``, ``public_key``).  A
  refused name still loses a literal that looks like a credential on its own
  (:func:`~.redaction.looks_secret_value`: a known format, a URL password, a long
  random string).
* Keys and tokens are issued as random strings: under such a name a word, a dotted
  identifier or a sentence (``CACHE_KEY = 'results.features'``) and a file path
  (``GOOGLE_APPLICATION_CREDENTIALS = '/keys/sa.json'``) stay.  Under a password name
  (:func:`~.redaction.looks_password_name`) any literal goes: people pick words.
* Placeholders stay: ``{password}``, ``$TOKEN``, ``%s``, ``<...>``, ``YOUR_TOKEN``,
  ``***``, punctuation.  A PEM header line with no key material after it stays.
* Literals under other names are only searched for the distinctive formats above,
  never judged by randomness, so embedded data, digests and ids stay.

Guarantees
----------
Idempotent: ``redact_source(redact_source(s)) == redact_source(s)`` (the marker matches
no rule, and the function iterates to a fixed point).  Source that parsed still parses.
Cheap: one compiled regular expression (:data:`_PREFILTER`) lets through, untouched
and in about two microseconds, every cell without a trigger (a secret word such as
``key`` or ``pass``, ``://``, a token prefix, ``%env``...); the full pass runs on the
rest, and results are cached by source.  Pure: no IPython, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .redaction import (
    KEY_SHAPES,
    REDACTED,
    looks_password_name,
    looks_secret_binding,
    looks_secret_name,
    looks_secret_query_name,
    looks_secret_value,
)

__all__ = ["REDACTED", "may_hold_secret", "redact_source", "redacted_lines"]

_Edits = list[tuple[int, int]]
"""Spans of the source to replace by the marker."""

# -- the prefilter ---------------------------------------------------------------------

# Every rule below needs one of these strings in the lower-cased source; most cells
# hold none.  Superset on purpose: ``pass`` and ``keys()`` send a cell to the full pass,
# which then finds nothing; no string here means nothing to find.
_TRIGGERS = (
    # words that make a name secret-looking (redaction.looks_secret_name)
    "token", "key", "secret", "pass", "pwd", "cred", "auth", "bearer", "cookie", "session",
    "private", "signature", "dsn", "jwt", "hmac", "webhook", "conn", "dburl", "db_url",
    "db-url", "db.url", "databaseurl", "database_url", "database-url", "database.url",
    # URL user info and secret query parameters
    "://", "?sig=", "&sig=", ";sig=", "?code=", "&code=", ";code=", "x-amz-security-token",
    "x-goog-signature",
    # IPython and shell forms
    "%env", "%set_env", "mysql", "mariadb", "sshpass", "curl",
    # key formats
    "eyj", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "akia", "asia", "abia",
    "acca", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "apka", "xoxa-", "xoxb-",
    "xoxp-", "xoxo-", "xoxs-", "xoxr-", "hooks.slack", "sk-", "rk-", "sk_", "rk_", "aiza",
    "hf_", "glpat-", "npm_", "pypi-", "private key", "authorization", "api-key",
)  # fmt: skip
# Characters of lower-cased code from rarest to commonest (measured on Python code and
# notebooks).  Each trigger is found through its rarest character, so the regular
# expression engine skips most of a cell with a set lookup per character.
_RARITY = "&798?%@!6;54+3*#z/2q'j}{01v][kxwbyg-:=h.)(fm,_upcdl\"ioanrste "


def _anchored(triggers: tuple[str, ...]) -> str:
    """One alternation of ``triggers`` in which every branch starts with its rarest
    character (the rest is checked by a look-behind and the following text)."""
    by_anchor: dict[str, list[str]] = {}
    for trigger in triggers:
        i = min(range(len(trigger)), key=lambda j: _RARITY.find(trigger[j]) % len(_RARITY))
        before, after = trigger[:i], trigger[i + 1 :]
        branch = (f"(?<={re.escape(before)}.)" if before else "") + re.escape(after)
        by_anchor.setdefault(trigger[i], []).append(branch)
    return "|".join(
        re.escape(anchor) + "(?:" + "|".join(sorted(branches, key=len, reverse=True)) + ")"
        for anchor, branches in sorted(by_anchor.items())
    )


_PREFILTER = re.compile(_anchored(_TRIGGERS), re.DOTALL)
"""Searched in the lower-cased source: no match, nothing this module would redact."""


def may_hold_secret(source: str) -> bool:
    """Whether ``source`` needs the full redaction pass (the cheap first test)."""
    return _PREFILTER.search(source.lower()) is not None


# -- values: secrets recognisable wherever they are ------------------------------------

_TOKEN_SHAPES = "|".join(
    [
        r"eyJ[A-Za-z0-9_-]{5,512}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",  # JWT
        *KEY_SHAPES,
        # only the secret part of a Slack webhook, so the URL stays readable
        r"(?<=hooks\.slack\.com/services/)[A-Za-z0-9/]{20,}",
        # a PEM private key: the whole block; without an end line, all that follows if
        # key material does (a lone header line is only a marker, not a key)
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"|(?=.{0,400}?[A-Za-z0-9+/]{32}).*)",
    ]
)
_VALUE = re.compile(
    "|".join(
        [
            r"(?P<url>\b[A-Za-z][A-Za-z0-9+.-]{0,31}://(?P<user>[^\s:/?#@'\"\\]{0,256})"
            r"(?::(?P<pw>[^\s/?#'\"]{0,1024}))?@)",
            r"(?P<query>[?&;](?P<qname>[A-Za-z_][\w.-]{0,64})=(?P<qvalue>[^&#;\s'\"]*))",
            r"(?P<header>(?i:\b(?:proxy-)?authorization|\bx-api-key|\bapi-key|\bx-auth-token"
            r"|\bprivate-token|\bx-access-token)[ \t]*:[ \t]*(?:(?i:bearer|basic|token)[ \t]+)?"
            r"(?P<hvalue>[^\s'\"]+))",
            r"(?P<bearer>\bBearer[ \t]+(?P<bvalue>(?=[A-Za-z0-9._~+/-]*[0-9])"
            r"[A-Za-z0-9._~+/-]{8,}=*))",
            r"(?P<token>" + _TOKEN_SHAPES + ")",
        ]
    ),
    re.DOTALL,
)
_PLACEHOLDER = re.compile(
    r"<[^<>\s]*>|\{[^{}]*\}|\$\{?[A-Za-z_]\w*\}?|\$\([^()]*\)|%\(?\w*\)?[sdr]|[*xX.]+"
    r"|[A-Z][A-Z_]*|[^A-Za-z0-9]*"
)
"""A value that stands for a secret without being one: ``<redacted>``, ``{password}``,
``$TOKEN``, ``${TOKEN}``, ``$(cat key)``, ``%s``, ``***``, ``YOUR_TOKEN``, and anything
without a letter or a digit."""


def _keep(value: str) -> bool:
    return _PLACEHOLDER.fullmatch(value) is not None


def _value_edits(text: str, start: int, end: int, edits: _Edits, in_string: bool) -> None:
    """Secrets recognisable by their shape in ``text[start:end]``."""
    for m in _VALUE.finditer(text, start, end):
        kind = m.lastgroup
        if kind == "url":
            if m.group("pw") is not None:
                if not _keep(m.group("pw")):
                    _add(text, m.start("pw"), m.end("pw"), edits, in_string)
            elif len(m.group("user")) >= 20 and not _keep(m.group("user")):
                _add(text, m.start("user"), m.end("user"), edits, in_string)
        elif kind == "query":
            if looks_secret_query_name(m.group("qname")) and not _keep(m.group("qvalue")):
                _add(text, m.start("qvalue"), m.end("qvalue"), edits, in_string)
        elif kind == "header":
            value = m.group("hvalue")
            if not _keep(value) and not (value.isalpha() and value.islower()):
                _add(text, m.start("hvalue"), m.end("hvalue"), edits, in_string)
        elif kind == "bearer":
            _add(text, m.start("bvalue"), m.end("bvalue"), edits, in_string)
        else:
            _add(text, m.start(), m.end(), edits, in_string)


def _add(text: str, start: int, end: int, edits: _Edits, in_string: bool) -> None:
    if in_string:
        # An odd backslash ending the span escapes what follows (a quote, maybe): keep it.
        span = text[start:end]
        if (len(span) - len(span.rstrip("\\"))) % 2:
            end -= 1
    if end > start and text[start:end] != REDACTED:
        edits.append((start, end))


# -- Python: string literals and what they are bound to ---------------------------------

# One pass finds string literals, comments and IPython lines.  Every branch starts with
# a fixed character (a quote, ``#``, a newline), so the engine jumps between them; a
# literal's prefix (``rb``, ``f``) is read by looking back from its quote.
_ESCAPE_LINE = (
    r"[ \t]*(?:[^\W\d][\w.]*(?:[ \t]*,[ \t]*[^\W\d][\w.]*)*[ \t]*=[ \t]*)?[!%]"
    r"[^\n]*(?:(?<=\\)\n[^\n]*)*"
)
_PY = re.compile(
    "|".join(
        [
            r"'''[^'\\]*(?:(?:\\.?|'(?!''))[^'\\]*)*(?:'''|\Z)",
            r'"""[^"\\]*(?:(?:\\.?|"(?!""))[^"\\]*)*(?:"""|\Z)',
            r"'[^'\\\n]*(?:\\.?[^'\\\n]*)*(?:'|(?=\n)|\Z)",
            r'"[^"\\\n]*(?:\\.?[^"\\\n]*)*(?:"|(?=\n)|\Z)',
            r"#[^\n]*",
            r"\n" + _ESCAPE_LINE,  # an IPython line: `!cmd`, `%magic`, `x = !cmd`
        ]
    ),
    re.DOTALL,
)
_ESCAPE_AT_START = re.compile(_ESCAPE_LINE, re.DOTALL)
_PREFIX_CHARS = frozenset("rRbBuUfF")

# What stands between a secret name and its literal.  Matched against the code since
# the previous literal (comments blanked), anchored at its end.
_NAME_BIND = re.compile(
    r"(?P<targets>(?:(?<![\w.])[^\W\d][\w.]*\s*(?::=|\+=|=)\s*)+)(?P<open>[(\[]\s*)?\Z"
)
_TARGET = re.compile(r"([^\W\d][\w.]*)\s*(?::=|\+=|=)")
_ANNOTATED = re.compile(
    r"^[ \t]*(?P<target>[^\W\d][\w.]*)[ \t]*:[^=\n]*?(?<![=!<>])=[ \t]*(?P<open>[(\[]\s*)?\Z",
    re.MULTILINE,
)
_AFTER_KEY = re.compile(r"\s*(?:\]\s*(?:\+=|=)|:)\s*(?P<open>[(\[]\s*)?")
_CALL_WITH_KEY = re.compile(r"\b(?:setdefault|putenv|setenv)\s*\(\s*\Z")
_KEY_NAME = re.compile(r"[A-Za-z_][\w.-]*")
"""A literal that can name a secret as a dict key or subscript (``'X-Api-Key'``); one
with spaces is a label (``'Private Use Area'``)."""
_TAIL = 256
"""Characters of code before a literal that are searched for its binding."""


@dataclass(slots=True)
class _Literal:
    """What the next literal needs to know about the one before it."""

    strength: int
    """How secret the name it is bound to looks (see :func:`_strength`)."""
    open_bracket: bool
    """The bound value began with ``(`` or ``[``: its further items are bound too."""
    key: str | None
    """The literal's text when it may be a key (short, one line)."""
    call: bool
    """The literal is the first argument of ``setdefault``/``putenv``/``setenv``."""


_WORDLIKE = re.compile(r"[.:/_-]*[A-Za-z][A-Za-z_.:/-]*|\S+(?:\s+\S+){2,}")
"""A value that names or describes rather than holds: ``model_type``, ``mlflow.session``,
a sentence.  Issued keys and tokens have digits and no spaces."""


_LONG_HEX = re.compile(r"[0-9a-fA-F]{32,}")
"""An API key such as Weights & Biases' (40 hex digits), under a bare ``key=``."""
_PATHLIKE = re.compile(r"(?:~|\.{1,2})?/\S*|[A-Za-z]:\\\S*|[\w.-]+\.(?:json|p12|pfx|pem|key|ya?ml)")
"""Where credentials are kept (``GOOGLE_APPLICATION_CREDENTIALS = '/keys/sa.json'``),
not the credentials themselves."""


def _strength(name: str) -> int:
    """3: a password-like name, any literal is its secret (a file path aside, unless the
    name says password); 2: a key or token name, a literal is redacted unless it is a
    word, a sentence or a path; 1: a name that looks secret but is refused
    (``primary_key``), only a credential-looking literal goes; 0: any other name."""
    if looks_secret_binding(name):
        if looks_password_name(name):
            return 4 if "pass" in name.lower() or "pwd" in name.lower() else 3
        return 2
    return 1 if looks_secret_name(name) else 0


def _bound_secret(strength: int, value: str) -> bool:
    """Whether a literal bound to a name of ``strength`` is to be redacted whole."""
    if strength == 4:
        return True
    if strength == 1:  # hex is never a secret by value (digests), but under `key=`...
        return looks_secret_value(value) or _LONG_HEX.fullmatch(value) is not None
    if strength == 0 or _PATHLIKE.fullmatch(value.strip()):
        return False
    if strength == 3:
        return True
    return _WORDLIKE.fullmatch(value.strip()) is None or looks_secret_value(value)


def _binding(code: str, prev: _Literal | None, depth: int) -> tuple[int, bool]:
    """(strength, value opened a bracket) of the literal that follows ``code``."""
    tail = code.rstrip(" \t\r\n\\")
    if prev is not None and prev.strength:
        if not tail.strip("+ \t\r\n\\") and ("\n" not in code or depth > 0):
            return prev.strength, prev.open_bracket  # 'ab' 'cd', 'ab' + 'cd'
        if prev.open_bracket and tail.strip() == ",":
            return prev.strength, True  # ('user', 'pw')
    last = tail.rstrip("([ \t\r\n\\")[-1:]
    if prev is not None and prev.key is not None:
        if last in (":", "="):
            m = _AFTER_KEY.fullmatch(code)
            if m:  # d['password'] = '...' / {'password': '...'}
                return _strength(prev.key), m.group("open") is not None
        elif prev.call and tail.strip() == ",":
            return _strength(prev.key), False
    if last != "=":
        return 0, False
    tail = code[-_TAIL:]
    if _PREFILTER.search(tail.lower()) is None:
        return 0, False
    strength, opened = 0, False
    m = _NAME_BIND.search(tail)
    if m:
        names = _TARGET.findall(m.group("targets"))
        strength = max(_strength(n.rpartition(".")[2]) for n in names)
        opened = m.group("open") is not None
    if strength < 4:
        a = _ANNOTATED.search(tail)
        if a:
            annotated = _strength(a.group("target").rpartition(".")[2])
            if annotated > strength:
                strength, opened = annotated, a.group("open") is not None
    return strength, opened


def _literal_prefix(text: str, quote: int, start: int) -> str:
    """The prefix letters (``rb``, ``f``...) of the literal whose quote is at ``quote``."""
    i = quote
    while i > start and quote - i < 2 and text[i - 1] in _PREFIX_CHARS:
        i -= 1
    if i < quote and i > start and (text[i - 1].isalnum() or text[i - 1] == "_"):
        return ""  # the letters end a name: `elif'x'` is not a prefix
    return text[i:quote]


def _body(text: str, start: int, end: int) -> tuple[int, int]:
    """The body of the literal ``text[start:end]`` (which starts at its quote)."""
    q = 3 if text[start : start + 3] in ("'''", '"""') else 1
    quote = text[start : start + q]
    body_end = end
    if end - start >= 2 * q and text[end - q : end] == quote:
        before = text[start + q : end - q]
        if (len(before) - len(before.rstrip("\\"))) % 2 == 0:
            body_end = end - q
    return start + q, body_end


def _fstring_runs(text: str, start: int, end: int) -> _Edits | None:
    """The literal text of an f-string body (outside ``{fields}``); None if the braces
    do not balance (then the body is replaced whole)."""
    runs: _Edits = []
    depth = 0
    run_start = start
    i = start
    while i < end:
        c = text[i]
        if depth == 0 and c in "{}" and text[i + 1 : i + 2] == c:
            i += 2  # {{ and }} are literal braces
            continue
        if c == "{":
            if depth == 0 and i > run_start:
                runs.append((run_start, i))
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                run_start = i + 1
        i += 1
    if depth:
        return None
    if end > run_start:
        runs.append((run_start, end))
    return [(s, e) for s, e in runs if text[s:e].strip()]


def _literal_edits(
    text: str, start: int, end: int, prefix: str, strength: int, edits: _Edits
) -> None:
    """Redact the body of a literal bound to a secret name.  An f-string keeps its
    fields, and, unless the name is a password's, the words around them
    (``f"Bearer {token}"``)."""
    if _PLACEHOLDER.fullmatch(text[start:end]):
        return  # empty, punctuation, a placeholder: nothing secret
    if "f" in prefix.lower():
        runs = _fstring_runs(text, start, end)
        if runs is not None:
            for s, e in runs:
                run = text[s:e]
                if _PLACEHOLDER.fullmatch(run) or (
                    strength < 4 and _WORDLIKE.fullmatch(run.strip())
                ):
                    continue
                _add(text, s, e, edits, True)
            return
    _add(text, start, end, edits, False)


def _python_edits(text: str, start: int, end: int, edits: _Edits) -> None:
    """Redact the Python (with IPython's ``!``/``%`` lines) in ``text[start:end]``."""
    pos = start
    first = _ESCAPE_AT_START.match(text, start, end)
    if first is not None:
        _escape_line_edits(text, start, first.end(), edits)
        pos = first.end()
    depth = 0
    code = ""  # code since the previous literal, comments blanked
    prev: _Literal | None = None
    while True:
        m = _PY.search(text, pos, end)
        if m is None:
            break
        mstart = m.start()
        c = text[mstart]
        between = text[pos:mstart]
        depth = max(0, depth + _depth_change(between))
        if c == "\n":
            if depth or text[mstart - 1 : mstart] == "\\":
                # a bracketed expression or a continued line: not an IPython line
                code = (code + between + "\n")[-2 * _TAIL :]
                pos = mstart + 1
                continue
            _escape_line_edits(text, mstart + 1, m.end(), edits)
            code, prev = "", None
        elif c == "#":
            code = (code + between + " ")[-2 * _TAIL :]
            if _PREFILTER.search(m.group().lower()):
                _value_edits(text, mstart, m.end(), edits, False)
        else:
            code = (code + between)[-2 * _TAIL :]
            prefix = _literal_prefix(text, mstart, start)
            s, e = _body(text, mstart, m.end())
            body = text[s:e]
            strength, opened = _binding(code[: len(code) - len(prefix)], prev, depth)
            if strength and _bound_secret(strength, body):
                _literal_edits(text, s, e, prefix, strength, edits)
            elif _PREFILTER.search(body.lower()):
                found: _Edits = []
                _value_edits(text, s, e, found, True)
                if "f" in prefix.lower() and any(_unbalanced(text[a:b]) for a, b in found):
                    _literal_edits(text, s, e, prefix, 4, edits)
                else:
                    edits.extend(found)
            key = body if len(body) <= 100 and _KEY_NAME.fullmatch(body) else None
            call = (
                key is not None
                and code.rstrip().endswith("(")
                and (_CALL_WITH_KEY.search(code[-_TAIL:]) is not None)
            )
            prev = _Literal(strength, opened, key, call)
            code = ""
        pos = m.end()


def _depth_change(code: str) -> int:
    return (
        code.count("(")
        + code.count("[")
        + code.count("{")
        - code.count(")")
        - code.count("]")
        - code.count("}")
    )


def _unbalanced(text: str) -> bool:
    return text.count("{") != text.count("}")


# -- IPython: shell lines, line magics, cell magics ------------------------------------

_ESCAPE_HEAD = re.compile(
    r"[ \t]*(?:[^\W\d][\w.]*(?:[ \t]*,[ \t]*[^\W\d][\w.]*)*[ \t]*=[ \t]*)?"
    r"(?P<kind>!!?|%%?)(?P<magic>[\w.-]*)"
)
_PYTHON_MAGICS = frozenset({"time", "timeit", "prun", "debug", "capture", "python", "python3"})
_SHELL_MAGICS = frozenset({"sx", "system", "bash", "sh", "zsh", "script", "cmd", "powershell"})
_ENV_MAGIC = re.compile(
    r"[ \t]+(?P<name>[^\s=]+)(?:[ \t]*=[ \t]*|[ \t]+)(?P<value>[^\n]*?)[ \t]*(?:\n|\Z)"
)
_SH_VALUE = r"(?:'[^'\n]*'|\"[^\"\n]*\"|[^\s;&|<>'\"]+)"
_SH_ASSIGN = re.compile(r"(?<![\w.-])(?P<name>[A-Za-z_]\w*)=(?P<value>" + _SH_VALUE + ")")
_SH_OPTION = re.compile(
    r"(?<!\S)--(?P<name>[A-Za-z][\w-]+)(?:=|[ \t]+)(?P<value>(?![-<>|&;])" + _SH_VALUE + ")"
)
_SH_CURL_USER = re.compile(
    r"(?<!\S)(?:-u|--user)(?:=|[ \t]*)['\"]?[^\s:'\"]+:"  # curl -u user:password
    r"(?P<value>[^\s'\"]+)"
)
_SH_PASSWORD_P = re.compile(r"(?<!\S)-p(?P<value>" + _SH_VALUE + ")")
_SH_SSHPASS = re.compile(r"\bsshpass[ \t]+-p[ \t]*(?P<value>" + _SH_VALUE + ")")
_MYSQL = re.compile(r"\b(?:mysql\w*|mariadb\w*)\b")
_CURL = re.compile(r"\bcurl\b")


def _quoted_value(text: str, start: int, end: int) -> tuple[int, int]:
    """The span inside the quotes of a shell value, or the value itself."""
    if end - start >= 2 and text[start] in "'\"" and text[end - 1] == text[start]:
        return start + 1, end - 1
    return start, end


def _shell_edits(text: str, start: int, end: int, edits: _Edits) -> None:
    """Redact one shell command line (``!cmd``, a line of a ``%%bash`` cell, a magic)."""
    _value_edits(text, start, end, edits, False)
    line = text[start:end]

    def value(m: re.Match[str], name: str | None) -> None:
        s, e = _quoted_value(text, m.start("value"), m.end("value"))
        secret = text[s:e]
        if _keep(secret):
            return
        if name is None or _bound_secret(_strength(name), secret):
            _add(text, s, e, edits, False)

    for m in _SH_ASSIGN.finditer(text, start, end):
        value(m, m.group("name"))
    for m in _SH_OPTION.finditer(text, start, end):
        value(m, m.group("name"))
    if _CURL.search(line):
        for m in _SH_CURL_USER.finditer(text, start, end):
            value(m, None)
    if _MYSQL.search(line):
        for m in _SH_PASSWORD_P.finditer(text, start, end):
            value(m, None)
    for m in _SH_SSHPASS.finditer(text, start, end):
        value(m, None)


def _escape_line_edits(text: str, start: int, end: int, edits: _Edits) -> None:
    """A ``!cmd``/``%magic`` line (possibly ``x = !cmd``), continuation lines included."""
    head = _ESCAPE_HEAD.match(text, start, end)
    if head is None:  # cannot happen: the line was matched as an escape
        _shell_edits(text, start, end, edits)
        return
    magic = head.group("magic")
    if head.group("kind").startswith("%"):
        if magic in _PYTHON_MAGICS:
            _python_edits(text, head.end(), end, edits)
            return
        if magic in ("env", "set_env"):
            m = _ENV_MAGIC.match(text, head.end(), end)
            if m is not None and m.group("value") and not _keep(m.group("value")):
                s, e = _quoted_value(text, m.start("value"), m.end("value"))
                if _bound_secret(_strength(m.group("name")), text[s:e]):
                    _add(text, s, e, edits, False)
        if magic not in _SHELL_MAGICS:
            _python_edits(text, head.end(), end, edits)  # quoted arguments, Python-ish
    _shell_edits(text, start, end, edits)


_CELL_MAGIC = re.compile(r"(?:[ \t]*\n)*[ \t]*%%(?P<name>[\w.-]*)(?P<args>[^\n]*)(?:\n|\Z)")
_SHELLS = re.compile(r"\s*(?:\S*/)?(?:bash|sh|zsh|ksh|dash|fish)\b")


def _cell_edits(source: str) -> _Edits:
    edits: _Edits = []
    m = _CELL_MAGIC.match(source)
    if m is None:
        _python_edits(source, 0, len(source), edits)
        return edits
    name, args = m.group("name"), m.group("args")
    _shell_edits(source, m.start("name"), m.end("args"), edits)
    body = m.end()
    if name in _PYTHON_MAGICS or (
        name == "writefile" and args.strip().endswith((".py", ".pyw", ".ipy"))
    ):
        _python_edits(source, body, len(source), edits)
    elif name in _SHELL_MAGICS and (name != "script" or _SHELLS.match(args)):
        line_start = body
        for line in source[body:].splitlines(keepends=True):
            _shell_edits(source, line_start, line_start + len(line.rstrip("\r\n")), edits)
            line_start += len(line)
    else:  # HTML, SQL, JavaScript, a file's text...: only what is recognisable anywhere
        _value_edits(source, body, len(source), edits, False)
    return edits


def _apply(source: str, edits: _Edits) -> str:
    if not edits:
        return source
    edits.sort()
    parts: list[str] = []
    last = 0
    span_start, span_end = edits[0]
    for s, e in [*edits[1:], (len(source) + 1, len(source) + 1)]:
        if s <= span_end:
            span_end = max(span_end, e)
            continue
        parts += [source[last:span_start], REDACTED]
        last = span_end
        span_start, span_end = s, e
    parts.append(source[last:])
    return "".join(parts)


def _redact_once(source: str) -> str:
    return _apply(source, _cell_edits(source))


def _redact_fully(source: str, once: Callable[[str], str] = _redact_once) -> str:
    """The full pass, repeated until nothing changes (twice for most secret cells)."""
    current = source
    for _ in range(8):
        redacted = once(current)
        if redacted == current:
            return current
        current = redacted
    return current


def redact_source(source: str) -> str:
    """``source`` with every secret it visibly holds replaced by ``<redacted>``.

    See the module's documentation for the rules.  The prefilter runs first (it costs
    less than a cache lookup would); the full pass is cached by source: the recorder
    asks for a cell's stored source and its hash, the static checker for the hash.
    """
    if _PREFILTER.search(source.lower()) is None:
        return source
    return _redact_cached(source)


@lru_cache(maxsize=2048)
def _redact_cached(source: str) -> str:
    return _redact_fully(source)


def redacted_lines(source: str) -> tuple[int, ...]:
    """1-based numbers of the lines of ``source`` that hold the redaction marker."""
    if REDACTED not in source:
        return ()
    return tuple(i for i, line in enumerate(source.splitlines(), 1) if REDACTED in line)
