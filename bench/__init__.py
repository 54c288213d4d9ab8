"""ModelServe benchmark: ``python -m bench.run [--backend embedded|postgres] [--quick]``."""
