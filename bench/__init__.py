"""The national-scale benchmark and fault harness (issue 11; REQ NFR-4, NFR-3, NTF-2, BTH-2).

Installed only by config.settings.bench. See bench/README.md.
"""
