"""Excel round trip of the needs grid: download, upload, preview, confirm."""
