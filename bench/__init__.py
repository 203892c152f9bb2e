"""Side-by-side broker benchmark: ``python -m bench`` (see bench/__main__.py); results in bench/RESULTS.md."""
