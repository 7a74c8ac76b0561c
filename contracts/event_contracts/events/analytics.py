"""Events the analytics service produces: none yet (``RiskFlagRaised`` will be the first).

The module is registered in ``events/__init__.py`` like every producer's, so the first
schema written here needs no other change to be known."""
