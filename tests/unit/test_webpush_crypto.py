"""Web Push cryptography against RFC 8291's worked example (Appendix A, exact bytes), a
round trip through the browser's half, and the VAPID token of RFC 8292."""

from __future__ import annotations

import os

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.adapters import webpush_crypto
from chalicelib.adapters.webpush_crypto import (
    decrypt,
    encrypt,
    point_of,
    private_key_from,
    vapid_authorization,
    vapid_key_from,
)
from chalicelib.domain.webpush import b64url, b64url_decode

# RFC 8291, Appendix A (base64url as printed there)
PLAINTEXT = b"When I grow up, I want to be a watermelon"
AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
AS_PUBLIC = (
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
)
UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
UA_PUBLIC = (
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
)
AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
SALT = "DGv6ra1nlYgDCS1FRnbzlw"
ECDH_SECRET = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs"
CEK = "oIhVW04MRdy2XN9CiKLxTg"
NONCE = "4h_95klXJ5E_qnoN"
BODY = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
    "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
    "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)


def d(text: str) -> bytes:
    return b64url_decode(text)


def test_the_rfc_8291_example_encrypts_to_the_exact_bytes_printed() -> None:
    sender = private_key_from(d(AS_PRIVATE))
    assert b64url(point_of(sender.public_key())) == AS_PUBLIC
    body = encrypt(PLAINTEXT, d(UA_PUBLIC), d(AUTH), sender=sender, salt=d(SALT))
    assert b64url(body) == BODY


def test_the_rfc_8291_example_derives_the_printed_secret_key_and_nonce() -> None:
    sender = private_key_from(d(AS_PRIVATE))
    browser = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), d(UA_PUBLIC))
    shared = sender.exchange(ec.ECDH(), browser)
    assert b64url(shared) == ECDH_SECRET
    cek, nonce = webpush_crypto._keys(shared, d(AUTH), d(UA_PUBLIC), d(AS_PUBLIC), d(SALT))
    assert (b64url(cek), b64url(nonce)) == (CEK, NONCE)


def test_the_browser_reads_the_rfc_8291_example_back() -> None:
    assert decrypt(d(BODY), private_key_from(d(UA_PRIVATE)), d(AUTH)) == PLAINTEXT


def test_a_push_round_trips_with_a_fresh_key_and_salt_each_time() -> None:
    browser, auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
    text = "Ünïcödé preview 🍉".encode()
    first = encrypt(text, point_of(browser.public_key()), auth)
    second = encrypt(text, point_of(browser.public_key()), auth)
    assert first[:16] != second[:16] and first[21:86] != second[21:86]  # salt, sender key
    assert decrypt(first, browser, auth) == decrypt(second, browser, auth) == text
    assert int.from_bytes(first[16:20], "big") == webpush_crypto.RECORD_SIZE


def test_a_body_tampered_with_is_refused() -> None:
    browser, auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
    body = bytearray(encrypt(b"hello", point_of(browser.public_key()), auth))
    body[-1] ^= 1
    with pytest.raises(Exception):  # noqa: B017 - AES-GCM's InvalidTag
        decrypt(bytes(body), browser, auth)


def test_a_payload_larger_than_one_record_is_refused() -> None:
    browser = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ValueError):
        encrypt(b"x" * 4096, point_of(browser.public_key()), os.urandom(16))


def test_the_vapid_header_carries_an_es256_token_for_the_origin_and_the_public_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    header = vapid_authorization(
        "https://fcm.googleapis.com", key, "mailto:ops@example.com", now=1_800_000_000
    )
    assert header.startswith("vapid t=")
    token, k = header.removeprefix("vapid t=").split(", k=")
    assert d(k) == point_of(key.public_key())
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "typ": "JWT"}
    claims = jwt.decode(
        token,
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), d(k)),
        algorithms=["ES256"],
        audience="https://fcm.googleapis.com",
        options={"verify_exp": False},
    )
    assert claims["sub"] == "mailto:ops@example.com"
    assert 0 < claims["exp"] - 1_800_000_000 <= 24 * 60 * 60


def test_a_vapid_private_key_is_32_bytes_of_base64url() -> None:
    secret = webpush_crypto.new_vapid_secret()
    key = vapid_key_from(secret["private_key"])
    assert b64url(point_of(key.public_key())) == secret["public_key"]
    for bad in ("", "not base64!", b64url(b"\x01" * 31)):
        with pytest.raises(ValueError):
            vapid_key_from(bad)
