"""Web Push's cryptography: the payload's ``aes128gcm`` encryption (RFC 8291 over
RFC 8188) and the VAPID token (RFC 8292), with ``cryptography`` and PyJWT.

``encrypt`` makes one record (a push fits in one: ``RECORD_SIZE`` is larger than the
biggest payload sent), with a fresh sender key and salt per message unless a test
gives them (RFC 8291's appendix example). ``decrypt`` is the browser's half: the
tests, the local benchmark and the e2e test read pushes with it.
"""

from __future__ import annotations

import os
import time
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chalicelib.domain.webpush import b64url, b64url_decode

RECORD_SIZE = 4096
HEADER_BYTES = 16 + 4 + 1 + 65  # salt, record size, key id length, sender's public key
TAG_BYTES = 16
VAPID_LIFETIME_SECONDS = 12 * 60 * 60  # RFC 8292: at most 24 hours
_LAST_RECORD = b"\x02"


def _hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def point_of(key: ec.EllipticCurvePublicKey) -> bytes:
    """The uncompressed point (65 bytes), as browsers and VAPID write public keys."""
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def private_key_from(raw: bytes) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from its 32-byte scalar."""
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def private_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_numbers().private_value.to_bytes(32, "big")


def _keys(
    shared: bytes, auth: bytes, ua_public: bytes, as_public: bytes, salt: bytes
) -> tuple[bytes, bytes]:
    """RFC 8291 section 3.4: the content encryption key and the nonce."""
    ikm = _hkdf(shared, auth, b"WebPush: info\x00" + ua_public + as_public, 32)
    cek = _hkdf(ikm, salt, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(ikm, salt, b"Content-Encoding: nonce\x00", 12)
    return cek, nonce


def encrypt(
    plaintext: bytes,
    ua_public: bytes,
    auth: bytes,
    *,
    sender: ec.EllipticCurvePrivateKey | None = None,
    salt: bytes | None = None,
) -> bytes:
    """The ``aes128gcm`` body for a browser's ``p256dh`` key and ``auth`` secret."""
    if len(plaintext) + len(_LAST_RECORD) + TAG_BYTES > RECORD_SIZE:
        raise ValueError("a push payload must fit in one record")
    sender = sender or ec.generate_private_key(ec.SECP256R1())
    salt = salt if salt is not None else os.urandom(16)
    browser = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    as_public = point_of(sender.public_key())
    cek, nonce = _keys(sender.exchange(ec.ECDH(), browser), auth, ua_public, as_public, salt)
    sealed = AESGCM(cek).encrypt(nonce, plaintext + _LAST_RECORD, None)
    header = salt + RECORD_SIZE.to_bytes(4, "big") + bytes([len(as_public)]) + as_public
    return header + sealed


def decrypt(body: bytes, ua_private: ec.EllipticCurvePrivateKey, auth: bytes) -> bytes:
    """What the browser does on receipt (one record): the plaintext, padding removed."""
    salt, id_length = body[:16], body[20]
    as_public = body[21 : 21 + id_length]
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    ua_public = point_of(ua_private.public_key())
    cek, nonce = _keys(ua_private.exchange(ec.ECDH(), sender), auth, ua_public, as_public, salt)
    padded = AESGCM(cek).decrypt(nonce, body[21 + id_length :], None).rstrip(b"\x00")
    if not padded.endswith(_LAST_RECORD):
        raise ValueError("not the last record of an aes128gcm body")
    return padded[: -len(_LAST_RECORD)]


def vapid_authorization(
    origin: str,
    key: ec.EllipticCurvePrivateKey,
    subject: str,
    now: float | None = None,
    lifetime: int = VAPID_LIFETIME_SECONDS,
) -> str:
    """The ``Authorization: vapid t=…, k=…`` header value for a push to ``origin``."""
    import jwt

    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"aud": origin, "exp": issued + lifetime, "sub": subject}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"typ": "JWT"})
    return f"vapid t={token}, k={b64url(point_of(key.public_key()))}"


def new_vapid_secret() -> dict[str, str]:
    """A fresh VAPID key pair as the secret stores it (the public key too, for people;
    the app derives it from the private one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return {
        "private_key": b64url(private_bytes(key)),
        "public_key": b64url(point_of(key.public_key())),
    }


def vapid_key_from(private_key: str) -> ec.EllipticCurvePrivateKey:
    """The secret's ``private_key`` (32 bytes, base64url); ValueError when it is not one."""
    raw = b64url_decode(private_key)
    if len(raw) != 32:
        raise ValueError("a VAPID private key is 32 bytes")
    return private_key_from(raw)
