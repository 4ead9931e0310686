"""Monte Carlo uncertainty of every measured claim (being split by concern)."""

from borderkit._uncertainty._legacy import ClaimInterval, UncertaintyResult, uncertainty

__all__ = ["ClaimInterval", "UncertaintyResult", "uncertainty"]
