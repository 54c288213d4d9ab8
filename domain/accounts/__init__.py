"""Accounts: users, sessions, tokens and the rules around them."""

from domain.accounts.caller import ALL_SCOPES, AuthMethod, Caller, Scope
from domain.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordHashing
from domain.accounts.service import Accounts, LoginRates, TokenPair
from domain.accounts.tokens import TokenCodec

__all__ = [
    "ALL_SCOPES",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "Accounts",
    "AuthMethod",
    "Caller",
    "LoginRates",
    "PasswordHashing",
    "Scope",
    "TokenCodec",
    "TokenPair",
]
