"""Accounts: users, sessions, tokens and the rules around them."""

from domain.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordHashing
from domain.accounts.service import (
    SESSIONS_CHANNEL,
    Accounts,
    LoginRates,
    Principal,
    TokenPair,
    account_channel,
)
from domain.accounts.tokens import TokenCodec

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "SESSIONS_CHANNEL",
    "Accounts",
    "LoginRates",
    "PasswordHashing",
    "Principal",
    "TokenCodec",
    "TokenPair",
    "account_channel",
]
