"""The secret rules, in both directions: what must be hidden and what must stay readable.

Every token below is made up for the test (shapes of real formats, no real credentials).
"""

from __future__ import annotations

import base64
import random
import string
import time

import pytest

from jupyter_ext.core.redaction import (
    REDACTED,
    looks_secret_name,
    looks_secret_value,
    redact,
    redact_mapping,
    strip_url_credentials,
)

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
