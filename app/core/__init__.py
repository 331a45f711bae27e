"""The low-code frame every module uses (ARCHITECTURE.md)."""
