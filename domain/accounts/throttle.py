"""Password guessing limits that bound an attacker without locking the owner out.

Every attempt is *reserved before* its password is hashed, so N concurrent guesses count as N
(a hit on a moving window is atomic, in process memory and in Redis alike). Three layers:

- **per address**: attempts from one address across all accounts, per minute;
- **per (account, address)**: failures from one address against one account in a window
  (default 5 in 15 minutes). A success from that address clears its count;
- **per account, across addresses**: once an account has failed ``slow_after`` times in a day,
  each further attempt *from an address that has failed against it* must wait a delay that
  doubles with every failure, up to ``max_delay_s`` (30 s), and such attempts stop for the
  day at ``daily_failures``.

An address with no failures against the account never meets the account-wide layer: whatever
a botnet does to an account, its owner typing the right password from their own address is
refused only by limits on that address itself. What an attacker gets per account and day is
``daily_failures`` guesses from addresses that have failed, plus one per fresh address
(each is strictly limited from then on).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.ratelimit import Rate, RateLimiter

DAY_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    per_address: Rate
    per_account_address: Rate
    slow_after: int = 5
    max_delay_s: int = 30
    daily_failures: int = 100

    def delay_s(self, failures_today: int) -> int:
        """The wait between attempts from failed addresses once the account is being guessed."""
        if failures_today < self.slow_after:
            return 0
        return min(self.max_delay_s, 2 ** (failures_today - self.slow_after))


@dataclass(frozen=True, slots=True)
class Attempt:
    """A reserved attempt; report its outcome with ``succeeded`` or ``failed``."""

    account: str
    address: str
    from_failed_address: bool


class GuessThrottle:
    """Reserves password attempts under a ``ThrottlePolicy``; ``scope`` keeps uses apart."""

    def __init__(self, limiter: RateLimiter, policy: ThrottlePolicy, scope: str) -> None:
        self.limiter = limiter
        self.policy = policy
        self.scope = scope
        self._daily = Rate(policy.daily_failures, DAY_S)

    async def reserve(self, *, account: str, address: str | None) -> Attempt:
        """Count one attempt before the password is checked.

        Raises:
            RateLimited: a layer is full; ``retry_after`` says when to try again.
        """
        address = address or "-"
        policy = self.policy
        await self.limiter.hit(policy.per_address, self.scope, "address", address)
        pair = (self.scope, "pair", account, address)
        failed_before = await self.limiter.used(policy.per_account_address, *pair) > 0
        if failed_before:
            await self._slow_down(account)
        await self.limiter.hit(policy.per_account_address, *pair)
        return Attempt(account, address, failed_before)

    async def _slow_down(self, account: str) -> None:
        failures = await self.limiter.used(self._daily, self.scope, "account", account)
        delay = self.policy.delay_s(failures)
        if delay:
            # The slot for the next guess after ``failures`` failures: held for ``delay`` from
            # the last failure (see ``_hold``), then taken by exactly one attempt.
            await self.limiter.hit(Rate(1, delay), self.scope, "slow", account, str(failures))
        # Counted now, before hashing, so that concurrent attempts cannot pass the daily cap.
        await self.limiter.hit(self._daily, self.scope, "account", account)
        await self._hold(account, failures + 1)

    async def _hold(self, account: str, failures: int) -> None:
        """Keep the slot of the guess after ``failures`` failures taken for its delay."""
        delay = self.policy.delay_s(failures)
        if delay:
            await self.limiter.record(Rate(1, delay), self.scope, "slow", account, str(failures))

    async def succeeded(self, attempt: Attempt) -> None:
        await self.limiter.clear(
            self.policy.per_account_address, self.scope, "pair", attempt.account, attempt.address
        )

    async def failed(self, attempt: Attempt) -> None:
        if not attempt.from_failed_address:
            # A failed address's attempt counted toward the day when it was reserved.
            key = (self.scope, "account", attempt.account)
            await self.limiter.record(self._daily, *key)
            await self._hold(attempt.account, await self.limiter.used(self._daily, *key))
