"""Command-line tools: `noodlec` (ahead-of-time compiler) and `noodle-opt` (pass driver)."""
