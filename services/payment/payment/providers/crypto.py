"""RSA-SHA256 (PKCS#1 v1.5) signatures with PEM keys, as Alipay RSA2 and WeChat Pay v3 use."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def generate_rsa_pair(bits: int = 2048) -> tuple[str, str]:
    """A new (private PEM, public PEM) pair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def rsa_sign(private_pem: str, message: bytes) -> str:
    """base64 of the RSA-SHA256 PKCS#1 v1.5 signature of ``message``."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_pem: str, message: bytes, signature_b64: str | None) -> bool:
    """Whether ``signature_b64`` is a valid signature of ``message`` by the key's owner."""
    if not signature_b64:
        return False
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key = serialization.load_pem_public_key(public_pem.encode())
        assert isinstance(key, rsa.RSAPublicKey)
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        return True
    except (CryptoInvalidSignature, binascii.Error, ValueError):
        return False
