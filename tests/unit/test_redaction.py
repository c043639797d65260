"""The secret rules, in both directions: what must be hidden and what must stay readable.

Every token below is made up for the test (shapes of real formats, no real credentials).
Values and names (environment, parameters, previews) first; then cell sources: a table
of what is redacted and what is kept, idempotence, parseability, the prefilter never
letting a secret through, and hash agreement between the recorder and the checker.
"""

from __future__ import annotations

import ast
import base64
import os
import random
import string
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_ext.core.ids import source_hash
from jupyter_ext.core.records import ExecutionRecord, RunInfo
from jupyter_ext.core.redaction import (
    REDACTED,
    looks_secret_binding,
    looks_secret_name,
    looks_secret_value,
    redact,
    redact_mapping,
    strip_url_credentials,
)
from jupyter_ext.core.source_redaction import (
    _redact_fully,
    may_hold_secret,
    redact_source,
    redacted_lines,
)
from jupyter_ext.store.scrub import scrub_store
from jupyter_ext.store.sqlite import RunStore

SECRET_NAMES = [
    "API_KEY",
    "api_key",
    "apiKey",
    "APIKEY",
    "x-api-key",
    "SECRET_KEY",
    "KEY",
    "key",
    "aws_access_key_id",
    "AWS_SECRET_ACCESS_KEY",
    "MY_API_TOKEN",
    "HFToken",
    "github_token",
    "csrftoken",
    "password",
    "DB_PASSWORD",
    "PGPASSWORD",
    "MYSQL_ROOT_PASSWD",
    "db_pass",
    "passphrase",
    "client_secret",
    "clientSecret",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "creds",
    "auth",
    "Authorization",
    "oauth_state",
    "Set-Cookie",
    "session_id",
    "SESSION",
    "private_key",
    "signature",
    "SENTRY_DSN",
    "DATABASE_URL",
    "connection_string",
    "connectionString",
    "SLACK_WEBHOOK_URL",
    "jwt",
]

ORDINARY_NAMES = [
    "n_estimators",
    "learning_rate",
    "keyboard_layout",
    "MONKEY",
    "hotkey",
    "sort_keys",
    "max_tokens",
    "tokenizer",
    "author",
    "authors",
    "x",
    "df",
    "model",
    "PATH",
    "HOME",
    "LANG",
    "data_dir",
    "passage",
    "certificate_path",
    "",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names_are_recognised(name: str) -> None:
    assert looks_secret_name(name)


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_ordinary_names_are_not(name: str) -> None:
    assert not looks_secret_name(name)


SECRET_VALUES = [
    # JWT
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "gho_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "AKIA" + "IOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # AWS secret access key shape
    "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOp",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "sk-" + "proj-a1B2c3D4e5F6g7H8i9J0k1L2m3N4",
    "sk_live_" + "a1B2c3D4e5F6g7H8i9J0",
    "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "glpat-" + "a1B2c3D4e5F6g7H8i9J0",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "postgres://u:canarypw@h/db",
    "https://user:token@example.com/x",
    "https://example.com/data?token=abc123",
    "https://acct.blob.core.windows.net/c/f.csv?sv=2022-11-02&sig=AbC%2Bdef",
    "see https://u:p@h/ for details",
    "https://" + "a1B2c3D4e5F6g7H8i9J0k1L2" + "@github.com/org/repo.git",  # token as user
    "prefix " + "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWY" + " suffix",
]

ORDINARY_VALUES = [
    "",
    "hello",
    "0.1",
    "C.UTF-8",
    "Europe/Berlin",
    "adam",
    "a short sentence with several words in it, nothing secret at all",
    "/home/user/miniconda3/envs/py311/lib/python3.11/site-packages",
    "/Users/JohnSmith/Documents/Projects/ML2024/data/train.parquet",
    "C:/Users/Administrator/AppData/Local/Programs/Python/Python311/python.exe",
    "/nix/store/9zq1k3nlxyzv0wc8j2n1bp8ikz6gj0hy-python3-3.11.7/bin/python3",
    "/mnt/data/ImageNet/ILSVRC2012_img_train/n01440764",
    "ThisIsAVeryLongCamelCaseIdentifierName",
    "very_long_variable_name_for_features_v2_final",
    "sklearn_model_selection_GridSearchCV_best_params",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",  # a git commit
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # a sha256
    "xxh3:9f86d081884c7d659a2feaa0c55ad015",
    "550e8400-e29b-41d4-a716-446655440000",
    "Linux-6.1.0-18-amd64-x86_64-with-glibc2.36",
    "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz",
    "https://github.com/org/repo.git",
    "git@github.com:org/repo.git",
    "ssh://git@github.com/org/repo.git",
    "https://example.com/search?q=token+bucket&page=2",
    "1.26.4",
    "0.1.dev123+g1a2b3c4d.d20240115",  # setuptools-scm local version
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "scikit-learn-intelex-and-friends-for-you",
]


@pytest.mark.parametrize("value", SECRET_VALUES)
def test_secret_values_are_recognised(value: str) -> None:
    assert looks_secret_value(value)


@pytest.mark.parametrize("value", ORDINARY_VALUES)
def test_ordinary_values_are_not(value: str) -> None:
    assert not looks_secret_value(value)


def test_random_key_material_is_recognised_almost_always() -> None:
    """The entropy rule is statistical; it must catch nearly every generated key."""
    rng = random.Random(1234)
    alphabet = string.ascii_letters + string.digits
    samples = []
    for n in (32, 40, 48, 64):
        for _ in range(250):
            samples.append("".join(rng.choice(alphabet) for _ in range(n)))
            samples.append(base64.b64encode(rng.randbytes(n)).decode()[:n])
    missed = [s for s in samples if not looks_secret_value(s)]
    assert len(missed) <= len(samples) // 200, missed[:5]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@host/x", "https://host/x"),
        ("https://user:p@ss@host/x", "https://host/x"),
        ("https://tokenonly@github.com/o/r.git", "https://github.com/o/r.git"),
        ("ssh://git@github.com/o/r.git", "ssh://github.com/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://h/x?a=1&token=zz#frag", f"https://h/x?a=1&token={REDACTED}#frag"),
        ("https://h/x?sig=abc&sv=1", f"https://h/x?sig={REDACTED}&sv=1"),
        ("clone https://u:pw@h/r and go", "clone https://h/r and go"),
        ("not a url", "not a url"),
    ],
)
def test_strip_url_credentials(url: str, expected: str) -> None:
    assert strip_url_credentials(url) == expected


def test_redact_mapping_hides_by_name_and_by_value_at_any_depth() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    data = {
        "api_key": "plain-looking",
        "password": 1234,
        "use_auth": True,
        "auth_token": None,
        "learning_rate": 0.1,
        "n_estimators": 100,
        "keyboard_layout": "de",
        "paths": ["/home/user/data.csv", token],
        "nested": {"db": {"url": "postgres://u:pw@h/db", "name": "prod"}},
        "pair": ("ok", token),
        token: "value under a secret-looking key",
    }
    out = redact_mapping(data)
    assert out["api_key"] == REDACTED
    assert out["password"] == REDACTED
    assert out["use_auth"] is True
    assert out["auth_token"] is None
    assert out["learning_rate"] == 0.1
    assert out["n_estimators"] == 100
    assert out["keyboard_layout"] == "de"
    assert out["paths"] == ["/home/user/data.csv", REDACTED]
    assert out["nested"] == {"db": {"url": REDACTED, "name": "prod"}}
    assert out["pair"] == ("ok", REDACTED)
    assert token not in repr(out)
    assert data["api_key"] == "plain-looking", "the input must not be modified"


def test_redact_by_value_only_keeps_package_names() -> None:
    packages = {"google-auth": "2.29.0", "pyjwt": "2.8.0", "keyring": "25.0"}
    assert redact(packages, by_name=False) == packages
    assert redact(packages)["google-auth"] == REDACTED


def test_redact_runs_no_user_code() -> None:
    class Hostile(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def]
            raise AssertionError("items() must not be called")

        def __iter__(self):  # type: ignore[no-untyped-def]
            raise AssertionError("__iter__ must not be called")

    class Opaque:
        def __repr__(self) -> str:
            raise AssertionError("repr must not be called")

        def __eq__(self, other: object) -> bool:
            raise AssertionError("eq must not be called")

    opaque = Opaque()
    out = redact({"h": Hostile(secret="x", ok=1), "o": opaque})
    assert out["h"] == {"secret": REDACTED, "ok": 1}
    assert out["o"] is opaque


def test_redact_bounds_depth() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(100):
        child: list[object] = []
        node.append(child)
        node = child
    out = redact(deep)
    for _ in range(32):
        out = out[0]
    assert out == REDACTED


@pytest.mark.parametrize(
    "text",
    [
        "eyJ" * 100_000,
        "sk-" * 100_000,
        "a" * 300_000 + "://x",
        "https://h/" + "?" * 300_000,
        "https://" + "a" * 300_000,
        "a://" * 75_000,
        "-----BEGIN " * 30_000,
    ],
    ids=["jwt", "sk", "scheme", "query", "userinfo", "urls", "pem"],
)
def test_adversarial_text_is_vetted_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    looks_secret_value(text)
    strip_url_credentials(text)
    assert time.perf_counter() - started < 2.0


# -- cell sources ----------------------------------------------------------------------
# Made-up credentials of each shape, assembled so that no scanner takes this file for a
# leak.
SK = "sk-" + "proj-a1B2c3D4e5F6g7H8i9J0k1L2m3N4"
GHP = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
AKIA = "AKIA" + "IOSFODNN7EXAMPLE"
XOXB = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOp"
JWT = (
    "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
PEM_LINES = [
    "-----BEGIN RSA " + "PRIVATE KEY-----",
    "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2p8K",
    "-----END RSA " + "PRIVATE KEY-----",
]
R = REDACTED

# (source, what the store keeps of it)
REDACTED_SOURCES = [
    # the three forms of the problem
    (f"api_key = '{SK}'", f"api_key = '{R}'"),
    ("password = 'hunter2'", f"password = '{R}'"),
    ("conn = 'postgresql://user:s3cret@host/db'", f"conn = 'postgresql://user:{R}@host/db'"),
    # each key shape, under a name that says nothing
    (f"x = '{SK}'", f"x = '{R}'"),
    (f"x = '{GHP}'", f"x = '{R}'"),
    (f"x = '{AKIA}'", f"x = '{R}'"),
    (f"x = '{XOXB}'", f"x = '{R}'"),
    (f"x = '{JWT}'", f"x = '{R}'"),
    ("pem = '" + "\\n".join(PEM_LINES) + "\\n'", f"pem = '{R}\\n'"),
    ('pem = """' + "\n".join(PEM_LINES) + '\n"""', f'pem = """{R}\n"""'),
    ("x = '" + PEM_LINES[0] + "\\n" + PEM_LINES[1] + "'", f"x = '{R}'"),  # no END line
    (f"msg = 'use {SK} here'", f"msg = 'use {R} here'"),
    # names, keyword arguments, dict keys, subscripts, annotations, chains
    (f"os.environ['OPENAI_API_KEY'] = \"{SK}\"", f"os.environ['OPENAI_API_KEY'] = \"{R}\""),
    ("os.environ.setdefault('API_KEY', 'abc1')", f"os.environ.setdefault('API_KEY', '{R}')"),
    ("client = Client(token='abc123')", f"client = Client(token='{R}')"),
    ("login(\n    password='pw',\n)", f"login(\n    password='{R}',\n)"),
    ("cfg = {'password': 'pw', 'user': 'me'}", f"cfg = {{'password': '{R}', 'user': 'me'}}"),
    ("h = {'Authorization': 'Basic dXNlcjpw'}", f"h = {{'Authorization': '{R}'}}"),
    ('h = {"X-Api-Key": "abc1"}', f'h = {{"X-Api-Key": "{R}"}}'),
    ("cfg['db_password'] = 'pw'", f"cfg['db_password'] = '{R}'"),
    ("password: str = 'pw'", f"password: str = '{R}'"),
    ("self.secret_key = b'pw'", f"self.secret_key = b'{R}'"),
    ("a = client_secret = 'pw'", f"a = client_secret = '{R}'"),
    ("PASSWORD = r'p\\w'", f"PASSWORD = r'{R}'"),
    ("token = '''multi\nline'''", f"token = '''{R}'''"),
    ("auth = ('user', 'pw')", f"auth = ('{R}', '{R}')"),
    ("password = ('ab'\n            'cd')", f"password = ('{R}'\n            '{R}')"),
    ("password = 'ab' + suffix", f"password = '{R}' + suffix"),
    ("password = f'pre{x}post'", f"password = f'{R}{{x}}{R}'"),
    ("if (token := 'abc1'):\n    pass", f"if (token := '{R}'):\n    pass"),
    ("def f(password='default'):\n    pass", f"def f(password='{R}'):\n    pass"),
    ("key = 'Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWY'", f"key = '{R}'"),
    ("wandb.login(key='" + "0123456789abcdef" * 2 + "01234567')", f"wandb.login(key='{R}')"),
    # inside strings only the secret part goes
    (
        "u = 'https://x-access-token:abc@github.com/o/r'",
        f"u = 'https://x-access-token:{R}@github.com/o/r'",
    ),
    ("u = 'https://h/x?token=abc&page=2'", f"u = 'https://h/x?token={R}&page=2'"),
    ("creds = ('analyst', 'correct horse battery')", f"creds = ('{R}', '{R}')"),
    ("requests.get(url, auth=('admin', 'letmein'))", f"requests.get(url, auth=('{R}', '{R}'))"),
    ("OPENAI_KEY = 'abc123xyz'", f"OPENAI_KEY = '{R}'"),
    ("hf_token = 'abc_123'", f"hf_token = '{R}'"),
    ("u = 'https://h/x?sig=abc%2B&sv=1'", f"u = 'https://h/x?sig={R}&sv=1'"),
    ("h = 'Authorization: Bearer abc123def'", f"h = 'Authorization: Bearer {R}'"),
    ("h = f'Bearer abc123def {x}'", f"h = f'Bearer {R} {{x}}'"),
    ("u = 'https://user:p@ss@host/db'", f"u = 'https://user:{R}@host/db'"),
    (f"# the key was {SK}", f"# the key was {R}"),
    # shell lines, magics and cell magics
    ("!curl https://user:pw@host/x", f"!curl https://user:{R}@host/x"),
    ("!curl -u admin:s3cret https://host", f"!curl -u admin:{R} https://host"),
    ("!mysql -u root -pS3cret db", f"!mysql -u root -p{R} db"),
    ("!sshpass -p 's3cret' ssh host", f"!sshpass -p '{R}' ssh host"),
    ("!tool --password=s3cret --verbose", f"!tool --password={R} --verbose"),
    ("!tool --api-key abc123 run", f"!tool --api-key {R} run"),
    ("!TOKEN=abc1 python train.py", f"!TOKEN={R} python train.py"),
    (
        "!curl -H 'Authorization: token abc123' https://h",
        f"!curl -H 'Authorization: token {R}' https://h",
    ),
    (
        f"files = !git clone https://{GHP}@github.com/o/r",
        f"files = !git clone https://{R}@github.com/o/r",
    ),
    ("if ok:\n    !export API_TOKEN=abc1", f"if ok:\n    !export API_TOKEN={R}"),
    ("%env API_KEY=abc123", f"%env API_KEY={R}"),
    ("%env API_KEY abc123", f"%env API_KEY {R}"),
    ("%set_env DB_PASSWORD s3cret", f"%set_env DB_PASSWORD {R}"),
    (
        "%pip install git+https://user:tok@git.example.com/r.git",
        f"%pip install git+https://user:{R}@git.example.com/r.git",
    ),
    ("x = 1\n%time password = 'pw'", f"x = 1\n%time password = '{R}'"),
    ("%%time\npassword = 'pw'", f"%%time\npassword = '{R}'"),
    (
        "%%bash\nexport TOKEN=abc1\ncurl --password xyz h",
        f"%%bash\nexport TOKEN={R}\ncurl --password {R} h",
    ),
    ("%%sql postgresql://u:pw@h/db\nSELECT 1", f"%%sql postgresql://u:{R}@h/db\nSELECT 1"),
    (f"%%html\n<p>{SK}</p>", f"%%html\n<p>{R}</p>"),
]

UNREDACTED_SOURCES = [
    "token_count = 5",
    "keyboard = 'qwerty'",
    "max_tokens = 100",
    "json.dumps(data, sort_keys=True)",
    "df['key'] = df['a'] + 1",
    "df['key'] = 'region'",
    "key = 'date'",
    "grouper = pd.Grouper(key='date', freq='M')",
    "sorted(rows, key=lambda r: r['name'])",
    "token = tokens[0]",
    "password = os.environ['DB_PASSWORD']",
    "password = getpass.getpass('Password: ')",
    "api_key = os.environ.get('API_KEY', '')",
    "token_pattern = r'(?u)\\b\\w\\w+\\b'",
    "vec = CountVectorizer(token_pattern=r'\\w+')",
    "tok.add_special_tokens({'pad_token': '[PAD]'})",
    "model(eos_token='</s>', pad_token='<pad>')",
    "schema = {'primary_key': 'id', 'sort_key': 'ts'}",
    "password_file = '/run/secrets/db'",
    "secret_name = 'prod/db'",
    "auth_url = 'https://login.example.com/oauth/token'",
    "signature_version = 's3v4'",
    "session_id = 'abc'",
    "public_key = 'ssh-ed25519 AAAAC3Nza'",
    "for key in d.keys():\n    pass",
    "if password == 'x':\n    pass",
    "print('password:', user)",
    "url = 'https://example.com/data.csv'",
    "url = f'postgres://{user}:{password}@{host}/db'",
    "url = 'postgres://%s:%s@%s/db' % (u, p, h)",
    "!git clone git@github.com:org/repo.git",
    "!curl https://user:$TOKEN@host/x",
    "!docker run -u 1000:1000 -p 8080:80 image",
    "!tool --no-password --verbose",
    "%pip install requests",
    "%matplotlib inline",
    "%env",
    "digest = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'",
    "data = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA'",
    "x = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'",
    f"password = '{R}'",
    "def f(token):\n    return token.strip()",
    "class Secret:\n    pass",
    "d = {'key': value, 'tokens': 3}",
    "text = 'the password is never stored here'",
    "_MODEL_TYPE_KEY = 'model_type'",
    "CACHE_KEY = 'results.features'",
    "meta = {'mlflow.trace.session': 'current'}",
    "TOKEN_SEPARATOR = ', '",
    "api_key = 'YOUR_API_KEY'",
    "password = ''",
    "auth_token = 'Please paste your token in the box below.'",
    "MARKERS = ('-----BEGIN RSA " + "PRIVATE KEY-----', '-----END RSA " + "PRIVATE KEY-----')",
]


def _transform(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return str(TransformerManager().transform_cell(source))


def _parses(source: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in generated sources
        try:
            ast.parse(_transform(source))
        except SyntaxError:
            return False
    return True


@pytest.mark.parametrize(("source", "expected"), REDACTED_SOURCES)
def test_secrets_in_cell_sources_are_redacted(source: str, expected: str) -> None:
    assert redact_source(source) == expected
    assert may_hold_secret(source)


@pytest.mark.parametrize("source", UNREDACTED_SOURCES)
def test_ordinary_cell_sources_are_kept(source: str) -> None:
    assert redact_source(source) == source


@pytest.mark.parametrize(
    "source",
    [s for s, _ in REDACTED_SOURCES] + UNREDACTED_SOURCES + [e for _, e in REDACTED_SOURCES],
)
def test_source_redaction_is_idempotent_and_keeps_code_parseable(source: str) -> None:
    once = redact_source(source)
    assert redact_source(once) == once
    assert _redact_fully(source) == once, "the prefilter let a secret through"
    if _parses(source):
        assert _parses(once), once


def test_redaction_keeps_line_count_and_says_which_lines() -> None:
    source = "import os\npassword = 'pw'\nuser = 'me'\ntoken = 'abc1'\n"
    redacted = redact_source(source)
    assert redacted.count("\n") == source.count("\n")
    assert redacted_lines(redacted) == (2, 4)
    assert redacted_lines(source) == ()


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True),
        ("API_KEY", True),
        ("apiKey", True),
        ("password", True),
        ("db_pass", True),
        ("github_token", True),
        ("access_token", True),
        ("refresh_token", True),
        ("private_key", True),
        ("aws_secret_access_key", True),
        ("client_secret", True),
        ("Authorization", True),
        ("connection_string", True),
        ("key", False),
        ("KEY", False),
        ("keyboard", False),
        ("max_tokens", False),
        ("token_count", False),
        ("token_pattern", False),
        ("pad_token", False),
        ("primary_key", False),
        ("public_key", False),
        ("api_key_id", False),
        ("password_file", False),
        ("no_password", False),
        ("session_id", False),
        ("learning_rate", False),
    ],
)
def test_secret_bindings(name: str, secret: bool) -> None:
    assert looks_secret_binding(name) is secret


def test_most_cells_take_the_fast_path() -> None:
    """The prefilter lets ordinary analysis code through without the full pass."""
    cells = [
        "import numpy as np\nimport pandas as pd\n%matplotlib inline",
        "df = pd.read_csv('data/sales.csv')\ndf.head()",
        "def clean(frame, limit=10):\n    return frame[frame['qty'] < limit].dropna()",
        "fig, ax = plt.subplots(figsize=(6, 4))\nax.hist(df['price'], bins=20)\nplt.show()",
        "totals = df.groupby('region')['qty'].sum()\ntotals",
        "for q in range(5):\n    print(df['qty'].quantile(q / 10))",
    ]
    assert not any(may_hold_secret(c) for c in cells)


def _old_hash(source: str) -> str:
    """How sources were hashed before redaction existed."""
    import xxhash

    normalised = "\n".join(line.rstrip() for line in source.rstrip().splitlines())
    return str(xxhash.xxh3_128_hexdigest(normalised.encode("utf-8", "surrogatepass")))


@pytest.mark.parametrize(
    ("source", "secret"),
    [(s, True) for s, _ in REDACTED_SOURCES[:12]] + [(s, False) for s in UNREDACTED_SOURCES[:12]],
)
def test_recorder_checker_and_stored_source_hash_alike(source: str, secret: bool) -> None:
    from jupyter_ext.bridge.static_code import code_facts

    recorded = source_hash(source)  # what the recorder stores, from the raw source
    assert code_facts(source).source_hash == recorded  # what the checker compares
    assert source_hash(redact_source(source)) == recorded  # the stored source re-hashed
    assert source_hash(source + "   \n\n") == recorded  # trailing blanks do not count
    if secret:
        assert recorded != _old_hash(source), "the hash of the raw secret was stored"
        assert recorded == _old_hash(redact_source(source))
    else:
        assert recorded == _old_hash(source), "a source without secrets changed its hash"


def test_static_literal_digests_still_tell_secrets_apart() -> None:
    from jupyter_ext.bridge.static_code import code_facts

    a = dict(code_facts("password = 'one'").digests)["password"]
    b = dict(code_facts("password = 'two'").digests)["password"]
    assert a != b


@pytest.mark.parametrize(
    "text",
    [
        "'" * 200_000,
        "'''" + "\\" * 200_000,
        "password = '" + "x" * 300_000,
        "x = '" + "https://" * 40_000 + "'",
        "x = '" + "a://" * 75_000 + "'",
        "!" + " --password" * 30_000,
        "#" + "eyJ" * 100_000,
        "(" * 100_000 + "\n%x",
        "password = " * 30_000 + "'x'",
        "x = '" + "-----BEGIN " * 30_000 + "'",
    ],
    ids=[
        "quotes",
        "backslashes",
        "unterminated",
        "schemes",
        "urls",
        "options",
        "jwt",
        "brackets",
        "chain",
        "pem",
    ],
)
def test_adversarial_sources_are_redacted_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    once = _redact_fully(text)
    assert _redact_fully(once) == once
    assert time.perf_counter() - started < 4.0


FRAGMENTS = [
    "password", "api_key", "token", "key", "x", " = ", "=", ": ", ", ", "(", ")", "[", "]",
    "{", "}", "'", '"', "'''", "f'", "b'", "\\", "\n", "\n!", "\n%env ", "%%bash\n", "#",
    "https://u:pw@h/", "?token=", SK, GHP, AKIA, JWT, PEM_LINES[0], "Bearer abc123def",
    " --password ", "-p", "mysql ", "'pw'", "'a' + 'b'", "\n    ", " + ", "<redacted>",
]  # fmt: skip


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=24))
@settings(max_examples=int(os.environ.get("JX_FUZZ_EXAMPLES", "150")), deadline=None)
def test_fuzzed_sources_redact_idempotently_and_stay_parseable(parts: list[str]) -> None:
    source = "".join(parts)
    once = redact_source(source)
    assert redact_source(once) == once
    assert _redact_fully(source) == once
    assert source_hash(once) == source_hash(source)
    if _parses(source):
        assert _parses(once), (source, once)


# -- scrubbing a store written before redaction ----------------------------------------


def _old_store(path: Path, sources: list[str]) -> None:
    """A store as earlier versions (or ``redact_sources = False``) wrote it: sources
    verbatim, hashed without redaction."""
    with RunStore(path) as store:
        store.begin_run(RunInfo(run_id="old", started_at=1000.0))
        for seq, source in enumerate(sources, start=1):
            store.add_execution(
                ExecutionRecord(
                    run_id="old",
                    seq=seq,
                    cell_id=f"c{seq}",
                    execution_count=seq,
                    source_hash=_old_hash(source),
                    source=source,
                    started_at=1000.0 + seq,
                    duration=0.1,
                    status="ok",
                )
            )


def _store_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_scrub_redacts_an_old_store_in_place_and_leaves_no_old_page(tmp_path: Path) -> None:
    canary = "canary" + "".join(random.choices(string.ascii_lowercase, k=12)) + "7"
    sources = [
        "import pandas as pd",
        f"password = '{canary}'",
        "df = pd.DataFrame({'a': [1, 2]})",
        f"conn = 'postgresql://analyst:{canary}x@db/prod'",
        f"!curl https://user:{canary}y@host/x",
        f"token = '{canary}z'\n" + "# padding\n" * 600,  # spills onto overflow pages
        # a key big enough to fill overflow pages, which redaction frees
        f'pem = """{PEM_LINES[0]}\n' + f"{canary}AbCd\n" * 500 + f'{PEM_LINES[2]}"""',
    ] * 40
    path = tmp_path / "runs.sqlite"
    _old_store(path, sources)
    assert canary.encode() in _store_bytes(path)

    dry = scrub_store(path, dry_run=True)
    assert (dry.executions, dry.changed, dry.dry_run) == (280, 200, True)
    assert canary.encode() in _store_bytes(path), "a dry run must not change the store"

    seen: list[tuple[int, int]] = []
    # Another process (a kernel) has the store open: closing the scrub's connection does
    # not fold the log into the file, so the scrub must do it itself.
    with RunStore(path) as kernel:
        result = scrub_store(path, progress=lambda done, total: seen.append((done, total)))
        assert canary.encode() not in _store_bytes(path)
        assert kernel.integrity_check() == "ok"
    assert (result.executions, result.changed, result.compacted) == (280, 200, True)
    assert seen[-1] == (280, 280)
    assert canary.encode() not in _store_bytes(path)
    with RunStore(path) as store:
        records = store.executions("old")
        assert store.integrity_check() == "ok"
    assert [r.source for r in records[:5]] == [redact_source(s) for s in sources[:5]]
    assert records[1].source == f"password = '{REDACTED}'"
    # Hashes now agree with what the recorder and the checker compute; a cell without
    # a secret keeps the hash it had.
    assert [r.source_hash for r in records[:5]] == [source_hash(s) for s in sources[:5]]
    assert records[0].source_hash == _old_hash(sources[0])
    assert scrub_store(path).changed == 0, "scrubbing twice changes nothing"


def test_store_scrub_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from jupyter_ext.cli.main import main

    path = tmp_path / "runs.sqlite"
    _old_store(path, ["x = 1", "api_key = 'abc123'"])
    assert main(["store", "scrub", "--dry-run", "--store", str(path)]) == 0
    assert "dry run: 1 of 2 executions" in capsys.readouterr().out
    assert main(["store", "scrub", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "redacted 1 of 2 executions" in out and "rebuilt" in out
    assert b"abc123" not in _store_bytes(path)
    assert main(["store", "scrub", "--store", str(tmp_path / "missing.sqlite")]) == 2
    assert "no run store" in capsys.readouterr().err


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
@settings(max_examples=int(os.environ.get("JX_FUZZ_EXAMPLES", "150")), deadline=None)
def test_any_text_redacts_without_error_and_idempotently(text: str) -> None:
    once = _redact_fully(text)
    assert _redact_fully(once) == once
    assert redact_source(text) == once
