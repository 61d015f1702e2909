"""Who is calling: OIDC bearer tokens verified against the trusted issuers' keys (seed 004, 7.6).

`Authorization: Bearer <JWT>` says who the caller is, `Origin: <vo>` which VO they act for.
The token's `groups` claim (IAM style: `atlas`, `atlas/production`, ...) must hold a group of
that VO; the groups `<vo>/production` and `<vo>/pilot` give the production role.

No token, a bad signature, an untrusted issuer, a wrong audience or an expired token: 401.
A token without a group of the Origin VO, or a missing production role: 403.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from services.settings import TrustedIssuer
from services.spec import Identity

CLOCK_SKEW_SECONDS = 30
VERIFIED_CACHE_SIZE = 4096  # tokens whose signature was verified, kept until they expire (a pilot sends the same one)
PRODUCTION_GROUP_SUFFIXES = ("production", "pilot")

# never a symmetric (HS*) algorithm: the verification keys are public
_ALGORITHMS_BY_KEY_TYPE = {
    rsa.RSAPublicKey: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
    ec.EllipticCurvePublicKey: ["ES256", "ES384", "ES512"],
    ed25519.Ed25519PublicKey: ["EdDSA"],
    ed448.Ed448PublicKey: ["EdDSA"],
}


class AuthError(Exception):
    """Authentication (401) or authorization (403) refused; the message says why and what to do."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _algorithms_for(key: Any) -> list[str]:
    for key_type, algorithms in _ALGORITHMS_BY_KEY_TYPE.items():
        if isinstance(key, key_type):
            return algorithms
    raise ValueError(f"unsupported verification key type {type(key).__name__}")


class TokenVerifier:
    """Verifies JWTs of the configured issuers; keys are loaded once."""

    def __init__(self, issuers: tuple[TrustedIssuer, ...]):
        self._issuers = {issuer.issuer: issuer for issuer in issuers}
        # issuer -> list of (kid or None, key object, algorithms)
        self._keys: dict[str, list[tuple[str | None, Any, list[str]]]] = {}
        for issuer in issuers:
            keys: list[tuple[str | None, Any, list[str]]] = []
            if issuer.public_key_file is not None:
                key = serialization.load_pem_public_key(issuer.public_key_file.read_bytes())
                keys.append((None, key, _algorithms_for(key)))
            if issuer.jwks_file is not None:
                for jwk in jwt.PyJWKSet.from_dict(json.loads(issuer.jwks_file.read_text())).keys:
                    keys.append((jwk.key_id, jwk.key, _algorithms_for(jwk.key)))
            self._keys[issuer.issuer] = keys
        # token -> its claims, once verified: the same bytes verify the same way until "exp" (checked at
        # every use). Decoding and checking the JWT was a sixth of the app's CPU per heartbeat.
        self._verified: dict[str, dict[str, Any]] = {}

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or AuthError(401)."""
        claims = self._verified.get(token)
        if claims is not None:
            if time.time() <= claims["exp"] + CLOCK_SKEW_SECONDS:
                return claims
            self._verified.pop(token, None)
        claims = self._verify(token)
        if isinstance(claims.get("exp"), (int, float)):
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = claims
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError as error:
            raise AuthError(401, f"the bearer token is not a valid JWT: {error}") from None
        issuer_name = str(unverified.get("iss"))
        issuer = self._issuers.get(issuer_name)
        if issuer is None:
            raise AuthError(401, f"tokens of issuer {issuer_name!r} are not trusted by this server")
        kid = header.get("kid")
        candidates = [
            entry for entry in self._keys[issuer.issuer] if entry[0] is None or kid is None or entry[0] == kid
        ]
        if not candidates:
            raise AuthError(401, f"no key {kid!r} of issuer {issuer_name!r} is configured")
        last_error: Exception | None = None
        for _, key, algorithms in candidates:
            try:
                return jwt.decode(
                    token,
                    key,
                    algorithms=algorithms,
                    audience=issuer.audience,
                    issuer=issuer.issuer,
                    leeway=CLOCK_SKEW_SECONDS,
                    options={"require": ["exp", "iss", "aud", "sub"]},
                )
            except jwt.ExpiredSignatureError:
                raise AuthError(401, "the token has expired: get a new one (pandadb token issue ...)") from None
            except jwt.InvalidSignatureError as error:
                last_error = error
            except jwt.InvalidTokenError as error:
                raise AuthError(401, f"the token was refused: {error}") from None
        raise AuthError(401, f"the token signature does not verify with the keys of {issuer_name!r}: {last_error}")


def token_groups(claims: dict[str, Any]) -> tuple[str, ...]:
    """The groups of a token, without leading slashes (IAM writes both `/atlas` and `atlas`)."""
    raw = claims.get("groups", claims.get("wlcg.groups", []))
    if isinstance(raw, str):
        raw = raw.split(",")
    return tuple(str(group).strip().strip("/") for group in raw if str(group).strip().strip("/"))


def identify(claims: dict[str, Any], vo: str | None) -> Identity:
    """The caller for the VO of the Origin header, or AuthError(403) if the token has no group of it."""
    if not vo:
        raise AuthError(401, "missing Origin header: set 'Origin: <your VO>' next to the bearer token")
    groups = token_groups(claims)
    vo_groups = tuple(group for group in groups if group == vo or group.startswith(vo + "/"))
    if not vo_groups:
        raise AuthError(403, f"the token carries no group of VO {vo!r} (its groups: {', '.join(groups) or 'none'})")
    is_production = any(f"{vo}/{suffix}" in vo_groups for suffix in PRODUCTION_GROUP_SUFFIXES)
    user = claims.get("name") or claims.get("preferred_username") or claims["sub"]
    return Identity(user=str(user), vo=vo, groups=vo_groups, is_production=is_production, claims=claims)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError(401, "authentication required: send 'Authorization: Bearer <token>' (pandadb token issue ...)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(401, "the Authorization header must be 'Bearer <token>'")
    return token.strip()
