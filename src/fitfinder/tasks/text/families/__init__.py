"""The text families: each module declares one :class:`fitfinder.estimators.base.Family`."""
