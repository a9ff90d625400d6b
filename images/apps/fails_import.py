"""Test fixture: cannot be imported, so no worker can boot (the boot-failure path)."""
raise ImportError("fixture fails_import: deliberate import-time failure")
